"""The admin API's protection: open on loopback (the default), a token required when the
server is bound to another address — as a Bearer header, or as a cookie for a browser
page under /_admin/. Partners' traffic never needs it."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
import requests
from support.lefi import raw_question
from support.server import ROOT, Server

from simulator.control.client import AdminClient, AdminError


def printed_token(server: Server) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = re.search(r"Authorization: Bearer ([A-Za-z0-9_-]+)", server.log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no token printed:\n{server.log.read_text()}")


def test_on_loopback_no_token_is_needed(server: Server) -> None:
    assert requests.get(f"{server.url}/_admin/health", timeout=10).status_code == 200
    assert requests.get(f"{server.url}/_admin/login?token=x", timeout=10).status_code == 404


def test_bound_beyond_loopback_a_token_is_generated_and_required(server_factory) -> None:
    srv = server_factory("--host", "0.0.0.0", "--freeze-clock")
    token = printed_token(srv)
    refused = requests.get(f"{srv.url}/_admin/clock", timeout=10)
    assert refused.status_code == 401 and "token" in refused.json()["error"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = requests.get(f"{srv.url}/_admin/clock", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
    assert requests.post(f"{srv.url}/_admin/scenario/reset", timeout=10).status_code == 401
    ok = requests.get(f"{srv.url}/_admin/clock", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["frozen"] is True
    # partners, health and metrics are not the admin API
    assert (
        requests.post(
            srv.url + "/ws", data=raw_question(), timeout=10, headers={"Content-Type": "text/xml"}
        ).status_code
        == 200
    )
    assert requests.get(f"{srv.url}/health", timeout=10).status_code == 200


def test_the_token_given_is_the_one_required_also_on_loopback(server_factory) -> None:
    srv = server_factory("--admin-token", "s3cret-token")
    assert "Authorization: Bearer" not in srv.log.read_text()  # nothing generated, nothing printed
    with pytest.raises(AdminError) as refused:
        AdminClient(srv.url).clock()
    assert refused.value.status == 401
    assert AdminClient(srv.url, token="s3cret-token").clock()["frozen"] is False
    # a liveness probe (the container's HEALTHCHECK) needs no token
    assert AdminClient(srv.url).health()["status"] == "ok"


def test_a_browser_gets_the_cookie_at_login_and_is_let_in(server_factory) -> None:
    srv = server_factory("--admin-token", "s3cret-token")
    browser = requests.Session()
    assert browser.get(f"{srv.url}/_admin/login?token=wrong", timeout=10).status_code == 401
    login = browser.get(f"{srv.url}/_admin/login?token=s3cret-token", allow_redirects=False, timeout=10)
    assert login.status_code == 303 and login.headers["Location"] == "/_admin/ui"
    cookie = next(c for c in browser.cookies if c.name == "lefi_admin_token")
    assert cookie.path == "/_admin" and cookie.has_nonstandard_attr("HttpOnly")
    assert browser.get(f"{srv.url}/_admin/journal/count", timeout=10).json()["count"] >= 0
    assert (
        requests.get(
            f"{srv.url}/_admin/journal/count", cookies={"lefi_admin_token": "wrong"}, timeout=10
        ).status_code
        == 401
    )


def test_the_admin_command_sends_the_token_from_flag_or_environment(server_factory) -> None:
    srv = server_factory("--admin-token", "s3cret-token")

    def admin(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "simulator", "admin", "--url", srv.url, *args, "clock"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", **(env or {})},
        )

    refused = admin()
    assert refused.returncode == 1 and "401" in refused.stderr
    assert admin("--token", "s3cret-token").returncode == 0
    assert admin(env={"LEFI_ADMIN_TOKEN": "s3cret-token"}).returncode == 0
