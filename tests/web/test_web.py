"""The web e-tjänst (/lefi/) and the QA dashboard (/_admin/ui) in a real headless Chromium.

Debian's ``chromium`` driven by Playwright (sync API, no browser download); the tests skip
with a reason when it is absent, and ``.ci/run`` installs it so CI never skips them.
Each test saves nothing but its screenshot under build/screenshots/ (ignored; the docs
show copies kept in docs/images/).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lxml import etree
from support.lefi import ask_raw, raw_question
from support.server import NS, ROOT, Server, running

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason=("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"),
    ),
]

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

SHOTS = ROOT / "build" / "screenshots"  # ignored: a run leaves the checkout clean
HANNA = "19780807-2388"  # Testkommunen (kommun)
SIV = "19830429-2389"  # Försäkringsbolaget Trygghet AB (insurer)
OLLE = "19641102-2384"  # Obehöriga Försäkringar AB: registered, organisation not authorised
GROUPS = ["Pensionsförmåner", "Dagersättningsförmåner", "Övriga förmåner"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("web"), "--freeze-clock") as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, srv: Server) -> Iterator[Page]:
    context = browser.new_context(base_url=srv.url, locale="sv-SE", viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
    requests.post(f"{srv.url}/_admin/scenario/reset", timeout=10)  # clock, fault rules, journal as at start


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def log_in(page: Page, personnummer: str, method: str = "BankID") -> None:
    page.goto("/lefi/login")
    page.get_by_label(method, exact=True).check()
    page.get_by_label("Personnummer").fill(personnummer)
    page.get_by_role("button", name="Logga in").click()


def ask(page: Page, personnummer: str, fromdatum: str = "2025-01-01", tomdatum: str = "2026-10-31") -> None:
    page.get_by_label("Personnummer").fill(personnummer)
    page.get_by_label("Fr.o.m.").fill(fromdatum)
    page.get_by_label("T.o.m.").fill(tomdatum)
    page.get_by_role("button", name="Skicka").click()


def benefit_boxes(page: Page) -> list[tuple[str, bool]]:
    boxes = page.locator("input[name=formaner]")
    return [
        (boxes.nth(i).get_attribute("value") or "", boxes.nth(i).is_checked()) for i in range(boxes.count())
    ]


def table(page: Page, key: str) -> list[tuple[str, str]]:
    """The rows of a benefit's table as (label, value), in order."""
    rows = page.locator(f"#t-{key} tbody tr:not(.group):not(.period)")
    return [
        (rows.nth(i).locator("th").inner_text().strip(), rows.nth(i).locator("td").inner_text().strip())
        for i in range(rows.count())
    ]


def admin(srv: Server, method: str, path: str, **kwargs: object) -> requests.Response:
    response = requests.request(method, f"{srv.url}/_admin{path}", timeout=10, **kwargs)  # type: ignore[arg-type]
    assert response.ok, response.text
    return response


