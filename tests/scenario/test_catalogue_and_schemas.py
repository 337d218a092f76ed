"""The benefit catalogue against its sources (seed 001 §2.2-2.3, FK's v9 contract), the
project's XSDs against the catalogue and against FK's real answers, and the version
life cycle."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from lxml import etree
from support.server import NS, SCHEMAS, SHARED

from simulator.domain import benefits as catalogue
from simulator.domain.errors import TechnicalError
from simulator.domain.versions import open_versions, require_supported, supported_versions

XS = "http://www.w3.org/2001/XMLSchema"
LEGACY = SHARED / "reference" / "legacy-xml"
V9 = SHARED / "reference" / "lefi-v9" / "lefi-formansinformation-v9.openapi.yaml"

# Seed 001 §2.2 (LEFI Online, Allmän information), legacy names → catalogue labels.
SEED_BENEFITS = {
    "sjukOchAktivitetsersattning",
    "efterlevandepension",
    "bostadstillagg",
    "pension",
    "prognos",
    "arbetsskadelivranta",
    "yrkesskadelivranta",
    "handikappersattning",
    "vardbidrag",
    "levnadsintyg",
    "generellPersonInformation",
    "aktivitetsstod",
    "foraldrapenning",
    "narstaendepenning",
    "sjukpenning",
    "smittbararersattning",
    "dagpenningTillTotalforsvarspliktiga",
    "havandeskapspenning",
    "rehabersattning",
    "sjukpenninggrundandeInkomst",
    "tillfalligForaldrapenning",
    "utbetalning",
    "bostadsbidrag",
    "barnbidrag",
    "underhallsstod",
}


def need(path):  # type: ignore[no-untyped-def]
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/reference is outside the repository)")
    return path


def test_every_seed_benefit_is_in_version_5() -> None:
    assert SEED_BENEFITS == {b.key for b in catalogue.benefits_for_version(5)}


def test_web_groups_follow_the_seed() -> None:
    groups = {b.key: b.group for b in catalogue.BENEFITS}
    assert groups["pension"] is catalogue.BenefitGroup.PENSION
    assert groups["sjukpenninggrundandeInkomst"] is catalogue.BenefitGroup.DAGERSATTNING
    assert groups["utbetalning"] is catalogue.BenefitGroup.OVRIGA


@pytest.mark.reference
def test_every_v9_group_code_of_the_contract_is_mapped() -> None:
    contract = yaml.safe_load(need(V9).read_text(encoding="utf-8"))["components"]["schemas"]
    formaner = set(contract["LefiExternFormanGruppKod"]["enum"])
    ovrigt = set(contract["LefiExternOvrigInformationTypKod"]["enum"])
    assert (len(formaner), len(ovrigt)) == (30, 8)
    ours = {g.code: g for g in catalogue.V9_GROUPS}
    assert set(ours) == formaner | ovrigt
    assert {c for c, g in ours.items() if g.kind == "forman"} == formaner
    keys = {b.key for b in catalogue.BENEFITS}
    for group in catalogue.V9_GROUPS:
        assert set(group.benefits) <= keys, group


def test_history_limits_of_seed_section_2_3() -> None:
    today = date(2026, 11, 2)
    earliest = {b.key: b.history.earliest(date(1950, 5, 5), today) for b in catalogue.BENEFITS}
    assert earliest["arbetsskadelivranta"] == date(2005, 1, 1)
    assert earliest["sjukOchAktivitetsersattning"] == date(2003, 1, 1)
    assert earliest["sjukpenning"] == date(2002, 1, 1)
    assert earliest["pension"] == date(2001, 1, 1)
    assert catalogue.benefit("pension").history.earliest(date(1937, 12, 31), today) == date(2003, 1, 1)
    assert earliest["utbetalning"] == date(2025, 5, 2)  # 18 months back
    assert catalogue.benefit("utbetalning").history.earliest(date(1950, 1, 1), date(2009, 1, 1)) == date(
        2008, 7, 1
    )
    assert catalogue.benefit("levnadsintyg").history.current_only
    assert catalogue.benefit("prognos").history.latest_years == 2


def _children(schema_doc: etree._ElementTree, type_name: str) -> list[str]:
    ctype = schema_doc.find(f"{{{XS}}}complexType[@name='{type_name}']")
    assert ctype is not None
    return [el.get("name") for el in ctype.iter(f"{{{XS}}}element")]


@pytest.mark.parametrize("version", [5, 6])
def test_xsd_benefit_lists_match_the_catalogue(version: int) -> None:
    doc = etree.parse(str(SCHEMAS / f"lefi-online-v{version}.xsd"))
    keys = [b.key for b in catalogue.benefits_for_version(version)]
    assert _children(doc, "FormansforteckningFragaTyp") == keys
    # the answer's two lists, in FK's order: tests/online/test_answer_order.py
    assert sorted(_children(doc, "FormansforteckningTyp")) == sorted(keys)
    assert sorted(_children(doc, "FormansinformationTyp")) == sorted(
        k for k in keys if k != "generellPersonInformation"
    )


@pytest.mark.parametrize("version", [5, 6])
@pytest.mark.parametrize(
    "sample", ["miun_svar_193802458988.xml", "miun_svar_194201338763.xml", "miun_svar_197410356757.xml"]
)
@pytest.mark.reference
def test_fks_real_answers_validate_against_our_answer_xsd(version: int, sample: str) -> None:
    root = etree.parse(str(need(LEGACY / sample))).getroot()
    svar = root if root.tag == f"{{{NS}}}FK.Online.Svar" else root.find(f".//{{{NS}}}FK.Online.Svar")
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / f"lefi-online-v{version}.xsd")))
    assert schema.validate(etree.ElementTree(svar)), schema.error_log


@pytest.mark.parametrize(
    ("today", "served"),
    [
        (date(2019, 12, 31), (4,)),
        (date(2020, 12, 31), (4, 5)),  # V4 served until it closed, beside V5
        (date(2021, 1, 1), (5,)),
        (date(2026, 3, 31), (5,)),
        (date(2026, 4, 1), (5, 6)),  # 6 released; 5 has a year left
        (date(2027, 3, 31), (5, 6)),
        (date(2027, 4, 1), (6,)),  # 5 reaches end of life a year after 6's release
    ],
)
def test_two_versions_at_a_time(today: date, served: tuple[int, ...]) -> None:
    assert open_versions(today) == served
    assert supported_versions(today) == tuple(v for v in served if v != 4)  # V4 is not in the sandbox


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        (None, "VERSIONSNR_SAKNAS"),
        ("", "VERSIONSNR_SAKNAS"),
        ("4", "VERSIONEN_STODS_EJ"),
        ("sex", "VERSIONEN_STODS_EJ"),
        ("+6", "VERSIONEN_STODS_EJ"),
        ("٦", "VERSIONEN_STODS_EJ"),
    ],
)
def test_version_errors(sent: str | None, code: str) -> None:
    with pytest.raises(TechnicalError) as err:
        require_supported(sent, date(2026, 11, 2))
    assert err.value.status.name == code


def test_committed_scenario_json_schema_is_up_to_date() -> None:
    from simulator.server.cli import scenario_json_schema

    committed = (SCHEMAS / "scenario.schema.json").read_text(encoding="utf-8")
    assert committed.strip() == scenario_json_schema().strip(), (
        "run: lefi-sim scenario schema > schemas/scenario.schema.json"
    )


def test_version_numbers_may_have_leading_zeros_and_spaces() -> None:
    assert require_supported(" 06 ", date(2026, 11, 2)) == 6
