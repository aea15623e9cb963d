"""The requirement catalogue: code and docs list the same ids, every requirement is checked by
some scenario, and each is traced to a known source."""

from __future__ import annotations

import re
from pathlib import Path

from hancot.conformance import scenarios as sc
from hancot.conformance.requirements import (
    BY_ID,
    CATALOGUE,
    SOURCE_KINDS,
    for_device,
    requirement_id,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "requirements.md"
ID = re.compile(r"\bCOT-(?:IHD|PPMID|MTR)-\d{3}\b")


def test_doc_and_code_list_the_same_ids() -> None:
    text = DOC.read_text(encoding="utf-8")
    in_rows = {
        m.group(0)
        for line in text.splitlines()
        if line.startswith("| COT-")
        for m in [ID.search(line)]
        if m
    }
    assert in_rows == set(BY_ID)
    assert len(CATALOGUE) == len(BY_ID)  # no duplicate id


def test_every_requirement_is_checked_by_a_scenario() -> None:
    unchecked = []
    for kind in ("IHD", "PPMID", "ESME", "GPF"):
        checked = {requirement_id(kind, n) for s in sc.for_kind(kind) for n in s.numbers}
        unchecked += [r.id for r in for_device(kind) if r.id not in checked]
    assert unchecked == []


def test_scenario_catalogue_size_and_ids() -> None:
    client = [s for s in sc.SCENARIOS if {"IHD", "PPMID"} & set(s.kinds)]
    assert len(client) >= 30
    assert len({s.id for s in sc.SCENARIOS}) == len(sc.SCENARIOS)


def test_sources_are_traced() -> None:
    for req in CATALOGUE:
        assert req.sources, req.id
        assert all(s.kind in SOURCE_KINDS and s.detail for s in req.sources), req.id


def test_issue_items_are_covered() -> None:
    titles = " | ".join(r.title.lower() for r in for_device("IHD"))
    for phrase in (
        "esme",
        "gpf",
        "poll interval",
        "joining",
        "power-up",
        "every period",
        "supplier messages",
        "new occupier",
        "future-dated",
        "backdated",
        "same cot twice",
        "one fuel",
        "powered off",
        "out of range",
        "cancellation",
        "clock skew",
        "after the cot",
        "change of supplier",
    ):
        assert phrase in titles, phrase
    assert any("extended" in r.policy for r in for_device("PPMID"))
    assert any("pre-CoT history" in r.title for r in for_device("ESME"))
