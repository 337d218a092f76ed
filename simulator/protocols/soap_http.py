"""SOAP over aiohttp, shared by the SOAP bindings (WS, SSEK): the body read with its
problems as Sender faults, and envelopes and faults as HTTP responses."""

from __future__ import annotations

from functools import lru_cache

from aiohttp import web
from lxml import etree

from simulator.domain.errors import TechnicalError, TeknisktFel
from simulator.domain.schemas import SCHEMA_DIR
from simulator.protocols.echo import echo_repr
from simulator.protocols.http_body import BodyError, expect_handler, read_body
from simulator.protocols.ladder import Renderer
from simulator.protocols.lefi_xml import technical_error_detail
from simulator.protocols.soap import (
    FaultCode,
    SoapFault,
    SoapVersion,
    render_fault,
    sla_fault,
    soap_version_of,
)
from simulator.runtime.faults import InjectedFault
from simulator.runtime.sla.gate import SlaBreach

__all__ = [
    "SoapRenderer",
    "read_soap_body",
    "soap_expect",
    "fault_response",
    "xml_response",
    "technical_fault",
    "unexpected_error",
    "request_origin",
    "wsdl_for",
    "wsdl_response",
]


async def read_soap_body(request: web.Request) -> bytes:
    """The whole body, or a Sender fault saying why not (too large, badly encoded, too slow)."""
    try:
        return await read_body(request)
    except BodyError as exc:
        raise SoapFault(FaultCode.SENDER, exc.reason, http_status=exc.status) from None


def _refuse(request: web.Request, error: BodyError) -> web.StreamResponse:
    version = soap_version_of(request.headers.get("Content-Type", "")) or SoapVersion.V11
    return fault_response(version, SoapFault(FaultCode.SENDER, error.reason, http_status=error.status))


soap_expect = expect_handler(_refuse)


def fault_response(
    version: SoapVersion,
    fault: SoapFault,
    headers: list[etree._Element] | None = None,
    http_headers: dict[str, str] | None = None,
) -> web.Response:
    """``headers``: SOAP header blocks (SSEK); ``http_headers``: e.g. Retry-After."""
    status, body = render_fault(version, fault, headers)
    return xml_response(status, body, fault.reply_as or version, http_headers)


def xml_response(
    status: int, body: bytes, version: SoapVersion, http_headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status, body=body, content_type=version.content_type, charset="utf-8", headers=http_headers
    )


def technical_fault(error: TechnicalError) -> SoapFault:
    """A tekniskt fel as FK sends it over SOAP: a Receiver fault with FK's text and ext:TeknisktFel."""
    return SoapFault(FaultCode.RECEIVER, error.status.text, detail=[technical_error_detail(error)])


def unexpected_error() -> TechnicalError:
    """What a sandbox bug is answered with (the traceback goes to the log only)."""
    return TechnicalError(TeknisktFel.TEKNISKT_FEL, "Oväntat fel i sandlådan; se serverns logg")


class SoapRenderer(Renderer[web.Response]):
    """The ladder's errors as plain SOAP faults (the WS binding's; SSEK and SSBTEK refine it).
    ``version`` is the request's SOAP version: the media type's, then the envelope's once read."""

    def __init__(self, request: web.Request) -> None:
        self.version = soap_version_of(request.headers.get("Content-Type", "")) or SoapVersion.V11

    def specific(self, exc: Exception) -> web.Response | None:
        return fault_response(self.version, exc) if isinstance(exc, SoapFault) else None

    def sla(self, breach: SlaBreach) -> web.Response:
        return fault_response(
            self.version, sla_fault(breach), http_headers={"Retry-After": breach.retry_after_header}
        )

    def injected(self, exc: InjectedFault) -> web.Response:
        return fault_response(self.version, SoapFault(FaultCode.by_name(exc.code), exc.reason))

    def technical(self, exc: TechnicalError) -> web.Response | None:
        return fault_response(self.version, technical_fault(exc))

    def unexpected(self) -> web.Response:
        return fault_response(self.version, technical_fault(unexpected_error()))


def request_origin(request: web.Request) -> str:
    """scheme://host:port the client reached us at, for a WSDL's addresses."""
    host = request.headers.get("Host", "").strip()
    if host:
        try:
            return str(request.url.origin())
        except ValueError:
            raise web.HTTPBadRequest(
                text=f"the Host header {echo_repr(host)} is not a host[:port]\n"
            ) from None
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        raise web.HTTPBadRequest(text="send a Host header\n")
    address, port = sockname[0], sockname[1]
    return f"{request.scheme}://{f'[{address}]' if ':' in address else address}:{port}"


@lru_cache(maxsize=64)
def wsdl_for(name: str, address: str, xsd_url: str) -> bytes:
    """The WSDL ``schemas/<name>`` with its SOAP addresses and schema import set for this request."""
    doc = etree.parse(str(SCHEMA_DIR / name), etree.XMLParser(resolve_entities=False, no_network=True))
    for imp in doc.iter("{http://www.w3.org/2001/XMLSchema}import"):
        imp.set("schemaLocation", xsd_url)
    for ns in ("http://schemas.xmlsoap.org/wsdl/soap/", "http://schemas.xmlsoap.org/wsdl/soap12/"):
        for addr in doc.iter(f"{{{ns}}}address"):
            addr.set("location", address)
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")


def wsdl_response(request: web.Request, wsdl: str, xsd: str) -> web.Response:
    """``GET <path>?wsdl``: the WSDL ``schemas/<wsdl>`` for this address, importing
    ``schemas/<xsd>`` from this server; any other GET is told to POST."""
    if "wsdl" not in {k.lower() for k in request.query}:  # ?WSDL as .NET tools write it
        raise web.HTTPMethodNotAllowed(
            "GET",
            ["POST"],
            text=f"POST a SOAP request to {request.path}; GET {request.path}?wsdl for the WSDL\n",
        )
    origin = request_origin(request)
    return web.Response(
        body=wsdl_for(wsdl, origin + request.path, f"{origin}/schemas/{xsd}"),
        content_type="text/xml",
        charset="utf-8",
    )
