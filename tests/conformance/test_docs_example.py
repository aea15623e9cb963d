"""The minimal maker's device of docs/conformance.md runs through the kit as documented."""

from __future__ import annotations

import re
from pathlib import Path

from hancot.cli.main import main
from hancot.conformance.devices import load_subject
from hancot.conformance.runner import FAIL, NOT_APPLICABLE, PASS, run_conformance

DOC = Path(__file__).resolve().parents[2] / "docs" / "conformance.md"


def _example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_documented_example_runs_through_the_kit(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "tiny_ihd.py").write_text(_example(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    subject = load_subject("tiny_ihd:make_tiny_ihd")
    report = run_conformance(subject)
    verdicts = {r.requirement.id: r.verdict for r in report.results}
    # What the doc promises of it.
    for rid in (
        "COT-IHD-001",
        "COT-IHD-002",
        "COT-IHD-003",
        "COT-IHD-004",
        "COT-IHD-005",
        "COT-IHD-008",
        "COT-IHD-013",
        "COT-IHD-014",
        "COT-IHD-024",
        "COT-IHD-028",
    ):
        assert verdicts[rid] == PASS, (rid, verdicts[rid])
    assert verdicts["COT-IHD-006"] == NOT_APPLICABLE
    assert verdicts["COT-IHD-021"] == FAIL and verdicts["COT-IHD-031"] == FAIL
    assert "error" not in verdicts.values()
    assert (
        main(
            [
                "conform",
                "--device",
                "tiny_ihd:make_tiny_ihd",
                "--quiet",
                "--requirements",
                "COT-IHD-008",
            ]
        )
        == 0
    )
    capsys.readouterr()
