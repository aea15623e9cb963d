"""Classic pcap writing and reading, including damaged files."""

from __future__ import annotations

import io
import struct

import pytest

from hancot.capture.errors import PcapFormatError, UnknownLinkTypeError
from hancot.capture.pcap import (
    PcapReader,
    PcapWriter,
    encode_global_header,
    unix_seconds,
    zigbee_seconds,
)
from hancot.errors import HancotError


def test_global_header_bytes() -> None:
    assert encode_global_header(195) == bytes.fromhex(
        "d4c3b2a1020004000000000000000000ffff0000c3000000"
    )


def test_time_conversion_uses_the_zigbee_epoch() -> None:
    assert unix_seconds(0) == 946_684_800  # 2000-01-01T00:00:00Z
    assert zigbee_seconds(unix_seconds(12345)) == 12345


def write(records: list[bytes], linktype: int = 230) -> bytes:
    out = io.BytesIO()
    writer = PcapWriter(out, linktype)
    for n, data in enumerate(records):
        writer.write(data, 1_700_000_000 + n, n * 10)
    return out.getvalue()


def test_round_trip() -> None:
    raw = write([b"one", b"", b"three"])
    reader = PcapReader(io.BytesIO(raw))
    assert reader.header.linktype == 230
    records = list(reader)
    assert [r.data for r in records] == [b"one", b"", b"three"]
    assert [r.index for r in records] == [1, 2, 3]
    assert [(r.ts_sec, r.ts_frac) for r in records][2] == (1_700_000_002, 20)
    assert all(r.note is None for r in records)


def test_truncated_record_data_gives_partial_result_and_note() -> None:
    raw = write([b"complete", b"cut short here"])[:-5]
    records = list(PcapReader(io.BytesIO(raw)))
    assert records[0].data == b"complete" and records[0].note is None
    assert records[1].data == b"cut short"
    assert records[1].note is not None
    assert "ends inside record data (9 of 14 bytes)" in records[1].note


def test_truncated_record_header_gives_note() -> None:
    raw = write([b"complete", b"next"])
    raw = raw[: len(raw) - len(b"next") - 10]
    records = list(PcapReader(io.BytesIO(raw)))
    assert len(records) == 2
    assert records[1].ts_sec is None
    assert records[1].note is not None and "record header (6 of 16 bytes)" in records[1].note


def test_snaplen_truncation_is_noted() -> None:
    raw = encode_global_header(230) + struct.pack("<IIII", 1, 0, 2, 10) + b"ab"
    (record,) = PcapReader(io.BytesIO(raw))
    assert record.data == b"ab"
    assert record.note == "truncated: captured 2 of 10 bytes (snapshot length)"


def test_absurd_record_length_stops_reading() -> None:
    raw = encode_global_header(230) + struct.pack("<IIII", 1, 0, 1 << 30, 1 << 30) + b"x" * 20
    (record,) = PcapReader(io.BytesIO(raw))
    assert record.note is not None and record.note.startswith("corrupt")


def test_bad_magic_is_a_clear_error() -> None:
    with pytest.raises(PcapFormatError, match="bad magic number 0x464c457f") as info:
        PcapReader(io.BytesIO(b"\x7fELF" + bytes(40)))
    assert isinstance(info.value, HancotError)


def test_pcapng_is_recognised() -> None:
    with pytest.raises(PcapFormatError, match=r"pcapng.*editcap -F pcap"):
        PcapReader(io.BytesIO(bytes.fromhex("0a0d0d0a") + bytes(40)))


def test_short_file_is_a_clear_error() -> None:
    with pytest.raises(PcapFormatError, match="shorter than the 24-byte"):
        PcapReader(io.BytesIO(b"\xd4\xc3\xb2\xa1"))


def test_unknown_linktype_is_a_clear_error() -> None:
    raw = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # Ethernet
    with pytest.raises(UnknownLinkTypeError, match="link type 1 is not supported") as info:
        PcapReader(io.BytesIO(raw))
    assert info.value.linktype == 1
    assert PcapReader(io.BytesIO(raw), linktypes=None).header.linktype == 1


def test_writer_refuses_unknown_linktype() -> None:
    with pytest.raises(UnknownLinkTypeError, match="195"):
        PcapWriter(io.BytesIO(), 127)


def test_big_endian_nanosecond_file_is_read() -> None:
    raw = struct.pack(">IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 195)
    raw += struct.pack(">IIII", 5, 999_999_999, 3, 3) + b"abc"
    reader = PcapReader(io.BytesIO(raw))
    assert reader.header.byte_order == ">" and reader.header.nanosecond
    (record,) = reader
    assert (record.ts_sec, record.ts_frac, record.data) == (5, 999_999_999, b"abc")
