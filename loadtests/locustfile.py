"""Locust load profiles of LEFI partners, each ending with a capacity report against the SLA.

Every Locust user is one partner organisation asking onlinefrågor one at a time (the SLA
allows one in flight), over the bindings given by ``--lefi-bindings`` in turn, and waiting
after each answer for the interval of its SLA rate (simulator/runtime/sla/gate.py) divided by the
class's ``sla_share``:

- ``OnlineAtSla``: the next question 1 s after each answer, the SLA's 1 question/s. Pacing
  from the answer, not from the question, keeps it within the limit however late the
  answers come: the sandbox counted the question before it answered.
- ``OverSla``: five times that pace; the sandbox must refuse the excess, and the report
  fails naming the rules broken.
- ``MassfragaAtSla`` / ``MassfragaOverSla``: the same on the massfråga channel (2 questions/s):
  each partner runs massfråga jobs (submit, poll, fetch the answers, acknowledge: each request
  a question) over ``--lefi-bindings rest,ssek``, and every person must get an answer.

Run it through ``loadtests/run_profile.py`` (starts the sandbox, one command per profile), or
against a running sandbox whose scenario holds the partners (``loadtests/partners.py``):

    locust -f loadtests/locustfile.py --headless -H http://127.0.0.1:8080 -u 200 -r 50 \\
        --run-time 60s --html report.html --lefi-partners 200 OnlineAtSla

The capacity report (per organisation: sent, served, refused by rule, the sandbox's own
breach count from /metrics, p50/p95/p99) is printed when the run ends, after Locust's own
tables (the verdict is the last thing on the screen), and written as
JSON to ``--capacity-report``; a failing report sets Locust's exit code to 1.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import gevent
from locust import FastHttpUser, constant, events, task
from locust.runners import WorkerRunner
from locust.stats import StatsEntry

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import lefi_requests  # noqa: E402
import massfraga_jobs  # noqa: E402
from partners import partner_orgnummer, population_numbers  # noqa: E402

from simulator.runtime.sla.counters import SLA_DEFAULTS

_next_user = itertools.count()
_BREACH = re.compile(r"^lefi_sla_breaches_total\{(?P<labels>[^}]*)\} (?P<value>[0-9.e+]+)$", re.M)
_LABEL = re.compile(r'(\w+)="([^"]*)"')
REFUSED = "SLA refused: "


@events.init_command_line_parser.add_listener
def _options(parser) -> None:  # type: ignore[no-untyped-def]
    parser.add_argument(
        "--lefi-partners",
        type=int,
        default=4,
        include_in_web_ui=False,
        help="partner organisations in the scenario (loadtests/partners.py --count)",
    )
    parser.add_argument(
        "--lefi-bindings",
        default="ws,ssek,shs,rest",
        include_in_web_ui=False,
        help="bindings each partner asks over, in turn",
    )
    parser.add_argument(
        "--lefi-workers",
        type=int,
        default=1,
        include_in_web_ui=False,
        help="Locust workers in a distributed run (each takes its own partners)",
    )
    parser.add_argument(
        "--capacity-report",
        default="",
        include_in_web_ui=False,
        help="write the capacity report here as JSON",
    )


class PartnerUser(FastHttpUser):
    """One organisation, one question at a time, ``sla_share`` of its SLA rate."""

    abstract = True
    channel = "online"
    sla_share = 1.0

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.abstract:
            cls.wait_time = constant(1 / (SLA_DEFAULTS[cls.channel].per_second * cls.sla_share))

    def on_start(self) -> None:
        options = self.environment.parsed_options
        runner = self.environment.runner
        index = getattr(runner, "worker_index", 0) + options.lefi_workers * next(_next_user)
        partners = partner_orgnummer(options.lefi_partners)
        if index >= len(partners):
            raise RuntimeError(f"more users than partners ({len(partners)}): raise --lefi-partners")
        self.organisation = partners[index]
        self.bindings = itertools.cycle(options.lefi_bindings.split(","))
        self.sequence = itertools.count()
        # partners do not start in step: spread the first questions over one interval, so
        # that 200 partners do not ask in bursts of 200 every second
        gevent.sleep(random.uniform(0, self.wait_time()))

    @task
    def ask(self) -> None:
        self.step()

    def step(self) -> None:
        """One onlinefråga, over the next binding."""
        binding = next(self.bindings)
        request = lefi_requests.BUILDERS[binding](
            self.organisation, tx=_tx(self.organisation, next(self.sequence))
        )
        self.send(
            request,
            f"{binding} {self.organisation}",
            lambda status, body: None if status == 200 else f"HTTP {status}: {body[:200]!r}",
        )

    def send(
        self, request: lefi_requests.Request, name: str, check: Callable[[int, bytes], str | None]
    ) -> None:
        """Sends ``request``; a refusal by the SLA gate (``check`` does not see it), or what
        ``check`` finds wrong with the answer, is a failure."""
        with self.client.request(
            request.method,
            request.path,
            data=request.body,
            headers=request.headers,
            name=name,
            catch_response=True,
        ) as response:
            body = response.content or b""
            status = response.status_code or 0
            rule = lefi_requests.refusal_rule(status, dict(response.headers or {}), body)
            problem = f"{REFUSED}{rule}" if rule is not None else check(status, body)
            if problem is None:
                response.success()
            else:
                response.failure(problem)


class OnlineAtSla(PartnerUser):
    sla_share = 1.0


class OverSla(PartnerUser):
    sla_share = 5.0


# what the massfråga users' finished jobs held (this process; a worker sends it to the master)
massfraga_counts: Counter[str] = Counter()


class MassfragaUser(PartnerUser):
    """One organisation running massfråga jobs of 50-200 persons one after the other, over
    the bindings of ``--lefi-bindings`` (rest, ssek) in turn: each request — the submission,
    a status poll, an answer page, the acknowledgement, an SSEK pull — is one question on the
    massfråga channel (2 a second), sent ``sla_share`` times its SLA interval after the last
    answer. A finished job checks that every person got an answer."""

    abstract = True
    channel = "massfraga"

    def on_start(self) -> None:
        super().on_start()
        self.persons = population_numbers()
        self.job: massfraga_jobs.Job | None = None

    def step(self) -> None:
        if self.job is None:
            persons = random.sample(self.persons, random.randint(50, 200))
            self.job = massfraga_jobs.new_job(
                next(self.bindings), self.organisation, persons, _tx(self.organisation, next(self.sequence))
            )
        job = self.job
        self.send(job.next_request(), f"massfraga-{job.binding} {job.step} {self.organisation}", job.take)
        if job.done:
            massfraga_counts.update(
                {
                    "jobs": 1,
                    f"jobs {job.binding}": 1,
                    "persons": len(job.persons),
                    "answered": len(job.answered),
                }
            )
            self.job = None


class MassfragaAtSla(MassfragaUser):
    sla_share = 1.0


class MassfragaOverSla(MassfragaUser):
    sla_share = 5.0


@events.report_to_master.add_listener
def _send_massfraga_counts(client_id: str, data: dict) -> None:
    data["massfraga"] = dict(massfraga_counts)
    massfraga_counts.clear()


@events.worker_report.add_listener
def _take_massfraga_counts(client_id: str, data: dict) -> None:
    massfraga_counts.update(data.get("massfraga", {}))


_RUN = int(time.time()) % 10**8  # a second run against the same sandbox asks anew


def _tx(org: str, n: int) -> str:
    """A 36-character id unique per question (SSEK TxId, SHS tx.id, WS referens), readable
    in the journal: the organisation, the run, the question's number."""
    return f"{org}-{_RUN:08d}{n:017d}"


