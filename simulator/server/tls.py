"""TLS and mutual TLS: a local test CA, server and partner certificates, the server's
SSL context (the organisation a client certificate names is read in
``simulator/runtime/certificate.py``).

Partners reach FK with an organisation certificate (e-legitimation for organisations);
as in Swedish organisation certificates, the orgnummer is the subject's serialNumber
(OID 2.5.4.5). ``lefi-sim certs init`` makes a CA and a server certificate,
``lefi-sim certs issue`` a partner's client certificate signed by that CA.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulator.domain import orgnummer

__all__ = ["CertFiles", "init_ca", "issue_client", "server_context"]

CA_CERT, CA_KEY = "ca.pem", "ca-key.pem"
SERVER_CERT, SERVER_KEY = "server.pem", "server-key.pem"
VALID_DAYS = 825  # the longest validity browsers and TLS libraries still accept for a leaf


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write(
    folder: Path, name: str, key_name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> CertFiles:
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / name, folder / key_name
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return CertFiles(cert_path, key_path)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
    )


def init_ca(folder: Path, hosts: list[str]) -> tuple[CertFiles, CertFiles]:
    """A test CA and a server certificate for ``hosts`` (DNS names or IP addresses)."""
    ca_key = _key()
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "LEFI sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, "LEFI sandbox test CA"),
        ]
    )
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key(), 3650)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = _key()
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server = (
        _builder(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]),
            ca_name,
            server_key.public_key(),
            VALID_DAYS,
        )
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return _write(folder, CA_CERT, CA_KEY, ca, ca_key), _write(
        folder, SERVER_CERT, SERVER_KEY, server, server_key
    )


def issue_client(folder: Path, number: str, name: str) -> CertFiles:
    """A partner's client certificate, signed by the CA in ``folder``: the orgnummer
    (10 digits) as the subject's serialNumber, the name as its O and CN."""
    if not orgnummer.is_valid(number):
        raise ValueError(f"--orgnummer {number[:40]!r} is not a valid orgnummer (NNNNNN-NNNN)")
    canonical = orgnummer.canonical(number)
    ca = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
    ca_key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = _key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, canonical),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    issuer_key = ca.public_key()
    if not isinstance(issuer_key, ec.EllipticCurvePublicKey):
        raise ValueError(f"{folder / CA_CERT} does not hold the EC key that `lefi-sim certs init` makes")
    cert = (
        _builder(subject, ca.subject, key.public_key(), VALID_DAYS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _write(folder, f"{canonical}.pem", f"{canonical}-key.pem", cert, key)


def server_context(cert: Path, key: Path, client_ca: Path | None) -> ssl.SSLContext:
    """TLS 1.2+; with ``client_ca``, a client certificate it signed is required at the handshake."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.load_verify_locations(cafile=client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context
