"""Every script of examples/ runs against one sandbox on the default scenario, as a partner
would run it, so that the examples never rot: each must exit 0 and print what it got."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.server import ROOT, Server, running

EXAMPLES = ROOT / "examples"
# script → a line its output must hold (what the example got, not just that it ran)
EXPECTED = {
    "ws_raw.py": "status 0; sjukpenning delivered: true",
    "ws_zeep.py": "status 0 OK",
    "ssek.py": "; status 0",
    "shs_synch.py": "(reply); status 0",
    "shs_asynch.py": "acknowledged: HTTP 200",
    "rest_v9.py": "Sjöberg Sara: 2 sjukpenning cases, active: [False, True]",
    "ssbtek_zeep.py": "FK's part: 2 sjukpenning cases",
    "massfraga_rest.py": "199102162394: HTTP 400, without formansinformation",
    "massfraga_ssek.py": "198202042399: status 3",
    "massfraga_shs.py": "198202042399: status 3",
    "prenumeration_http.py": "198506102386: ['FORSTA']",
    "prenumeration_folder.py": "193602199188: ['FORSTA']",
    "leka.py": "KontrolleraPrenumeration: {'198506102386': True}",
}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """One sandbox for every example: the default scenario, its clock frozen at its start
    (the SLA is off, as start_server leaves it), its file drop in a known folder."""
    tmp = tmp_path_factory.mktemp("examples")
    drop = tmp / "prenumeration"
    with running(tmp, "--freeze-clock", "--prenumeration-dir", str(drop)) as server:
        yield server, drop


def run(*command: str) -> subprocess.CompletedProcess[str]:
    # the examples' own folder, not the project, is where they run from: none may need it
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, cwd=EXAMPLES)


def test_every_example_is_listed_here_and_in_the_readme() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == set(EXPECTED)
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in [*scripts, "first-question.sh"])


def test_no_example_reads_shared() -> None:
    for path in EXAMPLES.iterdir():
        assert "../shared" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_the_example_runs_and_gets_its_answer(sandbox: tuple[Server, Path], script: str) -> None:
    server, drop = sandbox
    extra = ["--folder", str(drop)] if script == "prenumeration_folder.py" else []
    done = run(sys.executable, script, "--url", server.url, *extra)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    assert EXPECTED[script] in done.stdout, done.stdout


def test_the_first_question_answers_over_soap_and_rest(
    sandbox: tuple[Server, Path],
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    server, _ = sandbox
    done = run("sh", "first-question.sh", server.url)
    assert done.returncode == 0, done.stderr
    soap, _, rest = done.stdout.partition("</soap:Envelope>")  # the SOAP answer, then the REST answer
    assert "FK.Online.Svar" in soap and "<ext:kod>0</ext:kod>" in soap
    assert '"sjukpenningarende"' in rest and '"Sjöberg Sara"' in rest


def test_the_start_up_lines_say_where_to_begin(sandbox: tuple[Server, Path]) -> None:
    server, _ = sandbox
    log = server.log.read_text(encoding="utf-8")
    for line in (
        f"e-tjänst:       {server.url}/lefi/",
        f"dashboard:      {server.url}/_admin/ui",
        f"admin API docs: {server.url}/_admin/openapi.json",
        "docs:           ",
    ):
        assert line in log, log[:2000]
