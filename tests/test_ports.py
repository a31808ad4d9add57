from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.ports import listening_inodes, port_is_free, port_owner, require_free

TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
    "   uid  timeout inode\n"
)


def _row(port: int, state: str, inode: str) -> str:
    return (
        f"   0: 0100007F:{port:04X} 00000000:0000 {state} 00000000:00000000 "
        f"00:00000000 00000000     0        0 {inode} 1\n"
    )


def test_held_port_is_not_free_and_owner_is_us(held_port: int) -> None:
    assert not port_is_free(held_port)
    owner = port_owner(held_port)
    assert owner is not None
    assert f"pid {os.getpid()}" in owner


def test_require_free_names_port_owner_and_setting(held_port: int) -> None:
    with pytest.raises(UserError) as info:
        require_free(held_port, "PostgreSQL", "TACC_POSTGRES_PORT")
    line = info.value.line()
    assert f"port {held_port} on 127.0.0.1 (PostgreSQL) is already in use by pid" in line
    assert "TACC_POSTGRES_PORT" in line


def test_a_port_freed_again_passes(held_port: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert port_is_free(port)
    assert require_free(port, "any", "X") is None
    with pytest.raises(UserError, match=f"port {held_port} on 127.0.0.1 \\(any\\)"):
        require_free(held_port, "any", "X")


def test_proc_parsing_finds_only_listeners(tmp_path: Path) -> None:
    net = tmp_path / "net"
    net.mkdir()
    (net / "tcp").write_text(TCP_HEADER + _row(5432, "0A", "111") + _row(5432, "01", "222"))
    (net / "tcp6").write_text(TCP_HEADER)
    assert listening_inodes(5432, tmp_path) == {"111"}
    assert listening_inodes(7233, tmp_path) == set()
    proc = tmp_path / "4242"
    (proc / "fd").mkdir(parents=True)
    (proc / "comm").write_text("postgres\n")
    (proc / "fd" / "3").symlink_to("socket:[111]")
    assert port_owner(5432, tmp_path) == "pid 4242 (postgres)"
    assert port_owner(7233, tmp_path) is None
