"""``lefi-sim admin``: everything a test needs from the command line too (SPEC §6)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests
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


SMALL = """
name: mine
clock: {start: 2026-11-02T09:00:00+01:00, frozen: true}
organisations:
  - {orgnummer: "2120000142", name: Kommunen, type: kommun, agreement: all}
persons:
  - personnummer: "198506102386"
    first_name: Tolvan
    last_name: Tolvansson
"""


def test_a_loaded_file_becomes_the_source_that_is_reported_and_reloaded(
    server_factory: Callable[..., Server], tmp_path: Path
) -> None:
    server = server_factory("--freeze-clock")
    mine = tmp_path / "my.yaml"
    mine.write_text(SMALL, encoding="utf-8")
    loaded = subprocess.run(  # a relative path, as a user types it
        [sys.executable, "-m", "simulator", "admin", "--url", server.url, "scenario", "load", "my.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loaded.returncode == 0, loaded.stderr
    shown = json.loads(admin(server, "scenario").stdout)
    assert shown["name"] == "mine" and shown["source"] == str(mine) and shown["loaded_from"] == "file"

    mine.write_text(SMALL.replace("name: mine", "name: mine-edited"), encoding="utf-8")
    reloaded = admin(server, "scenario", "reload")
    assert reloaded.returncode == 0 and json.loads(reloaded.stdout)["name"] == "mine-edited"
    assert json.loads(admin(server, "scenario").stdout)["source"] == str(mine)

    # a YAML body with no file behind it says so, and reload refuses it clearly
    body = requests.put(
        f"{server.url}/_admin/scenario?filename=elsewhere.yaml",
        data=SMALL.replace("name: mine", "name: body").encode(),
        headers={"Content-Type": "application/yaml"},
        timeout=30,
    )
    assert body.status_code == 200
    assert body.json()["source"] is None and body.json()["loaded_from"] == "text"
    refused = admin(server, "scenario", "reload")
    assert refused.returncode == 1 and "given as text" in refused.stderr, refused.stderr
    assert json.loads(admin(server, "scenario").stdout)["name"] == "body"


def test_output_cut_short_by_head_ends_quietly(server_factory: Callable[..., Server]) -> None:
    server = server_factory("--freeze-clock")
    for _ in range(30):
        assert ask_raw(server.url).status_code == 200
    piped = subprocess.run(
        f"{shlex.quote(sys.executable)} -m simulator admin --url {server.url} "
        "journal list --limit 30 --bodies | head -n 1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert piped.stdout == "[\n"
    assert "Traceback" not in piped.stderr and "BrokenPipe" not in piped.stderr, piped.stderr
    assert piped.stderr == ""
