"""The SLA gate: is this organisation allowed another question on this channel now?

Checked once per request, when the binding knows who asks (``Sandbox.identify``): the
opening hours, then the traffic limits (simulator/runtime/sla/counters.py). In ``reject`` mode
a breach is raised as ``SlaBreach`` for the binding to answer in its own way; in
``record`` mode the request is served and the breach only recorded; ``off`` skips it.
Every breach is counted in metrics and the journal in every mode but ``off``.

Opening hours read the simulator clock; the traffic limits read its SLA time
(``Clock.sla_ms``), which passes in real time also while the clock is frozen and jumps with
every forward move of the clock. A refusal names every rule the question breaks and gives
the latest of their clearing times (simulator/runtime/sla/counters.py): waiting that long,
or moving the clock that far, admits the question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from simulator.domain.clock import Clock
from simulator.runtime.sla.counters import SLA_DEFAULTS, CounterStore, Limits, MemoryCounters
from simulator.runtime.sla.hours import Closed, OpeningHours
from simulator.scenario.models import Channel, ChannelLimits, SlaMode, SlaProfile, SlaSettings

__all__ = ["SlaGate", "SlaBreach", "Admission", "SLA_DEFAULTS", "CHANNEL_NAMES"]

CHANNEL_NAMES = {Channel.ONLINE: "onlinefråga", Channel.MASSFRAGA: "massfråga"}
_RULE_TEXT = {
    "per_second": "högst {limits.per_second} frågor per sekund",
    "per_minute": "högst {limits.per_minute} frågor per minut",
    "per_hour": "högst {limits.per_hour} frågor per timme",
    "min_gap": "minst {limits.min_gap_ms} ms mellan svar och ny fråga",
    "max_in_flight": "högst {limits.max_in_flight} samtidiga frågor",
}


class SlaBreach(Exception):
    """A question the SLA does not allow now: ``rules``, every rule it breaks (max_in_flight,
    min_gap, per_second, per_minute, per_hour; or closed), ``rule`` the first of them (the
    journal's and metrics' label), a text naming them all, and when to retry: when the last
    of them clears."""

    def __init__(
        self, rule: str, text: str, retry_at: datetime, now: datetime, rules: tuple[str, ...] = ()
    ) -> None:
        super().__init__(text)
        self.rule = rule
        self.rules = rules or (rule,)
        self.text = text
        self.retry_at = retry_at
        # in UTC: the same-zone difference ignores a DST change in between (the Saturday
        # service window always holds the change weekends)
        self.retry_after = max(0.0, (retry_at.astimezone(UTC) - now.astimezone(UTC)).total_seconds())

    @property
    def closed(self) -> bool:
        return self.rule == "closed"

    @property
    def retry_after_header(self) -> str:
        """Retry-After in whole seconds, rounded up (HTTP has no fractions)."""
        return str(max(1, -int(-self.retry_after // 1)))


@dataclass(frozen=True, slots=True)
class Admission:
    key: str


class SlaGate:
    def __init__(
        self,
        settings: SlaSettings,
        clock: Clock,
        counters: CounterStore | None = None,
        mode: SlaMode | str | None = None,
        profile: SlaProfile | str | None = None,
    ) -> None:
        self.clock = clock
        self.counters: CounterStore = counters or MemoryCounters()
        self.mode_override = SlaMode(mode) if mode else None
        self.profile_override = SlaProfile(profile) if profile else None
        self.configure(settings)

    def configure(self, settings: SlaSettings) -> None:
        """Takes a (re)loaded scenario's settings; command-line overrides stay."""
        if self.profile_override:
            settings = settings.model_copy(update={"profile": self.profile_override})
        self.settings = settings
        self.mode: SlaMode = self.mode_override or settings.mode
        self.hours = OpeningHours(settings)

    def limits(self, organisation: str, channel: Channel) -> Limits:
        limits = SLA_DEFAULTS[channel]
        for override in (
            self.settings.limits.get(channel),
            self.settings.organisations.get(organisation, {}).get(channel),
        ):
            if override is not None:
                limits = _merge(limits, override)
        return limits

    async def admit(
        self, organisation: str, channel: Channel | str
    ) -> tuple[Admission | None, SlaBreach | None]:
        """The admission to release when answered (None: nothing to release) and the
        breach, if any. Raises nothing: the caller decides by ``mode``."""
        channel = Channel(channel)
        if self.mode is SlaMode.OFF:
            return None, None
        now = self.clock.now()
        try:
            self.hours.check(channel, now)
        except Closed as closed:
            breach = SlaBreach(
                "closed",
                f"SLA-regeln closed: {CHANNEL_NAMES[channel]} är stängd: {closed.reason}. "
                f"Öppnar {closed.until.isoformat(timespec='minutes')}",
                closed.until,
                now,
            )
            if self.mode is SlaMode.REJECT:
                return None, breach
            closed_breach: SlaBreach | None = breach
        else:
            closed_breach = None
        limits = self.limits(organisation, channel)
        key = f"{organisation}:{channel}"
        verdict = await self.counters.admit(
            key, self.clock.sla_ms(), limits, record_anyway=self.mode is SlaMode.RECORD
        )
        admission = Admission(key) if verdict.admitted or self.mode is SlaMode.RECORD else None
        if verdict.rule is None:
            return admission, closed_breach
        retry_at = (now.astimezone(UTC) + timedelta(milliseconds=max(verdict.retry_ms, 1))).astimezone(
            now.tzinfo
        )
        text = " ".join(
            [
                *(
                    f"SLA-regeln {rule} bröts: {_RULE_TEXT[rule].format(limits=limits)}."
                    for rule in verdict.rules
                ),
                f"Organisation {organisation} ({CHANNEL_NAMES[channel]}).",
                f"Försök igen om {verdict.retry_ms} ms ({retry_at.isoformat(timespec='milliseconds')})",
            ]
        )
        return admission, closed_breach or SlaBreach(verdict.rule, text, retry_at, now, verdict.rules)

    async def release(self, admission: Admission) -> None:
        await self.counters.release(admission.key, self.clock.sla_ms())


def _merge(base: Limits, override: ChannelLimits) -> Limits:
    fields = {k: v for k, v in override.model_dump().items() if v is not None}
    return Limits(**{**{f: getattr(base, f) for f in Limits.__slots__}, **fields})
