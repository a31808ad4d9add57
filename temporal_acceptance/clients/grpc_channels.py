"""Channels of the suite's own gRPC clients (AdminService, membership, each role's health):
plain, or TLS with the files the deployment was described with when its frontend requires
it (the external target's TACC_TEMPORAL_TLS_*). The SDK's own client takes its TLS from
clients/temporal.py; these grpcio channels take theirs from here."""

from __future__ import annotations

from pathlib import Path

import grpc

from temporal_acceptance.clients.endpoints import FrontendTls

_TLS: dict[str, FrontendTls] = {}


def use_tls(address: str, tls: FrontendTls) -> None:
    """Dial `address` with `tls` from now on (nothing changes when TLS is off)."""
    if tls.enabled:
        _TLS[address] = tls
    else:
        _TLS.pop(address, None)


def channel_to(address: str) -> grpc.Channel:
    """A channel to `address`: TLS when its frontend requires it, else plain."""
    tls = _TLS.get(address)
    if tls is None:
        return grpc.insecure_channel(address)

    def read(path: str) -> bytes | None:
        return Path(path).read_bytes() if path else None

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(tls.ca_file),
        private_key=read(tls.key_file),
        certificate_chain=read(tls.cert_file),
    )
    options = [("grpc.ssl_target_name_override", tls.server_name)] if tls.server_name else []
    return grpc.secure_channel(address, credentials, options)
