"""Frames that are well formed but hostile or absurd: the device answers with a ZCL status,
keeps its state, and never raises (ZCL r8 2.5.12)."""

from __future__ import annotations

from hancot.devices.esme import MAX_CREDIT
from hancot.han.frame import DeviceKind, HanFrame
from hancot.zcl import registry as reg
from hancot.zcl.clusters import prepayment as pp
from hancot.zcl.codec import decode_frame, encode_command, read_attributes
from hancot.zcl.header import Status, ZclHeader
from tests.conftest import DAY, START, build_site

HOUR = 3600


def _records(*items: tuple[int, int, bytes]) -> bytes:
    """Report Attributes records: (attribute id, ZCL type, raw value bytes)."""
    return b"".join(a.to_bytes(2, "little") + bytes((t,)) + v for a, t, v in items)


def _answers(device, frame: HanFrame) -> list:
    return [decode_frame(f.cluster, f.payload) for f in device.receive(frame.time, frame)]


def test_a_gsme_report_with_wrong_types_or_times_is_refused_and_stored_nowhere() -> None:
    site = build_site()
    site.run(START + DAY)
    gpf, gsme = site.premises.gpf, site.premises.identities[DeviceKind.GSME]
    summation = gpf.store.get("summation")
    now = site.han.now
    header = ZclHeader(False, False, 9, 0x0A, disable_default_response=False).to_bytes()
    bad = {
        "string value": _records(
            (
                0x0405,
                0xE2,
                (now - 1800).to_bytes(4, "little"),
            ),
            (0x0407, 0x42, b"\x01x"),
        ),
        "negative value": _records(
            (0x0405, 0xE2, (now - 1800).to_bytes(4, "little")), (0x0407, 0x28, b"\x80")
        ),
        "future interval": _records(
            (0x0405, 0xE2, (now + DAY).to_bytes(4, "little")), (0x0407, 0x22, b"\x10\x00\x00")
        ),
        "unaligned start": _records(
            (0x0405, 0xE2, (now - 1799).to_bytes(4, "little")), (0x0407, 0x22, b"\x10\x00\x00")
        ),
    }
    for name, body in bad.items():
        frame = HanFrame(now, gsme, gpf.identity, reg.METERING, header + body)
        (answer,) = _answers(gpf, frame)
        assert answer.name == "default_response", name
        assert answer.args["status"] in (Status.INVALID_DATA_TYPE, Status.INVALID_VALUE), name
    # A genuine report repeated counts once.
    good = _records(
        (0x0405, 0xE2, (now - 1800).to_bytes(4, "little")), (0x0407, 0x22, b"\x10\x00\x00")
    )
    for _ in range(3):
        gpf.receive(now, HanFrame(now, gsme, gpf.identity, reg.METERING, header + good))
    assert gpf.store.get("summation") == summation  # that half hour was already recorded
    (answer,) = _answers(
        gpf, HanFrame(now, gsme, gpf.identity, reg.METERING, read_attributes([0x0000], tsn=4))
    )
    assert answer.args["records"][0].value == summation


def test_a_tenancy_value_of_the_wrong_type_is_ignored() -> None:
    site = build_site()
    site.run(START + HOUR)
    ihd, esme = site.premises.ihd, site.premises.esme
    tsn = ihd.next_tsn()
    ihd._expect(site.han.now, "ESME", tsn, "read_attributes")
    body = (0x0200).to_bytes(2, "little") + b"\x00\x42\x03abc"
    payload = ZclHeader(False, True, tsn, 0x01, disable_default_response=True).to_bytes() + body
    assert (
        ihd.receive(
            site.han.now,
            HanFrame(site.han.now, esme.identity, ihd.identity, reg.DEVICE_MANAGEMENT, payload),
        )
        == []
    )
    assert ihd.clears == [] and ihd.tracker.pending == {}


def test_credit_cannot_pass_what_the_register_holds() -> None:
    site = build_site()
    esme, ppmid = site.premises.esme, site.premises.ppmid
    esme.store.set("credit", MAX_CREDIT - 500)
    code = "1" * 14 + "001000"
    frame = HanFrame(
        START,
        ppmid.identity,
        esme.identity,
        reg.PREPAYMENT,
        encode_command(
            reg.PREPAYMENT,
            "consumer_top_up",
            tsn=3,
            originating_device=2,
            top_up_code=code.encode(),
        ),
    )
    (answer,) = _answers(esme, frame)
    assert answer.args["result_type"] == pp.ResultType.Rejected_Max_Credit_Reached
    assert esme.store.get("credit") == MAX_CREDIT - 500
    (read,) = _answers(
        esme,
        HanFrame(
            START, ppmid.identity, esme.identity, reg.PREPAYMENT, read_attributes([0x0001], tsn=4)
        ),
    )
    assert read.args["records"][0].value == MAX_CREDIT - 500


def test_a_defect_in_a_handler_answers_failure_and_rolls_back() -> None:
    site = build_site()
    esme = site.premises.esme

    def broken(now, frame, decoded):
        esme.store.set("credit", 123456)  # written, then the handler fails
        raise RuntimeError("defect")

    esme._on_get_top_up_log = broken
    credit = esme.store.get("credit")
    payload = encode_command(
        reg.PREPAYMENT, "get_top_up_log", tsn=5, latest_end_time=START, number_of_records=1
    )
    (answer,) = _answers(
        esme, HanFrame(START, site.premises.ppmid.identity, esme.identity, reg.PREPAYMENT, payload)
    )
    assert (answer.name, answer.args["status"]) == ("default_response", Status.FAILURE)
    assert esme.store.get("credit") == credit


def test_get_profile_invents_no_intervals_before_the_meter_recorded() -> None:
    site = build_site()
    site.run(START + 3 * HOUR)
    esme = site.premises.esme
    payload = encode_command(
        reg.METERING,
        "get_profile",
        tsn=6,
        interval_channel=0,
        end_time=START + DAY,
        number_of_periods=24,
    )
    (answer,) = _answers(
        esme,
        HanFrame(site.han.now, site.premises.ihd.identity, esme.identity, reg.METERING, payload),
    )
    assert answer.args["end_time"] == START + 3 * HOUR  # clamped to the last closed half hour
    assert answer.args["number_of_periods_delivered"] == 6  # 00:00..03:00, nothing before
    assert all(r.time >= START for r in site.premises.ihd.held()["profile"])
