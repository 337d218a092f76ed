"""Echoing what a client sent, bounded: an error message may repeat a client's input so that
the partner sees what was wrong, but never more than a limit, so that a hostile request cannot
make the sandbox write (or log) megabytes back.

Two limits: ``TOKEN`` for what is a short word when it is right (a version, a status, an
encoding, an id type), ``NAME`` for names, addresses, ids and media types.
"""

from __future__ import annotations

__all__ = ["NAME", "TOKEN", "echo", "echo_repr"]

TOKEN = 50
NAME = 100


def echo(text: str, limit: int = NAME) -> str:
    """``text`` as an error message repeats it: its first ``limit`` characters."""
    return text[:limit]


def echo_repr(text: str, limit: int = NAME) -> str:
    """``text`` bounded and quoted (``repr``), so that control characters show as escapes."""
    return repr(text[:limit])
