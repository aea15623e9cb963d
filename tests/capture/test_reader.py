"""CaptureWriter -> read_capture round trips, and damaged captures turning into notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hancot.capture.encoder import DEFAULT_PAN_ID, FrameEncoder
from hancot.capture.errors import CaptureError, PcapFormatError, UnknownLinkTypeError
from hancot.capture.mac import AddrMode, MacFrameType, MacHeader, encode_mac_frame
from hancot.capture.pcap import PcapWriter, unix_seconds
from hancot.capture.reader import read_capture
from hancot.capture.security import KeyRing
from hancot.capture.writer import CaptureWriter, network_key_text, wireshark_key_options
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame

from .samples import CHF, ESME, IHD, IHD_LINK_KEY, NETWORK_KEY, T0, WRONG_KEY


def write(path: Path, frames: list[HanFrame], keyring: KeyRing, **kwargs: object) -> Path:
    with CaptureWriter(path, keyring, **kwargs) as writer:  # type: ignore[arg-type]
        for frame in frames:
            writer.write(frame)
    return path


@pytest.mark.parametrize("linktype", [195, 230])
def test_round_trip(
    tmp_path: Path, frames: list[HanFrame], keyring: KeyRing, linktype: int
) -> None:
    path = write(tmp_path / "cot.pcap", frames, keyring, linktype=linktype)
    records = list(read_capture(path, NETWORK_KEY, {IHD.eui64: IHD_LINK_KEY}))
    assert len(records) == len(frames)
    for rec, frame in zip(records, frames, strict=True):
        assert rec.ok, rec.note
        assert rec.time == frame.time
        assert rec.unix_time == unix_seconds(frame.time)
        assert rec.fcs_ok is (True if linktype == 195 else None)
        assert rec.pan_id == DEFAULT_PAN_ID
        assert (rec.mac_src, rec.mac_dst) == (frame.src.nwk, frame.dst.nwk)
        assert (rec.nwk_src, rec.nwk_dst) == (frame.src.nwk, frame.dst.nwk)
        assert rec.src_eui64 == frame.src.eui64
        assert (rec.profile, rec.cluster) == (frame.profile, frame.cluster)
        assert (rec.src_ep, rec.dst_ep) == (frame.src_ep, frame.dst_ep)
        assert rec.payload == frame.payload
        assert rec.nwk_secured
        assert rec.aps_secured is frame.aps_secured


def test_sequence_numbers_and_counters_are_per_sender(
    tmp_path: Path, frames: list[HanFrame], keyring: KeyRing
) -> None:
    records = list(read_capture(write(tmp_path / "c.pcap", frames, keyring), NETWORK_KEY))
    by_sender = [(r.src_eui64, r.mac_seq, r.nwk_seq, r.nwk_frame_counter) for r in records]
    assert by_sender == [
        (IHD.eui64, 0, 0, 0),
        (ESME.eui64, 0, 0, 0),
        (CHF.eui64, 0, 0, 0),
        (IHD.eui64, 1, 1, 1),
    ]
    # The CHF's frame to the IHD and the IHD's own frame both use the IHD's link key.
    assert [r.aps_frame_counter for r in records] == [None, None, 0, 0]


def test_wrong_network_key_gives_notes_not_tracebacks(
    tmp_path: Path, frames: list[HanFrame], keyring: KeyRing
) -> None:
    records = list(read_capture(write(tmp_path / "c.pcap", frames, keyring), WRONG_KEY))
    assert len(records) == len(frames)
    for rec, frame in zip(records, frames, strict=True):
        assert not rec.ok
        assert rec.note is not None and "NWK MIC check failed" in rec.note
        assert rec.payload is None
        # Headers are still decoded: who sent what to whom.
        assert rec.src_eui64 == frame.src.eui64
        assert rec.nwk_dst == frame.dst.nwk


def test_wrong_or_missing_link_key_is_noted(
    tmp_path: Path, frames: list[HanFrame], keyring: KeyRing
) -> None:
    path = write(tmp_path / "c.pcap", frames, keyring)
    wrong = list(read_capture(path, NETWORK_KEY, [WRONG_KEY]))
    assert [r.ok for r in wrong] == [True, True, False, False]
    assert wrong[2].note is not None and "APS MIC check failed" in wrong[2].note
    assert wrong[2].cluster == 0x0703  # APS header is outside the encryption
    missing = list(read_capture(path, NETWORK_KEY))
    assert missing[3].note == "APS-secured and no link key was given: payload left encrypted"


def test_no_network_key(tmp_path: Path, frames: list[HanFrame], keyring: KeyRing) -> None:
    records = list(read_capture(write(tmp_path / "c.pcap", frames, keyring), None))
    assert all(r.note and "no network key" in r.note for r in records)


def test_unsecured_nwk_carries_the_extended_source(
    tmp_path: Path, frames: list[HanFrame], keyring: KeyRing
) -> None:
    path = write(tmp_path / "c.pcap", frames, keyring, nwk_security=False)
    records = list(read_capture(path, None, [IHD_LINK_KEY]))
    assert all(r.ok for r in records)
    assert [r.src_eui64 for r in records] == [f.src.eui64 for f in frames]
    assert not any(r.nwk_secured for r in records)


def test_truncated_capture_gives_partial_result_and_note(
    tmp_path: Path, frames: list[HanFrame], keyring: KeyRing
) -> None:
    path = write(tmp_path / "c.pcap", frames, keyring)
    path.write_bytes(path.read_bytes()[:-7])
    records = list(read_capture(path, NETWORK_KEY, [IHD_LINK_KEY]))
    assert len(records) == len(frames)
    assert all(r.ok for r in records[:-1])
    last = records[-1]
    assert last.note is not None and "truncated: file ends inside record data" in last.note
    assert "FCS mismatch" in last.note
    assert last.nwk_src == IHD.nwk  # the headers survived
    assert last.payload is None


def test_non_data_frames_are_noted(tmp_path: Path) -> None:
    path = tmp_path / "ack.pcap"
    ack = MacHeader(
        seq=3,
        dst_pan=None,
        dst=None,
        src=None,
        frame_type=MacFrameType.ACK,
        pan_id_compression=False,
        dst_mode=AddrMode.NONE,
        src_mode=AddrMode.NONE,
    )
    with path.open("wb") as f:
        writer = PcapWriter(f, 195)
        writer.write(encode_mac_frame(ack, b""), 1_700_000_000)
        writer.write(b"\x41\x88", 1_700_000_001)  # a frame cut to two bytes
    ack_rec, short = read_capture(path, NETWORK_KEY)
    assert ack_rec.note == "not a data frame: MAC ack frame"
    assert ack_rec.mac_seq == 3
    assert short.note is not None and short.note.startswith("undecodable: ")


def test_unknown_linktype_is_raised_before_iterating(tmp_path: Path) -> None:
    path = tmp_path / "eth.pcap"
    path.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    with pytest.raises(UnknownLinkTypeError, match="link type 1 is not supported"):
        read_capture(path, NETWORK_KEY)


def test_not_a_pcap_is_raised(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a capture file")
    with pytest.raises(PcapFormatError, match="not a pcap file"):
        read_capture(path, NETWORK_KEY)


def test_broadcast_frame(tmp_path: Path, keyring: KeyRing) -> None:
    everyone = DeviceIdentity("all", DeviceKind.CAD, eui64=0, nwk=0xFFFD)
    encoder = FrameEncoder(keyring)
    mpdu = encoder.encode(HanFrame(T0, CHF, everyone, 0x0703, b"\x19\x01\x03"))
    assert mpdu[0:2] == bytes.fromhex("4188")  # no ack request on broadcast
    assert mpdu[5:7] == b"\xff\xff"


def test_aps_security_without_any_link_key_is_counted(keyring: KeyRing) -> None:
    encoder = FrameEncoder(keyring)
    encoder.encode(HanFrame(T0, CHF, ESME, 0x0708, b"\x00\x01\x00", aps_secured=True))
    assert encoder.aps_key_missing == 1


def test_write_after_close_is_refused(
    tmp_path: Path, frames: list[HanFrame], keyring: KeyRing
) -> None:
    writer = CaptureWriter(tmp_path / "c.pcap", keyring)
    writer.close()
    with pytest.raises(CaptureError, match="closed"):
        writer.write(frames[0])


def test_key_text_for_wireshark(keyring: KeyRing) -> None:
    assert network_key_text(NETWORK_KEY) == "01:03:05:07:09:0b:0d:0f:00:02:04:06:08:0a:0c:0d"
    keyring.set_link_key(IHD.eui64, IHD_LINK_KEY)
    options = wireshark_key_options(keyring)
    assert options[0] == "-o"
    assert options[1] == (
        'uat:zigbee_pc_keys:"01:03:05:07:09:0b:0d:0f:00:02:04:06:08:0a:0c:0d","Normal",'
        '"hancot network key"'
    )
    assert len(options) == 4
