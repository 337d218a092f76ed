"""FK's two error families, as the service description defines them.

Business errors (VerksamhetsfelStatus) are answered inside a normal answer, with
their number; technical errors (TeknisktfelStatus) are raised and each binding turns
them into its own fault. The texts are FK's own.
"""

from __future__ import annotations

import enum

__all__ = ["Verksamhetsfel", "TeknisktFel", "BusinessError", "TechnicalError"]


class Verksamhetsfel(enum.Enum):
    PERSON_SAKNAS_I_KUNDREGISTER = (3, "Person saknas i kundregister")
    NYTT_PERSONNUMMER = (4, "Den försäkrade har ett nytt personnummer")
    PERIODSTART_EFTER_PERIODSLUT = (7, "Fråge-fromdatum är senare än fråge-tomdatum")
    SOKPERIODEN_FOR_LANG = (8, "Sökperioden är längre än tillåten sökperiod")
    FELAKTIGT_PERSONNUMMER = (11, "Felaktigt format på personnummer")
    FELAKTIGT_ORGNUMMER = (12, "Felaktigt format på orgnummer")
    ORGANISATIONEN_EJ_BEHORIG_ENLIGT_BAD = (13, "Organisationen inte behörig till tjänsten")
    FROM_SAKNAS = (21, "Periodstart saknas")
    TOM_SAKNAS = (22, "Periodslut saknas")
    FORMANSLISTA_SAKNAS = (23, "Efterfrågade förmåner saknas")

    @property
    def code(self) -> int:
        return self.value[0]

    @property
    def text(self) -> str:
        return self.value[1]


class TeknisktFel(enum.Enum):
    """Technical errors, by FK's enum names (scenarios name them the same way)."""

    TEKNISKT_FEL = "TEKNISKT_FEL"
    ANROP_MOT_KUF_MISSLYCKADES = "ANROP_MOT_KUF_MISSLYCKADES"
    FEL_PA_PERSONINFORMATION = "FEL_PA_PERSONINFORMATION"
    ANROP_MOT_KUND_MISSLYCKADES = "ANROP_MOT_KUND_MISSLYCKADES"
    ANROP_MOT_BAD_MISSLYCKADES = "ANROP_MOT_BAD_MISSLYCKADES"
    FILTER_SAKNAS = "FILTER_SAKNAS"
    VERSIONSNR_SAKNAS = "VERSIONSNR_SAKNAS"
    VERSIONEN_STODS_EJ = "VERSIONEN_STODS_EJ"
    KONFIGURATIONSFEL = "KONFIGURATIONSFEL"

    @property
    def text(self) -> str:
        return _TEKNISKT_FEL_TEXT[self]


_TEKNISKT_FEL_TEXT = {
    TeknisktFel.TEKNISKT_FEL: "Tekniskt fel",
    TeknisktFel.ANROP_MOT_KUF_MISSLYCKADES: "Anrop mot KUF misslyckades",
    TeknisktFel.FEL_PA_PERSONINFORMATION: "Fel i svar från personinformation",
    TeknisktFel.ANROP_MOT_KUND_MISSLYCKADES: "Anrop mot KUND misslyckades",
    TeknisktFel.ANROP_MOT_BAD_MISSLYCKADES: "Anrop mot BAD misslyckades",
    TeknisktFel.FILTER_SAKNAS: "Det saknas filter för orgtypen.",
    TeknisktFel.VERSIONSNR_SAKNAS: "Versionsnummer saknas",
    TeknisktFel.VERSIONEN_STODS_EJ: "Den begärda versionen stöds ej",
    TeknisktFel.KONFIGURATIONSFEL: "Fel i konfiguration",
}


class BusinessError(Exception):
    """A verksamhetsfel found while checking a query; the engine answers with it."""

    def __init__(self, status: Verksamhetsfel, detail: str = "", new_personnummer: str | None = None) -> None:
        super().__init__(f"{status.name}: {detail or status.text}")
        self.status = status
        self.detail = detail
        self.new_personnummer = new_personnummer


class TechnicalError(Exception):
    """A tekniskt fel; bindings render it as their fault (SOAP Fault, 500, ...)."""

    def __init__(self, status: TeknisktFel, detail: str = "") -> None:
        super().__init__(f"{status.name}: {detail or status.text}")
        self.status = status
        self.detail = detail
