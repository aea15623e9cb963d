"""Compiled codecs for fixed-layout ZCL payloads, derived from zigpy's own definitions.

zigpy decodes field by field through its type classes, which is exact but slow (about 8k Read
Attributes Responses per second here).  A command whose fields are all fixed-size integers
(uint/int/bitmap/enum/UTCTime), and an attribute record whose ZCL type has a fixed size, can be
read and written with slices and ``int.from_bytes``.  These layouts are *compiled from* the zigpy
schemas and the ZCL data-type table, not written by hand, and the tests check them against zigpy
on random values, so both paths always agree.  Anything else (strings, lists, optional fields)
falls back to zigpy.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import zigpy.types as t
from zigpy.zcl import foundation

#: Fixed-size ZCL data types: type id -> (bytes, signed) (ZCL r8 Table 2-10).
FIXED_SIZE_TYPES: dict[int, tuple[int, bool]] = {
    0x10: (1, False),  # bool
    **{0x08 + n: (n + 1, False) for n in range(8)},  # data8..data64
    **{0x18 + n: (n + 1, False) for n in range(8)},  # map8..map64
    **{0x20 + n: (n + 1, False) for n in range(8)},  # uint8..uint64
    **{0x28 + n: (n + 1, True) for n in range(8)},  # int8..int64
    0x30: (1, False),  # enum8
    0x31: (2, False),  # enum16
    0xE0: (4, False),  # ToD
    0xE1: (4, False),  # date
    0xE2: (4, False),  # UTCTime
    0xE8: (2, False),  # cluster id
    0xE9: (2, False),  # attribute id
    0xEA: (4, False),  # BACnet OID
}

Layout = tuple[tuple[str, int, bool], ...]


@cache
def command_layout(schema: type) -> Layout | None:
    """(name, bytes, signed) for each field of a zigpy command schema, or None when a field is not
    a fixed-size integer or is optional."""
    fields = []
    for field in schema.fields:
        field_type = field.type
        if field.optional or not (
            isinstance(field_type, type) and issubclass(field_type, t.FixedIntType)
        ):
            return None
        fields.append((field.name, field_type._bits // 8, bool(field_type._signed)))
    return tuple(fields)


def decode_fixed(layout: Layout, payload: bytes) -> dict[str, int] | None:
    """Decode a fixed layout; None when the payload is too short (the caller reports it)."""
    args: dict[str, int] = {}
    offset = 0
    for name, size, signed in layout:
        end = offset + size
        if end > len(payload):
            return None
        args[name] = int.from_bytes(payload[offset:end], "little", signed=signed)
        offset = end
    return args


def encode_fixed(layout: Layout, fields: dict[str, Any]) -> bytes:
    if len(fields) != len(layout) or any(name not in fields for name, _, _ in layout):
        raise ValueError(f"fields {sorted(fields)} do not match {[n for n, _, _ in layout]}")
    return b"".join(
        int(fields[name]).to_bytes(size, "little", signed=signed) for name, size, signed in layout
    )


def decode_read_attributes_response(
    payload: bytes,
) -> list[tuple[int, int, int | None, Any]] | None:
    """(attr id, status, type id, value) records, or None if any record needs zigpy (a variable
    length type) or the payload is malformed (zigpy then gives the precise error)."""
    records = []
    offset = 0
    size = len(payload)
    while offset < size:
        if offset + 3 > size:
            return None
        attr_id = payload[offset] | payload[offset + 1] << 8
        status = payload[offset + 2]
        offset += 3
        if status != foundation.Status.SUCCESS:
            records.append((attr_id, status, None, None))
            continue
        if offset >= size:
            return None
        type_id = payload[offset]
        fixed = FIXED_SIZE_TYPES.get(type_id)
        if fixed is None:
            return None
        width, signed = fixed
        end = offset + 1 + width
        if end > size:
            return None
        records.append(
            (
                attr_id,
                status,
                type_id,
                int.from_bytes(payload[offset + 1 : end], "little", signed=signed),
            )
        )
        offset = end
    return records


def encode_attribute_record(
    attr_id: int, status: int, type_id: int | None, value: Any
) -> bytes | None:
    """One Read Attributes Response record, or None if its type needs zigpy."""
    head = attr_id.to_bytes(2, "little") + bytes((int(status),))
    if status != foundation.Status.SUCCESS:
        return head
    fixed = FIXED_SIZE_TYPES.get(type_id) if type_id is not None else None
    if fixed is None:
        return None
    width, signed = fixed
    return head + bytes((type_id,)) + int(value).to_bytes(width, "little", signed=signed)
