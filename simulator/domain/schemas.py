"""Where the project's own schemas live, and the compiled XSD of each interface version."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from simulator.domain.resources import data_dir

__all__ = ["SCHEMA_DIR", "xsd_for_version", "schema_file"]

SCHEMA_DIR = data_dir("schemas")


def schema_file(name: str) -> Path | None:
    """A file of the schemas folder by bare name, or None (never a path outside it)."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    path = SCHEMA_DIR / name
    return path if path.is_file() else None


@cache
def xsd_for_version(version: int) -> etree.XMLSchema:
    """The compiled question/answer schema of LEFI Online XML version ``version``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    doc = etree.parse(str(SCHEMA_DIR / f"lefi-online-v{version}.xsd"), parser)
    return etree.XMLSchema(doc)
