"""Where the project's own schemas live, and the compiled XSD of each interface version."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from lxml import etree

__all__ = ["SCHEMA_DIR", "xsd_for_version", "schema_file"]

# The top-level schemas/ folder of the repository; LEFI_SCHEMAS overrides it for
# installs that place the files elsewhere (the container image does not need to).
SCHEMA_DIR = Path(os.environ.get("LEFI_SCHEMAS", Path(__file__).resolve().parent.parent / "schemas"))


def schema_file(name: str) -> Path | None:
    """A file of the schemas folder by bare name, or None (never a path outside it)."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    path = SCHEMA_DIR / name
    return path if path.is_file() else None


@lru_cache(maxsize=None)
def xsd_for_version(version: int) -> etree.XMLSchema:
    """The compiled question/answer schema of LEFI Online XML version ``version``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    doc = etree.parse(str(SCHEMA_DIR / f"lefi-online-v{version}.xsd"), parser)
    return etree.XMLSchema(doc)
