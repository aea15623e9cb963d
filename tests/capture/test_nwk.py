"""Zigbee NWK header and NWK frame security."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hancot.capture.errors import FrameDecodeError, MicError
from hancot.capture.nwk import (
    DiscoverRoute,
    NwkFrameType,
    NwkHeader,
    decode_nwk_frame,
    encode_nwk_frame,
    network_aux,
)

from .samples import NETWORK_KEY, WRONG_KEY

SOURCE = 0x0015_8D00_1122_3344


def test_secured_data_header_bytes() -> None:
    header = NwkHeader(dst=0x0000, src=0x7E01, seq=5, security=True)
    # 0x0248: data frame, protocol version 2, discover route enabled, security.
    assert header.encode() == bytes.fromhex("48020000017e1e05")


u16 = st.integers(0, 0xFFFF)
u64 = st.integers(0, 2**64 - 1)


@st.composite
def headers(draw: st.DrawFn) -> NwkHeader:
    routed = draw(st.booleans())
    return NwkHeader(
        dst=draw(u16),
        src=draw(u16),
        seq=draw(st.integers(0, 255)),
        radius=draw(st.integers(0, 255)),
        frame_type=draw(st.sampled_from([NwkFrameType.DATA, NwkFrameType.COMMAND])),
        discover_route=draw(st.sampled_from(list(DiscoverRoute))),
        security=draw(st.booleans()),
        dst_ieee=draw(st.none() | u64),
        src_ieee=draw(st.none() | u64),
        end_device_initiator=draw(st.booleans()),
        multicast_control=draw(st.none() | st.integers(0, 255)),
        relay_index=draw(st.integers(0, 255)) if routed else None,
        relays=tuple(draw(st.lists(u16, max_size=5))) if routed else (),
    )


@given(headers(), st.binary(max_size=60))
def test_header_round_trip(header: NwkHeader, payload: bytes) -> None:
    raw = header.encode()
    assert NwkHeader.decode(raw + payload) == (header, len(raw))


@given(st.binary(max_size=80), st.integers(0, 2**32 - 2), st.integers(0, 255))
def test_secured_frame_round_trip(payload: bytes, counter: int, key_seq: int) -> None:
    header = NwkHeader(dst=0x2A31, src=0x7E01, seq=9, security=True)
    aux = network_aux(counter, SOURCE, key_seq)
    wire = encode_nwk_frame(header, payload, aux=aux, key=NETWORK_KEY)
    assert payload not in wire[8 + 14 :] or len(payload) < 4  # encrypted on air
    frame = decode_nwk_frame(wire, key=NETWORK_KEY)
    assert frame.header == header
    assert frame.aux == aux
    assert frame.payload == payload
    assert not frame.encrypted


def test_unsecured_frame_round_trip() -> None:
    header = NwkHeader(dst=0x2A31, src=0x7E01, seq=9, src_ieee=SOURCE)
    frame = decode_nwk_frame(encode_nwk_frame(header, b"aps"))
    assert (frame.header, frame.payload, frame.aux) == (header, b"aps", None)


def test_wrong_network_key_is_a_mic_error() -> None:
    header = NwkHeader(dst=0x2A31, src=0x7E01, seq=9, security=True)
    wire = encode_nwk_frame(header, b"aps", aux=network_aux(3, SOURCE, 0), key=NETWORK_KEY)
    with pytest.raises(MicError, match="wrong network key"):
        decode_nwk_frame(wire, key=WRONG_KEY)


def test_without_key_the_payload_stays_encrypted() -> None:
    header = NwkHeader(dst=0x2A31, src=0x7E01, seq=9, security=True)
    wire = encode_nwk_frame(header, b"aps", aux=network_aux(3, SOURCE, 0), key=NETWORK_KEY)
    frame = decode_nwk_frame(wire)
    assert frame.encrypted
    assert len(frame.payload) == 3 + 4  # ciphertext and MIC-32


def test_tampered_counter_fails_the_mic() -> None:
    header = NwkHeader(dst=0x2A31, src=0x7E01, seq=9, security=True)
    wire = bytearray(
        encode_nwk_frame(header, b"aps", aux=network_aux(3, SOURCE, 0), key=NETWORK_KEY)
    )
    wire[9] ^= 0x01  # first byte of the frame counter (authenticated header)
    with pytest.raises(MicError):
        decode_nwk_frame(bytes(wire), key=NETWORK_KEY)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes.fromhex("4802000001"), "at least 8 bytes"),
        (bytes.fromhex("4a02000001000000"), "reserved"),
        (bytes.fromhex("4b02000001000000"), "inter-PAN"),
        (bytes.fromhex("481000000100001e0501"), "source IEEE"),
        (bytes.fromhex("4802000001001e0528"), "auxiliary security header"),
    ],
)
def test_short_or_reserved_frames_raise(data: bytes, message: str) -> None:
    with pytest.raises(FrameDecodeError, match=message):
        decode_nwk_frame(data, key=NETWORK_KEY)