# -- login ------------------------------------------------------------------------------
def test_municipal_user_logs_in_and_every_benefit_is_checked(page: Page) -> None:
    page.goto("/lefi/")
    expect(page).to_have_url(re.compile(r"/lefi/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in till LEFI Online")
    page.get_by_label("BankID", exact=True).check()
    page.get_by_label("Personnummer").fill(HANNA)
    shoot(page, "login.png")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LEFI - Hämta förmånsinformation")
    expect(page.locator(".user")).to_contain_text("Handläggare Hanna")
    expect(page.locator(".user")).to_contain_text("Testkommunen")
    assert page.locator("fieldset.group > legend").all_inner_texts() == GROUPS
    boxes = benefit_boxes(page)
    assert len(boxes) == 37 and all(checked for _, checked in boxes)  # every v6 benefit but Personuppgifter
    assert "generellPersonInformation" not in dict(boxes)
    # the seed's examples beside each field, tied to it
    for label, example in (
        ("Personnummer", "19750412-2345"),
        ("Fr.o.m.", "2006-01-01"),
        ("T.o.m.", "2006-01-01"),
    ):
        field = page.get_by_label(label)
        hint = page.locator(f"#{field.get_attribute('aria-describedby')}")
        expect(hint).to_have_text(f"Exempel: {example}")
    shoot(page, "hamta.png")


def test_insurer_user_sees_its_benefits_none_checked_and_markera_alla(page: Page) -> None:
    log_in(page, SIV, "Mobilt BankID")
    expect(page.locator(".user")).to_contain_text("Försäkringsbolaget Trygghet AB (Mobilt BankID)")
    boxes = benefit_boxes(page)
    # agreement ∩ the insurer filter, Personuppgifter asked always and never offered
    assert [key for key, _ in boxes] == [
        "arbetsskadelivranta",
        "yrkesskadelivranta",
        "sjukOchAktivitetsersattning",
        "sjukpenning",
        "rehabersattning",
        "sjukpenninggrundandeInkomst",
        "levnadsintyg",
        "utbetalning",
    ]
    assert not any(checked for _, checked in boxes)
    page.get_by_label("Personnummer").fill("19850610-2386")
    page.get_by_role("button", name="Markera alla").click()
    assert all(checked for _, checked in benefit_boxes(page))
    expect(page.get_by_label("Personnummer")).to_have_value("19850610-2386")  # what was typed stays
    page.get_by_label("Fr.o.m.").fill("2025-01-01")
    page.get_by_label("T.o.m.").fill("2026-10-31")
    page.get_by_role("button", name="Skicka").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LEFI - Visa förmånsinformation")
    shown = page.locator("table.benefit caption").all_inner_texts()
    assert shown[0] == "Personuppgifter" and "Sjukpenning" in shown and "Barnbidrag" not in shown


def test_unregistered_users_are_refused(page: Page) -> None:
    log_in(page, "19850610-2386")  # a person in the scenario, but no user of any organisation
    expect(page.locator("#nekad")).to_have_text(
        "Inloggningen nekades: 19850610-2386 är inte registrerad för någon organisation i "
        "Försäkringskassans behörighetssystem."
    )
    log_in(page, OLLE, "Telia e-legitimation")
    expect(page.locator("#nekad")).to_contain_text(
        "Obehöriga Försäkringar AB är inte behörig till LEFI Online"
    )
    page.goto("/lefi/hamta")  # still not logged in
    expect(page).to_have_url(re.compile(r"/lefi/login$"))
    # the login form's own checks, tied to their fields
    page.get_by_label("Personnummer").fill("19850610-2387")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("#metod-fel")).to_have_text("Fel: Välj e-legitimation.")
    expect(page.locator("#personnummer-fel")).to_contain_text("kontrollsiffran stämmer inte")
    expect(page.get_by_label("Personnummer")).to_have_attribute("aria-invalid", "true")


def test_logged_out_after_120_idle_minutes_by_the_simulator_clock(page: Page, srv: Server) -> None:
    log_in(page, HANNA)
    admin(srv, "POST", "/clock/advance", json={"minutes": 119})
    page.goto("/lefi/hamta")  # active again: the 120 minutes start over
    expect(page.get_by_role("heading", level=1)).to_have_text("LEFI - Hämta förmånsinformation")
    admin(srv, "POST", "/clock/advance", json={"minutes": 119, "seconds": 59})
    page.get_by_label("Personnummer").fill("19850610-2386")
    page.get_by_role("button", name="Markera alla").click()
    expect(page.get_by_label("Personnummer")).to_have_value("19850610-2386")
    admin(srv, "POST", "/clock/advance", json={"minutes": 120})
    ask(page, "19850610-2386")
    expect(page).to_have_url(re.compile(r"/lefi/login\?utloggad=inaktiv$"))
    expect(page.locator("#meddelande")).to_have_text(
        "Du har loggats ut eftersom du inte har varit aktiv på 120 minuter. Logga in igen."
    )
    page.goto("/lefi/hamta")
    expect(page).to_have_url(re.compile(r"/lefi/login$"))


def test_logga_ut(page: Page) -> None:
    log_in(page, HANNA)
    page.get_by_role("button", name="Logga ut").click()
    expect(page.locator("#meddelande")).to_have_text("Du är nu utloggad.")
    page.goto("/lefi/hamta")
    expect(page).to_have_url(re.compile(r"/lefi/login$"))


