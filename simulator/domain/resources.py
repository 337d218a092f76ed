"""Where the project's data folders (schemas/, scenarios/) are at run time.

In a checkout (and an editable install) they sit beside the package; a regular install
(pip, the container image) puts copies under ``<prefix>/share/lefi-sandbox/`` (see
pyproject.toml). ``LEFI_SCHEMAS`` / ``LEFI_SCENARIOS`` override either.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["data_dir"]

_CHECKOUT = Path(__file__).resolve().parents[2]  # simulator/domain/ -> the checkout


def data_dir(name: str) -> Path:
    """The folder ``name`` ("schemas" or "scenarios")."""
    override = os.environ.get(f"LEFI_{name.upper()}")
    if override:
        return Path(override)
    beside = _CHECKOUT / name
    if beside.is_dir():
        return beside
    return Path(sys.prefix) / "share" / "lefi-sandbox" / name
