"""``hancot audit``: CoT compliance judged from captures of simulated premises, good and bad."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest

from hancot import timeutil as tu
from hancot.capture.audit import (
    AuditReport,
    audit_capture,
    audit_records,
    history_period,
)
from hancot.capture.reader import read_capture
from hancot.capture.scenario import CaptureResult, capture_demo
from hancot.capture.writer import network_key_text
from hancot.cli.audit import parse_eui64, parse_key
from hancot.cli.main import main
from hancot.han.frame import DeviceKind
from hancot.han.premises import EUI64, Premises
from hancot.scenario.demo import DemoOptions
from hancot.zcl.clusters import metering as mt

DAYS = 6
ESME = DeviceKind.ESME
GPF = DeviceKind.GPF
IHD = DeviceKind.IHD
PPMID = DeviceKind.PPMID


@dataclass
class Audited:
    capture: CaptureResult
    report: AuditReport

    def label(self, kind: DeviceKind) -> str:
        eui = EUI64[kind]
        text = ":".join(f"{b:02x}" for b in eui.to_bytes(8, "big"))
        return f"{kind.value} ({text})"

    def reads(self, client: DeviceKind, meter: DeviceKind) -> int:
        pairs = [
            r
            for r in self.report.tenancy_reads
            if r.client == self.label(client) and r.meter == self.label(meter)
        ]
        return pairs[0].reads if pairs else 0


def run(path: Path, opts: DemoOptions, *, linktype: int = 195, link_keys: bool = True) -> Audited:
    capture = capture_demo(opts, path, linktype=linktype)
    report = audit_capture(
        path,
        capture.network_key,
        capture.link_keys if link_keys else {},
        names=capture.device_names,
    )
    return Audited(capture, report)


def cli_keys(capture: CaptureResult) -> list[str]:
    args = ["--nwk-key", network_key_text(capture.network_key)]
    for eui, key in capture.link_keys.items():
        args += ["--link-key", f"{eui:016x}={network_key_text(key)}"]
    return args


def no_history_restriction(premises: Premises) -> None:
    premises.esme.restricts_history = False


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    return run(tmp_path_factory.mktemp("ref") / "ref.pcap", DemoOptions(days=DAYS))


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    opts = DemoOptions(days=DAYS, on_premises=no_history_restriction)
    return run(tmp_path_factory.mktemp("leaky") / "leaky.pcap", opts)


def test_reference_capture_is_compliant(reference: Audited) -> None:
    report = reference.report
    assert report.verdict == "compliant", report.render()
    assert report.violations == []
    assert report.frames == report.zcl_frames == reference.capture.frames
    assert report.note_counts == {}
    roles = {d.name: d.roles for d in report.devices}
    assert roles["ESME"] == roles["GPF"] == ["meter"]
    assert roles["IHD"] == roles["PPMID"] == ["client"]
    assert roles["GSME"] == []  # it only reports to the GPF


def test_reference_clients_read_both_meters_every_half_hour(reference: Audited) -> None:
    polls = DAYS * tu.DAY // 1800
    for client in (IHD, PPMID):
        for meter in (ESME, GPF):
            assert reference.reads(client, meter) >= polls
    for pair in reference.report.tenancy_reads:
        assert pair.answered == pair.reads
        assert pair.max_gap_s is not None and pair.max_gap_s <= 1800
        assert pair.gaps_over_limit == 0
    assert not any("without reading" in w for w in reference.report.warnings)


def test_reference_cot_change_is_seen_on_both_meters(reference: Audited) -> None:
    cot = tu.to_datetime(reference.capture.demo.cot_time).strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = {(c.meter, c.value) for c in reference.report.cot_changes if c.previous}
    assert changed == {(reference.label(ESME), cot), (reference.label(GPF), cot)}
    for change in reference.report.cot_changes:
        if change.previous:
            # The demo sets bits 2, 3 (reset credit and debit registers) and 9 (clear IHD data).
            assert change.control == "0x0000020c"
            assert change.time < cot  # set the afternoon before, future-dated
    assert {e["cot"] for e in reference.report.cot_in_effect} == {cot}


def test_meter_serving_pre_cot_history_is_a_violation(leaky: Audited) -> None:
    report = leaky.report
    assert report.verdict == "violation"
    kinds = {(v.rule, v.kind, v.sender) for v in report.violations}
    esme = leaky.label(ESME)
    assert ("pre-cot-history", "history attribute", esme) in kinds
    assert ("pre-cot-history", "Get Profile intervals", esme) in kinds
    assert ("pre-cot-history", "top-up log entries", esme) in kinds
    assert ("pre-cot-history", "debt log entries", esme) in kinds
    # A's last message came back through Get Last Message after the CoT.
    assert ("pre-cot-to-client", "Display Message", esme) in kinds
    # The GPF does restrict: nothing from it.
    assert all(v.sender != leaky.label(GPF) for v in report.violations)
    cot = leaky.capture.demo.cot_time
    for v in report.violations:
        assert v.first_time >= tu.to_datetime(cot).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "VIOLATION" in report.render()


def test_legacy_ihd_never_reads_the_tenancy_attributes(tmp_path: Path) -> None:
    audited = run(tmp_path / "legacy.pcap", DemoOptions(days=4, ihd="legacy"))
    report = audited.report
    assert audited.reads(IHD, ESME) == audited.reads(IHD, GPF) == 0
    assert audited.reads(PPMID, ESME) > 0
    never = {(v.sender, v.receiver) for v in report.violations if v.rule == "tenancy-never-read"}
    assert never == {
        (audited.label(IHD), audited.label(ESME)),
        (audited.label(IHD), audited.label(GPF)),
    }
    assert "IHD (00:db:12:34:56:78:90:a4) asked ESME" in report.render()
    assert report.verdict == "violation"


def test_linktype_230_gives_the_same_audit(tmp_path: Path, reference: Audited) -> None:
    audited = run(tmp_path / "nofcs.pcap", DemoOptions(days=DAYS), linktype=230)
    assert audited.report.linktype == 230
    assert audited.report.verdict == "compliant"
    same = reference.report.as_dict()
    other = audited.report.as_dict()
    for key in ("devices", "tenancy_reads", "cot_changes", "violations"):
        assert other[key] == same[key]


def test_missing_link_keys_give_warnings_not_accusations(tmp_path: Path) -> None:
    audited = run(tmp_path / "nolink.pcap", DemoOptions(days=4), link_keys=False)
    report = audited.report
    secured = audited.capture.aps_secured
    if secured == 0:
        pytest.skip("no device uses APS security in this build")
    assert report.note_counts.get("encrypted") == secured
    assert report.verdict == "compliant"
    assert any("could not be decrypted" in w for w in report.warnings)


# -- the command ----------------------------------------------------------------------------------
def test_cli_reference_exit_0_and_json(
    reference: Audited, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(reference.capture.path)
    assert main(["audit", path, *cli_keys(reference.capture), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "compliant"
    assert data["capture"]["frames"] == reference.capture.frames
    assert len(data["tenancy_reads"]["pairs"]) == 4
    assert main(["audit", path, *cli_keys(reference.capture)]) == 0
    assert "Verdict: no violation found" in capsys.readouterr().out


def test_cli_violation_exit_1(leaky: Audited, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", str(leaky.capture.path), *cli_keys(leaky.capture), "--json"])
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "violation"
    assert {v["rule"] for v in data["violations"]} == {"pre-cot-history", "pre-cot-to-client"}


def test_cli_wrong_key_exit_2_with_mic_notes(
    reference: Audited, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = network_key_text(bytes(16))
    assert main(["audit", str(reference.capture.path), "--nwk-key", wrong, "--json"]) == 2
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["verdict"] == "inconclusive"
    assert data["notes"]["counts"] == {"MIC failure": reference.capture.frames}
    assert "check the network key" in captured.err
    assert "Traceback" not in captured.err


def test_cli_truncated_capture_gives_partial_results(
    tmp_path: Path, reference: Audited, capsys: pytest.CaptureFixture[str]
) -> None:
    data = reference.capture.path.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) // 2 - 7])
    assert main(["audit", str(cut), *cli_keys(reference.capture), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["notes"]["counts"] == {"truncated": 1}
    assert report["notes"]["examples"][0]["note"].startswith("truncated")
    assert 0 < report["capture"]["decoded_to_zcl"] < reference.capture.frames
    assert report["tenancy_reads"]["pairs"]


def test_frames_failing_the_mic_are_noted_and_the_rest_audited(
    tmp_path: Path, reference: Audited
) -> None:
    raw = bytearray(reference.capture.path.read_bytes())
    # Flip a byte inside the encrypted payload of the first 3 records (each: 16-byte header,
    # then the MPDU; 30 bytes in is past the MAC/NWK headers and the auxiliary header).
    offset, altered = 24, 0
    while altered < 3:
        length = struct.unpack_from("<I", raw, offset + 8)[0]
        raw[offset + 16 + 30] ^= 0x55
        offset += 16 + length
        altered += 1
    damaged = tmp_path / "damaged.pcap"
    damaged.write_bytes(bytes(raw))
    capture = reference.capture
    report = audit_capture(damaged, capture.network_key, capture.link_keys)
    assert report.note_counts == {"MIC failure": 3}
    assert {n["frame"] for n in report.notes} == {1, 2, 3}
    assert report.zcl_frames == capture.frames - 3
    assert report.verdict == "compliant"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--nwk-key", "01:02:03"], "is not 16 bytes of hex"),
        (["--nwk-key", "zz" * 16], "is not 16 bytes of hex"),
        (["--nwk-key", "00" * 16, "--link-key", "nonsense"], "must be EUI64=KEY"),
        (["--nwk-key", "00" * 16, "--link-key", "00db=" + "00" * 16], "is not 8 bytes"),
    ],
)
def test_cli_bad_keys_exit_2(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", str(tmp_path / "x.pcap"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_unreadable_and_foreign_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = ["--nwk-key", "00" * 16]
    assert main(["audit", str(tmp_path / "missing.pcap"), *key]) == 2
    assert "cannot read" in capsys.readouterr().err
    text = tmp_path / "notes.txt"
    text.write_text("not a capture at all, just some text\n")
    assert main(["audit", str(text), *key]) == 2
    assert "pcap" in capsys.readouterr().err
    ethernet = tmp_path / "ethernet.pcap"
    ethernet.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    assert main(["audit", str(ethernet), *key]) == 2
    assert "link type 1 is not supported" in capsys.readouterr().err


def test_key_and_eui_forms() -> None:
    key = bytes(range(16))
    for text in (network_key_text(key), key.hex(), "0x" + key.hex(), key.hex(" ")):
        assert parse_key(text) == key
    assert parse_eui64("00:db:12:34:56:78:90:a4") == EUI64[IHD]
    assert parse_eui64("00DB1234567890A4") == EUI64[IHD]


def test_history_periods() -> None:
    at = tu.parse_iso("2026-01-09T10:00:00Z")  # a Friday
    assert history_period(mt.day_attribute(1), at) == (
        tu.parse_iso("2026-01-08"),
        tu.parse_iso("2026-01-09"),
    )
    assert history_period(mt.week_attribute(1), at) == (
        tu.parse_iso("2025-12-29"),
        tu.parse_iso("2026-01-05"),
    )
    assert history_period(mt.month_attribute(1), at) == (
        tu.parse_iso("2025-12-01"),
        tu.parse_iso("2026-01-01"),
    )
    assert history_period(0x0000, at) is None


def test_audit_of_an_empty_record_stream_is_inconclusive() -> None:
    report = audit_records([])
    assert report.verdict == "inconclusive"
    assert report.frames == 0
    assert "check the network key" in report.render()


def test_read_back_matches_audit_counts(reference: Audited) -> None:
    capture = reference.capture
    records = list(read_capture(capture.path, capture.network_key, capture.link_keys))
    report = audit_records(records, names=capture.device_names)
    assert report.as_dict()["tenancy_reads"] == reference.report.as_dict()["tenancy_reads"]


@pytest.mark.parametrize("offset", [-600, 3600])
def test_a_meter_is_judged_by_its_own_clock(tmp_path: Path, offset: int) -> None:
    # The ESME's clock is off the capture's: it restricts when *its* clock reaches the CoT, and
    # labels its history by its own days. Judged by the capture's clock it would look wrong.
    def skewed(premises: Premises) -> None:
        premises.esme.clock_offset = offset

    audited = run(tmp_path / "skew.pcap", DemoOptions(days=DAYS, on_premises=skewed))
    assert audited.report.verdict == "compliant", audited.report.render()


def test_a_capture_stamped_by_another_clock_is_judged_by_the_meters(
    tmp_path: Path, leaky: Audited
) -> None:
    # A sniffer that stamps frames from boot (here: 1972) must not hide a meter's violation.
    raw = bytearray(leaky.capture.path.read_bytes())
    offset = 24  # classic pcap global header
    while offset < len(raw):
        seconds, _, captured, _ = struct.unpack_from("<IIII", raw, offset)
        struct.pack_into("<I", raw, offset, seconds - 1_700_000_000)
        offset += 16 + captured
    shifted = tmp_path / "shifted.pcap"
    shifted.write_bytes(raw)
    capture = leaky.capture
    report = audit_capture(
        shifted, capture.network_key, capture.link_keys, names=capture.device_names
    )
    assert report.verdict == "violation"
    assert {v.rule for v in report.violations} >= {"pre-cot-history"}
