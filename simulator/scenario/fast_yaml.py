"""Reading a scenario file at C speed, to exactly the data PyYAML's safe loader makes.

rapidyaml (C++) parses the file and writes it as JSON, which ``json.loads`` turns into
Python data. Two things differ from PyYAML, and both are put right here:

- YAML 1.1 types plain scalars PyYAML's way (``2024-03-15`` is a date, ``yes`` True, ``~``
  None, ``012`` the octal 10); rapidyaml's JSON writes those as strings, as it writes quoted
  scalars. Each such string is looked up in rapidyaml's own YAML rendering of the tree
  (which keeps how each scalar was written): if it was plain, PyYAML's resolver and
  constructor make its value.
- rapidyaml writes a plain number as it stands (``.5`` as ``0.5``); a number is read as
  PyYAML reads its text, and refused where the original text could have read otherwise.

Whatever this cannot make exactly equal (anchors, tags, block scalars, tabs, several
documents, a duplicate key, an impossible date, any YAML error) raises ``Unsupported``:
the loader then reads the file the exact (PyYAML) way, which also words its errors.
Line numbers of the data (for validation problems) come from the parsed tree.
"""

from __future__ import annotations

import bisect
import ctypes
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import ryml
import yaml

__all__ = ["FastDocument", "Unsupported", "read"]


class Unsupported(Exception):
    """The file needs the exact reader (or has a problem only the exact reader words)."""


# In the source: what PyYAML refuses or reads its own way, and the fast path leaves to it:
# characters it does not accept, tabs, line breaks other than \n and \r\n (marks count
# them), a byte-order mark, directives and document markers, complex keys.
_EXACT_ONLY_CHARACTERS = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\x85\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]"
)
_LONE_CR = re.compile(r"\r(?!\n)")
_EXACT_ONLY_LINES = re.compile(r"\n(?:---|\.\.\.|%)")
_EXACT_ONLY_START = ("---", "...", "%")
_COMPLEX_KEY = re.compile(r"(?:^|[\[{,]|- )[ ]*\?(?=\s|$)", re.MULTILINE)
# In rapidyaml's rendering (comments gone): anchors, aliases, tags, block scalars, and
# what PyYAML refuses to start a scalar with (rapidyaml takes it).
_EXACT_ONLY_RENDERED = re.compile(r"[ \[{,\n][&*!|>@`%]")


def _implicit_union() -> str:
    """One pattern for every plain scalar PyYAML's resolver types (not as a string)."""
    parts = sorted(
        {
            regexp.pattern.strip().removeprefix("^").removesuffix("$")
            for resolvers in yaml.SafeLoader.yaml_implicit_resolvers.values()
            for _, regexp in resolvers
        }
    )
    return "|".join(f"(?x:{p})" for p in parts)


_UNION = _implicit_union()
# A JSON string token holding such a text (a quote after a delimiter opens a string: one
# inside a string is written \"), and whether it is a key.
_CANDIDATE_IN_JSON = re.compile(rf'"(?<=[\s\[{{,:]")(?=[-+.0-9~<=yYnNtTfFoO])({_UNION})"(\s*:)?')
# Such a text quoted anywhere in the rendering (a superset of the quoted scalars).
_QUOTED_IN_RENDERING = re.compile(rf"""['"]({_UNION})['"]""")
# rapidyaml writes a plain decimal integer as a bare JSON number: such a string was quoted.
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)")
_MARKER = "-0e-0"  # a JSON number standing for a typed plain scalar: -0e-0<index>
_DECIMAL_KEY_IN_JSON = re.compile(r'"(-?[0-9]+)"\s*:')
_STR_TAG = "tag:yaml.org,2002:str"


class FastDocument:
    """The data of a scenario file, and the line of any place in it."""

    def __init__(self, source: bytes, data: Any) -> None:
        self.source = source
        self.data = data
        self._tree: Any = None
        self._buffer = bytearray()
        self._newlines: list[int] = []

    def line_of(self, loc: Sequence[str | int]) -> int:
        """The 1-based line of the deepest node on ``loc`` that exists (the key of a mapping
        entry, the start of a sequence item), as PyYAML's marks give it; raises
        ``Unsupported`` where the tree cannot tell (e.g. an empty item)."""
        tree = self._parsed()
        node = tree.root_id()
        offset = self._start(node)
        for part in loc:
            child = -1
            if tree.is_map(node) and isinstance(part, str):
                child = tree.find_child(node, part.encode())
                if child != ryml.NONE:
                    offset = self._address(tree.key(child))
            elif tree.is_seq(node) and isinstance(part, int) and 0 <= part < tree.num_children(node):
                child = tree.child(node, part)
                offset = self._start(child)
            if child < 0 or child == ryml.NONE:
                break
            node = child
        if not self._newlines:
            self._newlines = [m.start() for m in re.finditer(b"\n", self.source)]
        return bisect.bisect_left(self._newlines, offset) + 1

    def _parsed(self) -> Any:
        if self._tree is None:
            self._buffer = bytearray(self.source)
            self._tree = _quietly(ryml.parse_in_place, self._buffer)
        return self._tree

    def _start(self, node: int) -> int:
        """Where PyYAML's mark of a node is: its first key or value, or a flow
        collection's opening bracket."""
        tree = self._tree
        if tree.has_val(node) and not tree.is_container(node):
            value = tree.val(node)
            if value is None or tree.is_val_literal(node) or tree.is_val_folded(node):
                raise Unsupported("a value without a place")
            return self._address(value)
        if tree.num_children(node) == 0:
            raise Unsupported("an empty collection")
        first = tree.first_child(node)
        offset = self._address(tree.key(first)) if tree.has_key(first) else self._start(first)
        if tree.is_flow(node):
            before = self.source.rfind(b"{" if tree.is_map(node) else b"[", 0, offset)
            if before < 0 or self.source[before + 1 : offset].strip():
                raise Unsupported("a flow collection's bracket not found")
            offset = before
        return offset

    def _address(self, view: memoryview) -> int:
        return _address_of(view) - _address_of(memoryview(self._buffer))


