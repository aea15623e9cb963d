"""Malformed or unsupported frames to any device: a Default Response with the right ZCL status,
never an exception, and nothing changes in the device's state."""

from __future__ import annotations

import pytest

from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.zcl import registry as reg
from hancot.zcl.codec import decode_frame
from hancot.zcl.header import Status
from tests.conftest import DAY, START, build_site

ROGUE = DeviceIdentity("ROGUE", DeviceKind.CAD, 0x0102030405060708, 0x6666)

CASES = [
    (reg.DEVICE_MANAGEMENT, bytes.fromhex("0907"), Status.MALFORMED_COMMAND),
    (reg.DEVICE_MANAGEMENT, bytes.fromhex("0907000000"), Status.MALFORMED_COMMAND),
    (reg.DEVICE_MANAGEMENT, bytes.fromhex("01077f"), Status.UNSUP_CLUSTER_COMMAND),
    (reg.METERING, bytes.fromhex("000760"), Status.UNSUP_GENERAL_COMMAND),
    (reg.METERING, bytes.fromhex("00070000"), Status.MALFORMED_COMMAND),
    (reg.MESSAGING, bytes.fromhex("0534120700"), Status.UNSUP_MANUF_CLUSTER_COMMAND),
    (0x0006, bytes.fromhex("010700"), Status.UNSUPPORTED_CLUSTER),
]


def _state(device) -> tuple:
    db = device.store._db
    return (
        tuple(db.execute("SELECT * FROM kv WHERE key != 'tsn' ORDER BY key")),
        tuple(db.execute("SELECT * FROM records ORDER BY kind, key")),
    )


@pytest.mark.parametrize("name", ["ESME", "GPF", "GSME", "IHD", "PPMID"])
@pytest.mark.parametrize(("cluster", "payload", "status"), CASES)
def test_bad_frames_get_a_default_response_and_change_nothing(
    name: str, cluster: int, payload: bytes, status: int
) -> None:
    site = build_site()
    site.run(START + DAY // 2)
    device = site.premises.han.device(name)
    before = _state(device)
    frame = HanFrame(site.han.now, ROGUE, device.identity, cluster, payload)
    answers = device.receive(site.han.now, frame)
    assert _state(device) == before
    (answer,) = answers
    assert answer.dst == ROGUE
    decoded = decode_frame(answer.cluster, answer.payload)
    assert decoded.name == "default_response"
    expected = Status.UNSUPPORTED_CLUSTER if cluster not in device.clusters else status
    assert decoded.args["status"] == expected


def test_an_unsupported_attribute_is_answered_in_the_response_record() -> None:
    site = build_site()
    from hancot.zcl.codec import read_attributes

    device = site.premises.esme
    frame = HanFrame(
        0, ROGUE, device.identity, reg.DEVICE_MANAGEMENT, read_attributes([0x0200, 0x0999], tsn=3)
    )
    (answer,) = device.receive(site.han.now, frame)
    records = decode_frame(answer.cluster, answer.payload).args["records"]
    assert [r.status for r in records] == [Status.SUCCESS, Status.UNSUPPORTED_ATTRIBUTE]


def test_a_default_response_is_never_answered() -> None:
    site = build_site()
    device = site.premises.ihd
    frame = HanFrame(0, ROGUE, device.identity, reg.METERING, bytes.fromhex("18070b0086"))
    assert device.receive(site.han.now, frame) == []
