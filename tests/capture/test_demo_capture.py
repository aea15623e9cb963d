"""Capturing a whole simulated premises: the HAN tap, ``hancot capture`` and its output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hancot.capture.reader import read_capture
from hancot.capture.scenario import CaptureTap, capture_demo, premises_keyring
from hancot.capture.writer import network_key_text
from hancot.cli.main import main
from hancot.han.premises import Premises
from hancot.scenario.demo import DemoOptions
from hancot.zcl.codec import decode_frame


def test_capture_demo_writes_every_frame_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "demo.pcap"
    result = capture_demo(DemoOptions(days=4), path)
    assert result.frames == result.demo.frames > 1000
    records = list(read_capture(path, result.network_key, result.link_keys))
    assert len(records) == result.frames
    assert all(rec.ok for rec in records), [rec.note for rec in records if not rec.ok][:3]
    assert all(rec.nwk_secured and rec.pan_id == result.pan_id for rec in records)
    # Every payload is a ZCL frame hancot's own codec reads back.
    for rec in records:
        assert rec.cluster is not None and rec.payload is not None
        decode_frame(rec.cluster, rec.payload)
    names = {result.device_names[rec.src_eui64] for rec in records if rec.src_eui64}
    assert {"ESME", "GPF", "GSME", "IHD", "PPMID"} <= names


def test_capture_without_nwk_security_and_linktype_230(tmp_path: Path) -> None:
    path = tmp_path / "clear.pcap"
    result = capture_demo(DemoOptions(days=4), path, linktype=230, nwk_security=False)
    # The PPMID's tenancy exchange is APS-secured (docs/security.md): it needs the link keys.
    records = list(read_capture(path, None, result.link_keys))
    assert len(records) == result.frames
    assert all(rec.ok and not rec.nwk_secured and rec.fcs_ok is None for rec in records)
    assert path.read_bytes()[20:24] == (230).to_bytes(4, "little")


def test_keyring_holds_the_premises_keys() -> None:
    from hancot.han.occupancy import Occupancy
    from hancot.scenario.demo import DEFAULT_START, OCCUPIER_A

    premises = Premises(DEFAULT_START, Occupancy(1, [(DEFAULT_START, OCCUPIER_A)]))
    try:
        ring = premises_keyring(premises)
        assert ring.network_key == premises.network_key
        for identity in premises.identities.values():
            assert ring.link_key(identity.eui64) == identity.link_key
    finally:
        premises.close()


def test_tap_counts_undelivered_frames(tmp_path: Path) -> None:
    seen: list[CaptureTap] = []

    def hook(premises: Premises) -> None:
        tap = CaptureTap(tmp_path / "tap.pcap", premises)
        seen.append(tap)
        premises.han.taps.append(tap)
        premises.han.out_of_range.add("PPMID")  # the sniffer still hears what is sent to it

    try:
        demo = capture_demo(DemoOptions(days=4, on_premises=hook), tmp_path / "outer.pcap").demo
    finally:
        for tap in seen:
            tap.close()
    (tap,) = seen
    assert tap.frames == demo.frames
    assert tap.undelivered == demo.frames_dropped > 0


def test_cli_capture_prints_the_key_and_how_to_use_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.pcap"
    assert main(["capture", str(path), "--days", "4", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    key_line = re.search(r"^network key\s+((?:[0-9a-f]{2}:){15}[0-9a-f]{2})$", out, re.M)
    assert key_line is not None, out
    key = bytes.fromhex(key_line.group(1).replace(":", ""))
    assert "Edit > Preferences > Protocols > ZigBee > Pre-configured Keys" in out
    assert f'uat:zigbee_pc_keys:"{network_key_text(key)}","Normal"' in out
    links = re.findall(r"^link key .*?((?:[0-9a-f]{2}:){15}[0-9a-f]{2})$", out, re.M)
    link_keys = [bytes.fromhex(text.replace(":", "")) for text in links]
    records = list(read_capture(path, key, link_keys))
    assert records and all(rec.ok for rec in records)


def test_cli_capture_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["capture", str(tmp_path / "no" / "such" / "dir.pcap"), "--days", "4"]) == 2
    assert "cannot write" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["capture", str(tmp_path / "x.pcap"), "--linktype", "1"])
    assert exc.value.code == 2
