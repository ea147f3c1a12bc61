"""Kafka clients for the CLI and tools, security (SASL/TLS), the CloudEvents binding, publish and tail."""
