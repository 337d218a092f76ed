"""The documented "Local install" (docs/getting-started.md) — the steps the Dockerfile runs — work in a fresh virtual
environment: ``python -m venv``, ``pip install .``, then ``lefi-sim serve`` from anywhere
serves the installed schemas and default scenario and answers its health checks.

Kept cheap for CI: the project is installed for real (built from a copy of the source,
with pip's build isolation, as the Dockerfile does: pip fetches the build backend from
PyPI or its cache, as ``make test``'s own install does), but with ``--no-deps``; its
dependencies come from the test run's own environment through a path file, instead of
being downloaded again. That every dependency is declared and satisfied is checked
against the package metadata pip wrote.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
NS = "http://schema.forsakringskassan.se/externa_intressenter"
QUESTION = f"""<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ext="{NS}">
<soap:Body><ext:FK.Online.Fraga><ext:generelltfalt><ext:organisationsnummer>2120000142</ext:organisationsnummer>
<ext:versionsnummer>6</ext:versionsnummer></ext:generelltfalt><ext:informationsfalt><ext:person>
<ext:personnummer>198506102386</ext:personnummer><ext:fromdatum>2025-01-01</ext:fromdatum>
<ext:tomdatum>2026-10-31</ext:tomdatum><ext:formansforteckning><ext:sjukpenning>true</ext:sjukpenning>
</ext:formansforteckning></ext:person></ext:informationsfalt></ext:FK.Online.Fraga></soap:Body>
</soap:Envelope>""".encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_dockerfile_runs_the_documented_install_steps() -> None:
    steps = DOCKERFILE.read_text()
    documented = (ROOT / "docs" / "getting-started.md").read_text()
    for step in ("python -m venv /opt/lefi", "/opt/lefi/bin/pip install --no-cache-dir ."):
        assert step in steps and step in documented, step
    assert "USER lefi" in steps and "HEALTHCHECK" in steps and "/_admin/health" in steps
    assert 'VOLUME ["/scenarios"]' in steps


def test_a_fresh_venv_install_serves(tmp_path: Path) -> None:
    source = tmp_path / "src"  # what the Dockerfile copies, nothing else
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("simulator", "schemas", "scenarios", "docs"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "opt-lefi"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # the dependencies, from this test run's environment (a plain path: its own .pth
    # files, e.g. an editable install of this checkout, are not run)
    (site / "test-run-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "."],
        cwd=source,
        check=True,
        timeout=240,
    )
    shutil.rmtree(source)  # as the Dockerfile does: nothing may come from the source tree

    installed = json.loads(
        subprocess.run(
            [
                str(python),
                "-c",
                "import json, simulator, importlib.metadata as m; print(json.dumps("
                "[simulator.__file__, m.requires('lefi-sandbox')]))",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        ).stdout
    )
    assert installed[0].startswith(str(site)), installed[0]
    for requirement in map(Requirement, installed[1]):
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            assert requirement.specifier.contains(metadata.version(requirement.name), prereleases=True), (
                requirement
            )
    assert (venv / "share" / "lefi-sandbox" / "scenarios" / "default.yaml").is_file()

    port = _free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "lefi-sim"), "serve", "--port", str(port), "--freeze-clock", "--check-answers"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = None
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_admin/health", timeout=1) as answer:
                    health = json.loads(answer.read())
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        assert health is not None and health["scenario"] == "default", health
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ws?wsdl", timeout=5) as answer:
            assert b"HamtaFormansinformation" in answer.read()  # the installed schemas
        question = urllib.request.Request(
            f"http://127.0.0.1:{port}/ws", data=QUESTION, headers={"Content-Type": "text/xml; charset=utf-8"}
        )
        with urllib.request.urlopen(question, timeout=10) as answer:
            assert b"FK.Online.Svar" in answer.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
            # checked against the installed XSDs, as every answer the tests receive
            assert json.loads(answer.read())["answer_check"] == {"checked": 1, "failures": 0}
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert "Traceback" not in output, output
    assert "ANSWER CHECK FAILED" not in output, output
