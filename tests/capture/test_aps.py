"""Zigbee APS header and APS frame security."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hancot.capture.aps import (
    ApsFrameType,
    ApsHeader,
    DeliveryMode,
    decode_aps_frame,
    encode_aps_frame,
    link_aux,
)
from hancot.capture.errors import FrameDecodeError, MicError
from hancot.capture.security import AuxHeader, KeyId, hashed_link_key

from .samples import IHD_LINK_KEY, NETWORK_KEY, WRONG_KEY, read_cot_attributes

SOURCE = 0x0015_8D00_1122_3344


def data_header(counter: int = 4, security: bool = False) -> ApsHeader:
    return ApsHeader(
        counter=counter, dst_ep=1, cluster=0x0708, profile=0x0109, src_ep=1, security=security
    )


def test_data_header_bytes() -> None:
    assert data_header().encode() == bytes.fromhex("0001080709010104")


@st.composite
def headers(draw: st.DrawFn) -> ApsHeader:
    frame_type = draw(st.sampled_from([ApsFrameType.DATA, ApsFrameType.COMMAND, ApsFrameType.ACK]))
    ack_format = frame_type is ApsFrameType.ACK and draw(st.booleans())
    addressed = frame_type is ApsFrameType.DATA or (
        frame_type is ApsFrameType.ACK and not ack_format
    )
    delivery = draw(st.sampled_from(list(DeliveryMode)))
    group = addressed and delivery is DeliveryMode.GROUP
    byte = st.integers(0, 255)
    u16 = st.integers(0, 0xFFFF)
    extended = draw(
        st.none()
        | st.just(b"\x00")
        | st.builds(
            lambda f, b, a: bytes([f, b]) + (bytes([a]) if frame_type is ApsFrameType.ACK else b""),
            st.integers(1, 2),
            byte,
            byte,
        )
    )
    return ApsHeader(
        counter=draw(byte),
        frame_type=frame_type,
        delivery=delivery,
        dst_ep=draw(byte) if addressed and not group else None,
        group=draw(u16) if group else None,
        cluster=draw(u16) if addressed else None,
        profile=draw(u16) if addressed else None,
        src_ep=draw(byte) if addressed else None,
        security=draw(st.booleans()),
        ack_request=draw(st.booleans()),
        ack_format=ack_format,
        extended=extended,
    )


@given(headers(), st.binary(max_size=40))
def test_header_round_trip(header: ApsHeader, payload: bytes) -> None:
    raw = header.encode()
    assert ApsHeader.decode(raw + payload) == (header, len(raw))


@given(st.binary(max_size=60), st.booleans())
def test_link_key_secured_round_trip(payload: bytes, extended_nonce: bool) -> None:
    header = data_header(security=True)
    aux = link_aux(17, SOURCE if extended_nonce else None)
    wire = encode_aps_frame(header, payload, aux=aux, key=IHD_LINK_KEY, source=SOURCE)
    frame = decode_aps_frame(wire, link_keys=[WRONG_KEY, IHD_LINK_KEY], source=SOURCE)
    assert (frame.header, frame.aux, frame.payload) == (header, aux, payload)


def test_security_control_of_a_link_key_data_frame() -> None:
    wire = encode_aps_frame(
        data_header(security=True), b"zcl", aux=link_aux(1, SOURCE), key=IHD_LINK_KEY
    )
    # Frame control 0x20 (data, security), then after the 8-byte header the aux header: 0x20 =
    # level 0 on air, key id data key, extended nonce.
    assert wire[0] == 0x20
    assert wire[8] == 0x20


def test_wrong_link_key_is_a_mic_error() -> None:
    wire = encode_aps_frame(
        data_header(security=True), read_cot_attributes(), aux=link_aux(1, SOURCE), key=IHD_LINK_KEY
    )
    with pytest.raises(MicError, match="1 candidate key"):
        decode_aps_frame(wire, link_keys=[WRONG_KEY])
    frame = decode_aps_frame(wire)  # no keys: left encrypted, header still decoded
    assert frame.encrypted
    assert frame.header.cluster == 0x0708


def test_key_transport_command_uses_the_hashed_key() -> None:
    header = ApsHeader(counter=2, frame_type=ApsFrameType.COMMAND, security=True)
    aux = AuxHeader(KeyId.KEY_TRANSPORT, frame_counter=0, source=SOURCE)
    body = bytes([0x05, 0x01]) + NETWORK_KEY + bytes(17)
    transport = hashed_link_key(IHD_LINK_KEY, KeyId.KEY_TRANSPORT)
    wire = encode_aps_frame(header, body, aux=aux, key=transport)
    assert decode_aps_frame(wire, link_keys=[IHD_LINK_KEY]).payload == body


def test_network_key_id_uses_the_network_key() -> None:
    header = ApsHeader(counter=2, frame_type=ApsFrameType.COMMAND, security=True)
    aux = AuxHeader(KeyId.NETWORK, frame_counter=0, source=SOURCE, key_seq=0)
    wire = encode_aps_frame(header, b"\x0e", aux=aux, key=NETWORK_KEY)
    assert decode_aps_frame(wire, network_key=NETWORK_KEY).payload == b"\x0e"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (bytes.fromhex("0401"), "delivery mode 1"),
        (bytes.fromhex("000108"), "cluster identifier"),
        (bytes.fromhex("200108070901010420"), "auxiliary security header"),
    ],
)
def test_short_or_reserved_frames_raise(data: bytes, message: str) -> None:
    with pytest.raises(FrameDecodeError, match=message):
        decode_aps_frame(data, link_keys=[IHD_LINK_KEY])
