"""Försäkringskassan as the receiver that SSEK and SHS messages must be addressed to."""

from __future__ import annotations

from simulator.domain import orgnummer

__all__ = ["FK_ORGNUMMER", "FK_NAME", "is_fk"]

FK_ORGNUMMER = "2021005521"  # Försäkringskassan, 202100-5521
FK_NAME = "Försäkringskassan"


def is_fk(text: str) -> bool:
    """True when ``text`` is FK's orgnummer in any accepted form (202100-5521, 162021005521 ...)."""
    return orgnummer.canonical(text.strip()) == FK_ORGNUMMER
