"""The kit has teeth: the reference passes, legacy fails exactly the CoT-support requirements,
each faulty variant is caught by the requirements it names, faulty meters are caught."""

from __future__ import annotations

import pytest

from hancot.conformance.devices import BUILTIN
from hancot.conformance.requirements import requirement_id
from hancot.conformance.runner import ERROR, FAIL, NOT_APPLICABLE, PASS, run_conformance

from .conftest import conformance_run


@pytest.mark.parametrize("device", ["reference-ihd", "reference-ppmid"])
def test_reference_passes_everything(device: str) -> None:
    report = conformance_run(device)
    bad = {r.requirement.id: r.reason for r in report.results if r.verdict in (FAIL, ERROR)}
    assert bad == {}
    assert report.ok
    # Only clearing requirements on data a PPMID never holds may be not applicable.
    na = [r.requirement.id for r in report.results if r.verdict == NOT_APPLICABLE]
    assert set(na) <= {"COT-PPMID-006", "COT-PPMID-007"}


@pytest.mark.parametrize("device", ["legacy-ihd", "legacy-ppmid"])
def test_legacy_fails_the_cot_requirements_and_passes_the_rest(device: str) -> None:
    report = conformance_run(device)
    assert not report.ok
    for result in report.results:
        if result.verdict == NOT_APPLICABLE:
            continue  # nothing to clear of that kind (see the reference test)
        expected = FAIL if result.requirement.cot_support else PASS
        assert result.verdict == expected, (result.requirement.id, result.reason)
    assert sum(r.verdict == FAIL for r in report.results) >= 20


@pytest.mark.parametrize(
    "device", [name for name, s in BUILTIN.items() if s.family in ("variant", "meter")]
)
def test_each_faulty_device_is_caught(device: str) -> None:
    subject = BUILTIN[device]
    kind = subject.kind.value
    if not subject.caught_by:
        report = run_conformance(subject)
        assert report.ok, [
            (r.requirement.id, r.reason) for r in report.results if r.verdict in (FAIL, ERROR)
        ]
        return
    ids = [requirement_id(kind, n) for n in subject.caught_by]
    report = run_conformance(subject, requirement_ids=ids)
    for rid in ids:
        verdict = report.verdict_of(rid)
        assert verdict == FAIL, (rid, verdict)
    assert not report.ok


def test_every_shipped_variant_is_listed_and_has_teeth() -> None:
    variants = [s for s in BUILTIN.values() if s.family == "variant"]
    assert len({s.name.split("-", 1)[1] for s in variants}) >= 5
    assert all(s.caught_by for s in variants)


def test_evidence_quotes_frames_and_state() -> None:
    report = conformance_run("legacy-ihd")
    result = next(r for r in report.results if r.requirement.id == "COT-IHD-006")
    evidence = result.evidence[0]
    assert evidence.scenario == "C04-cot-now"
    assert evidence.frames and any("Metering" in f for f in evidence.frames)
    assert evidence.state["after"]["dated_before_cot"]["day"] > 0
    queries = next(r for r in report.results if r.requirement.id == "COT-IHD-001")
    assert "x0" in queries.reason