# -- the capacity report -------------------------------------------------------------------
def sandbox_breaches(host: str) -> dict[str, dict[str, int]]:
    """The sandbox's own breach counts by organisation and rule (lefi_sla_breaches_total)."""
    with urllib.request.urlopen(host.rstrip("/") + "/metrics", timeout=10) as answer:
        text = answer.read().decode()
    counts: dict[str, dict[str, int]] = {}
    for m in _BREACH.finditer(text):
        labels = dict(_LABEL.findall(m["labels"]))
        by_rule = counts.setdefault(labels.get("organisation", "?"), {})
        by_rule[labels.get("rule", "?")] = by_rule.get(labels.get("rule", "?"), 0) + int(float(m["value"]))
    return counts


def capacity_report(environment) -> dict:  # type: ignore[no-untyped-def]
    """Locust's stats per organisation with the sandbox's breach counts; ``passed`` when every
    question was served and neither side saw a breach."""
    stats = environment.runner.stats
    per_org: dict[str, StatsEntry] = {}
    for entry in stats.entries.values():
        org = entry.name.rpartition(" ")[2]
        merged = per_org.setdefault(org, StatsEntry(stats, org, "", use_response_times_cache=False))
        merged.extend(entry)
    refused: dict[str, dict[str, int]] = {}
    other_errors = 0
    for error in stats.errors.values():
        text = str(error.error)
        if REFUSED in text:
            rule = text.split(REFUSED, 1)[1].strip("'\")")
            by_rule = refused.setdefault(error.name.rpartition(" ")[2], {})
            by_rule[rule] = by_rule.get(rule, 0) + error.occurrences
        else:
            other_errors += error.occurrences
    try:
        breaches = sandbox_breaches(environment.host)
    except OSError as exc:
        breaches = {"?": {f"metrics unreadable: {exc}": 1}}
    rows = []
    for org, entry in sorted(per_org.items()):
        rows.append(
            {
                "organisation": org,
                "sent": entry.num_requests,
                "served": entry.num_requests - entry.num_failures,
                "refused": refused.get(org, {}),
                "breaches": breaches.get(org, {}),
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95),
                "p99_ms": entry.get_response_time_percentile(0.99),
            }
        )
    total = stats.total
    breach_totals: dict[str, int] = {}
    for org in per_org:  # the organisations of this run (not, e.g., a warm-up's)
        for rule, n in breaches.get(org, {}).items():
            breach_totals[rule] = breach_totals.get(rule, 0) + n
    sent, failures = total.num_requests, total.num_failures
    problems = []
    if sent == 0:
        problems.append("no question was sent")
    if breach_totals:
        problems.append(
            "breaches seen by the sandbox: " + ", ".join(f"{r} {n}" for r, n in sorted(breach_totals.items()))
        )
    refused_totals: dict[str, int] = {}
    for by_rule in refused.values():
        for rule, n in by_rule.items():
            refused_totals[rule] = refused_totals.get(rule, 0) + n
    if refused_totals:
        problems.append("refused: " + ", ".join(f"{r} {n}" for r, n in sorted(refused_totals.items())))
    if other_errors:
        problems.append(f"{other_errors} other failures")
    massfraga = None
    if any(issubclass(c, MassfragaUser) for c in environment.user_classes):
        massfraga = {
            k: massfraga_counts[k] for k in ("jobs", "jobs rest", "jobs ssek", "persons", "answered")
        }
        if not massfraga["jobs"]:
            problems.append("no massfråga job was answered and acknowledged")
        if massfraga["answered"] != massfraga["persons"]:
            problems.append(
                f"massfråga: {massfraga['persons']} persons asked, {massfraga['answered']} answered"
            )
    return {
        "passed": not problems,
        "problems": problems,
        "organisations": len(rows),
        "sent": sent,
        "served": sent - failures,
        "requests_per_s": round(total.total_rps, 1),
        "p50_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "breaches": breach_totals,
        "refused": refused_totals,
        "massfraga": massfraga,
        "per_organisation": rows,
    }