# -- Hämta and Visa -----------------------------------------------------------------------
def test_a_valid_query_shows_the_engines_answer_in_tables(page: Page, srv: Server) -> None:
    log_in(page, HANNA)
    ask(page, "19850610-2386")
    expect(page.get_by_role("heading", level=1)).to_have_text("LEFI - Visa förmånsinformation")
    person = dict(table(page, "personuppgifter"))
    assert person["Personnummer / samordningsnummer"] == "19850610-2386"
    assert (person["Utdelningsadress 1"], person["Postkod"], person["Postort"], person["Land"]) == (
        "Testgatan 11",
        "26875",
        "Tågarp",
        "Sverige",
    )
    assert (person["Kommunbeteckning"], person["Skyddad identitet"], person["Försäkrad"]) == (
        "1214",
        "Nej",
        "Ja",
    )
    assert person["Arbetsgivare – organisationsnummer"] == "5566778899"
    sjp = table(page, "sjukpenning")
    assert ("Ärendestatus", "Avslutat") in sjp and ("Ärendestatus", "Pågående") in sjp
    assert ("Fr.o.m.", "2024-10-12") in sjp and ("Omfattning", "Tre fjärdedels ersättning") in sjp
    assert ("T.o.m.", "Pågår") in sjp and ("Karens", "Ja") in sjp
    assert page.locator("#t-sjukpenning tr.group").all_inner_texts() == ["Ärende 1", "Ärende 2"]
    sgi = table(page, "sjukpenninggrundandeInkomst")  # the decision in force at the start, and a later one
    assert sgi[:6] == [
        ("Ärende fr.o.m.", "2023-01-01"),
        ("Beslut fr.o.m.", "2023-01-01"),
        ("SGI-typ", "A- eller B-inkomst (vanligt SGI)"),
        ("Årsinkomst A", "385000 SEK"),
        ("Årsinkomst B", "0 SEK"),
        ("Karenstid", "1 dag"),
    ]
    assert page.locator("#t-sjukpenninggrundandeInkomst tr.group").all_inner_texts() == [
        "Beslut 1",
        "Beslut 2",
    ]
    expect(page.locator("#utan-uppgifter li")).to_contain_text(["Arbetsskadelivränta", "Efterlevandepension"])
    shoot(page, "visa.png")
    # the same engine as the system-to-system bindings: WS says the same
    svar = etree.fromstring(ask_raw(srv.url, raw_question(benefits=("sjukpenninggrundandeInkomst",))).content)
    assert svar.findtext(f".//{{{NS}}}AInkomst") == "385000"
    # journalled as binding web, with who asked about whom
    entry = admin(srv, "GET", "/journal", params={"binding": "web"}).json()["entries"][0]
    assert (entry["organisation"], entry["personnummer"], entry["outcome"]) == (
        "2120000142",
        "198506102386",
        "ok",
    )
    assert "sjukpenning" in entry["benefits"] and "generellPersonInformation" in entry["benefits"]


def test_every_benefit_kind_the_engine_returns_is_shown(page: Page) -> None:
    log_in(page, HANNA)
    ask(page, "19360219-9188")  # the pensioner: pension, prognos, bostadstillägg, efterlevandepension
    pension = table(page, "pension")
    assert ("Pensionsandel", "100 %") in pension
    assert ("Garantipension", "2000 SEK per månad (24000 SEK per år) från 2025-01-01") in pension
    assert (
        page.locator("#t-pension tr.group").all_inner_texts() == ["Premiepension"] * 2 + ["Ålderspension"] * 2
    )
    prognos = dict(table(page, "prognos"))
    assert prognos["Belopp"].endswith(" SEK") and prognos["Uttagsålder"].endswith(" år")
    assert ("Ärendestatus", "Pågående") in table(page, "bostadstillagg")
    page.goto("/lefi/hamta")
    ask(page, "19850610-2386")
    assert dict(table(page, "levnadsintyg"))["Land"] == "Sverige"
    payments = page.locator("#t-utbetalning tr.group").all_inner_texts()
    assert payments and all(p.startswith("Utbetalning 20") for p in payments)
    assert ("Förmån", "Sjukpenning") in table(page, "utbetalning")
    # the history limit (utbetalning: 18 months back) noted under the table's title
    expect(page.locator("#t-utbetalning caption")).to_contain_text("före den tidpunkt")


