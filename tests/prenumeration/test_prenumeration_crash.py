"""kill -9 in the middle of LEFI Prenumeration's batches: after each restart (same
--data-dir) every accepted order is there, and every subscriber gets its first delivery
once and every later change exactly once — never twice, never lost.

The server is slowed by LEFI_PRENUMERATION_PAUSE (seconds after each organisation's
delivery, after each file published, after a dropped file's order is kept and before the
file is removed), so that each of those windows is long enough to be killed in; the kills
wait for the server's log to show a step begun, and the test asserts that they landed
inside one (a batch begun and not ended, a publication begun and not ended, a kept order's
file still in ``in/``).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
import yaml
from support.prenumeration_client import Drop, folder, order, q, set_clock, settle
from support.server import Server, start_server

from simulator.domain.orgnummer import make_orgnummer
from simulator.domain.personnummer import make_personnummer

pytestmark = pytest.mark.slow  # kill -9 many times over

ORGS = 12
PERSONS = 4  # subscribed on Monday
EXTRA = 2  # ordered on Tuesday while the first batch runs
DROPPED = 1  # ordered by a file in in/ on Monday (the first organisation's)
EVENT_DAYS = [date(2026, 11, 3) + timedelta(days=n) for n in range(4)]  # Tuesday to Friday
PAUSE = 0.15
BENEFITS = {"sjukpenning": "2026-01-01", "utbetalning": "2026-01-01"}


def _scenario(path: Path, count: int = ORGS) -> tuple[list[str], dict[str, list[str]]]:
    orgs = [make_orgnummer(f"556{n:06d}").value for n in range(count)]
    persons = {
        org: [
            make_personnummer(date(1970 + i, 1 + j, 10), 100 + j).value
            for j in range(PERSONS + EXTRA + DROPPED)
        ]
        for i, org in enumerate(orgs)
    }
    timeline = [
        {
            "date": day,
            "personnummer": pnr,
            "event": "payment",
            "payment": {
                "benefit": "sjukpenning",
                "date": day,
                "from": day,
                "tom": day,
                "gross": 1000 + n,
                "tax": 300,
                "net": 700 + n,
            },
        }
        for pnrs in persons.values()
        for pnr in pnrs
        for n, day in enumerate(EVENT_DAYS)
    ]
    scenario = {
        "name": "prenumeration-crash",
        "clock": {"start": "2026-11-02T09:00:00+01:00", "frozen": True},
        "organisations": [
            {
                "orgnummer": org,
                "name": f"Försäkringsbolag {n}",
                "type": "forsakringsbolag",
                "transports": ["ws"],
                "agreement": ["sjukpenning", "utbetalning"],
                "prenumeration": True,
            }
            for n, org in enumerate(orgs)
        ],
        "persons": [
            {
                "personnummer": pnr,
                "first_name": "Test",
                "last_name": f"Person {pnr[-4:]}",
                "cases": [
                    {
                        "benefit": "sjukpenning",
                        "status": "pagaende",
                        "reported": "2026-03-01",
                        "periods": [{"from": "2026-03-02", "omfattning": 100}],
                    }
                ],
            }
            for pnrs in persons.values()
            for pnr in pnrs
        ],
        "timeline": timeline,
    }
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return orgs, persons


class Crashing:
    """One server after another on the same data folder, each killed with SIGKILL."""

    def __init__(self, tmp: Path, scenario: Path, *args: str) -> None:
        """``args``: the store (``--redis URL``), given to every server."""
        self.tmp, self.scenario, self.data, self.args = tmp, scenario, tmp / "data", args
        self.server: Server | None = None
        self.kills = 0
        self.landed: Counter[str] = Counter()  # "batch" / "publication": kills inside one

    def start(self, clock: str) -> Server:
        self.server = start_server(
            self.tmp,
            "--data-dir",
            str(self.data),
            "--clock",
            clock,
            "--freeze-clock",
            "--request-log",
            "off",
            *self.args,
            scenario=self.scenario,
        )
        return self.server

    def log(self) -> str:
        assert self.server is not None
        return self.server.log.read_text(errors="replace")

    def kill(self) -> None:
        assert self.server is not None
        self.server.process.kill()  # SIGKILL: no clean-up of any kind
        self.server.process.wait(timeout=10)
        self.kills += 1
        log = self.log()
        assert "Traceback" not in log, log
        for step in _open_steps(log):
            self.landed[step] += 1

    def kill_inside(self, step: str, rng: random.Random) -> None:
        """Kills a moment after the log shows ``step`` (batch, publication) begun and not ended."""
        deadline = time.monotonic() + 30
        while step not in _open_steps(self.log()):
            assert time.monotonic() < deadline, f"no {step} began"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, PAUSE))
        self.kill()

    def stop(self) -> None:
        if self.server is not None and self.server.alive():
            self.server.process.terminate()
            self.server.process.wait(timeout=10)
            assert "Traceback" not in self.server.log.read_text(errors="replace")


# what the server logs when a step begins and when it ends
STEPS = {
    "batch": (
        re.compile(r"batch \S+ \(information up to \S+\) begins"),
        re.compile(r"batch \S+ .*answer files"),
    ),
    "publication": (re.compile(r"publishing \d+ answer files"), re.compile(r"published \d+ answer files")),
}


def _open_steps(log: str) -> list[str]:
    """The steps the log shows begun and not ended."""
    return [
        step for step, (begins, ends) in STEPS.items() if len(begins.findall(log)) > len(ends.findall(log))
    ]


def _batches_done(url: str, orgs: list[str], files: int) -> bool:
    return all(
        len([n for n in Drop(url, org).names() if n.startswith("LEFI-PREN-")]) >= files for org in orgs
    )


def _run_with_kills(
    crash: Crashing,
    clock: str,
    orgs: list[str],
    files: int,
    kills: list[str],
    rng: random.Random,
    during: threading.Thread | None = None,
) -> None:
    """Moves the clock to ``clock`` (batches start), kills the server ``kills`` times while a
    batch or a publication runs, restarts it each time, then lets them finish."""
    assert crash.server is not None
    set_clock(crash.server.url, clock)
    if during is not None:
        during.start()
    for step in kills:
        crash.kill_inside(step, rng)
        if during is not None:
            during.join()
            during = None
        crash.start(clock)
    deadline = time.monotonic() + 120
    while not _batches_done(crash.server.url, orgs, files):
        assert time.monotonic() < deadline, "the batches did not finish after the restart"
        time.sleep(0.2)


def test_kill_9_during_batches_loses_no_order_and_delivers_each_change_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(20261103)
    scenario = tmp_path / "crash.yaml"
    orgs, persons = _scenario(scenario)
    monkeypatch.setenv("LEFI_PRENUMERATION_PAUSE", str(PAUSE))  # 12 organisations: 1.8 s a batch
    crash = Crashing(tmp_path, scenario)
    srv = crash.start("2026-11-02T09:00:00+01:00")
    accepted: dict[str, int] = {}  # org → orders answered 202
    for org in orgs:
        response = Drop(srv.url, org).send(order(org, {p: BENEFITS for p in persons[org][:PERSONS]}))
        assert response.status_code == 202, response.text
        accepted[org] = accepted.get(org, 0) + 1

    def order_more() -> None:
        """Orders sent while the server may die: those answered 202 must survive."""
        for org in orgs:
            for pnr in persons[org][PERSONS : PERSONS + EXTRA]:
                try:
                    response = Drop(srv.url, org).send(order(org, {pnr: BENEFITS}))
                except requests.RequestException:
                    return  # killed: not accepted, as the partner sees it
                if response.status_code == 202:
                    accepted[org] += 1
                time.sleep(0.05)

    try:
        # a file dropped in in/: killed after its order is kept and before the file is removed
        # (the window is PAUSE long: a kill that misses it is tried again with another file)
        inside = False
        for attempt in range(3):
            name = f"bestallning-fil-{attempt}.xml"
            dropped = folder(crash.data, orgs[0], "in") / name
            dropped.write_bytes(order(orgs[0], {persons[orgs[0]][-1]: BENEFITS}))
            deadline = time.monotonic() + 20
            while f"({name}, 1 persons) taken in" not in crash.log():
                assert time.monotonic() < deadline, "the dropped file was not taken in"
                time.sleep(0.005)
            crash.kill()
            inside = dropped.exists()  # the order kept, the file still there
            srv = crash.start("2026-11-02T09:00:00+01:00")
            deadline = time.monotonic() + 20
            while dropped.exists():
                assert time.monotonic() < deadline, "the file kept before the kill was not removed after it"
                time.sleep(0.1)
            assert [o["fil"] for o in Drop(srv.url, orgs[0]).orders()].count(name) == 1  # once, not twice
            accepted[orgs[0]] += attempt == 0  # one more person, however many files order it
            if inside:
                break
        assert inside, "no kill landed between keeping a dropped file's order and removing the file"
        # Tuesday 07:00: the night's batch (the first deliveries) runs late, killed twice
        _run_with_kills(
            crash,
            "2026-11-03T07:00:00+01:00",
            orgs,
            1,
            ["batch", "publication"],
            rng,
            threading.Thread(target=order_more),
        )
        # Saturday: the batches of Wednesday to Saturday, killed three times
        _run_with_kills(crash, "2026-11-07T07:00:00+01:00", orgs, 5, ["batch", "batch", "publication"], rng)
        assert crash.kills >= 6
        assert crash.landed["batch"] >= 1 and crash.landed["publication"] >= 1, crash.landed
        url = crash.server.url
        for org in orgs:
            drop = Drop(url, org)
            assert len(drop.orders()) >= accepted[org]  # every accepted order is there
            answers = drop.answers()
            assert [a.upto for a in answers] == ["20261102", "20261103", "20261104", "20261105", "20261106"]
            subscribed = {s["personnummer"] for s in drop.subscriptions()}
            assert set(persons[org][:PERSONS]) <= subscribed
            assert len(subscribed) >= PERSONS + accepted[org] - 1
            first: dict[str, str] = {}
            for a in answers:
                for record in a.records():
                    if record.findtext(q("leveranstyp")) == "FORSTA":
                        pnr = record.findtext(q("personnummer")) or ""
                        assert pnr not in first, f"{org}: a second first delivery for {pnr}"
                        first[pnr] = a.upto
            assert set(first) == subscribed
            # every change after a person's first delivery, up to Friday: exactly once
            delivered = Counter(c for a in answers for c in a.changes())
            expected = Counter(
                (pnr, f"{day:%Y%m%d}", "UTBETALNING", "utbetalning")
                for pnr in subscribed
                for day in EVENT_DAYS
                if f"{day:%Y%m%d}" > first[pnr]
            )
            assert delivered == expected, org
    finally:
        crash.stop()


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_delivery_numbers_run_per_organisation_without_a_gap_across_kill_9(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, store: str
) -> None:
    """Each organisation's ``leveransnummer`` is its own 1, 2, 3 ...: a partner that sees a
    number skipped knows a file is missing, so no number may be shared with another
    organisation, nor used up by a delivery a kill -9 inside the batch did not keep."""
    rng = random.Random(20261107)
    scenario = tmp_path / "numbers.yaml"
    orgs, persons = _scenario(scenario, 4)
    args: tuple[str, ...] = ()
    if store == "redis":
        args = ("--redis", request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/14")
    monkeypatch.setenv("LEFI_PRENUMERATION_PAUSE", str(PAUSE))
    crash = Crashing(tmp_path, scenario, *args)
    srv = crash.start("2026-11-02T09:00:00+01:00")
    try:
        for org in orgs:
            response = Drop(srv.url, org).send(order(org, {p: BENEFITS for p in persons[org][:PERSONS]}))
            assert response.status_code == 202, response.text
        settle()  # the background task's first look at the clock: Monday, where the batches begin
        # Saturday 07:00: the batches of Tuesday to Saturday, killed inside three of them
        _run_with_kills(crash, "2026-11-07T07:00:00+01:00", orgs, 5, ["batch", "batch", "batch"], rng)
        assert crash.landed["batch"] >= 3, crash.landed
        assert crash.server is not None
        for org in orgs:
            answers = sorted(Drop(crash.server.url, org).answers(), key=lambda a: a.upto)
            numbers = [a.root.findtext(f"{q('startpost')}/{q('leveransnummer')}") for a in answers]
            assert numbers == ["1", "2", "3", "4", "5"], (org, [a.name for a in answers])
            # the file name carries the same number
            assert [a.name.rsplit("-", 1)[1] for a in answers] == [f"{int(n):06d}.xml" for n in numbers]
    finally:
        crash.stop()