def render_report(report: dict) -> str:
    lines = [
        f"CAPACITY REPORT: {'PASS' if report['passed'] else 'FAIL'}"
        + ("" if report["passed"] else " (" + "; ".join(report["problems"]) + ")"),
        f"{report['organisations']} organisations, {report['sent']} sent, {report['served']} served, "
        f"{report['requests_per_s']} req/s; latency p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms, "
        f"p99 {report['p99_ms']} ms",
        *(
            [
                f"massfråga: {m['jobs']} jobs answered and acknowledged ({m['jobs rest']} REST, "
                f"{m['jobs ssek']} SSEK), {m['persons']} persons asked, {m['answered']} answered"
            ]
            if (m := report["massfraga"])
            else []
        ),
        "| organisation | sent | served | refused | sandbox breaches | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---|---|---:|---:|---:|",
    ]
    for row in report["per_organisation"]:

        def rules(counts: dict[str, int]) -> str:
            return ", ".join(f"{r} {n}" for r, n in sorted(counts.items())) or "–"

        lines.append(
            f"| {row['organisation']} | {row['sent']} | {row['served']} | {rules(row['refused'])} | "
            f"{rules(row['breaches'])} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} |"
        )
    return "\n".join(lines)


@events.quitting.add_listener
def _report(environment, **_kw) -> None:  # type: ignore[no-untyped-def]
    """Made on ``quitting`` (the exit code is read after it), printed on ``quit``: after
    Locust's own tables, so that the verdict is the last thing on the screen."""
    if isinstance(environment.runner, WorkerRunner) or environment.host is None:
        return
    report = capacity_report(environment)
    path = environment.parsed_options.capacity_report if environment.parsed_options else ""
    if path:
        Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    if not report["passed"]:
        environment.process_exit_code = 1
    text = render_report(report)

    def _print_last(**_: object) -> None:
        sys.stderr.flush()  # Locust's tables go to stderr: theirs first, then ours
        print("\n" + text, flush=True)

    environment.events.quit.add_listener(_print_last)


__all__ = [
    "PartnerUser",
    "OnlineAtSla",
    "OverSla",
    "MassfragaUser",
    "MassfragaAtSla",
    "MassfragaOverSla",
    "capacity_report",
    "render_report",
]
