"""``multipart/mixed`` (RFC 2046) as SHS carries it: read strictly, written plainly.

Reading refuses what an SHS receiver cannot trust (no boundary, no opening or closing
delimiter, too many parts, a transfer encoding it does not know, base64 that does not
decode) with ``MultipartError``, and never anything else, whatever the bytes.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import uuid
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from simulator.protocols.echo import TOKEN, echo_repr

__all__ = ["MAX_PARTS", "Part", "MultipartError", "parse_multipart", "build_multipart"]

MAX_PARTS = 20  # an SHS message is a label and a few data parts
_BOUNDARY = re.compile(r"^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$")  # RFC 2046 bchars


class MultipartError(Exception):
    """The body is not a multipart message this receiver can read; ``str()`` says why."""


@dataclass
class Part:
    content_type: str  # type/subtype, lower case; text/plain when the part does not say
    body: bytes  # after its Content-Transfer-Encoding is undone
    charset: str | None = None
    filename: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # extra headers when writing


def _content_type(value: str) -> Message:
    msg = Message()
    msg["Content-Type"] = value
    return msg


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """The parts of a ``multipart/mixed`` body, in order."""
    header = _content_type(content_type)
    if header.get_content_type() != "multipart/mixed":
        raise MultipartError(
            f"the Content-Type is {echo_repr(content_type)}; an SHS message is multipart/mixed"
        )
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("the Content-Type multipart/mixed has no boundary parameter")
    if not _BOUNDARY.match(boundary):
        raise MultipartError(
            f"the boundary {echo_repr(boundary)} is not a valid MIME boundary (1-70 characters)"
        )
    # the boundary found by bytes.find (fast on a large body), then checked where it stands
    marker = b"--" + boundary.encode("ascii")
    starts: list[tuple[int, int]] = []
    closed = False
    at = body.find(marker)
    while at != -1:
        line = _line_start(body, at)
        match = _DELIMITER_END.match(body, at + len(marker)) if line is not None else None
        if line is None or match is None:
            at = body.find(marker, at + 1)
            continue
        starts.append((line, match.end()))
        if match.group(1):
            closed = True
            break
        if len(starts) > MAX_PARTS + 1:
            raise MultipartError(f"the message has more than {MAX_PARTS} parts")
        at = body.find(marker, match.end())
    if not starts:
        raise MultipartError(f"no part starts with the boundary {echo_repr(boundary)}")
    if not closed:
        raise MultipartError("the closing boundary is missing (the message may be cut short)")
    return [
        _part(body[end:next_start]) for (_, end), (next_start, _) in zip(starts, starts[1:], strict=False)
    ]


_DELIMITER_END = re.compile(rb"(--)?[ \t]*(?:\r?\n|\Z)")


def _line_start(body: bytes, at: int) -> int | None:
    """Where the delimiter line ending before ``at`` begins (its CRLF or LF), None if
    ``at`` does not begin a line."""
    if at == 0:
        return 0
    if body[at - 1 : at] != b"\n":
        return None
    return at - 2 if body[at - 2 : at] == b"\r\n" else at - 1


def _part(raw: bytes) -> Part:
    head, sep, content = _split_head(raw)
    if not sep:
        raise MultipartError("a part has no blank line between its headers and its content")
    # headers are ASCII; read as Latin-1 so that stray bytes stay text (the parser gives
    # objects of its own for undecodable bytes)
    headers = HeaderParser(policy=compat32).parsestr(head.decode("latin-1") + "\r\n\r\n")
    encoding = (headers.get("Content-Transfer-Encoding") or "binary").strip().lower()
    if encoding in ("binary", "8bit", "7bit"):
        decoded = content
    elif encoding == "base64":
        try:
            decoded = base64.b64decode(re.sub(rb"\s+", b"", content), validate=True)
        except (binascii.Error, ValueError):
            raise MultipartError("a base64 part does not decode") from None
    elif encoding == "quoted-printable":
        decoded = quopri.decodestring(content)
    else:
        raise MultipartError(f"unknown Content-Transfer-Encoding {echo_repr(encoding, TOKEN)}")
    charset = headers.get_param("charset")
    filename = headers.get_filename()
    return Part(
        headers.get_content_type().lower(),
        decoded,
        charset if isinstance(charset, str) else None,
        filename if isinstance(filename, str) else None,
    )


def _split_head(raw: bytes) -> tuple[bytes, bool, bytes]:
    """Headers and content; a part without headers starts with its blank line."""
    if not raw:
        return b"", True, b""  # an empty part: its blank line is the delimiter's line break
    if raw.startswith(b"\r\n"):
        return b"", True, raw[2:]
    if raw.startswith(b"\n"):
        return b"", True, raw[1:]
    crlf, lf = raw.find(b"\r\n\r\n"), raw.find(b"\n\n")
    if crlf != -1 and (lf == -1 or crlf < lf):
        return raw[:crlf], True, raw[crlf + 4 :]
    if lf != -1:
        return raw[:lf], True, raw[lf + 2 :]
    return raw, False, b""


def build_multipart(parts: list[Part]) -> tuple[str, bytes]:
    """(Content-Type header, body) of a multipart/mixed message with binary parts."""
    boundary = f"----=_Part_{uuid.uuid4().hex}"
    out = bytearray()
    for part in parts:
        content_type = part.content_type + (f"; charset={part.charset}" if part.charset else "")
        if part.filename:
            content_type += f"; name={part.filename}"
        out += (
            f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n".encode()
        )
        if part.filename:
            out += f"Content-Disposition: attachment; filename={part.filename}\r\n".encode()
        for name, value in part.headers.items():
            out += f"{name}: {value}\r\n".encode()
        out += b"\r\n" + part.body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f'multipart/mixed; boundary="{boundary}"', bytes(out)
