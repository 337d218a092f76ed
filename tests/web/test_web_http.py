"""The web e-tjänst over plain HTTP (no browser): the session cookie, the form token (CSRF)
on every form, and forms that are not what our pages post."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
import requests
from support.server import Server, running

HANNA = "19780807-2388"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(
        tmp_path_factory.mktemp("web-http"), "--freeze-clock"
    ) as server:  # a traceback in its log fails the run
        yield server


def token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found[1]


def logged_in(srv: Server) -> tuple[requests.Session, str]:
    """A session logged in as Hanna, and the form token of its pages."""
    http = requests.Session()
    page = http.get(f"{srv.url}/lefi/login", timeout=10)
    hamta = http.post(
        f"{srv.url}/lefi/login",
        data={"csrf": token(page.text), "metod": "bankid", "personnummer": HANNA},
        timeout=10,
    )
    assert hamta.url.endswith("/lefi/hamta"), hamta.text
    return http, token(hamta.text)


def test_session_cookie_and_csrf(srv: Server) -> None:
    http = requests.Session()
    page = http.get(f"{srv.url}/lefi/login", timeout=10)
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/lefi" in cookie
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    form = {"metod": "bankid", "personnummer": HANNA}
    # without the token, or with the token but another session (no cookie): refused
    anonymous = token(page.text)
    assert http.post(f"{srv.url}/lefi/login", data=form, timeout=10).status_code == 403
    assert (
        requests.post(f"{srv.url}/lefi/login", data={**form, "csrf": anonymous}, timeout=10).status_code
        == 403
    )
    anonymous = token(http.get(f"{srv.url}/lefi/login", timeout=10).text)
    hamta = http.post(f"{srv.url}/lefi/login", data={**form, "csrf": anonymous}, timeout=10)
    assert hamta.url.endswith("/lefi/hamta") and "Handläggare Hanna" in hamta.text
    session_token = token(hamta.text)
    assert session_token != anonymous  # a new session, and a new token, once logged in
    question = {
        "personnummer": "19850610-2386",
        "fromdatum": "2025-01-01",
        "tomdatum": "2026-10-31",
        "formaner": "sjukpenning",
    }
    refused = http.post(f"{srv.url}/lefi/hamta", data={**question, "csrf": anonymous}, timeout=10)
    assert refused.status_code == 403 and "Sidan har gått ut" in refused.text
    answered = http.post(f"{srv.url}/lefi/hamta", data={**question, "csrf": session_token}, timeout=10)
    assert answered.status_code == 200 and "LEFI - Visa förmånsinformation" in answered.text
    assert answered.headers["X-Correlation-ID"]
    assert http.post(f"{srv.url}/lefi/logout", data={"csrf": "wrong"}, timeout=10).status_code == 403
    assert http.post(f"{srv.url}/lefi/logout", data={"csrf": session_token}, timeout=10).url.endswith(
        "/lefi/login?utloggad=1"
    )
    again = http.post(
        f"{srv.url}/lefi/hamta", data={**question, "csrf": session_token}, allow_redirects=False, timeout=10
    )
    assert again.status_code == 303 and again.headers["Location"] == "/lefi/login"


@pytest.mark.parametrize("path", ["/lefi/hamta", "/lefi/hamta/markera-alla", "/lefi/login", "/lefi/logout"])
def test_forms_that_our_pages_do_not_post_are_refused_clearly(srv: Server, path: str) -> None:
    http, form_token = logged_in(srv)
    if path == "/lefi/login":
        http = requests.Session()
        form_token = token(http.get(f"{srv.url}/lefi/login", timeout=10).text)
    sent = [  # (request, status, what the page says)
        (
            dict(data=b"xx", headers={"Content-Type": "multipart/form-data"}),
            415,
            "application/x-www-form-urlencoded",
        ),
        (
            dict(files={"personnummer": ("a.txt", b"x")}, data={"csrf": form_token}),
            415,
            "multipart/form-data",
        ),
        (dict(json={"csrf": form_token}), 415, "inte application/json"),
        (
            dict(
                data=b"\xff\xfe=\x00&csrf=" + form_token.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            400,
            "inte korrekt kodat",
        ),
        (
            dict(data={"csrf": form_token, "personnummer": "1" * 2_000_000}),
            413,
            "för stort",
        ),  # the HTML error page
    ]
    for request, status, says in sent:
        answer = http.post(f"{srv.url}{path}", allow_redirects=False, timeout=10, **request)  # type: ignore[arg-type]
        assert (answer.status_code, says in answer.text) == (status, True), answer.text[:500]
    # what is typed comes back escaped, never as markup
    hostile = {
        "csrf": form_token,
        "personnummer": "<script>alert(1)</script>",
        "fromdatum": '"><b>',
        "tomdatum": "２０２６-01-01",
        "formaner": "nonexistent",
        "metod": "<script>",
    }
    answer = http.post(f"{srv.url}{path}", data=hostile, allow_redirects=False, timeout=10)
    assert "<script>alert" not in answer.text and '"><b>' not in answer.text
    if path == "/lefi/hamta":
        assert answer.status_code == 400 and "Personnumret har fel format" in answer.text
        assert (
            "Fr.o.m. ska vara ett datum som i exemplet" in answer.text
            and "Välj minst en förmån." in answer.text
        )


def test_the_sla_gate_counts_web_questions_too(server_factory: Callable[..., Server]) -> None:
    """The online channel's limits hold for the web as for the system-to-system bindings."""
    srv = server_factory("--freeze-clock", "--sla-mode", "reject")
    http, form_token = logged_in(srv)
    question = {
        "csrf": form_token,
        "personnummer": "19850610-2386",
        "fromdatum": "2025-01-01",
        "tomdatum": "2026-10-31",
        "formaner": "sjukpenning",
    }
    assert http.post(f"{srv.url}/lefi/hamta", data=question, timeout=10).status_code == 200
    refused = http.post(
        f"{srv.url}/lefi/hamta", data=question, timeout=10
    )  # the same instant: over 1 a second
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Frågan kan inte tas emot just nu. SLA-regeln" in refused.text
    assert 'value="19850610-2386"' in refused.text  # the form as typed, to send again
    breaches = requests.get(
        f"{srv.url}/_admin/journal/count", params={"binding": "web", "sla_breach": "any"}, timeout=10
    ).json()["count"]
    assert breaches == 1
