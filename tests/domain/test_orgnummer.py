"""Tests for simulator.orgnummer."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.domain.orgnummer import InvalidOrgnummer, Orgnummer, is_valid, make_orgnummer
from simulator.domain.personnummer import luhn_check_digit

first_nines = st.from_regex(r"[0-9]{2}[2-9][0-9]{6}", fullmatch=True)


def textbook_luhn_ok(digits: str) -> bool:
    """Independent Luhn validation: from the right, double every second digit."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d // 10 + d % 10
    return total % 10 == 0


@given(first_nine=first_nines)
def test_every_rendering_parses_back(first_nine: str) -> None:
    o = make_orgnummer(first_nine)
    assert o.value.startswith(first_nine) and len(o.value) == 10
    assert textbook_luhn_ok(o.value)
    assert str(o) == o.value
    assert o.dashed == f"{o.value[:6]}-{o.value[6:]}"
    assert o.group == int(first_nine[0])
    for text in [o.value, o.dashed, "16" + o.value, "16" + o.dashed, f" {o.dashed}\n"]:
        assert Orgnummer.parse(text) == o, text
        assert is_valid(text)
    assert Orgnummer(o.value) == o


@given(first_nine=first_nines)
def test_any_other_check_digit_is_refused(first_nine: str) -> None:
    o = make_orgnummer(first_nine)
    for wrong in "0123456789".replace(o.value[9], ""):
        with pytest.raises(InvalidOrgnummer, match="check digit"):
            Orgnummer.parse(o.value[:9] + wrong)
        assert not is_valid("16" + o.dashed[:10] + wrong)


@given(first_nine=st.from_regex(r"[0-9]{2}[01][0-9]{6}", fullmatch=True))
def test_third_digit_below_two_is_refused(first_nine: str) -> None:
    # Correct Luhn digit, so only the third-digit rule can refuse it.
    text = first_nine + str(luhn_check_digit(first_nine))
    with pytest.raises(InvalidOrgnummer, match="third digit"):
        Orgnummer.parse(text)
    with pytest.raises(InvalidOrgnummer, match="third digit"):
        make_orgnummer(first_nine)


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("202100-5521", 2),  # Försäkringskassan
        ("202100-5448", 2),  # Skatteverket
        ("556012-5790", 5),  # AB Volvo
        ("165560125790", 5),
        ("16556012-5790", 5),
    ],
)
def test_known_numbers(text: str, group: int) -> None:
    o = Orgnummer.parse(text)
    assert o.group == group
    assert o.dashed == text.removeprefix("16")[:6] + "-" + o.value[6:]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "expected"),
        ("20210055", "expected"),  # 8 digits
        ("20210055211", "expected"),  # 11 digits
        ("172021005521", "expected"),  # 12 digits without the 16 prefix
        ("2021005-521", "expected"),
        ("202100--5521", "expected"),
        ("202100+5521", "expected"),
        ("20210O5521", "expected"),  # letter O
        ("２０２１００５５２１", "expected"),  # full-width digits
        ("16-2021005521", "expected"),
        ("121212-1212", "third digit"),  # a personnummer
        ("202100-5522", "check digit"),
    ],
)
def test_refusals(text: str, reason: str) -> None:
    with pytest.raises(InvalidOrgnummer, match=reason):
        Orgnummer.parse(text)
    assert not is_valid(text)


def test_make_orgnummer_rejects_bad_input() -> None:
    for bad in ["20210055", "2021005521", "20210055a", "202100-55"]:
        with pytest.raises(InvalidOrgnummer):
            make_orgnummer(bad)
    assert make_orgnummer("202100552") == Orgnummer("2021005521")


def test_direct_construction_is_validated_and_immutable() -> None:
    with pytest.raises(InvalidOrgnummer):
        Orgnummer("202100-5521")
    with pytest.raises(InvalidOrgnummer):
        Orgnummer("2021005522")
    o = Orgnummer("2021005521")
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.value = "5560125790"  # type: ignore[misc]
