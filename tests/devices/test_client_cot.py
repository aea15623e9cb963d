"""The Change of Tenancy behaviour of the reference IHD and PPMID (DOMAIN.md section 7)."""

from __future__ import annotations

import itertools
from dataclasses import replace

from hancot import timeutil as tu
from hancot.devices.client import ClientBehaviour
from hancot.zcl.clusters.device_management import ProposedTenancyChangeControl as Ctl
from tests.conftest import DAY, START, build_site

HOUR = 3600


def _reads(client, meter: str) -> list[int]:
    return [t for t, name in client.tenancy_reads if name == meter]


def _held_before(client, moment: int) -> int:
    return sum(1 for records in client.held().values() for r in records if r.time < moment)


def test_clients_query_both_meters_on_join_and_every_poll_interval() -> None:
    site = build_site()
    site.run(START + 2 * DAY)
    for client in site.premises.clients:
        for meter in ("ESME", "GPF"):
            reads = _reads(client, meter)
            assert reads[0] == START, f"{client.name} did not query {meter} on joining"
            gaps = [b - a for a, b in itertools.pairwise(reads)]
            assert max(gaps) <= 1800


def test_poll_interval_is_configurable() -> None:
    site = build_site(ihd=ClientBehaviour(poll_interval=600))
    site.run(START + 6 * HOUR)
    reads = _reads(site.premises.ihd, "ESME")
    assert len(reads) >= 36 and max(b - a for a, b in itertools.pairwise(reads)) <= 600


def test_clients_query_on_power_up() -> None:
    site = build_site()
    ihd = site.premises.ihd
    site.at(START + 5 * HOUR, lambda now: ihd.power_off(now))
    site.at(START + 7 * HOUR + 17, lambda now: ihd.power_on(now))
    site.run(START + 8 * HOUR)
    assert START + 7 * HOUR + 17 in _reads(ihd, "ESME")
    assert START + 7 * HOUR + 17 in _reads(ihd, "GPF")


