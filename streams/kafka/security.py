"""Kafka security settings (TLS, SASL PLAIN/SCRAM) translated for each client library we use.

One place, so the worker (Faust/aiokafka), the CLI clients (kafka-python) and the local broker
agree on what `NEWSWIRE_SECURITY_PROTOCOL` and friends mean.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

from streams.errors import NewswireError
from streams.settings import Settings

if TYPE_CHECKING:
    from streams.kafka.tls import BrokerTls

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class SecurityConfigError(NewswireError, ValueError):
    pass


def _check(settings: Settings) -> None:
    protocol = settings.security_protocol.upper()
    if protocol not in PROTOCOLS:
        raise SecurityConfigError(
            f"NEWSWIRE_SECURITY_PROTOCOL={settings.security_protocol!r} is not one of {', '.join(PROTOCOLS)}"
        )
    if protocol.startswith("SASL"):
        if (settings.sasl_mechanism or "").upper() not in MECHANISMS:
            raise SecurityConfigError(f"{protocol} needs NEWSWIRE_SASL_MECHANISM set to one of {', '.join(MECHANISMS)}")
        if not settings.sasl_username or settings.sasl_password is None:
            raise SecurityConfigError(f"{protocol} needs NEWSWIRE_SASL_USERNAME and NEWSWIRE_SASL_PASSWORD")


def uses_tls(settings: Settings) -> bool:
    return settings.security_protocol.upper() in ("SSL", "SASL_SSL")


def uses_sasl(settings: Settings) -> bool:
    return settings.security_protocol.upper().startswith("SASL")


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if not uses_tls(settings):
        return None
    try:
        context = ssl.create_default_context(cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None)
    except OSError as error:  # ssl.SSLError too
        raise SecurityConfigError(
            f"NEWSWIRE_SSL_CAFILE={settings.ssl_cafile} cannot be read as PEM CA "
            f"certificates ({_reason(error)}); name the CA file that signed the broker's "
            "certificate"
        ) from None
    if settings.ssl_certfile:
        try:
            context.load_cert_chain(
                str(settings.ssl_certfile), str(settings.ssl_keyfile) if settings.ssl_keyfile else None
            )
        except OSError as error:
            raise SecurityConfigError(
                f"NEWSWIRE_SSL_CERTFILE={settings.ssl_certfile} with NEWSWIRE_SSL_KEYFILE={settings.ssl_keyfile} "
                f"cannot be loaded as a PEM certificate and its key ({_reason(error)}); name the client "
                "certificate and the key that belongs to it (the key may be inside the certificate file)"
            ) from None
    elif settings.ssl_keyfile:
        raise SecurityConfigError("NEWSWIRE_SSL_KEYFILE is set without NEWSWIRE_SSL_CERTFILE; set both for mutual TLS")
    return context


def _reason(error: OSError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {error.verify_message}"
    if isinstance(error, ssl.SSLError) and error.reason:
        return error.reason.lower().replace("_", " ")
    return error.strerror or str(error) or type(error).__name__


def tls_problem(settings: Settings, timeout: float = 5.0) -> str | None:
    """Why a TLS connection to the first bootstrap server fails, said for a user; None if it does not.

    kafka-python only reports that bootstrapping timed out; one handshake of our own with the same
    context tells a wrong CA from a missing client certificate from a listener that does not speak TLS.
    """
    server = next((s.strip() for s in settings.bootstrap_servers.split(",") if s.strip()), None)
    if not uses_tls(settings) or server is None:
        return None
    host, _, port = server.rpartition(":")
    host = host.strip("[]")
    context = ssl_context(settings)
    try:
        sock = socket.create_connection((host, int(port)), timeout=timeout)
    except (OSError, ValueError):
        return None  # not reachable at all: not a TLS problem
    with sock:
        try:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                # TLS 1.3: the broker checks the client certificate after the client's side of the
                # handshake is done, and says so in an alert on the first read.
                tls.settimeout(min(timeout, 1.0))
                try:
                    if tls.recv(1) == b"":
                        return (
                            f"TLS handshake with {server} succeeded, but the broker closed the connection "
                            "right after it; check the broker's log"
                        )
                except TimeoutError:
                    return None  # handshake fine, the broker waits for a request: as it should
        except ssl.SSLCertVerificationError as error:
            if error.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
                return (
                    f"TLS handshake with {server} failed: {error.verify_message.rstrip('.')} — connect by a "
                    "name the broker's certificate holds (NEWSWIRE_BOOTSTRAP_SERVERS)"
                )
            cafile = (
                f"NEWSWIRE_SSL_CAFILE={settings.ssl_cafile}"
                if settings.ssl_cafile
                else "NEWSWIRE_SSL_CAFILE is unset (the system's CAs were tried)"
            )
            return (
                f"TLS handshake with {server} failed: certificate verify failed ({error.verify_message}) — "
                f"NEWSWIRE_SSL_CAFILE must name the CA that signed the broker's certificate; {cafile}"
            )
        except ssl.SSLError as error:
            reason = error.reason or ""
            if "ALERT" in reason and not settings.ssl_certfile:
                return (
                    f"TLS handshake with {server} failed: the broker requires a client certificate "
                    f"({_reason(error)}) — set NEWSWIRE_SSL_CERTFILE and NEWSWIRE_SSL_KEYFILE (mutual TLS)"
                )
            if "ALERT" in reason:
                return (
                    f"TLS handshake with {server} failed: the broker refused the client certificate "
                    f"NEWSWIRE_SSL_CERTFILE={settings.ssl_certfile} ({_reason(error)}) — it must be signed "
                    "by a CA the broker trusts, and be valid now"
                )
            if reason in ("WRONG_VERSION_NUMBER", "UNEXPECTED_EOF_WHILE_READING", "RECORD_LAYER_FAILURE"):
                return (
                    f"TLS handshake with {server} failed: the listener does not speak TLS ({_reason(error)}) — "
                    f"is NEWSWIRE_SECURITY_PROTOCOL={settings.security_protocol} what it expects?"
                )
            return f"TLS handshake with {server} failed: {_reason(error)}"
        except (TimeoutError, ConnectionError) as error:
            return (
                f"TLS handshake with {server} failed: {_reason(error)} — does the listener speak TLS "
                f"(NEWSWIRE_SECURITY_PROTOCOL={settings.security_protocol})?"
            )
    return None


def kafka_python_config(settings: Settings) -> dict:
    """Keyword arguments for kafka-python's producer, consumer and admin client."""
    _check(settings)
    config: dict = {"security_protocol": settings.security_protocol.upper()}
    if uses_tls(settings):
        config["ssl_context"] = ssl_context(settings)
    if uses_sasl(settings):
        config |= {
            "sasl_mechanism": settings.sasl_mechanism.upper(),
            "sasl_plain_username": settings.sasl_username,
            "sasl_plain_password": settings.sasl_password.get_secret_value(),
        }
    return config


