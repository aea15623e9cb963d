"""A device under test that raises, returns garbage, spins or blocks gets an error or failure
verdict with the reason: never a hang, never a traceback out of the kit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from hancot.cli.main import main
from hancot.conformance.devices import Subject, client_factory
from hancot.conformance.dut import DeviceUnderTest, Observation
from hancot.conformance.guard import GuardedDut
from hancot.conformance.runner import ERROR, FAIL, run_conformance
from hancot.devices.client import ClientBehaviour
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.zcl import registry as reg

REQS = ["COT-IHD-001", "COT-IHD-004", "COT-IHD-008"]


class Wrapper:
    """The reference IHD with one method replaced, as a misbehaving implementation."""

    def __init__(self, identity: DeviceIdentity, **overrides: Any) -> None:
        self.inner = client_factory(DeviceKind.IHD, ClientBehaviour())(identity)
        self.identity = identity
        self.overrides = overrides

    name = property(lambda self: self.identity.name)
    kind = property(lambda self: DeviceKind.IHD)
    powered = property(lambda self: self.inner.powered)

    def __getattr__(self, item: str) -> Any:
        if item in self.__dict__.get("overrides", {}):
            return self.overrides[item]
        return getattr(self.inner, item)

    def join(self, now: int, peers: dict) -> Any:
        return (
            self.__getattr__("join")(now, peers)
            if "join" in self.overrides
            else (self.inner.join(now, peers))
        )

    def receive(self, now: int, frame: HanFrame) -> Any:
        if "receive" in self.overrides:
            return self.overrides["receive"](now, frame)
        return self.inner.receive(now, frame)

    def tick(self, now: int) -> Any:
        return self.overrides["tick"](now) if "tick" in self.overrides else self.inner.tick(now)

    def next_wakeup(self, now: int) -> Any:
        if "next_wakeup" in self.overrides:
            return self.overrides["next_wakeup"](now)
        return self.inner.next_wakeup(now)

    def power_off(self, now: int) -> None:
        self.inner.power_off(now)

    def power_on(self, now: int) -> Any:
        return self.inner.power_on(now)

    def observe(self, now: int) -> Any:
        if "observe" in self.overrides:
            return self.overrides["observe"](now)
        return self.inner.observe(now)


def _subject(**overrides: Any) -> Subject:
    return Subject(
        "bad", DeviceKind.IHD, "a misbehaving IHD", lambda identity: Wrapper(identity, **overrides)
    )


def _boom(*args: Any) -> Any:
    raise RuntimeError("firmware assertion failed")


def _garbage_frames(now: int, frame: HanFrame) -> Any:
    return ["not a frame"]


@dataclass
class _Junk:
    payload: str = "xx"


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"receive": _boom}, ["receive", "RuntimeError", "firmware assertion failed"]),
        ({"join": _boom}, ["join", "RuntimeError"]),
        ({"receive": _garbage_frames}, ["receive returned", "not a frame"]),
        ({"tick": lambda now: 42}, ["tick returned 42"]),
        ({"observe": lambda now: {"records": []}}, ["observe returned"]),
        ({"next_wakeup": lambda now: "soon"}, ["next_wakeup returned 'soon'"]),
        ({"next_wakeup": lambda now: now + 1}, ["more than", "calls"]),
    ],
)
def test_misbehaviour_is_an_error_verdict_with_the_reason(overrides: dict, words: list) -> None:
    report = run_conformance(_subject(**overrides), requirement_ids=REQS)
    assert not report.ok
    errored = [r for r in report.results if r.verdict == ERROR]
    assert errored, [(r.requirement.id, r.verdict, r.reason) for r in report.results]
    for word in words:
        assert word in errored[0].reason, errored[0].reason


def test_factory_that_raises() -> None:
    report = run_conformance(Subject("bad", DeviceKind.IHD, "x", _boom), requirement_ids=REQS)
    assert {r.verdict for r in report.results} == {ERROR}
    assert "factory raised RuntimeError" in report.results[0].reason


def test_device_that_never_answers_fails() -> None:
    silent = _subject(
        receive=lambda now, frame: [], join=lambda now, peers: [], tick=lambda now: []
    )
    report = run_conformance(silent, requirement_ids=["COT-IHD-001", "COT-IHD-004"])
    assert {r.verdict for r in report.results} == {FAIL}


def test_device_taking_another_eui64_or_type_is_refused() -> None:
    def other(identity: DeviceIdentity) -> DeviceUnderTest:
        moved = DeviceIdentity(identity.name, identity.kind, identity.eui64 ^ 1, identity.nwk)
        return client_factory(DeviceKind.IHD, ClientBehaviour())(moved)

    report = run_conformance(Subject("x", DeviceKind.IHD, "x", other), requirement_ids=REQS)
    assert "EUI-64" in report.results[0].reason
    ppmid = client_factory(DeviceKind.PPMID, ClientBehaviour())
    report = run_conformance(Subject("x", DeviceKind.IHD, "x", ppmid), requirement_ids=REQS)
    assert "PPMID" in report.results[0].reason


def test_device_that_blocks_is_stopped_by_the_wall_clock_limit() -> None:
    def spin(now: int, frame: HanFrame) -> list[HanFrame]:
        while True:
            pass

    report = run_conformance(
        _subject(receive=spin), requirement_ids=["COT-IHD-004"], scenario_seconds=0.3
    )
    assert report.results[0].verdict == ERROR
    assert "real time" in report.results[0].reason


def test_garbage_zcl_bytes_are_answered_not_fatal() -> None:
    """A device sending undecodable bytes gets Default Responses from the meters; the kit
    still reaches verdicts."""

    def junk(identity: DeviceIdentity) -> DeviceUnderTest:
        dut = Wrapper(identity)

        def join(now: int, peers: dict) -> list[HanFrame]:
            out = dut.inner.join(now, peers)
            esme = peers[DeviceKind.ESME]
            return [*out, HanFrame(now, identity, esme, reg.DEVICE_MANAGEMENT, b"\x01")]

        dut.overrides["join"] = join
        return dut

    report = run_conformance(Subject("x", DeviceKind.IHD, "x", junk), requirement_ids=REQS)
    assert report.ok, [(r.requirement.id, r.reason) for r in report.results]


def test_guard_rejects_a_device_without_identity() -> None:
    class Nameless:
        identity = "IHD"
        name = "IHD"

    from hancot.conformance.guard import DutError

    with pytest.raises(DutError, match="not a DeviceIdentity"):
        GuardedDut(Nameless())  # type: ignore[arg-type]


def test_cli_reports_a_broken_maker_device_without_traceback(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "broken_ihd.py").write_text(
        "def make(identity):\n    raise ValueError('no radio')\nmake.kind = 'IHD'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(
        ["conform", "--device", "broken_ihd:make", "--quiet", "--requirements", "COT-IHD-001"]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert "ERROR COT-IHD-001" in out and "no radio" in out


def test_observation_type_is_checked() -> None:
    assert isinstance(Observation(), Observation)
