"""Hardened XML parsing for everything that arrives from outside.

No DTD is loaded or allowed, no entity is expanded, nothing is fetched from the
network, and libxml2's own depth and size limits stay on (``huge_tree`` off). A
document that declares a DOCTYPE is refused outright: FK's interface has no use for one
and it is the carrier of entity-expansion and external-entity attacks.

The work one document can cost is bounded (``XmlLimits``): the counts that make the
parser or a later step slow or big (elements, attributes, namespace declarations) are
counted in the bytes before parsing, with ``bytes.count`` (upper bounds: a count within
the limit vouches for the document); what the bytes cannot vouch for (attributes on one
element, the length of one text, the depth) is checked by libxml2 (XPath) before any
Python code walks the tree. A document that only an encoding the counts cannot see
through could hide markup in (UTF-7, EBCDIC, ...) is refused. ``parse_xml_async`` parses
a large document in a worker thread (libxml2 releases the GIL), so that it does not hold
up the event loop.
"""

from __future__ import annotations

import asyncio
import codecs
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

__all__ = [
    "UnsafeOrBrokenXml",
    "XmlLimits",
    "MESSAGE",
    "FILE",
    "INLINE_BYTES",
    "parse_xml",
    "parse_xml_async",
    "MAX_DEPTH",
]

MAX_DEPTH = 64  # FK's messages are about 10 levels deep


