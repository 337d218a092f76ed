"""A small synchronous client of the admin API, for test suites (stdlib only).

admin = AdminClient("http://127.0.0.1:8080")
admin.advance(days=1)
admin.add_fault(id="kuf", kind="technical_error", technical_error="ANROP_MOT_KUF_MISSLYCKADES")
assert admin.count(binding="ws", outcome="technical") == 1
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["AdminClient", "AdminError"]


class AdminError(Exception):
    """The admin API refused a call; ``problems`` lists each reason (file:line: ...)."""

    def __init__(self, status: int, error: str, problems: list[str] | None = None) -> None:
        super().__init__(f"{status}: {error}" + "".join(f"\n  {p}" for p in problems or []))
        self.status = status
        self.error = error
        self.problems = problems or []


class AdminClient:
    """``token``: the admin token of a server bound beyond loopback (serve --admin-token);
    ``context``: TLS settings for an https URL (the CA, and a client certificate under mTLS)."""

    def __init__(
        self,
        base_url: str,
        timeout: float = 30.0,
        token: str | None = None,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.base = base_url.rstrip("/") + "/_admin"
        self.timeout = timeout
        self.token = token
        self.context = context

    # -- plumbing -----------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode({k: _text(v) for k, v in query.items() if v is not None})
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers = {"Content-Type": content_type} if data is not None else {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self.context) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                err = json.loads(raw)
            except ValueError:
                err = {"error": raw.decode(errors="replace")}
            raise AdminError(exc.code, err.get("error", ""), err.get("problems")) from None
        return json.loads(raw) if raw else None

    # -- health and scenario ------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.call("GET", "/health")

    def scenario(self) -> dict[str, Any]:
        return self.call("GET", "/scenario")

    def load_scenario(self, scenario: str | Path, keep_clock: bool = False) -> dict[str, Any]:
        """Replaces the scenario with YAML text, or the YAML file at a Path."""
        filename = None
        if isinstance(scenario, Path):
            # absolute: a server on this machine takes the file as its source, to reload
            filename, scenario = str(scenario.resolve()), scenario.read_text(encoding="utf-8")
        return self.call(
            "PUT",
            "/scenario",
            scenario,
            {"keep_clock": "true" if keep_clock else None, "filename": filename},
            "application/yaml",
        )

    def reset(self) -> dict[str, Any]:
        return self.call("POST", "/scenario/reset")

    def reload(self) -> dict[str, Any]:
        return self.call("POST", "/scenario/reload")

    # -- clock --------------------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        return self.call("GET", "/clock")

    def now(self) -> datetime:
        return datetime.fromisoformat(self.clock()["now"])

    def set_clock(self, now: datetime | str | None = None, frozen: bool | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if now is not None:
            body["now"] = _text(now)
        if frozen is not None:
            body["frozen"] = frozen
        return self.call("PUT", "/clock", body)

    def advance(self, **units: float) -> dict[str, Any]:
        """advance(days=1, hours=2): weeks, days, hours, minutes, seconds, milliseconds."""
        return self.call("POST", "/clock/advance", units)

    def freeze(self) -> dict[str, Any]:
        return self.call("POST", "/clock/freeze")

    def unfreeze(self) -> dict[str, Any]:
        return self.call("POST", "/clock/unfreeze")

    # -- fault rules --------------------------------------------------------------------
    def faults(self) -> list[dict[str, Any]]:
        return self.call("GET", "/faults")

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """add_fault(id="x", kind="http_status", status=503, organisation="2120000142")"""
        return self.call("POST", "/faults", rule)

    def replace_faults(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.call("PUT", "/faults", rules)

    def remove_fault(self, rule_id: str) -> None:
        self.call("DELETE", f"/faults/{urllib.parse.quote(rule_id, safe='')}")

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    # -- journal ------------------------------------------------------------------------
    def journal(self, limit: int = 100, bodies: bool = True, **filters: Any) -> list[dict[str, Any]]:
        """Entries newest first; filters: organisation, binding, personnummer, outcome,
        path, fault_rule, since, until."""
        query = {**filters, "limit": limit, "bodies": None if bodies else "false"}
        return self.call("GET", "/journal", query=query)["entries"]

    def count(self, **filters: Any) -> int:
        """The verification query: how many requests match."""
        return int(self.call("GET", "/journal/count", query=filters)["count"])

    def entry(self, correlation_id: str) -> dict[str, Any]:
        return self.call("GET", f"/journal/{urllib.parse.quote(correlation_id, safe='')}")

    def clear_journal(self) -> None:
        self.call("DELETE", "/journal")

    def set_journal_size(self, size: int) -> dict[str, Any]:
        return self.call("PUT", "/journal/settings", {"size": size})

    # -- LEFI Prenumeration -------------------------------------------------------------
    def prenumeration_batch(self) -> dict[str, Any]:
        """Runs the subscription batch now; ``{"run", "avserTom", "files"}``."""
        return self.call("POST", "/prenumeration/batch")


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