def read(text: str) -> FastDocument:
    """The data of the YAML ``text``, exactly as PyYAML's safe loader makes it (with the
    loader's own refusals left to it: ``Unsupported``)."""
    if (
        _EXACT_ONLY_CHARACTERS.search(text)
        or ("\r" in text and _LONE_CR.search(text))
        or text.startswith(_EXACT_ONLY_START)
        or _EXACT_ONLY_LINES.search(text)
        or ("?" in text and _COMPLEX_KEY.search(text))
    ):
        raise Unsupported("the source uses what only the exact reader reads")
    source = text.encode("utf-8")
    buffer = bytearray(source)
    tree = _quietly(ryml.parse_in_place, buffer)
    root = tree.root_id()
    if tree.is_stream(root) or not tree.is_map(root):
        raise Unsupported("not one mapping")
    rendering = _quietly(ryml.emit_yaml_malloc, tree, root)
    as_json = _quietly(ryml.emit_json_malloc, tree, root)
    del tree, buffer  # the tree is large; line_of parses again when a problem needs a line
    if (
        rendering.startswith(("&", "*", "!", "@", "`", "%"))
        or _EXACT_ONLY_RENDERED.search(rendering)
        or _MARKER in as_json
    ):
        raise Unsupported("anchors, aliases, tags or block scalars")
    typed = _Typing(rendering, as_json)
    del rendering, as_json
    as_typed_json = typed.json()
    try:
        data = json.loads(as_typed_json, parse_float=typed.numbers.__getitem__, object_pairs_hook=_mapping)
    except (ValueError, RecursionError) as exc:  # rapidyaml wrote what JSON cannot hold
        raise Unsupported(str(exc)) from None
    return FastDocument(source, data)


class _Typing:
    """Puts PyYAML's types on the plain scalars of rapidyaml's JSON."""

    def __init__(self, rendering: str, as_json: str) -> None:
        self.as_json = as_json
        self.numbers = _Numbers()
        # texts quoted somewhere; unless only as values PyYAML reads as integers (which
        # rapidyaml writes bare when plain), which occurrence of them is plain is found in
        # document order (both renderings keep it)
        quoted = set(_QUOTED_IN_RENDERING.findall(rendering)) - {""}
        keys = set(_DECIMAL_KEY_IN_JSON.findall(as_json)) if quoted else set()
        undecided = sorted(
            (t for t in quoted if t in keys or not _DECIMAL.fullmatch(t)), key=len, reverse=True
        )
        self.plain: dict[str, Iterator[bool]] = {}
        if undecided:
            alternatives = "|".join(re.escape(t) for t in undecided)
            written: dict[str, int] = {}
            for text in re.findall(rf'"(?<=[\s\[{{,:]")({alternatives})"', as_json):
                written[text] = written.get(text, 0) + 1
            styles = _styles(rendering, undecided)
            for text, count in written.items():
                if len(styles.get(text, ())) != count:
                    raise Unsupported(f"cannot tell how {text!r} is written")
                self.plain[text] = iter(styles[text])

    def json(self) -> str:
        markers = self.numbers.markers
        as_json, self.as_json = self.as_json, ""  # not kept beside the typed copy
        return _CANDIDATE_IN_JSON.sub(lambda m: markers.get(m.group(0)) or self._replace(m), as_json)

    def _replace(self, match: re.Match[str]) -> str:
        text, colon = match.group(1), match.group(2)
        styles = self.plain.get(text)
        plain = next(styles, None) if styles is not None else True
        if not text or (not colon and _DECIMAL.fullmatch(text)):
            if plain and styles is not None:
                raise Unsupported(f"the renderings disagree on {text!r}")
            return match.group(0)
        if plain is None:
            raise Unsupported(f"the renderings disagree on {text!r}")
        if not plain:
            return match.group(0)  # quoted: a string
        if colon:
            raise Unsupported(f"the plain key {text!r} is typed by YAML 1.1")
        marker = f"{_MARKER}{len(self.numbers)}"
        self.numbers[marker] = _plain_value(text)
        if styles is None:  # every occurrence is plain: the next ones without a call
            self.numbers.markers[match.group(0)] = marker
        return marker


