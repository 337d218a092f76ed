"""Hardened XML parsing for everything that arrives from outside.

No DTD is loaded or allowed, no entity is expanded, nothing is fetched from the
network, and libxml2's own depth and size limits stay on (``huge_tree`` off). A
document that declares a DOCTYPE is refused outright: FK's interface has no use for one
and it is the carrier of entity-expansion and external-entity attacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

__all__ = ["UnsafeOrBrokenXml", "parse_xml", "MAX_DEPTH"]

MAX_DEPTH = 64  # FK's messages are about 10 levels deep


@dataclass
class UnsafeOrBrokenXml(Exception):
    """The bytes are not a well-formed, safe XML document."""

    reason: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line}, column {self.column})" if self.line else ""
        return f"{self.reason}{where}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes) -> etree._Element:
    """Parse ``data`` into its root element, or raise ``UnsafeOrBrokenXml``."""
    if not data or not data.strip():
        raise UnsafeOrBrokenXml("the request body is empty")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnsafeOrBrokenXml("DOCTYPE and ENTITY declarations are not allowed")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        if "Excessive depth" in exc.msg:  # libxml2's own limit, whose text suggests switching it off
            raise UnsafeOrBrokenXml(
                f"the document is nested over 256 levels deep; at most {MAX_DEPTH} are allowed", line, column
            ) from None
        raise UnsafeOrBrokenXml(f"not well-formed XML: {exc.msg}", line, column) from None
    except ValueError as exc:  # e.g. an unsupported encoding declaration
        raise UnsafeOrBrokenXml(f"not readable as XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeOrBrokenXml("DOCTYPE declarations are not allowed")
    if _TOO_DEEP(root):
        raise UnsafeOrBrokenXml(
            f"the document is nested {_depth(root)} levels deep; at most {MAX_DEPTH} are allowed"
        )
    return root


# an element below MAX_DEPTH levels, looked for in libxml2 rather than in a Python loop
_TOO_DEEP = etree.XPath("boolean(/" + "/".join(["*"] * (MAX_DEPTH + 1)) + ")")


def _depth(root: etree._Element) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, d + 1) for child in el)
    return deepest
