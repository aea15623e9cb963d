"""The meters: history on the HAN, tenancy attributes, and the restriction after a CoT."""

from __future__ import annotations

from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.zcl import registry as reg
from hancot.zcl.clusters import metering as mt
from hancot.zcl.codec import decode_frame, encode_command, read_attributes
from hancot.zcl.header import Status
from tests.conftest import DAY, START, Site, build_site

HOUR = 3600
PROBE = DeviceIdentity("PROBE", DeviceKind.CAD, 0x1122334455667788, 0x7777)


def ask(site: Site, meter: str, cluster: int, payload: bytes) -> list:
    """Send a frame from a probe device and return the meter's decoded answers."""
    device = site.premises.han.device(meter)
    frame = HanFrame(site.han.now, PROBE, device.identity, cluster, payload)
    return [decode_frame(out.cluster, out.payload) for out in device.receive(site.han.now, frame)]


def values(answers: list) -> dict[int, object]:
    (answer,) = answers
    return {
        r.attr_id: (r.value if r.status == Status.SUCCESS else r.status)
        for r in answer.args["records"]
    }


def test_meters_serve_days_weeks_and_months_of_history() -> None:
    site = build_site()
    site.run(START + 10 * DAY + HOUR)
    for meter in ("ESME", "GPF"):
        ids = [mt.day_attribute(d) for d in range(9)]
        got = values(ask(site, meter, reg.METERING, read_attributes(ids[:8], tsn=1)))
        assert all(0 < int(got[a]) < 0xFFFFFF for a in ids[1:8]), (meter, got)
        week = values(
            ask(site, meter, reg.METERING, read_attributes([mt.week_attribute(1)], tsn=2))
        )
        assert 0 < int(week[mt.week_attribute(1)]) < 0xFFFFFF
        months = values(
            ask(
                site,
                meter,
                reg.METERING,
                read_attributes([mt.month_attribute(0), mt.month_attribute(3)], tsn=3),
            )
        )
        assert int(months[mt.month_attribute(0)]) > 0
        assert months[mt.month_attribute(3)] == 0xFFFFFFFF  # before the meter recorded anything


def test_meters_expose_the_tenancy_attributes_with_their_types() -> None:
    site = build_site()
    cot = START + 3 * DAY
    site.at(START + DAY, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(START + DAY + 1)
    for meter in ("ESME", "GPF"):
        (answer,) = ask(
            site, meter, reg.DEVICE_MANAGEMENT, read_attributes([0x0200, 0x0201], tsn=4)
        )
        records = {r.attr_id: r for r in answer.args["records"]}
        assert (records[0x0200].type_id, int(records[0x0200].value)) == (0xE2, cot)
        assert (records[0x0201].type_id, int(records[0x0201].value)) == (0x1B, 0x200)


def test_after_the_cot_meters_serve_no_pre_cot_history() -> None:
    cot = START + 6 * DAY
    site = build_site(move_in_b=cot)
    site.at(START + HOUR, lambda now: site.premises.esme.set_debt(now, 4000, 100))
    site.at(START + 2 * DAY, lambda now: site.supplier.top_up(now, 1000))
    site.at(START + 3 * DAY, lambda now: site.supplier.display_message(now, "A's message"))
    site.run(cot - HOUR)
    before = values(ask(site, "ESME", reg.METERING, read_attributes([mt.day_attribute(2)], tsn=5)))
    assert int(before[mt.day_attribute(2)]) < 0xFFFFFF
    site.at(cot - HOUR + 1, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(cot + DAY + 2 * HOUR)
    for meter in ("ESME", "GPF"):
        got = values(
            ask(
                site,
                meter,
                reg.METERING,
                read_attributes([mt.day_attribute(d) for d in (0, 1, 2, 3)], tsn=6),
            )
        )
        assert int(got[mt.day_attribute(0)]) > 0  # today: B's
        assert int(got[mt.day_attribute(1)]) > 0  # yesterday: B's first day
        assert got[mt.day_attribute(2)] == 0xFFFFFF and got[mt.day_attribute(3)] == 0xFFFFFF
        (profile,) = ask(
            site,
            meter,
            reg.METERING,
            encode_command(
                reg.METERING,
                "get_profile",
                tsn=7,
                interval_channel=0,
                end_time=cot,
                number_of_periods=24,
            ),
        )
        assert profile.name == "get_profile_response" and profile.args["status"] == 0x05
        assert profile.args["number_of_periods_delivered"] == 0
        (last,) = ask(
            site, meter, reg.MESSAGING, encode_command(reg.MESSAGING, "get_last_message", tsn=8)
        )
        assert (last.name, last.args["status"]) == ("default_response", Status.NOT_FOUND)
    (top_ups,) = ask(
        site,
        "ESME",
        reg.PREPAYMENT,
        encode_command(
            reg.PREPAYMENT, "get_top_up_log", tsn=9, latest_end_time=0xFFFFFFFE, number_of_records=5
        ),
    )
    assert top_ups.args["status"] == Status.NOT_FOUND
    debts = ask(
        site,
        "ESME",
        reg.PREPAYMENT,
        encode_command(
            reg.PREPAYMENT,
            "get_debt_repayment_log",
            tsn=10,
            latest_end_time=0xFFFFFFFE,
            number_of_debts=20,
            debt_type=0xFF,
        ),
    )
    times = [int(r.collection_time) for d in debts for r in d.args["debt_payload"]]
    assert times and min(times) >= cot


def test_get_change_of_tenancy_publishes_or_answers_not_found() -> None:
    site = build_site()
    (answer,) = ask(
        site,
        "GPF",
        reg.DEVICE_MANAGEMENT,
        encode_command(reg.DEVICE_MANAGEMENT, "get_change_of_tenancy", tsn=11),
    )
    assert (answer.name, answer.args["status"]) == ("default_response", Status.NOT_FOUND)
    site.supplier.restrict_access_for_cot(site.han.now, START + DAY)
    (answer,) = ask(
        site,
        "GPF",
        reg.DEVICE_MANAGEMENT,
        encode_command(reg.DEVICE_MANAGEMENT, "get_change_of_tenancy", tsn=12),
    )
    assert answer.name == "publish_change_of_tenancy"
    assert answer.header.tsn == 12
    assert answer.args["implementation_date_time"] == START + DAY


def test_gsme_readings_reach_the_gpf() -> None:
    site = build_site()
    site.run(START + DAY)
    gsme_total = site.premises.gsme.store.get("summation")
    assert gsme_total > 0
    assert site.premises.gpf.store.get("summation") == gsme_total
