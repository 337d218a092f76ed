"""SOAP over aiohttp, shared by the SOAP bindings (WS, SSEK): the body read with its
problems as Sender faults, and envelopes and faults as HTTP responses."""

from __future__ import annotations

from aiohttp import web
from lxml import etree

from simulator.bindings.http_body import BodyError, expect_handler, read_body
from simulator.bindings.lefi_xml import technical_error_detail
from simulator.bindings.soap import FaultCode, SoapFault, SoapVersion, render_fault, soap_version_of
from simulator.engine.errors import TechnicalError, TeknisktFel

__all__ = ["read_soap_body", "soap_expect", "fault_response", "xml_response", "technical_fault", "unexpected_error"]


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


def fault_response(version: SoapVersion, fault: SoapFault, headers: list[etree._Element] | None = None,
                   http_headers: dict[str, str] | None = None) -> web.Response:
    """``headers``: SOAP header blocks (SSEK); ``http_headers``: e.g. Retry-After."""
    status, body = render_fault(version, fault, headers)
    return xml_response(status, body, version, http_headers)


def xml_response(status: int, body: bytes, version: SoapVersion,
                 http_headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=body, content_type=version.content_type, charset="utf-8",
                        headers=http_headers)


def technical_fault(error: TechnicalError) -> SoapFault:
    """A tekniskt fel as FK sends it over SOAP: a Receiver fault with FK's text and ext:TeknisktFel."""
    return SoapFault(FaultCode.RECEIVER, error.status.text, detail=[technical_error_detail(error)])


def unexpected_error() -> TechnicalError:
    """What a sandbox bug is answered with (the traceback goes to the log only)."""
    return TechnicalError(TeknisktFel.TEKNISKT_FEL, "Oväntat fel i sandlådan; se serverns logg")
