"""Wireshark (tshark) as an independent oracle for the frames hancot writes.

Each test writes a capture, lets tshark dissect and decrypt it with the keys hancot says to use,
and compares tshark's field values with what was encoded.  Negative controls (wrong key, broken
FCS) show that the oracle does reject bad frames, so a passing test means something.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hancot.capture.aps import ApsFrameType, ApsHeader, encode_aps_frame
from hancot.capture.mac import MacHeader, encode_mac_frame
from hancot.capture.nwk import NwkHeader, encode_nwk_frame
from hancot.capture.pcap import PcapWriter
from hancot.capture.reader import read_capture
from hancot.capture.security import AuxHeader, KeyId, KeyRing, hashed_link_key
from hancot.capture.writer import CaptureWriter, network_key_text, wireshark_key_options
from hancot.han.frame import HanFrame
from hancot.timeutil import to_datetime

from .samples import (
    CHF,
    COT_CONTROL,
    COT_TIME,
    ESME,
    IHD,
    IHD_LINK_KEY,
    NETWORK_KEY,
    T0,
    WRONG_KEY,
    display_message,
    read_cot_attributes,
    read_cot_response,
)

TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")

PROVIDER_ID = 0x0000_1D2F
ISSUER_EVENT_ID = 0x5EED_0001
PUBLISH_CONTROL = (1 << 9) | (1 << 10) | (3 << 11)


def publish_change_of_tenancy() -> bytes:
    """Device Management server command 0x00, 17-byte payload (DOMAIN.md section 4)."""
    return struct.pack(
        "<BBBIIBII", 0x09, 0x21, 0x00, PROVIDER_ID, ISSUER_EVENT_ID, 0x00, COT_TIME, PUBLISH_CONTROL
    )


FIELDS = [
    "frame.number",
    "wpan.fcs_ok",
    "wpan.seq_no",
    "wpan.dst_pan",
    "wpan.src16",
    "wpan.dst16",
    "zbee_nwk.src",
    "zbee_nwk.dst",
    "zbee_nwk.seqno",
    "zbee.sec.counter",
    "zbee.sec.src64",
    "zbee.sec.decryption_key",
    "zbee_aps.cluster",
    "zbee_aps.profile",
    "zbee_aps.src",
    "zbee_aps.dst",
    "zbee_aps.counter",
    "zbee_aps.security",
    "zbee_aps.cmd.id",
    "zbee_aps.cmd.key",
    "zbee_zcl.cmd.tsn",
    "zbee_zcl.cmd.id",
    "zbee_zcl_se.device_management.attr_id",
    "zbee_zcl.attr.data.type",
    "zbee_zcl.attr.utc",
    "zbee_zcl.attr.bitmap32",
    "zbee_zcl_se.msg.cmd.srv_tx.id",
    "zbee_zcl_se.msg.message.id",
    "zbee_zcl_se.msg.message.duration",
    "zbee_zcl_se.msg.message",
    "zbee_zcl_se.device_management.cmd.srv_tx.id",
    "zbee_zcl_se.device_management.publish_change_of_tenancy.provider_id",
    "zbee_zcl_se.device_management.publish_change_of_tenancy.issuer_event_id",
    "zbee_zcl_se.device_management.publish_change_of_tenancy.implementation_date",
    "zbee_zcl_se.device_management.publish_change_of_tenancy.proposed_tenancy_change_control",
    "zbee_sec.encrypted_payload",
    "_ws.malformed",
    "_ws.expert",
]


def tshark(path: Path, key_options: list[str]) -> list[dict[str, str]]:
    """Run tshark on ``path`` and return one dict of field values per frame."""
    assert TSHARK is not None
    args = [TSHARK, "-n", "-r", str(path), *key_options, "-T", "fields", "-E", "separator=/t"]
    args += ["-E", "occurrence=a", "-E", "aggregator=,"]
    for field in FIELDS:
        args += ["-e", field]
    env = {**os.environ, "TZ": "UTC", "LC_ALL": "C"}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    return [dict(zip(FIELDS, row, strict=True)) for row in rows]


def wireshark_time(utc: int) -> str:
    """How tshark 4.0 prints an absolute time field under TZ=UTC."""
    moment: datetime = to_datetime(utc).astimezone(UTC)
    return f"{moment:%b} {moment.day:2d}, {moment:%Y %H:%M:%S}.000000000 UTC"


def cot_frames() -> list[HanFrame]:
    return [
        HanFrame(T0, IHD, ESME, 0x0708, read_cot_attributes(0x11)),
        HanFrame(T0 + 1, ESME, IHD, 0x0708, read_cot_response(0x11)),
        HanFrame(T0 + 2, CHF, IHD, 0x0703, display_message("Welcome, tenant"), aps_secured=True),
        HanFrame(T0 + 3, ESME, CHF, 0x0708, publish_change_of_tenancy()),
        HanFrame(T0 + 4, IHD, ESME, 0x0708, read_cot_attributes(0x12), aps_secured=True),
    ]


def hex16(value: int) -> str:
    return f"0x{value:04x}"


@pytest.mark.parametrize("linktype", [195, 230])
def test_wireshark_decodes_and_decrypts_what_was_encoded(tmp_path: Path, linktype: int) -> None:
    keyring = KeyRing(NETWORK_KEY)
    frames = cot_frames()
    path = tmp_path / f"cot-{linktype}.pcap"
    with CaptureWriter(path, keyring, linktype=linktype) as writer:
        for frame in frames:
            writer.write(frame)
    assert keyring.link_key(IHD.eui64) == IHD_LINK_KEY  # learnt from the identity

    rows = tshark(path, wireshark_key_options(keyring))
    ours = list(read_capture(path, NETWORK_KEY, keyring.link_keys))
    assert len(rows) == len(frames) == len(ours)
    link_label = f"hancot link key {IHD.eui64:016x}"
    for row, frame, rec in zip(rows, frames, ours, strict=True):
        # Nothing undecoded, malformed or flagged by any dissector.
        assert row["zbee_sec.encrypted_payload"] == ""
        assert row["_ws.malformed"] == ""
        assert row["_ws.expert"] == ""
        if linktype == 195:
            assert row["wpan.fcs_ok"] == "1"
        assert row["wpan.seq_no"] == str(rec.mac_seq)
        assert row["wpan.dst_pan"] == hex16(rec.pan_id or 0)
        addresses = (hex16(frame.src.nwk), hex16(frame.dst.nwk))
        assert (row["wpan.src16"], row["wpan.dst16"]) == addresses
        assert (row["zbee_nwk.src"], row["zbee_nwk.dst"]) == addresses
        assert row["zbee_nwk.seqno"] == str(rec.nwk_seq)
        # NWK security header first, APS security header second when present.
        counters = row["zbee.sec.counter"].split(",")
        sources = row["zbee.sec.src64"].split(",")
        labels = row["zbee.sec.decryption_key"].split(",")
        assert counters[0] == str(rec.nwk_frame_counter)
        assert sources[0] == frame.src.eui64_text
        assert labels[0] == "hancot network key"
        assert row["zbee_aps.security"] == ("1" if frame.aps_secured else "0")
        if frame.aps_secured:
            assert counters[1] == str(rec.aps_frame_counter)
            assert sources[1] == frame.src.eui64_text
            assert labels[1] == link_label
        else:
            assert len(labels) == 1
        assert row["zbee_aps.cluster"] == hex16(frame.cluster)
        assert row["zbee_aps.profile"] == hex16(0x0109)
        assert (row["zbee_aps.src"], row["zbee_aps.dst"]) == ("1", "1")
        assert row["zbee_aps.counter"] == str(rec.aps_counter)
        assert row["zbee_zcl.cmd.tsn"] == str(frame.payload[1])

    read1, response, message, publish, read2 = rows
    for read in (read1, read2):
        assert read["zbee_zcl.cmd.id"] == "0x00"
        assert read["zbee_zcl_se.device_management.attr_id"] == "0x0200,0x0201"
    assert response["zbee_zcl.cmd.id"] == "0x01"
    assert response["zbee_zcl_se.device_management.attr_id"] == "0x0200,0x0201"
    assert response["zbee_zcl.attr.data.type"] == "0xe2,0x1b"
    assert response["zbee_zcl.attr.utc"] == wireshark_time(COT_TIME)
    assert response["zbee_zcl.attr.bitmap32"] == f"0x{COT_CONTROL:08x}"
    assert message["zbee_zcl_se.msg.cmd.srv_tx.id"] == "0x00"
    assert message["zbee_zcl_se.msg.message.id"] == "0x12345678"
    assert message["zbee_zcl_se.msg.message.duration"] == "60"
    assert message["zbee_zcl_se.msg.message"] == "Welcome, tenant"
    pub = "zbee_zcl_se.device_management.publish_change_of_tenancy."
    assert publish["zbee_zcl_se.device_management.cmd.srv_tx.id"] == "0x00"
    assert publish[pub + "provider_id"] == f"0x{PROVIDER_ID:08x}"
    assert publish[pub + "issuer_event_id"] == f"0x{ISSUER_EVENT_ID:08x}"
    assert publish[pub + "implementation_date"] == wireshark_time(COT_TIME)
    # Wireshark 4.0 reads this bitmap byte-swapped (DOMAIN.md section 4); accept either reading so
    # the check keeps working once the dissector is fixed, but nothing else.
    swapped = int.from_bytes(PUBLISH_CONTROL.to_bytes(4, "little"), "big")
    assert publish[pub + "proposed_tenancy_change_control"] in {
        f"0x{PUBLISH_CONTROL:08x}",
        f"0x{swapped:08x}",
    }


def test_network_key_text_is_accepted_by_wireshark(tmp_path: Path, keyring: KeyRing) -> None:
    path = tmp_path / "one.pcap"
    with CaptureWriter(path, keyring) as writer:
        writer.write(cot_frames()[0])
    entry = f'uat:zigbee_pc_keys:"{network_key_text(NETWORK_KEY)}","Normal","by hand"'
    (row,) = tshark(path, ["-o", entry])
    assert row["zbee.sec.decryption_key"] == "by hand"
    assert row["zbee_aps.cluster"] == "0x0708"


def test_negative_control_wrong_network_key(tmp_path: Path, keyring: KeyRing) -> None:
    path = tmp_path / "wrong.pcap"
    with CaptureWriter(path, keyring) as writer:
        for frame in cot_frames():
            writer.write(frame)
    wrong = KeyRing(WRONG_KEY, link_keys={IHD.eui64: IHD_LINK_KEY})
    rows = tshark(path, wireshark_key_options(wrong))
    assert all(row["zbee_sec.encrypted_payload"] == "1" for row in rows)
    assert all(row["zbee_aps.cluster"] == "" for row in rows)


def test_negative_control_missing_link_key(tmp_path: Path, keyring: KeyRing) -> None:
    path = tmp_path / "nolink.pcap"
    with CaptureWriter(path, keyring) as writer:
        for frame in cot_frames():
            writer.write(frame)
    entry = f'uat:zigbee_pc_keys:"{network_key_text(NETWORK_KEY)}","Normal","nwk only"'
    rows = tshark(path, ["-o", entry])
    secured = [row for row, frame in zip(rows, cot_frames(), strict=True) if frame.aps_secured]
    assert secured and all(row["zbee_sec.encrypted_payload"] == "1" for row in secured)
    assert all(row["zbee_aps.cluster"] != "" for row in rows)  # the APS header is in clear


def test_negative_control_broken_fcs(tmp_path: Path, keyring: KeyRing) -> None:
    good, bad = tmp_path / "good.pcap", tmp_path / "bad.pcap"
    with CaptureWriter(good, keyring) as writer:
        writer.write(cot_frames()[0])
    raw = bytearray(good.read_bytes())
    raw[-1] ^= 0xFF  # last FCS byte
    bad.write_bytes(bytes(raw))
    options = wireshark_key_options(keyring)
    assert tshark(good, options)[0]["wpan.fcs_ok"] == "1"
    assert tshark(bad, options)[0]["wpan.fcs_ok"] == "0"
    (rec,) = read_capture(bad, NETWORK_KEY)
    assert rec.fcs_ok is False


def test_key_transport_key_hash_matches_wireshark(tmp_path: Path) -> None:
    # APS Transport Key (command 0x05, R22 4.4.10.1) protected with the key-transport key hashed
    # from the IHD's link key; Wireshark derives that hash itself from the link key we give it.
    command = bytes([0x05, 0x01]) + NETWORK_KEY + bytes([0x00])
    command += IHD.eui64.to_bytes(8, "little") + CHF.eui64.to_bytes(8, "little")
    aux = AuxHeader(KeyId.KEY_TRANSPORT, frame_counter=0, source=CHF.eui64)
    aps = encode_aps_frame(
        ApsHeader(counter=1, frame_type=ApsFrameType.COMMAND, security=True),
        command,
        aux=aux,
        key=hashed_link_key(IHD_LINK_KEY, KeyId.KEY_TRANSPORT),
    )
    nwk = encode_nwk_frame(NwkHeader(dst=IHD.nwk, src=CHF.nwk, seq=1), aps)
    mac = MacHeader(seq=1, dst_pan=0x4843, dst=IHD.nwk, src=CHF.nwk, ack_request=True)
    path = tmp_path / "transport-key.pcap"
    with path.open("wb") as f:
        PcapWriter(f, 195).write(encode_mac_frame(mac, nwk), 1_700_000_000)
    entry = f'uat:zigbee_pc_keys:"{network_key_text(IHD_LINK_KEY)}","Normal","ihd"'
    (row,) = tshark(path, ["-o", entry])
    assert row["zbee_sec.encrypted_payload"] == ""
    assert row["zbee_aps.cmd.id"] == "0x05"
    assert row["zbee_aps.cmd.key"] == NETWORK_KEY.hex()
