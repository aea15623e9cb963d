"""Which requirements apply to which declared device, and whether it can ever meet them."""

from __future__ import annotations

import pytest

from hancot.cli.main import main
from hancot.conformance.applicability import (
    AFTER_UPGRADE,
    APPLIES,
    EXCLUDED,
    NEVER,
    NOT_REQUIRED,
    ApplicabilityError,
    DeviceProfile,
    assess,
)
from hancot.conformance.devices import load_subject
from hancot.conformance.runner import NOT_APPLICABLE, run_conformance


def _statuses(profile: DeviceProfile) -> dict[str, tuple[str, str]]:
    return {a.requirement.id: (a.status, a.can_meet) for a in assess(profile)}


def test_in_field_ihd_v42_can_never_meet_the_cot_requirements() -> None:
    found = _statuses(DeviceProfile("IHD", "4.2", ota=False))
    assert found["COT-IHD-006"] == (NOT_REQUIRED, NEVER)
    assert found["COT-IHD-001"] == (NOT_REQUIRED, NEVER)
    assert found["COT-IHD-011"][0] == APPLIES  # safety applies to every version
    assert found["COT-IHD-031"][0] == APPLIES


def test_ihd_v50_must_meet_everything() -> None:
    assert {s for s, _ in _statuses(DeviceProfile("IHD", "5.0")).values()} == {APPLIES}


def test_ppmid_v42_with_ota_can_meet_after_upgrade() -> None:
    found = _statuses(DeviceProfile("PPMID", "4.2", ota=True))
    assert found["COT-PPMID-009"] == (NOT_REQUIRED, AFTER_UPGRADE)
    # Default: in-field PPMIDs lack OTA.
    assert _statuses(DeviceProfile("PPMID", "4.2"))["COT-PPMID-009"][1] == NEVER


def test_meters_need_the_spec_and_gbcs_versions() -> None:
    assert _statuses(DeviceProfile("ESME", "5.1", gbcs="4.0"))["COT-MTR-003"] == (
        NOT_REQUIRED,
        AFTER_UPGRADE,
    )
    assert _statuses(DeviceProfile("ESME", "5.1", gbcs="5.0"))["COT-MTR-003"][0] == APPLIES
    assert _statuses(DeviceProfile("GPF", "1.4", gbcs="5.0"))["COT-MTR-001"][0] == NOT_REQUIRED
    assert "COT-MTR-006" not in _statuses(DeviceProfile("GPF", "1.5"))  # ESME only


def test_extended_items_excluded_under_sec_minimum() -> None:
    found = _statuses(DeviceProfile("PPMID", "5.0", policy="sec-minimum"))
    assert found["COT-PPMID-009"][0] == EXCLUDED
    assert found["COT-PPMID-033"][0] == APPLIES  # bit 14 applies whatever the policy


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "CAD", "version": "1.0"},
        {"kind": "IHD", "version": "v-four"},
        {"kind": "IHD", "version": "5.0", "policy": "everything"},
    ],
)
def test_bad_profiles_are_refused(kwargs: dict) -> None:
    with pytest.raises(ApplicabilityError):
        DeviceProfile(**kwargs)


def test_conform_report_uses_applicability() -> None:
    subject = load_subject("legacy-ihd")
    report = run_conformance(
        subject,
        profile=DeviceProfile("IHD", "4.2", ota=False),
        requirement_ids=["COT-IHD-001", "COT-IHD-006", "COT-IHD-028"],
    )
    assert report.verdict_of("COT-IHD-001") == NOT_APPLICABLE
    assert report.verdict_of("COT-IHD-006") == NOT_APPLICABLE
    assert report.verdict_of("COT-IHD-028") == "pass"
    assert report.ok
    reason = next(r.reason for r in report.results if r.requirement.id == "COT-IHD-006")
    assert "never" in reason
    assert not any(s.id.startswith("C04") for s in report.scenarios)  # nothing ran for it


def test_cli_table_and_single_profile(capsys) -> None:
    assert main(["applicability"]) == 0
    out = capsys.readouterr().out
    assert "IHD IHDTS v4.2, no OTA" in out and "never" in out
    assert "after OTA upgrade" in out
    assert main(["applicability", "--type", "IHD", "--version", "4.2"]) == 0
    out = capsys.readouterr().out
    assert "COT-IHD-006  not-required" in out
    assert main(["applicability", "--type", "IHD", "--version", "x"]) == 2
