"""Is a TCP port free on loopback, and if not, who holds it?"""

from __future__ import annotations

import contextlib
import errno
import socket
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


def port_owner(port: int, proc: Path = Path("/proc")) -> str | None:
    """'pid 123 (postgres)' for the process listening on `port`, when it can be seen."""
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
                        comm = (pid_dir / "comm").read_text().strip()
                        return f"pid {pid_dir.name} ({comm})"
    return None


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