def test_each_period_of_a_case_is_a_group_of_its_own(page: Page) -> None:
    log_in(page, HANNA)
    ask(page, "19850610-2386")
    headings = page.locator("#t-sjukpenning tr.period").all_inner_texts()
    assert headings[:3] == ["Ärende 1, period 1", "Ärende 1, period 2", "Ärende 2, period 1"], headings
    periods = page.locator("#t-sjukpenning tbody.period")
    assert periods.count() == len(headings)
    for i in range(periods.count()):  # one Fr.o.m. and one T.o.m. under each heading, never repeated
        labels = periods.nth(i).locator("th[scope=row]").all_inner_texts()
        assert (
            labels.count("Fr.o.m.") == 1
            and labels.count("T.o.m.") == 1
            and labels[:2] == ["Fr.o.m.", "T.o.m."]
        )
    # the case's own rows stay under the case's heading, without a period's dates
    case = page.locator("#t-sjukpenning tbody:not(.period)").first.locator("th[scope=row]").all_inner_texts()
    assert "Ärendestatus" in case and "Fr.o.m." not in case and "Omfattning" not in case


@pytest.mark.parametrize("person", ["19850610-2386", "19880318-2388", "19360219-9188", "19700225-9294"])
def test_one_date_label_style_and_one_personnummer_format_on_a_page(page: Page, person: str) -> None:
    log_in(page, HANNA)
    ask(page, person)
    text = page.locator("main").inner_text()
    assert not re.search(r"\b(19|20)\d{10}\b", text), "a personnummer without its dash"
    assert re.findall(r"\b(19|20)\d{6}-\d{4}\b", text)  # and there are some, all written so
    labels = page.locator("main th[scope=row], main dt").all_inner_texts()
    dated = [label for label in labels if re.search(r"(fr|t)\W*o\W*m\b|\bfrom\b", label, re.I)]
    assert dated and all(re.search(r"\b(Fr|fr|T|t)\.o\.m\.", label) for label in dated), dated


@pytest.mark.parametrize("where", ["login", "visa"])
def test_no_page_is_wider_than_a_phone(browser: Browser, srv: Server, where: str) -> None:
    context = browser.new_context(base_url=srv.url, locale="sv-SE", viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        if where == "visa":
            log_in(phone, HANNA)
            ask(phone, "19880318-2388")  # a family: the most tables
        else:
            phone.goto("/lefi/login")
        width = phone.evaluate("document.documentElement.scrollWidth")
        shoot(phone, f"{where}-390.png")
        assert width <= 390, f"/lefi/{where} is {width} px wide at 390 px"
        if where == "login":  # the test users are still there to read
            expect(phone.locator("table.list td").first).to_be_visible()
    finally:
        context.close()


def test_each_validation_message(page: Page, srv: Server) -> None:
    log_in(page, HANNA)
    cases = [  # (personnummer, from, tom, field, message)
        ("", "2025-01-01", "2026-10-31", "personnummer", "Ange personnummer."),
        ("1985O610-2386", "2025-01-01", "2026-10-31", "personnummer", "fel format"),
        ("19850610-2387", "2025-01-01", "2026-10-31", "personnummer", "kontrollsiffran stämmer inte"),
        ("19850610-2386", "", "2026-10-31", "fromdatum", "Ange Fr.o.m.-datum."),
        ("19850610-2386", "2025-01-01", "", "tomdatum", "Ange T.o.m.-datum."),
        ("19850610-2386", "2025-13-01", "2026-10-31", "fromdatum", "ska vara ett datum"),
        (
            "19850610-2386",
            "2025-01-01",
            "2026-11-03",
            "tomdatum",
            "inte vara efter dagens datum (2026-11-02)",
        ),
        ("19850610-2386", "2026-11-03", "2026-11-03", "fromdatum", "inte vara efter dagens datum"),
        ("19850610-2386", "2024-11-01", "2026-11-01", "tomdatum", "Sökperioden får vara högst 2 år."),
        ("19850610-2386", "2026-01-01", "2025-01-01", "tomdatum", "T.o.m. får inte vara före Fr.o.m."),
    ]
    for pnr, start, end, field, message in cases:
        ask(page, pnr, start, end)
        error = page.locator(f"#{field}-fel")
        expect(error).to_contain_text(message)
        described = page.locator(f"#{field}").get_attribute("aria-describedby") or ""
        assert f"{field}-fel" in described.split(), (field, described)
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".error-summary")).to_contain_text(message)
        expect(page.locator(".error-summary")).to_be_focused()  # a screen reader starts at the problems
        expect(page).to_have_title("Fel – Hämta förmånsinformation – LEFI Online (sandlåda)")
        page.goto("/lefi/hamta")
    # at least one benefit
    page.locator("input[name=formaner]").evaluate_all("boxes => boxes.forEach(b => { b.checked = false })")
    ask(page, "19850610-2386")
    expect(page.locator("#formaner-fel")).to_have_text("Fel: Välj minst en förmån.")
    expect(page.locator("#formaner")).to_have_attribute("aria-describedby", "formaner-fel")
    page.locator(".error-summary a").click()  # the summary's link takes the keyboard to the field
    expect(page.locator("#formaner")).to_be_focused()
    assert (
        admin(srv, "GET", "/journal/count", params={"binding": "web", "outcome": "invalid"}).json()["count"]
        == 11
    )


