"""A device that reports holding nothing cannot pass the clearing requirements by default, and a
run in which nothing applied is not a verdict of conformance."""

from __future__ import annotations

from hancot.conformance.devices import Subject, client_factory
from hancot.conformance.dut import Observation, ReferenceDut
from hancot.conformance.runner import FAIL, NOT_APPLICABLE, run_conformance
from hancot.devices.client import ClientBehaviour
from hancot.han.frame import DeviceIdentity, DeviceKind

CLEARING = ["COT-IHD-006", "COT-IHD-007", "COT-IHD-008", "COT-IHD-013", "COT-IHD-015"]


class Blind(ReferenceDut):
    """An IHD that never clears anything and reports holding nothing."""

    def observe(self, now: int) -> Observation:
        return Observation((), {}, ())


def _blind(identity: DeviceIdentity) -> Blind:
    keeps_everything = ClientBehaviour(clears_history=False, clears_messages=False)
    return Blind(client_factory(DeviceKind.IHD, keeps_everything)(identity).client)


def test_a_device_sent_data_that_reports_none_fails_the_clearing_requirements() -> None:
    subject = Subject("blind", DeviceKind.IHD, "reports holding nothing", _blind)
    report = run_conformance(subject, requirement_ids=CLEARING)
    verdicts = {r.requirement.id: r.verdict for r in report.results}
    assert set(verdicts.values()) == {FAIL}, verdicts
    assert all("reached it" in r.reason for r in report.results)
    assert not report.ok


def test_a_run_where_nothing_applies_does_not_conform() -> None:
    subject = Subject(
        "ppmid",
        DeviceKind.PPMID,
        "reference PPMID",
        client_factory(DeviceKind.PPMID, ClientBehaviour()),
    )
    # A PPMID does not read consumption: these are not applicable to it.
    report = run_conformance(subject, requirement_ids=["COT-PPMID-006", "COT-PPMID-007"])
    assert {r.verdict for r in report.results} == {NOT_APPLICABLE}
    assert not report.ok
