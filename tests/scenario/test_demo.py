"""``hancot demo`` end to end: reference devices clear, legacy ones leak, and the CLI says so."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hancot.cli.main import main
from hancot.scenario.demo import DemoOptions, run_demo


def test_reference_premises_is_clean() -> None:
    result = run_demo(DemoOptions(days=8))
    assert result.verdict == "clean"
    assert all(e.previous_occupier_items == 0 for e in result.exposures)
    # Before the CoT the devices did hold A's data: the clear is what made it clean.
    assert result.before["IHD"]["holds"]["day"] > 0
    assert result.before["PPMID"]["holds"]["top_up"] > 0
    # A's credit and debt were settled off the meter (control bits 2 and 3): B's PPMID shows
    # only what B topped up, less what B used, and no debt of A's.
    shows = result.after["PPMID"]["shows"]
    assert result.before["PPMID"]["shows"]["debt_pence"] > 0
    assert shows["debt_pence"] == 0
    assert 0 <= shows["credit_pence"] <= 1000


@pytest.mark.parametrize("which", ["ihd", "ppmid"])
def test_legacy_devices_leak(which: str) -> None:
    result = run_demo(DemoOptions(days=8, **{which: "legacy"}))
    assert result.verdict == "leak"
    leaking = {e.name: e for e in result.exposures if e.previous_occupier_items}
    assert set(leaking) == {which.upper()}
    assert not leaking[which.upper()].sec_minimum_met


def test_sec_minimum_policy_retains_prepayment_history_and_says_so() -> None:
    result = run_demo(DemoOptions(days=8, policy="sec-minimum"))
    ppmid = next(e for e in result.exposures if e.name == "PPMID")
    assert ppmid.sec_minimum_met
    assert set(ppmid.by_kind) <= {"top_up", "debt_log"} and ppmid.by_kind


def test_same_seed_same_run_other_seed_other_consumption() -> None:
    one = run_demo(DemoOptions(days=5, seed=3)).summary()
    two = run_demo(DemoOptions(days=5, seed=3)).summary()
    three = run_demo(DemoOptions(days=5, seed=4)).summary()
    assert one == two
    assert one["devices"][0]["shows"] != three["devices"][0]["shows"]


def test_cli_json_summary_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--days", "6", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["verdict"] == "clean"
    assert {d["name"] for d in summary["devices"]} == {"IHD", "PPMID"}
    for device in summary["devices"]:
        assert {"name", "profile", "previous_occupier_items"} <= set(device)
    assert len(summary["occupier_a_messages"]) == 2
    assert main(["demo", "--days", "6", "--json", "--ihd", "legacy"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["verdict"] == "leak"
    ihd = next(d for d in summary["devices"] if d["name"] == "IHD")
    assert ihd["profile"] == "legacy" and ihd["previous_occupier_items"] > 0


def test_cli_text_report_and_frame_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "frames.log"
    assert main(["demo", "--days", "5", "--frame-log", str(log), "--poll-interval", "15"]) == 0
    out = capsys.readouterr().out
    assert "Verdict: CLEAN" in out and "Timeline" in out
    lines = log.read_text().splitlines()
    assert any("Read Attributes [0x0200,0x0201]" in line for line in lines)
    assert any("publish_change_of_tenancy" in line or "0x0200=" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--days", "2"], "at least 4 days"),
        (["demo", "--days", "zero"], "not a whole number"),
        (["demo", "--policy", "all"], "invalid choice"),
        (["demo", "--frame-log", "/nonexistent/dir/log.txt"], "cannot write"),
        (["demo", "--days", "4", "--frame-log", "/dev/full"], "No space left"),
        (["conform", "--scenario-timeout", "inf"], "less than a day"),
        (["conform", "--scenario-timeout", "nan"], "less than a day"),
        (["conform", "--scenario-timeout", "0"], "more than 0"),
        (["conform", "--requirements", ","], "names no requirement id"),
        (["conform", "--type", "PPMID"], "does not match reference-ihd"),
        (["applicability", "--type", "ESME", "--version", "-1.0"], "MAJOR.MINOR"),
        (["demo", "--poll-interval", "99999999999999999999"], "more than a day"),
    ],
)
def test_cli_bad_arguments_give_one_clear_line(args: list[str], message: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "hancot.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_cli_output_cut_short_by_the_reader_is_not_an_error() -> None:
    run = subprocess.run(
        f"set -o pipefail; {sys.executable} -m hancot.cli.main demo --days 5 "
        "--frame-log /dev/stdout | head -1",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.stdout.startswith("2026-")
    assert run.stderr == ""
    assert run.returncode == 0


def test_output_to_a_full_disk_is_one_error_line() -> None:
    for args in (["demo", "--days", "4"], ["applicability"], ["conform", "--list-devices"]):
        with open("/dev/full", "w") as full:
            run = subprocess.run(
                [sys.executable, "-m", "hancot.cli.main", *args],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
        assert run.returncode == 2, args
        assert (
            run.stderr.strip() == "hancot: error: cannot write the output: No space left on device"
        )
