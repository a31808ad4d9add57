"""The suite's grpcio clients dial a frontend that requires TLS with the deployment's files."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from temporal_acceptance.clients import grpc_channels
from temporal_acceptance.clients.endpoints import FrontendTls


def test_plain_unless_the_frontend_was_described_with_tls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[str, object]] = []
    monkeypatch.setattr(grpc, "insecure_channel", lambda address: opened.append((address, None)))
    monkeypatch.setattr(
        grpc, "secure_channel", lambda address, creds, options: opened.append((address, options))
    )
    grpc_channels.channel_to("127.0.0.1:7233")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    tls = FrontendTls(True, str(ca), server_name="temporal.internal")
    grpc_channels.use_tls("10.0.0.5:7233", tls)
    grpc_channels.channel_to("10.0.0.5:7233")
    grpc_channels.use_tls("10.0.0.5:7233", FrontendTls())  # described again without TLS
    grpc_channels.channel_to("10.0.0.5:7233")
    assert opened == [
        ("127.0.0.1:7233", None),
        ("10.0.0.5:7233", [("grpc.ssl_target_name_override", "temporal.internal")]),
        ("10.0.0.5:7233", None),
    ]
