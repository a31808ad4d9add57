"""Protocol-buffer messages read by field number, without their schema.

Temporal's server-internal messages (AdminService answers, the `shards` table's blob) are
not in the Python SDK. The suite reads a handful of their fields, so it decodes the wire
format itself: each field number maps to its values in order (varints as ints,
length-delimited fields as bytes, to be decoded again for a nested message).
"""

from __future__ import annotations

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """Bytes that are not a protocol-buffer message."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            raise WireError(f"varint runs past the end ({len(data)} bytes)")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def fields(data: bytes) -> dict[int, list[int | bytes]]:
    """Field number → its values, in the order they appear."""
    found: dict[int, list[int | bytes]] = {}
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, kind = key >> 3, key & 7
        value: int | bytes
        if kind == _VARINT:
            value, at = _varint(data, at)
        elif kind == _LENGTH:
            size, at = _varint(data, at)
            if at + size > len(data):
                raise WireError(f"field {number} runs past the end")
            value, at = data[at : at + size], at + size
        elif kind in (_FIXED64, _FIXED32):
            width = 8 if kind == _FIXED64 else 4
            value, at = data[at : at + width], at + width
        else:
            raise WireError(f"field {number} has wire type {kind}, which proto3 does not use")
        found.setdefault(number, []).append(value)
    return found


def text(message: dict[int, list[int | bytes]], number: int) -> str:
    """A string field ('' when absent)."""
    values = message.get(number) or [b""]
    value = values[-1]
    return value.decode() if isinstance(value, bytes) else str(value)


def number(message: dict[int, list[int | bytes]], number: int) -> int:
    """An integer (varint) field (0 when absent)."""
    values = message.get(number) or [0]
    value = values[-1]
    return value if isinstance(value, int) else int.from_bytes(value, "little")


def messages(
    message: dict[int, list[int | bytes]], number: int
) -> list[dict[int, list[int | bytes]]]:
    """A repeated (or single) nested message field, each decoded."""
    return [fields(value) for value in message.get(number, []) if isinstance(value, bytes)]


def encode_string(number: int, value: str) -> bytes:
    """One string field, for a request message of a single field."""
    raw = value.encode()
    return _encode_varint((number << 3) | _LENGTH) + _encode_varint(len(raw)) + raw


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