def test_keyboard_only(page: Page) -> None:
    page.goto("/lefi/login")
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the first e-legitimation
    expect(page.get_by_label("BankID", exact=True)).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type(HANNA)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("LEFI - Hämta förmånsinformation")
    page.get_by_label("Personnummer").focus()
    page.keyboard.type("19850610-2386")
    page.keyboard.press("Tab")
    page.keyboard.type("2025-01-01")
    page.keyboard.press("Tab")
    page.keyboard.type("2026-10-31")
    page.keyboard.press("Enter")  # the form's first button is Skicka
    expect(page.get_by_role("heading", level=1)).to_have_text("LEFI - Visa förmånsinformation")


def test_business_and_technical_errors_are_readable(page: Page, srv: Server) -> None:
    log_in(page, HANNA)
    ask(page, "19910216-2394")
    expect(page.locator("#fel")).to_have_text(
        "Personen har fått ett nytt personnummer: 19921007-2386. Sök på det nya personnumret. (Felkod 4.)"
    )
    page.get_by_role("link", name="Ny sökning").click()
    ask(page, "19820204-2399")
    expect(page.locator("#fel")).to_have_text(
        "Personen finns inte i Försäkringskassans kundregister. (Felkod 3.)"
    )
    page.goto("/lefi/hamta")
    ask(page, "19940122-8565")  # a person whose source system fails
    expect(page.locator("#fel")).to_contain_text(
        "Tekniskt fel: Anrop mot KUF misslyckades (ANROP_MOT_KUF_MISSLYCKADES)."
    )
    expect(page.get_by_label("Personnummer")).to_have_value("19940122-8565")  # the form, ready to try again
    # fault rules apply to the web binding as to any other
    admin(
        srv,
        "POST",
        "/faults",
        json={"id": "web-down", "kind": "soap_fault", "binding": "web", "fault_reason": "Underhåll pågår"},
    )
    ask(page, "19850610-2386")
    expect(page.locator("#fel")).to_contain_text("Simulerat fel (regel web-down): Underhåll pågår.")
    outcomes = [
        e["outcome"] for e in admin(srv, "GET", "/journal", params={"binding": "web"}).json()["entries"]
    ]
    assert outcomes[:4] == [
        "injected:soap_fault",
        "technical:ANROP_MOT_KUF_MISSLYCKADES",
        "business:3",
        "business:4",
    ]


