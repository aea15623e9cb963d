"""IEEE 802.15.4 MAC header and FCS."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hancot.capture.errors import FrameDecodeError
from hancot.capture.mac import (
    AddrMode,
    MacFrameType,
    MacHeader,
    crc16_kermit,
    decode_mac_frame,
    encode_mac_frame,
)


def test_fcs_is_crc16_kermit() -> None:
    # Catalogued check value of CRC-16/KERMIT.
    assert crc16_kermit(b"123456789") == 0x2189


def test_fcs_of_an_ack_frame() -> None:
    # An 802.15.4 ack (frame control 0x0002, sequence 0x56) carries FCS bytes that make the CRC of
    # the whole MPDU zero: the residue property of a reflected CRC with no final XOR.
    frame = encode_mac_frame(
        MacHeader(
            seq=0x56,
            dst_pan=None,
            dst=None,
            src=None,
            frame_type=MacFrameType.ACK,
            pan_id_compression=False,
            dst_mode=AddrMode.NONE,
            src_mode=AddrMode.NONE,
        ),
        b"",
    )
    assert frame[:3] == bytes([0x02, 0x00, 0x56])
    assert crc16_kermit(frame) == 0


def test_zigbee_unicast_header_bytes() -> None:
    header = MacHeader(seq=7, dst_pan=0x4843, dst=0x0000, src=0x7E01, ack_request=True)
    # 0x8861: data, ack request, PAN ID compression, short/short, 2003 frame version.
    assert header.encode() == bytes.fromhex("6188 07 4348 0000 017e".replace(" ", ""))


short = st.integers(0, 0xFFFF)
ext = st.integers(0, 2**64 - 1)


@st.composite
def headers(draw: st.DrawFn) -> MacHeader:
    dst_mode = draw(st.sampled_from(list(AddrMode)))
    src_mode = draw(st.sampled_from(list(AddrMode)))
    compression = draw(st.booleans()) and dst_mode is not AddrMode.NONE
    compression = compression and src_mode is not AddrMode.NONE

    def addr(mode: AddrMode) -> int | None:
        return None if mode is AddrMode.NONE else draw(ext if mode is AddrMode.EXTENDED else short)

    dst_pan = draw(short) if dst_mode is not AddrMode.NONE else None
    src_pan = None
    if src_mode is not AddrMode.NONE and not compression:
        src_pan = draw(short)
    return MacHeader(
        seq=draw(st.integers(0, 255)),
        dst_pan=dst_pan,
        dst=addr(dst_mode),
        src=addr(src_mode),
        src_pan=src_pan,
        frame_type=draw(st.sampled_from(list(MacFrameType))),
        ack_request=draw(st.booleans()),
        pan_id_compression=compression,
        frame_pending=draw(st.booleans()),
        frame_version=draw(st.integers(0, 1)),
        dst_mode=dst_mode,
        src_mode=src_mode,
    )


@given(headers(), st.binary(max_size=80), st.booleans())
def test_round_trip(header: MacHeader, payload: bytes, fcs: bool) -> None:
    frame = decode_mac_frame(encode_mac_frame(header, payload, fcs=fcs), fcs=fcs)
    assert frame.header == header
    assert frame.payload == payload
    assert frame.fcs_ok is (True if fcs else None)


def test_corrupted_frame_fails_fcs_but_still_decodes() -> None:
    header = MacHeader(seq=1, dst_pan=0x4843, dst=0x1234, src=0x0000)
    frame = bytearray(encode_mac_frame(header, b"payload"))
    frame[-3] ^= 0x01
    decoded = decode_mac_frame(bytes(frame))
    assert decoded.fcs_ok is False
    assert decoded.header == header


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes.fromhex("4188"), "shorter than its 3-byte minimum"),
        (bytes.fromhex("418801434800"), "destination address"),
        (bytes.fromhex("4900014348"), "MAC-layer security"),
        (bytes.fromhex("41a0014348"), "frame version 2"),
        (bytes.fromhex("0104014348"), "mode 1 is reserved"),
    ],
)
def test_undecodable_frames_raise_typed_errors(data: bytes, message: str) -> None:
    with pytest.raises(FrameDecodeError, match=message):
        decode_mac_frame(data, fcs=False)


def test_oversized_frame_is_refused() -> None:
    header = MacHeader(seq=1, dst_pan=0x4843, dst=0x1234, src=0x0000)
    with pytest.raises(ValueError, match="aMaxPHYPacketSize"):
        encode_mac_frame(header, bytes(120))
