"""Reports are valid and complete; the CLI exits as documented."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hancot.cli.main import main
from hancot.conformance.devices import BUILTIN
from hancot.conformance.report import console_summary, to_html, to_json, to_junit

from .conftest import conformance_run


def test_junit_xml_parses_and_counts_match() -> None:
    report = conformance_run("legacy-ppmid")
    root = ET.fromstring(to_junit(report))
    assert root.tag == "testsuite"
    cases = root.findall("testcase")
    assert len(cases) == len(report.results) == int(root.get("tests"))
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    counts = report.counts()
    assert len(failures) == counts["fail"] == int(root.get("failures"))
    assert len(skipped) == counts["not-applicable"] == int(root.get("skipped"))
    failed = next(c for c in failures if c.get("name").startswith("COT-PPMID-008"))
    assert "C04-cot-now" in failed.find("failure").text


def test_json_report_loads_with_evidence() -> None:
    report = conformance_run("legacy-ppmid")
    data = json.loads(to_json(report))
    assert data["ok"] is False
    assert data["device"]["type"] == "PPMID"
    by_id = {r["id"]: r for r in data["requirements"]}
    assert set(by_id) == {r.requirement.id for r in report.results}
    assert by_id["COT-PPMID-001"]["verdict"] == "fail"
    assert by_id["COT-PPMID-001"]["evidence"][0]["scenario"] == "C01-join"
    assert by_id["COT-PPMID-006"]["verdict"] == "not-applicable"


def test_html_report_is_standalone_and_names_every_requirement() -> None:
    report = conformance_run("reference-ihd")
    page = to_html(report)
    assert page.startswith("<!DOCTYPE html>")
    for result in report.results:
        assert result.requirement.id in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "<link" not in page and "src=" not in page
    assert "CONFORMS" in page


def test_console_summary_says_the_verdict() -> None:
    assert "DOES NOT CONFORM" in console_summary(conformance_run("legacy-ihd"))
    assert "verdict: CONFORMS" in console_summary(conformance_run("reference-ihd"))


def test_cli_writes_reports_and_exits_1_on_failure(tmp_path: Path, capsys) -> None:
    junit, js, page = tmp_path / "r.xml", tmp_path / "r.json", tmp_path / "r.html"
    code = main(
        [
            "conform",
            "--device",
            "ihd-no-query-on-join",
            "--quiet",
            "--requirements",
            "COT-IHD-004,COT-IHD-001",
            "--junit",
            str(junit),
            "--json",
            str(js),
            "--html",
            str(page),
        ]
    )
    assert code == 1
    ET.parse(junit)
    assert {r["id"] for r in json.loads(js.read_text())["requirements"]} == {
        "COT-IHD-001",
        "COT-IHD-004",
    }
    assert "COT-IHD-004" in page.read_text()
    out = capsys.readouterr()
    assert "FAIL  COT-IHD-004" in out.out


def test_cli_exits_0_when_conformant(capsys) -> None:
    assert (
        main(
            [
                "conform",
                "--device",
                "reference-ppmid",
                "--requirements",
                "COT-PPMID-001,COT-PPMID-008",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    assert "[1/" in out.err  # progress lines
    assert "verdict: CONFORMS" in out.out


@pytest.mark.parametrize(
    "argv",
    [
        ["conform", "--device", "no-such-device"],
        ["conform", "--device", "no_such_module_xyz:factory"],
        ["conform", "--device", "json:no_such_attribute"],
        ["conform", "--device", "reference-ihd", "--requirements", "COT-IHD-999"],
        ["conform", "--device", "reference-ihd", "--requirements", "COT-PPMID-001"],
        ["conform", "--device", "reference-ihd", "--spec-version", "five"],
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hancot: error:")


def test_list_devices_names_them_all(capsys) -> None:
    assert main(["conform", "--list-devices"]) == 0
    out = capsys.readouterr().out
    for name in BUILTIN:
        assert f"  {name} " in out