# -- the QA dashboard ----------------------------------------------------------------------
def test_dashboard_shows_a_ws_query_in_the_journal(page: Page, srv: Server) -> None:
    page.goto("/_admin/ui")
    expect(page.get_by_role("heading", level=1)).to_have_text("QA dashboard")
    answer = ask_raw(srv.url, headers={"X-Correlation-ID": "dash-ws-1"})
    assert answer.status_code == 200
    row = page.locator('#journal tr[data-id="dash-ws-1"]')
    expect(row.locator("td").nth(1)).to_have_text("ws")
    expect(row.locator("td").nth(2)).to_have_text("2120000142")
    expect(row.locator('[data-field="outcome"]')).to_have_text("ok")
    raw = page.locator('#journal tr[data-raw-for="dash-ws-1"]')
    expect(raw).to_be_hidden()
    row.get_by_role("button", name="Request and answer of ws request dash-ws-1").click()
    expect(raw.locator("pre.body").nth(0)).to_contain_text(
        "<ext:personnummer>198506102386</ext:personnummer>"
    )
    expect(raw.locator("pre.body").nth(1)).to_contain_text("FK.Online.Svar")
    assert ask_raw(srv.url, raw_question("199102162394")).status_code == 200  # a business error: code 4
    expect(page.locator('#journal tr[data-id] [data-field="outcome"]').first).to_have_text("business:4")
    expect(raw).to_be_visible()  # what is open stays open while new entries arrive
    traffic = page.locator('#traffic tr[data-organisation="2120000142"]')
    expect(traffic.locator("td").nth(1)).not_to_have_text("0")
    expect(traffic.locator("svg.chart rect").first).to_be_attached()
    expect(page.locator("#clock-now")).to_have_text("2026-11-02T09:00:00+01:00")
    shoot(page, "dashboard.png")


def test_dashboard_moves_the_clock_the_engine_uses(page: Page, srv: Server) -> None:
    tomorrow = raw_question(fromdatum="2025-01-01", tomdatum="2026-11-03")
    assert b"<ext:kod>8</ext:kod>" in ask_raw(srv.url, tomorrow).content  # a date after today
    page.goto("/_admin/ui")
    expect(page.locator("#clock-state")).to_have_text("(frozen)")
    page.get_by_label("Advance by").fill("1")
    page.get_by_label("Unit").select_option("days")
    page.get_by_role("button", name="Advance", exact=True).click()
    expect(page.locator("#status")).to_have_text("Clock advanced by 1 days.")
    expect(page.locator("#clock-now")).to_have_text("2026-11-03T09:00:00+01:00")
    assert admin(srv, "GET", "/clock").json()["now"] == "2026-11-03T09:00:00+01:00"
    answer = ask_raw(srv.url, tomorrow).content
    assert b"<ext:kod>0</ext:kod>" in answer and b"<ext:skapades>2026-11-03T09:00:00" in answer
    page.get_by_label("Set to (ISO date-time)").fill("2026-12-24T08:00:00+01:00")
    page.get_by_role("button", name="Set", exact=True).click()
    expect(page.locator("#clock-now")).to_have_text("2026-12-24T08:00:00+01:00")
    page.get_by_label("Set to (ISO date-time)").fill("tomorrow")
    page.get_by_role("button", name="Set", exact=True).click()
    expect(page.locator("#status")).to_have_text("Refused: now: 'tomorrow' is not an ISO date-time")
    page.get_by_role("button", name="Unfreeze").click()
    expect(page.locator("#clock-state")).to_have_text("(running)")
    assert admin(srv, "GET", "/clock").json()["frozen"] is False


def test_dashboard_fault_rule_makes_the_next_query_fail(page: Page, srv: Server) -> None:
    page.goto("/_admin/ui")
    page.get_by_label("Id", exact=True).fill("dash-kuf")
    page.get_by_label("Kind").select_option("technical_error")
    page.get_by_label("Technical error").select_option("ANROP_MOT_KUF_MISSLYCKADES")
    page.locator("#fault-organisation").select_option("2120000142")
    page.locator("#fault-binding").select_option("ws")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#status")).to_have_text("Rule dash-kuf added.")
    rule = page.locator('#faults tr[data-rule="dash-kuf"]')
    expect(rule).to_contain_text("organisation=2120000142, binding=ws")
    failed = ask_raw(srv.url)
    assert failed.status_code == 500 and b"<kod>ANROP_MOT_KUF_MISSLYCKADES</kod>" in failed.content.replace(
        b"ext:", b""
    )
    expect(rule.locator("td").nth(3)).to_have_text("1")  # used once
    # a refused rule says why
    page.get_by_label("Id", exact=True).fill("broken")
    page.get_by_label("Kind").select_option("technical_error")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#status")).to_contain_text("Refused: fault rule refused")
    page.get_by_role("button", name="Remove rule dash-kuf").click()
    expect(page.locator("#status")).to_have_text("Rule dash-kuf removed.")
    assert ask_raw(srv.url).status_code == 200
