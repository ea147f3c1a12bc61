"""Throwaway certificates for a local TLS broker: a CA, a broker certificate, a client certificate.

For tests and local trials only (a fresh CA each call, keys unencrypted on disk). The PEM files are what
the settings and the broker take: NEWSWIRE_SSL_CAFILE=ca.pem, NEWSWIRE_SSL_CERTFILE=client.pem and
NEWSWIRE_SSL_KEYFILE=client.key on the client side; broker.pem/broker.key and ca.pem on the broker's
(`LocalBroker(tls=BrokerTls(...))`, Kafka's `ssl.keystore.type=PEM`).

Needs the `cryptography` package (in the `test` extra).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

VALID_FOR = datetime.timedelta(days=2)
BROKER_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class BrokerTls:
    """What the local broker's TLS listener is given: its key and certificate, and the CA it trusts
    for client certificates. `client_auth` True is mutual TLS (`ssl.client.auth=required`)."""

    certfile: Path
    keyfile: Path
    cafile: Path
    client_auth: bool = False


@dataclass(frozen=True)
class Pki:
    """PEM files of one throwaway CA and the certificates it signed, all in `directory`."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    broker_cert: Path
    broker_key: Path
    client_cert: Path
    client_key: Path

    def broker_tls(self, client_auth: bool = False) -> BrokerTls:
        return BrokerTls(self.broker_cert, self.broker_key, self.ca_cert, client_auth)


def _crypto():
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        raise RuntimeError(
            "making test certificates needs the `cryptography` package: "
            "pip install 'newswire-streams[test]' (or pip install cryptography)"
        ) from None
    return x509, hashes, serialization, ec, ExtendedKeyUsageOID, NameOID


def _write_key(path: Path, key) -> None:
    _, _, serialization, *_ = _crypto()
    # Unencrypted PKCS#8: what Kafka's PEM keystore reads without ssl.key.password, and Python's ssl too.
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _write_cert(path: Path, cert) -> None:
    _, _, serialization, *_ = _crypto()
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_ca(directory: Path, name: str = "newswire test CA") -> tuple[Path, Path]:
    """A self-signed CA in directory/ca.pem and directory/ca.key; returns (cert, key) paths."""
    x509, hashes, _, ec, _, NameOID = _crypto()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "ca.pem", directory / "ca.key"
    _write_cert(cert_path, cert)
    _write_key(key_path, key)
    return cert_path, key_path


def _issue(
    ca_cert_path: Path,
    ca_key_path: Path,
    out: Path,
    common_name: str,
    *,
    hosts: tuple[str, ...] = (),
    server: bool = False,
) -> tuple[Path, Path]:
    x509, hashes, serialization, ec, ExtendedKeyUsageOID, NameOID = _crypto()
    ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    # The broker's certificate serves clients and, inter-broker, is its client certificate to itself.
    usages = (
        [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        if server
        else [ExtendedKeyUsageOID.CLIENT_AUTH]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if hosts:
        names = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert_path, key_path = out.with_suffix(".pem"), out.with_suffix(".key")
    _write_cert(cert_path, builder.sign(ca_key, hashes.SHA256()))
    _write_key(key_path, key)
    return cert_path, key_path


def make_pki(directory: Path, hosts: tuple[str, ...] = BROKER_NAMES) -> Pki:
    """A fresh CA, a broker certificate for `hosts` and a client certificate, as PEM files in `directory`."""
    directory = Path(directory)
    ca_cert, ca_key = make_ca(directory)
    broker_cert, broker_key = _issue(ca_cert, ca_key, directory / "broker", "localhost", hosts=hosts, server=True)
    client_cert, client_key = _issue(ca_cert, ca_key, directory / "client", "newswire-client")
    return Pki(directory, ca_cert, ca_key, broker_cert, broker_key, client_cert, client_key)
