"""Kafka security settings (TLS, SASL PLAIN/SCRAM) translated for each client library we use.

One place, so the worker (Faust/aiokafka), the CLI clients (kafka-python) and the local broker
agree on what `NEWSWIRE_SECURITY_PROTOCOL` and friends mean.
"""

from __future__ import annotations

import ssl

from streams.errors import NewswireError
from streams.settings import Settings

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


class SecurityConfigError(NewswireError, ValueError):
    pass


def _check(settings: Settings) -> None:
    protocol = settings.security_protocol.upper()
    if protocol not in PROTOCOLS:
        raise SecurityConfigError(
            f"NEWSWIRE_SECURITY_PROTOCOL={settings.security_protocol!r} is not one of {', '.join(PROTOCOLS)}")
    if protocol.startswith("SASL"):
        if (settings.sasl_mechanism or "").upper() not in MECHANISMS:
            raise SecurityConfigError(
                f"{protocol} needs NEWSWIRE_SASL_MECHANISM set to one of {', '.join(MECHANISMS)}")
        if not settings.sasl_username or settings.sasl_password is None:
            raise SecurityConfigError(f"{protocol} needs NEWSWIRE_SASL_USERNAME and NEWSWIRE_SASL_PASSWORD")


def uses_tls(settings: Settings) -> bool:
    return settings.security_protocol.upper() in ("SSL", "SASL_SSL")


def uses_sasl(settings: Settings) -> bool:
    return settings.security_protocol.upper().startswith("SASL")


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if not uses_tls(settings):
        return None
    context = ssl.create_default_context(cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None)
    if settings.ssl_certfile:
        context.load_cert_chain(str(settings.ssl_certfile), str(settings.ssl_keyfile) if settings.ssl_keyfile else None)
    return context


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


def local_broker_listener(settings: Settings, port: int, controller_port: int) -> dict[str, str]:
    """server.properties that give the local broker a client listener matching these settings.

    Only PLAINTEXT and SASL_PLAINTEXT with PLAIN are run locally (TLS needs certificates we would
    have to mint); the controller listener stays PLAINTEXT on loopback.
    """
    _check(settings)
    protocol = settings.security_protocol.upper()
    if protocol == "PLAINTEXT":
        return {}
    if protocol != "SASL_PLAINTEXT" or settings.sasl_mechanism.upper() != "PLAIN":
        raise SecurityConfigError(
            f"the local broker runs PLAINTEXT or SASL_PLAINTEXT with PLAIN, not {protocol}/"
            f"{settings.sasl_mechanism}; point NEWSWIRE_BOOTSTRAP_SERVERS at your own cluster for that")
    user, password = settings.sasl_username, settings.sasl_password.get_secret_value()
    jaas = (f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{user}" '
            f'password="{password}" user_{user}="{password}";')
    return {
        "listeners": f"SASL_PLAINTEXT://localhost:{port},CONTROLLER://localhost:{controller_port}",
        "advertised.listeners": f"SASL_PLAINTEXT://localhost:{port}",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
    }