def faust_credentials(settings: Settings):
    """`broker_credentials` for the Faust app, or None for PLAINTEXT."""
    import faust

    _check(settings)
    if uses_sasl(settings):
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.get_secret_value(),
            mechanism=settings.sasl_mechanism.upper(),
            ssl_context=ssl_context(settings),
        )
    if uses_tls(settings):
        return faust.SSLCredentials(ssl_context(settings))
    return None


def local_broker_listener(
    settings: Settings, port: int, controller_port: int, tls: BrokerTls | None = None
) -> dict[str, str]:
    """server.properties that give the local broker a client listener matching these settings.

    SASL (PLAIN or SCRAM) over plaintext or TLS, and TLS with or without client certificates; TLS needs
    `tls`, the broker's own certificate and key (streams/kafka/tls.py makes throwaway ones). The controller
    listener stays PLAINTEXT on loopback; the broker talks to itself over the client listener.
    """
    _check(settings)
    protocol = settings.security_protocol.upper()
    if protocol == "PLAINTEXT":
        return {}
    if uses_tls(settings) and tls is None:
        raise SecurityConfigError(
            f"the local broker runs {protocol} only with a certificate of its own (LocalBroker(tls=...); "
            "streams/kafka/tls.py makes throwaway ones); point NEWSWIRE_BOOTSTRAP_SERVERS at your own cluster for that"
        )
    props = {
        "listeners": f"{protocol}://localhost:{port},CONTROLLER://localhost:{controller_port}",
        "advertised.listeners": f"{protocol}://localhost:{port}",
        "inter.broker.listener.name": protocol,
        "listener.security.protocol.map": f"{protocol}:{protocol},CONTROLLER:PLAINTEXT",
    }
    if uses_tls(settings):
        # PEM inline (Kafka reads an unencrypted key only that way); server.properties escapes the newlines.
        props |= {
            "ssl.keystore.type": "PEM",
            "ssl.keystore.certificate.chain": Path(tls.certfile).read_text(),
            "ssl.keystore.key": Path(tls.keyfile).read_text(),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.certificates": Path(tls.cafile).read_text(),
            "ssl.client.auth": "required" if tls.client_auth else "none",
        }
    if uses_sasl(settings):
        mechanism = settings.sasl_mechanism.upper()
        user, password = settings.sasl_username, settings.sasl_password.get_secret_value()
        if mechanism == "PLAIN":
            jaas = (
                f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{user}" '
                f'password="{password}" user_{user}="{password}";'
            )
        else:  # SCRAM: the user is stored in the cluster metadata when the storage is formatted
            jaas = (
                f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{user}" '
                f'password="{password}";'
            )
        props |= {
            "sasl.enabled.mechanisms": mechanism,
            "sasl.mechanism.inter.broker.protocol": mechanism,
            f"listener.name.{protocol.lower()}.{mechanism.lower()}.sasl.jaas.config": jaas,
        }
    return props


def local_broker_format_args(settings: Settings) -> list[str]:
    """Extra `kafka-storage format` arguments: the SCRAM user of these settings, if they use SCRAM.

    Given salted (RFC 5802 Hi = PBKDF2-HMAC, as Kafka's ScramFormatter computes it), not as the password:
    the tool splits its argument at every comma and bracket, whatever the quoting.
    """
    _check(settings)
    mechanism = (settings.sasl_mechanism or "").upper()
    if not uses_sasl(settings) or not mechanism.startswith("SCRAM"):
        return []
    digest, iterations, salt = mechanism.removeprefix("SCRAM-").replace("-", "").lower(), 8192, os.urandom(24)
    salted = hashlib.pbkdf2_hmac(digest, settings.sasl_password.get_secret_value().encode(), salt, iterations)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return [
        "--add-scram",
        f'{mechanism}=[name={settings.sasl_username},salt="{b64(salt)}",'
        f'saltedpassword="{b64(salted)}",iterations={iterations}]',
    ]