def test_future_dated_cot_takes_effect_only_when_its_time_comes() -> None:
    cot = START + 5 * DAY
    site = build_site(move_in_b=cot)
    site.at(cot - 14 * HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(cot - 60)
    ihd = site.premises.ihd
    assert not ihd.clears
    assert _held_before(ihd, cot) > 100
    assert {m: v for m, (v, _) in ihd.tracker.pending.items()} == {"ESME": cot, "GPF": cot}
    site.run(cot + 1)
    assert [c.cot_time for _, c, _ in ihd.clears] == [cot]
    assert _held_before(ihd, cot) == 0
    assert _held_before(site.premises.ppmid, cot) == 0


def test_pending_cot_survives_a_power_cycle_without_the_meters() -> None:
    cot = START + 3 * DAY
    site = build_site(move_in_b=cot)
    ihd = site.premises.ihd
    site.at(cot - 10 * HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.at(cot - 5 * HOUR, lambda now: ihd.power_off(now))

    def back_on_alone(now: int):
        site.han.out_of_range.update({"ESME", "GPF"})  # it cannot re-read the meters
        return ihd.power_on(now)

    site.at(cot - 4 * HOUR, back_on_alone)
    site.run(cot + 10)
    assert [c.cot_time for _, c, _ in ihd.clears] == [cot]
    assert _held_before(ihd, cot) == 0


def test_the_same_cot_seen_again_clears_nothing_new() -> None:
    cot = START + 3 * DAY
    site = build_site(move_in_b=cot)
    site.at(cot - HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.at(cot + 2 * DAY, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(cot + 3 * DAY)
    ihd = site.premises.ihd
    assert len(ihd.clears) == 1
    days_of_b = [r for r in ihd.held()["day"] if r.time >= cot]
    assert len(days_of_b) >= 4  # two fuels, B's days kept


def test_backdated_cot_keeps_the_new_occupiers_days() -> None:
    moved_in = START + 4 * DAY
    site = build_site(move_in_b=moved_in)
    # The supplier learns of the move two days late and backdates the CoT to the move-in.
    site.at(
        moved_in + 2 * DAY + 9 * HOUR,
        lambda now: site.supplier.restrict_access_for_cot(now, moved_in),
    )
    site.run(moved_in + 2 * DAY + 10 * HOUR)
    ihd = site.premises.ihd
    assert [c.cot_time for _, c, _ in ihd.clears] == [moved_in]
    assert _held_before(ihd, moved_in) == 0
    kept_days = {r.time for r in ihd.held()["day"]}
    assert {moved_in, moved_in + DAY, moved_in + 2 * DAY} <= kept_days
    profile = [r for r in ihd.held()["profile"] if r.time >= moved_in]
    assert len(profile) == 2 * 2 * 48  # B's two full days of half hours, both fuels, kept


def test_cot_on_one_fuel_clears_both_fuels_and_a_later_one_is_applied_in_turn() -> None:
    first = START + 3 * DAY
    later = START + 5 * DAY
    site = build_site(move_in_b=first)
    site.at(
        first - HOUR, lambda now: site.supplier.restrict_access_for_cot(now, first, ["electricity"])
    )
    site.run(first + HOUR)
    ihd = site.premises.ihd
    assert [c.source for _, c, _ in ihd.clears] == ["ESME"]
    gas_before = [r for r in ihd.held()["day"] if r.data["fuel"] == "gas" and r.time < first]
    assert gas_before == []
    site.at(later - HOUR, lambda now: site.supplier.restrict_access_for_cot(now, later, ["gas"]))
    site.run(later + HOUR)
    assert [(c.source, c.cot_time) for _, c, _ in ihd.clears] == [("ESME", first), ("GPF", later)]


def _prepayment_site(policy: str, control: int = 1 << 9):
    cot = START + 4 * DAY
    site = build_site(move_in_b=cot, ppmid=ClientBehaviour(policy=policy))
    site.at(START + HOUR, lambda now: site.premises.esme.set_debt(now, 5000, 100))
    site.at(START + DAY + 9 * HOUR, lambda now: site.supplier.top_up(now, 1500))
    site.at(
        cot - HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot, control=control)
    )
    site.run(cot + HOUR)
    return site, cot


def test_extended_policy_clears_top_ups_and_debt_recovery() -> None:
    site, cot = _prepayment_site("extended")
    held = site.premises.ppmid.held()
    assert held["top_up"] == [] and [r for r in held["debt_log"] if r.time < cot] == []


def test_sec_minimum_keeps_prepayment_history_unless_bit_14_says_clear() -> None:
    site, cot = _prepayment_site("sec-minimum")
    held = site.premises.ppmid.held()
    assert len(held["top_up"]) == 1 and len(held["debt_log"]) >= 3
    assert held["message"] == []
    site, cot = _prepayment_site(
        "sec-minimum", control=int(Ctl.Clear_IHD_Data_Consumer | Ctl.Clear_Prepayment_Data)
    )
    held = site.premises.ppmid.held()
    assert held["top_up"] == [] and [r for r in held["debt_log"] if r.time < cot] == []


def test_cancellation_before_the_time_stops_a_pending_cot() -> None:
    cot = START + 3 * DAY
    site = build_site()
    site.at(cot - 12 * HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.at(cot - 6 * HOUR, lambda now: site.supplier.restrict_access_for_cot(now, tu.UTC_INVALID))
    site.run(cot + DAY)
    for client in site.premises.clients:
        assert client.clears == []
        assert client.tracker.pending == {}
    assert _held_before(site.premises.ihd, cot) > 100


def test_change_of_supplier_alone_clears_nothing() -> None:
    site = build_site()
    site.at(START + 2 * DAY, lambda now: site.supplier.change_supplier(now, 0x42, now))
    site.run(START + 4 * DAY)
    for client in site.premises.clients:
        assert client.clears == []
    assert site.premises.esme.store.get("provider_id") == 0x42
    assert len(site.premises.ihd.held()["day"]) >= 6


def test_messages_dated_before_the_cot_are_refused_when_they_arrive_late() -> None:
    cot = START + 3 * DAY
    site = build_site(move_in_b=cot)
    ihd = site.premises.ihd
    site.at(cot - 2 * HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.at(cot - HOUR, lambda now: site.han.out_of_range.add("IHD"))
    site.at(cot - 30 * 60, lambda now: site.supplier.display_message(now, "For A only"))
    site.at(cot + 5 * HOUR, lambda now: site.han.out_of_range.discard("IHD"))
    site.run(cot + 2 * DAY)
    texts = [r.data["text"] for r in ihd.held()["message"]]
    assert "For A only" not in texts
    assert ihd.clears


def test_an_esme_without_tenancy_attributes_is_reported_and_the_gpf_still_works() -> None:
    cot = START + 2 * DAY
    site = build_site(move_in_b=cot, esme_tenancy_attributes=False)
    site.at(cot - HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(cot + HOUR)
    ihd = site.premises.ihd
    assert ihd.meters["ESME"].tenancy_supported is False
    assert any("ESME" in line for line in ihd.status_lines())
    assert [c.source for _, c, _ in ihd.clears] == ["GPF"]
    assert _held_before(ihd, cot) == 0


def test_legacy_profile_never_reads_tenancy_and_keeps_everything() -> None:
    cot = START + 2 * DAY
    site = build_site(move_in_b=cot, ihd=ClientBehaviour.legacy())
    site.at(cot - HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(cot + DAY)
    ihd = site.premises.ihd
    assert ihd.tenancy_reads == [] and ihd.clears == []
    assert _held_before(ihd, cot) > 100


def test_clock_skew_acts_on_the_devices_own_clock() -> None:
    cot = START + 2 * DAY
    from hancot.han.frame import DeviceKind

    site = build_site(move_in_b=cot, clock_offsets={DeviceKind.IHD: -600})
    site.at(cot - HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(cot + 300)
    assert site.premises.ihd.clears == []  # its clock still reads before the CoT
    site.run(cot + 601)
    assert [c.cot_time for _, c, _ in site.premises.ihd.clears] == [cot]


def test_behaviour_rejects_unknown_policies() -> None:
    import pytest

    with pytest.raises(ValueError, match="policy"):
        replace(ClientBehaviour(), policy="everything")


def test_a_period_cut_by_the_cot_is_not_kept_from_a_meter_that_does_not_restrict() -> None:
    # A gas-only CoT at noon on a Wednesday: the IHD clears both fuels (one occupier), but the
    # ESME has no CoT, so its current day, week and month still count A's consumption.
    cot = START + 2 * DAY + 12 * HOUR
    site = build_site(move_in_b=cot)
    site.at(cot - HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot, ["gas"]))
    site.run(cot + 2 * HOUR)
    ihd = site.premises.ihd
    assert [c.cot_time for _, c, _ in ihd.clears] == [cot]
    straddling = {
        (r.kind, r.data["fuel"]) for kind in ("day", "week", "month") for r in ihd.held()[kind]
    }
    # The GPF restricts from the CoT, so its cut periods (re-dated to the CoT) are B's alone.
    assert {("day", "gas"), ("week", "gas"), ("month", "gas")} <= straddling
    assert not {k for k in straddling if k[1] == "electricity"}
    for record in ihd.held()["day"]:
        served = site.premises.gpf.consumption(site.han.now, cot, cot + DAY)
        assert record.data["fuel"] == "gas" and record.data["wh"] == served


def _join_ihd(site, at: int, clock_offset: int = 0):
    """Join a reference IHD at ``at`` to a premises built without one."""
    from hancot.devices.client import Ihd
    from hancot.han.frame import DeviceKind

    premises = site.premises
    ihd = Ihd(
        premises.identities[DeviceKind.IHD], behaviour=ClientBehaviour(), clock_offset=clock_offset
    )
    premises.han.add(ihd)
    for meter in (premises.esme, premises.gpf):
        meter.bind(ihd.identity)
    peers = {kind: premises.identities[kind] for kind in (DeviceKind.ESME, DeviceKind.GPF)}
    site.at(at, lambda now: premises.han.join(ihd, peers))
    return ihd


def test_history_is_labelled_by_the_meters_clock_not_a_skewed_display() -> None:
    # The IHD runs 10 minutes fast and polls at :25 and :55, so its daily history read comes at
    # its 00:05, the meters' 23:55: "yesterday" on the meter is the day before on the IHD.
    site = build_site(ihd=None)
    ihd = _join_ihd(site, START + 25 * 60, clock_offset=600)
    site.run(START + 4 * DAY)
    esme = site.premises.esme
    checked = 0
    for record in ihd.held()["day"]:
        if record.data["fuel"] == "electricity" and record.time + DAY <= START + 3 * DAY:
            served = esme.consumption(site.han.now, record.time, record.time + DAY)
            assert record.data["wh"] == served, tu.iso(record.time)
            checked += 1
    assert checked >= 3


def test_a_backdated_cot_from_before_the_display_joined_is_acted_on() -> None:
    moved_in = START + 10 * DAY
    site = build_site(move_in_b=moved_in, ihd=None)
    # A new IHD joins after the move; it reads A's history from the meters on joining.
    ihd = _join_ihd(site, moved_in + DAY)
    site.run(moved_in + DAY + HOUR)
    assert _held_before(ihd, moved_in) > 0
    # The supplier learns of the move late and backdates the CoT to before the IHD joined.
    site.at(moved_in + 2 * DAY, lambda now: site.supplier.restrict_access_for_cot(now, moved_in))
    site.run(moved_in + 2 * DAY + HOUR)
    assert [c.cot_time for _, c, _ in ihd.clears] == [moved_in]
    assert _held_before(ihd, moved_in) == 0