@dataclass(frozen=True)
class XmlLimits:
    """What one document may hold."""

    depth: int = MAX_DEPTH
    elements: int = 20_000  # a massfråga of 10 000 persons holds about 10 020
    attributes: int = 64  # on one element (an shs.label carries about a dozen)
    all_attributes: int = 10_000  # in the whole document; FK's messages carry hardly any
    namespaces: int = 64  # declarations in the whole document
    text: int = 256 * 1024  # characters in one text or attribute value (SSBTEK: the LEFI question, base64)
    bytes_per_element: int | None = None  # set: a larger document may hold one element per so many bytes

    def elements_in(self, size: int) -> int:
        """The elements a document of ``size`` bytes may hold."""
        return max(self.elements, size // self.bytes_per_element) if self.bytes_per_element else self.elements


MESSAGE = XmlLimits()
# a LEFI Prenumeration order file (up to 16 MB, 100 000 persons an action): a person of
# nyPrenumeration is five elements in about 180 bytes
FILE = XmlLimits(bytes_per_element=24)

INLINE_BYTES = 64 * 1024  # parse_xml_async parses a larger document in a worker thread


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
    """This thread's parser: made once (a new one per document costs a sixth of the parse);
    one per thread, as an lxml parser parses one document at a time."""
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
    return parser


_PARSERS = threading.local()


async def parse_xml_async(data: bytes, limits: XmlLimits = MESSAGE) -> etree._Element:
    """``parse_xml``, in a worker thread when ``data`` is larger than ``INLINE_BYTES``."""
    if len(data) <= INLINE_BYTES:
        return parse_xml(data, limits)
    return await asyncio.to_thread(parse_xml, data, limits)


def parse_xml(data: bytes, limits: XmlLimits = MESSAGE) -> etree._Element:
    """Parse ``data`` into its root element, or raise ``UnsafeOrBrokenXml``."""
    if not data or not data.strip():
        raise UnsafeOrBrokenXml("the request body is empty")
    count = _counter(data)
    if count("<!DOCTYPE") or count("<!ENTITY"):
        raise UnsafeOrBrokenXml("DOCTYPE and ENTITY declarations are not allowed")
    elements = limits.elements_in(len(data))
    tags = count("<")  # at least its elements; what else begins with "<" is taken off when it matters
    if tags > elements:
        tags -= count("</") + count("<?") + count("<!")
        if tags > elements:
            raise UnsafeOrBrokenXml(f"the document holds more than {elements} elements")
    equals = count("=")  # at least its attributes and namespace declarations
    if equals > limits.all_attributes:
        raise UnsafeOrBrokenXml(f"the document carries more than {limits.all_attributes} attributes")
    if count("xmlns") > limits.namespaces:
        raise UnsafeOrBrokenXml(f"the document declares more than {limits.namespaces} namespaces")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        if "Excessive depth" in exc.msg:  # libxml2's own limit, whose text suggests switching it off
            raise UnsafeOrBrokenXml(
                f"the document is nested over 256 levels deep; at most {limits.depth} are allowed",
                line,
                column,
            ) from None
        raise UnsafeOrBrokenXml(f"not well-formed XML: {_short(exc.msg)}", line, column) from None
    except ValueError as exc:  # e.g. an unsupported encoding declaration
        raise UnsafeOrBrokenXml(f"not readable as XML: {_short(str(exc))}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeOrBrokenXml("DOCTYPE declarations are not allowed")
    _check_shape(root, limits, tags=tags, equals=equals, size=len(data))
    return root


def _counter(data: bytes) -> Callable[[str], int]:
    """How often ASCII markup occurs in ``data``, in its encoding family."""
    codec = _family(data)
    return lambda markup: data.count(markup.encode(codec))


def _family(data: bytes) -> str:
    """The codec in which ``data``'s markup characters are counted (XML 1.0 Appendix F)."""
    start = data[:4]
    for bom, codec in ((codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le")):
        if start.startswith(bom):
            return codec
    if start.startswith(codecs.BOM_UTF16_BE) or start[:2] == b"\x00<":
        return "utf-16-be"
    if start.startswith(codecs.BOM_UTF16_LE) or start[:2] == b"<\x00":
        return "utf-16-le"
    if b"\x00" in start:
        raise UnsafeOrBrokenXml("not readable as XML: send UTF-8")
    declared = _ENCODING.match(data)
    if declared is not None:
        name = declared.group(1).decode("ascii")
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            codec = ""
        if not codec.startswith(_COUNTABLE):  # markup could hide from the counts (UTF-7: +ADw- is "<")
            raise UnsafeOrBrokenXml(f"the encoding {name[:40]!r} is not accepted; send UTF-8")
    return "ascii"


# encodings whose markup is the ASCII bytes themselves (UTF-16 or -32 declared over ASCII
# bytes is libxml2's to refuse, in its own words)
_COUNTABLE = ("utf-8", "ascii", "iso8859-", "cp125", "utf-16", "utf-32")
_ENCODING = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._-]{0,40})[\"']"
)


def _short(text: str) -> str:
    """A parser's message, which may quote the input, kept short."""
    return text if len(text) <= 300 else text[:300] + "…"


def _check_shape(root: etree._Element, limits: XmlLimits, *, tags: int, equals: int, size: int) -> None:
    """The limits the bytes could not vouch for, checked by libxml2."""
    if equals > limits.attributes and _xpath(f"boolean(//*[count(@*) > {limits.attributes}])")(root):
        raise UnsafeOrBrokenXml(f"an element carries more than {limits.attributes} attributes")
    if size > limits.text and _xpath(
        f"boolean(//text()[string-length() > {limits.text}] | //@*[string-length() > {limits.text}])"
    )(root):
        raise UnsafeOrBrokenXml(f"a text or attribute value is longer than {limits.text} characters")
    if tags > limits.depth and _xpath("boolean(/" + "/".join(["*"] * (limits.depth + 1)) + ")")(root):
        raise UnsafeOrBrokenXml(
            f"the document is nested {_depth(root, limits.depth)} levels deep; at most {limits.depth} are allowed"
        )


@lru_cache(maxsize=32)
def _xpath(expression: str) -> etree.XPath:
    """A compiled XPath, kept: the limits are a handful of constants."""
    return etree.XPath(expression)


def _depth(root: etree._Element, limit: int) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        stack.extend((child, d + 1) for child in el)
    return deepest
