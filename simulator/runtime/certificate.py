"""The organisation a partner's client certificate names (mutual TLS): as in Swedish
organisation certificates, the orgnummer is the subject's serialNumber (OID 2.5.4.5)."""

from __future__ import annotations

from aiohttp import web

from simulator.domain import orgnummer

__all__ = ["certified_organisation", "NO_ORGANISATION"]

NO_ORGANISATION = ""  # a trusted certificate whose subject names no valid orgnummer


def certified_organisation(request: web.Request) -> str | None:
    """The canonical orgnummer of the client certificate's subject serialNumber;
    ``NO_ORGANISATION`` when a certificate names none; None without mutual TLS."""
    transport = request.transport
    peer = transport.get_extra_info("peercert") if transport is not None else None
    if not peer:
        return None
    for rdn in peer.get("subject", ()):
        for field, value in rdn:
            if field == "serialNumber" and orgnummer.is_valid(value):
                return orgnummer.canonical(value)
    return NO_ORGANISATION
