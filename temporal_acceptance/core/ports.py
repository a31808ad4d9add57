"""Is a TCP port free on loopback, and if not, who holds it?"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from temporal_acceptance.core.errors import UserError

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def listening_inodes(port: int, proc: Path = Path("/proc")) -> set[str]:
    """Socket inodes listening on `port` (IPv4 and IPv6), from /proc/net/tcp{,6}."""
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        path = proc / "net" / table
        if not path.is_file():
            continue
        for row in path.read_text().splitlines()[1:]:
            fields = row.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port:
                inodes.add(fields[9])
    return inodes


def _owner_dir(port: int, proc: Path) -> Path | None:
    """/proc/<pid> of the process listening on `port`, when it can be seen."""
    inodes = listening_inodes(port, proc)
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (pid_dir / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if fd.readlink().as_posix() in targets:
                        return pid_dir
    return None


def _read(pid_dir: Path | None, name: str) -> bytes | None:
    """/proc/<pid>/<name>, or None when there is no such process or it cannot be read."""
    with contextlib.suppress(OSError):
        return None if pid_dir is None else (pid_dir / name).read_bytes()
    return None


def port_owner(port: int, proc: Path = Path("/proc")) -> str | None:
    """'pid 123 (postgres)' for the process listening on `port`, when it can be seen."""
    pid_dir = _owner_dir(port, proc)
    comm = _read(pid_dir, "comm")
    if pid_dir is None or comm is None:
        return None
    return f"pid {pid_dir.name} ({comm.decode().strip()})"


def port_owner_command(port: int, proc: Path = Path("/proc")) -> str | None:
    """The command line of the process listening on `port`, when it can be seen."""
    cmdline = _read(_owner_dir(port, proc), "cmdline")
    return None if cmdline is None else cmdline.replace(b"\0", b" ").decode(errors="replace")


def require_free(port: int, purpose: str, setting: str, host: str = "127.0.0.1") -> None:
    """Raise a UserError naming the port, its owner if known, and the setting to change."""
    if port_is_free(port, host):
        return
    owner = port_owner(port)
    held = f" by {owner}" if owner else ""
    raise UserError(
        f"port {port} on {host} ({purpose}) is already in use{held}",
        f"stop that process or choose another port with {setting}",
    )


# ---------------------------------------------------------------- listening sockets
# What a service listens on, read from /proc the way `ss -lntup` does: the socket inodes a
# process holds (/proc/<pid>/fd) matched against its network namespace's socket tables.
_TABLES = (("tcp", "tcp"), ("tcp6", "tcp"), ("udp", "udp"), ("udp6", "udp"))
_UDP_UNCONNECTED = "07"  # TCP_CLOSE: a bound UDP socket that takes datagrams from anyone


@dataclass(frozen=True)
class Listener:
    """One socket a service accepts traffic on."""

    protocol: str  # "tcp" or "udp"
    address: str  # as the kernel holds it: "127.0.0.1", "0.0.0.0", "::", "::1"
    port: int
    pid: int | None = None  # the process holding it, when known

    @property
    def loopback(self) -> bool:
        try:
            ip = ipaddress.ip_address(self.address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return ip.is_loopback

    def describe(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        held = f", pid {self.pid}" if self.pid else ""
        return f"{host}:{self.port} ({self.protocol}{held})"


def decode_address(hex_address: str) -> tuple[str, int]:
    """'0100007F:1F90' → ('127.0.0.1', 8080); IPv6 too (each 32-bit word in host order)."""
    raw_ip, raw_port = hex_address.rsplit(":", 1)
    words = bytes.fromhex(raw_ip)
    packed = b"".join(words[i : i + 4][::-1] for i in range(0, len(words), 4))
    ip = ipaddress.ip_address(packed)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}", int(raw_port, 16)
    return str(ip), int(raw_port, 16)


def socket_table(text: str, protocol: str) -> dict[str, tuple[str, int]]:
    """Listening (TCP) or unconnected bound (UDP) sockets of one /proc/net table:
    inode → (address, port)."""
    found: dict[str, tuple[str, int]] = {}
    for row in text.splitlines()[1:]:
        fields = row.split()
        if len(fields) < 10:
            continue
        state, remote = fields[3], fields[2]
        if protocol == "tcp" and state != _LISTEN:
            continue
        if protocol == "udp" and (state != _UDP_UNCONNECTED or int(remote.rsplit(":", 1)[1], 16)):
            continue
        found[fields[9]] = decode_address(fields[1])
    return found


def socket_inodes(pid: int, proc: Path = Path("/proc")) -> set[str]:
    """The socket inodes process `pid` holds open (empty when it is gone or unreadable)."""
    inodes: set[str] = set()
    with contextlib.suppress(OSError):
        for fd in (proc / str(pid) / "fd").iterdir():
            with contextlib.suppress(OSError):
                target = fd.readlink().as_posix()
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    return inodes


def listening_sockets(pids: Iterable[int], proc: Path = Path("/proc")) -> list[Listener]:
    """Every socket the processes listen on, each read in the process's own network
    namespace (/proc/<pid>/net)."""
    found: dict[tuple[str, str, int], Listener] = {}
    for pid in pids:
        inodes = socket_inodes(pid, proc)
        if not inodes:
            continue
        for table, protocol in _TABLES:
            path = proc / str(pid) / "net" / table
            try:
                rows = socket_table(path.read_text(), protocol)
            except OSError:
                continue
            for inode, (address, port) in rows.items():
                if inode in inodes:
                    found.setdefault(
                        (protocol, address, port), Listener(protocol, address, port, pid)
                    )
    return sorted(found.values(), key=lambda s: (s.port, s.protocol, s.address))
