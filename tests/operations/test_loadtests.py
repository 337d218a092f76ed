"""The Locust load profiles of loadtests/, each run bounded in CI size against a fresh
sandbox: SLA-conformant traffic must get a passing capacity report, over-SLA traffic a
failing one that names the rules the sandbox refused. The sandbox runs with its answer
check, as every server of the tests: an answer that does not validate fails the test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "loadtests"))

from run_profile import run_profile  # noqa: E402

from simulator.protocols.answer_check import LOG_MARK as ANSWER_CHECK_MARK  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def _run(tmp_path: Path, name: str, **kw: object) -> tuple[int, dict]:
    status = run_profile(name, tmp_path, check_answers=True, **kw)  # type: ignore[arg-type]
    assert (tmp_path / f"{name}.html").stat().st_size > 0  # Locust's own HTML report is kept
    log = (tmp_path / "simulator.log").read_text()
    assert "Traceback" not in log
    failed = [line for line in log.splitlines() if ANSWER_CHECK_MARK in line]
    assert not failed, "answers that do not validate against the published XSDs:\n" + "\n".join(failed)
    check = json.loads((tmp_path / "answer-check.json").read_text())
    assert check["checked"] > 0 and check["failures"] == 0, check
    return status, json.loads((tmp_path / f"{name}-capacity.json").read_text())


def _assert_passed(report: dict, organisations: int) -> None:
    assert report["passed"], report["problems"]
    assert report["organisations"] == organisations
    assert report["sent"] == report["served"] > 0
    assert report["breaches"] == {} and report["refused"] == {}
    for row in report["per_organisation"]:
        assert row["sent"] == row["served"] >= 1, row
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]


def test_online_at_the_sla_rate_over_every_binding_passes(tmp_path: Path) -> None:
    status, report = _run(tmp_path, "online", run_time="8s")
    assert status == 0
    _assert_passed(report, 4)
    # four partners at 1 question a second for 8 s (fewer when answers are slow: the next
    # question waits 1 s after each answer), over WS, SSEK, SHS and REST in turn
    assert all(row["sent"] >= 4 for row in report["per_organisation"]), report["per_organisation"]


def test_the_capacity_verdict_is_printed_last_after_locusts_tables(tmp_path: Path) -> None:
    output = tmp_path / "locust.log"
    status, report = _run(tmp_path, "online", run_time="5s", locust_log=output)
    assert status == 0 and report["passed"]
    text = output.read_text(errors="replace")
    verdict = text.rindex("CAPACITY REPORT: PASS")
    assert verdict > text.rindex("Aggregated") and verdict > text.rindex("Response time percentiles"), text
    assert text.rstrip().splitlines()[-1].startswith("| "), text[-2000:]  # the report's last row ends it


def test_two_hundred_partners_at_once_each_at_its_sla_pass(tmp_path: Path) -> None:
    status, report = _run(tmp_path, "partners", run_time="10s")
    assert status == 0
    _assert_passed(report, 200)


def test_over_sla_traffic_is_refused_and_the_report_fails_naming_the_rules(tmp_path: Path) -> None:
    status, report = _run(tmp_path, "over-sla", run_time="6s")
    assert status == 1
    assert not report["passed"]
    assert report["served"] < report["sent"]
    # five questions a second, 0.2 s after each answer: the per-second limit and the
    # 300 ms gap are both broken, and the sandbox's own counts agree with the refusals
    assert set(report["breaches"]) == {"per_second", "min_gap"}, report["breaches"]
    assert report["breaches"] == report["refused"]
    assert any("per_second" in p and "min_gap" in p for p in report["problems"]), report["problems"]
    for row in report["per_organisation"]:
        assert row["served"] >= 1 and sum(row["refused"].values()) == row["sent"] - row["served"], row


def test_distributed_master_and_two_workers_split_the_partners(tmp_path: Path) -> None:
    status, report = _run(tmp_path, "online", run_time="8s", locust_workers=2)
    assert status == 0
    _assert_passed(report, 4)  # each worker took its own partners: four distinct organisations


def test_massfraga_jobs_at_its_sla_pass_and_every_person_is_answered(tmp_path: Path) -> None:
    status, report = _run(tmp_path, "massfraga", run_time="8s")
    assert status == 0
    _assert_passed(report, 4)
    # jobs of 50-200 persons over REST and SSEK AsynchPull in turn, answered and acknowledged
    jobs = report["massfraga"]
    assert jobs["jobs"] >= 4 and jobs["answered"] == jobs["persons"] >= 50 * jobs["jobs"], jobs
    assert jobs["jobs rest"] >= 1 and jobs["jobs ssek"] >= 1, jobs
    # each request is one question on the massfråga channel: about 2 a second per partner (+1:
    # the first comes at a random moment of the first half second)
    assert all(row["sent"] <= 2 * 8 + 1 for row in report["per_organisation"]), report["per_organisation"]


def test_massfraga_over_its_sla_is_refused_and_the_report_fails_naming_the_rules(tmp_path: Path) -> None:
    status, report = _run(tmp_path, "massfraga-over-sla", run_time="6s")
    assert status == 1
    assert not report["passed"]
    assert set(report["breaches"]) == {"per_second", "min_gap"}, report["breaches"]
    assert report["breaches"] == report["refused"]
    assert any("per_second" in p and "min_gap" in p for p in report["problems"]), report["problems"]
    # the refused requests are sent again: jobs still finish, every person answered
    assert report["massfraga"]["answered"] == report["massfraga"]["persons"] > 0, report["massfraga"]


def test_a_massfraga_job_missing_an_answer_is_reported() -> None:
    from massfraga_jobs import RestJob

    job = RestJob("2129000002", ["195001018000", "195101018009"], "tx")
    job.step, job.page = "svar", "/svar"
    page = {"svar": [{"personnummer": "195001018000", "status": 200, "svar": {}}], "nasta": None}
    assert job.take(200, json.dumps(page).encode()) is None
    assert job.take(200, b'{"id": 1, "status": "klart"}') == "1 of 2 persons without an answer (1 answers)"
    assert job.done


@pytest.mark.parametrize(
    "script",
    [
        "bench.py",
        "massfraga_bench.py",
        "population_bench.py",
        "prenumeration_bench.py",
        "run_profile.py",
        "soak.py",
        "web_bench.py",
        "partners.py",
    ],
)
def test_every_load_script_starts(script: str) -> None:
    """Each script's imports and arguments hold (a benchmark is run by hand, rarely: a
    broken import must show here first)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "loadtests" / script), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
