"""decode_frame never raises: any byte string becomes a record, problems become notes."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from hancot.capture.decoder import decode_frame
from hancot.capture.encoder import FrameEncoder
from hancot.capture.reader import read_capture_stream
from hancot.capture.security import KeyRing
from hancot.capture.writer import CaptureWriter
from hancot.han.frame import HanFrame

from .samples import CHF, IHD, IHD_LINK_KEY, NETWORK_KEY, T0, display_message


@settings(max_examples=500)
@given(st.binary(max_size=130), st.booleans())
def test_arbitrary_bytes_never_raise(data: bytes, fcs: bool) -> None:
    rec = decode_frame(data, fcs=fcs, network_key=NETWORK_KEY, link_keys=[IHD_LINK_KEY])
    assert rec.ok or rec.note


def valid_frame() -> bytes:
    encoder = FrameEncoder(KeyRing(NETWORK_KEY), fcs=False)
    return encoder.encode(HanFrame(T0, CHF, IHD, 0x0703, display_message(), aps_secured=True))


@settings(max_examples=300)
@given(st.data())
def test_any_single_byte_change_is_detected(data: st.DataObject) -> None:
    frame = bytearray(valid_frame())
    index = data.draw(st.integers(0, len(frame) - 1))
    flip = data.draw(st.integers(1, 255))
    frame[index] ^= flip
    rec = decode_frame(bytes(frame), fcs=False, network_key=NETWORK_KEY, link_keys=[IHD_LINK_KEY])
    # The NWK MIC covers everything after the MAC header (2 frame control + 1 sequence + 2 PAN +
    # 2 + 2 addresses = 9 bytes), except the security level bits of the NWK security control
    # (byte 9 + 8 = 17): the receiver replaces them with its own level (R22 4.3.1.2).
    level_bits_only = index == 17 and flip < 8
    if index >= 9 and not level_bits_only:
        assert not rec.ok
        assert rec.note
    elif level_bits_only:
        assert rec.ok


@given(st.integers(0, 60))
def test_truncated_frames_never_raise(cut: int) -> None:
    frame = valid_frame()[:cut]
    rec = decode_frame(frame, fcs=False, network_key=NETWORK_KEY, link_keys=[IHD_LINK_KEY])
    assert not rec.ok and rec.note


def test_reading_from_a_stream(tmp_path: object) -> None:
    buffer = io.BytesIO()
    path = f"{tmp_path}/s.pcap"
    with CaptureWriter(path, KeyRing(NETWORK_KEY)) as writer:
        writer.write(HanFrame(T0, CHF, IHD, 0x0703, display_message()))
    with open(path, "rb") as f:
        buffer.write(f.read())
    buffer.seek(0)
    (rec,) = read_capture_stream(buffer, NETWORK_KEY)
    assert rec.ok and rec.payload == display_message()
