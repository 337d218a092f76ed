"""``lefi-sim admin``: everything a test needs from the command line too (SPEC §6)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from support.lefi import ask_raw
from support.server import ROOT, Server


def admin(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "admin", "--url", server.url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_clock_faults_and_journal_from_the_command_line(
    server_factory: Callable[..., Server], tmp_path: Path
) -> None:
    server = server_factory("--freeze-clock")
    moved = admin(server, "clock", "advance", "--days", "2")
    assert moved.returncode == 0 and json.loads(moved.stdout)["today"] == "2026-11-04"
    assert json.loads(admin(server, "clock", "set", "2026-12-24T08:00").stdout)["now"].startswith(
        "2026-12-24T08:00"
    )

    rules = tmp_path / "rules.yaml"
    rules.write_text("- {id: down, kind: http_status, status: 502, times: 1}\n", encoding="utf-8")
    assert admin(server, "faults", "add", str(rules)).returncode == 0
    assert ask_raw(server.url).status_code == 502
    assert ask_raw(server.url).status_code == 200

    assert admin(server, "journal", "count", "--outcome", "injected", "--expect", "1").returncode == 0
    failed = admin(server, "journal", "count", "--outcome", "ok", "--expect", "5")
    assert failed.returncode == 1 and "expected 5 matching requests, found 1" in failed.stderr
    listed = json.loads(admin(server, "journal", "list", "--binding", "ws").stdout)
    assert [e["outcome"] for e in listed] == ["ok", "injected:http_status"]

    refused = admin(server, "faults", "add", "{id: x, kind: nope}")
    assert refused.returncode == 1 and "kind" in refused.stderr
    assert admin(server, "scenario", "reset").returncode == 0
    assert json.loads(admin(server, "clock").stdout)["now"].startswith("2026-11-02T09:00:00")


def test_unreachable_simulator_is_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "admin", "--url", "http://127.0.0.1:9", "health"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "cannot reach http://127.0.0.1:9" in result.stderr