class _Numbers(dict[str, Any]):
    """What a JSON number stands for: a marker, its typed plain scalar; a number, what
    PyYAML reads from its text."""

    def __init__(self) -> None:
        super().__init__()
        self.markers: dict[str, str] = {}

    def __missing__(self, text: str) -> Any:
        # rapidyaml adds a 0 before a leading or after a trailing point: read every text it
        # may have come from, and refuse where they differ
        originals = {text}
        lead = re.fullmatch(r"([-+]?)0(\..*)", text)
        if lead:
            originals.add(lead.group(1) + lead.group(2))
        originals.add(re.sub(r"\.0(?=$|[eE])", ".", text))
        values = {(type(v), repr(v)) for v in map(_plain_value, originals)}
        if len(values) != 1:
            raise Unsupported(f"the number {text!r} may have been written otherwise")
        value = self[text] = _plain_value(text)
        return value


def _styles(rendering: str, texts: list[str]) -> dict[str, list[bool]]:
    """For each of ``texts``, whether each of its scalars in the rendering is plain (a
    scalar: after a key, a dash, a bracket, a comma or the indentation, and before the end
    of the line, a comma, a closing bracket or a key's colon)."""
    found: list[tuple[int, str, bool]] = []
    for text in texts:
        at = rendering.find(text)
        while at >= 0:
            end = at + len(text)
            quote = rendering[at - 1] if at and rendering[at - 1] in "'\"" else ""
            if not quote or rendering.startswith(quote, end):
                start = at - len(quote)
                before = rendering[rendering.rfind("\n", 0, start) + 1 : start]
                line_end = rendering.find("\n", end)
                after = rendering[end + len(quote) : line_end if line_end >= 0 else len(rendering)].lstrip()
                if (not before.strip() or before.endswith((": ", "- ", "[", "{", ","))) and (
                    not after or after == ":" or after.startswith((",", "]", "}", ": "))
                ):
                    found.append((start, text, not quote))
            at = rendering.find(text, end)
    styles: dict[str, list[bool]] = {}
    for _, text, plain in sorted(found):
        styles.setdefault(text, []).append(plain)
    return styles


_RESOLVER = yaml.SafeLoader("")


def _plain_value(text: str) -> Any:
    """What PyYAML's safe loader makes of the plain scalar ``text`` (its strict loader
    refuses impossible dates: left to the exact reader, which words them)."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if tag == _STR_TAG:
        return text
    constructor = yaml.SafeLoader.yaml_constructors.get(tag)
    if constructor is None:
        raise Unsupported(f"{text!r} has no constructor")
    try:
        return constructor(_RESOLVER, yaml.ScalarNode(tag, text))
    except (ValueError, yaml.YAMLError) as exc:
        raise Unsupported(str(exc)) from None


def _mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise Unsupported("a key given twice")
    return mapping


# rapidyaml reports an error on the process's stderr before raising; the exact reader
# words the error, so that report is kept off the terminal (and anything else written
# meanwhile is put back). Only while this is the process's one thread (``scenario check``,
# a server's first load): with others (a running server's reload) their log lines must not
# wait, and a broken file's report is one more line in the server's log.
_STDERR_LOCK = threading.Lock()
_RYML_REPORT = re.compile(
    rb"(?m)^(?:line=\d+ col=\d+ \(\d+B\): |/project/).*ERROR: .*\n(?:.*\(detected here\)\n)?"
)


def _quietly(call: Callable[..., Any], *args: Any) -> Any:
    if threading.active_count() > 1:
        return _unsupported_on_error(call, *args)
    with _STDERR_LOCK, tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            return _unsupported_on_error(call, *args)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            other = _RYML_REPORT.sub(b"", captured.read())
            if other:
                os.write(2, other)


def _unsupported_on_error(call: Callable[..., Any], *args: Any) -> Any:
    try:
        return call(*args)
    except Exception as exc:  # ryml.ExceptionParse and its kin
        raise Unsupported(f"rapidyaml: {type(exc).__name__}") from None


class _PyBuffer(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("rest", ctypes.c_byte * 96)]


_GET_BUFFER = ctypes.pythonapi.PyObject_GetBuffer
_GET_BUFFER.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
_RELEASE_BUFFER = ctypes.pythonapi.PyBuffer_Release
_RELEASE_BUFFER.argtypes = [ctypes.POINTER(_PyBuffer)]


def _address_of(view: memoryview) -> int:
    """Where a read-only memory view's bytes are (rapidyaml's scalars point into the
    parsed buffer, so the difference is a scalar's byte offset in the file)."""
    info = _PyBuffer()
    if _GET_BUFFER(view, ctypes.byref(info), 0) != 0:
        raise Unsupported("no buffer")
    try:
        return int(info.buf or 0)
    finally:
        _RELEASE_BUFFER(ctypes.byref(info))
