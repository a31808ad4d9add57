"""Reaching an endpoint one layer at a time — name resolution, TCP, TLS handshake — so a
deployment that cannot be reached says exactly where it stops (the external target's
preflight). Each function returns what it saw, or raises Unreachable with one line."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass

TIMEOUT = 5.0


class Unreachable(Exception):
    """One line: the layer that failed and the error it gave."""


@dataclass(frozen=True)
class TlsSeen:
    protocol: str
    subject: str
    issuer: str
    alpn: str

    def line(self) -> str:
        alpn = f", ALPN {self.alpn}" if self.alpn else ""
        return f"TLS {self.protocol} ({self.subject}, issued by {self.issuer}{alpn})"


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (Unreachable naming the resolver's error)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Unreachable(f"name resolution of {host!r} failed: {exc.strerror}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def tcp_connect(host: str, port: int, timeout: float = TIMEOUT) -> float:
    """Milliseconds a TCP connection took (Unreachable naming the error)."""
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except TimeoutError:
        raise Unreachable(f"TCP connect to {host}:{port} timed out after {timeout:g}s") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise Unreachable(f"TCP connect to {host}:{port} failed: {reason}") from None
    return (time.monotonic() - started) * 1000


_SHORT = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU"}


def _name(parts: object) -> str:
    """'CN=x, O=y' from the nested tuples ssl.getpeercert() returns."""
    if not isinstance(parts, tuple):
        return "?"
    pairs = [f"{_SHORT.get(key, key)}={value}" for rdn in parts for key, value in rdn]
    return ", ".join(pairs) or "?"


def tls_handshake(
    host: str,
    port: int,
    ca_file: str = "",
    cert_file: str = "",
    key_file: str = "",
    server_name: str = "",
    alpn: tuple[str, ...] = ("h2",),
    verify: bool = True,
    timeout: float = TIMEOUT,
) -> TlsSeen:
    """A TLS handshake as a client of the endpoint would make it (gRPC offers ALPN h2);
    Unreachable names the TLS error (an unknown CA, a name mismatch, a refused client)."""
    context = ssl.create_default_context(cafile=ca_file or None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert_file:
        context.load_cert_chain(cert_file, key_file or None)
    if alpn:
        context.set_alpn_protocols(list(alpn))
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=server_name or host) as tls,
        ):
            cert = tls.getpeercert() or {}
            return TlsSeen(
                tls.version() or "?",
                _name(cert.get("subject")) if cert else "certificate not verified",
                _name(cert.get("issuer")) if cert else "?",
                tls.selected_alpn_protocol() or "",
            )
    except ssl.SSLCertVerificationError as exc:
        raise Unreachable(
            f"TLS handshake failed: certificate verify failed: {exc.verify_message}"
        ) from None
    except ssl.SSLError as exc:
        raise Unreachable(f"TLS handshake failed: {exc.reason or exc}") from None
    except TimeoutError:
        raise Unreachable(f"TLS handshake timed out after {timeout:g}s") from None
    except OSError as exc:
        raise Unreachable(f"TLS handshake failed: {exc.strerror or exc}") from None


def speaks_tls(host: str, port: int, timeout: float = 3.0) -> str:
    """The TLS version the endpoint answers a handshake with ('' when it does not speak
    TLS): tells a TLS frontend the suite was told to reach in plain gRPC."""
    try:
        return tls_handshake(host, port, verify=False, timeout=timeout).protocol
    except Unreachable:
        return ""
