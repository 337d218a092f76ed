"""The admin API's health check answers liveness probes without the token, and then tells
nothing more than /health: not the journal, the fault rules or the scenario generation
(issue 17). With the token it tells them."""

from __future__ import annotations

from pathlib import Path

import requests
from support.server import running

TOKEN = "health-check-token"


def test_without_the_token_admin_health_tells_no_more_than_health(tmp_path: Path) -> None:
    with running(tmp_path, "--admin-token", TOKEN, "--freeze-clock") as srv:
        public = requests.get(f"{srv.url}/health", timeout=10).json()
        anonymous = requests.get(f"{srv.url}/_admin/health", timeout=10)
        assert anonymous.status_code == 200
        told = anonymous.json()
        assert set(told) == {"status", "version", "scenario", "clock"}
        assert (told["status"], told["version"], told["scenario"]) == (
            public["status"],
            public["version"],
            public["scenario"],
        )
        assert told["clock"]["now"] == public["clock"] and told["clock"]["frozen"] == public["clock_frozen"]
        wrong = requests.get(f"{srv.url}/_admin/health", headers={"Authorization": "Bearer nope"}, timeout=10)
        assert set(wrong.json()) == set(told)
        full = requests.get(
            f"{srv.url}/_admin/health", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        ).json()
        assert {"generation", "journal", "fault_rules"} <= set(full)
