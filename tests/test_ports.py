from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from temporal_acceptance.core.errors import UserError
from temporal_acceptance.core.ports import (
    decode_address,
    listening_inodes,
    listening_sockets,
    port_is_free,
    port_owner,
    require_free,
    socket_table,
)

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


# ---------------------------------------------------------------- listening sockets


def _proc_row(local: str, remote: str, state: str, inode: str) -> str:
    return (
        f"   0: {local} {remote} {state} 00000000:00000000 00:00000000 00000000     0        0 "
        f"{inode} 1\n"
    )


def test_addresses_decode_in_both_families() -> None:
    assert decode_address("0100007F:1F90") == ("127.0.0.1", 8080)
    assert decode_address("00000000:1538") == ("0.0.0.0", 5432)
    assert decode_address("00000000000000000000000001000000:1F90") == ("::1", 8080)
    assert decode_address("00000000000000000000000000000000:0050") == ("::", 80)
    assert decode_address("0000000000000000FFFF00000100007F:0050") == ("::ffff:127.0.0.1", 80)


def test_tables_keep_tcp_listeners_and_unconnected_udp_only() -> None:
    text = TCP_HEADER + "".join(
        [
            _proc_row("0100007F:1538", "00000000:0000", "0A", "1"),  # listening
            _proc_row("0100007F:1538", "0100007F:D431", "01", "2"),  # established
        ]
    )
    assert socket_table(text, "tcp") == {"1": ("127.0.0.1", 5432)}
    udp = TCP_HEADER + "".join(
        [
            _proc_row("00000000:2328", "00000000:0000", "07", "3"),  # bound, anyone may send
            _proc_row("0100007F:A000", "0100007F:A000", "01", "4"),  # connected to itself
        ]
    )
    assert socket_table(udp, "udp") == {"3": ("0.0.0.0", 9000)}


def test_a_process_family_listens_on_what_its_fds_hold(tmp_path: Path) -> None:
    pid_dir = tmp_path / "31"
    (pid_dir / "fd").mkdir(parents=True)
    (pid_dir / "net").mkdir()
    (pid_dir / "fd" / "3").symlink_to("socket:[111]")
    (pid_dir / "fd" / "4").symlink_to("socket:[222]")
    (pid_dir / "fd" / "5").symlink_to("/dev/null")
    (pid_dir / "net" / "tcp").write_text(
        TCP_HEADER
        + _proc_row("0100007F:1538", "00000000:0000", "0A", "111")
        + _proc_row("00000000:1F90", "00000000:0000", "0A", "999")  # someone else's
    )
    (pid_dir / "net" / "tcp6").write_text(
        TCP_HEADER
        + _proc_row("00000000000000000000000000000000:1538", "0" * 32 + ":0000", "0A", "222")
    )
    found = listening_sockets([31, 32], tmp_path)  # 32 is gone: skipped
    assert [(s.address, s.port, s.pid) for s in found] == [
        ("127.0.0.1", 5432, 31),
        ("::", 5432, 31),
    ]
    assert [s.loopback for s in found] == [True, False]
    assert found[1].describe() == "[::]:5432 (tcp, pid 31)"


def test_our_own_sockets_are_seen_for_real() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        mine = [s for s in listening_sockets([os.getpid()]) if s.port == port]
    assert [(s.protocol, s.address, s.loopback) for s in mine] == [("tcp", "127.0.0.1", True)]
