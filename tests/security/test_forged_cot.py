"""Forged, replayed and suppressed Change of Tenancy on a real premises (docs/security.md).

Every attacker here holds the network key (a CAD can join any premises' HAN), so it can put any
NWK-level frame on the air with any source address.  The defence under test: a client acts only on
tenancy values answering its own outstanding request to the meter it is bound to, APS-secured where
the pair holds link keys (PPMID), dated plausibly.  Each attack must wipe nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from hancot import timeutil as tu
from hancot.devices.client import HanClient
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.zcl import registry as reg
from hancot.zcl.codec import AttributeValue, decode_frame, encode_command, read_attributes_response
from hancot.zcl.header import ZclHeader
from tests.conftest import DAY, START, Site, build_site

HOUR = 3600
ATTACK = START + 2 * DAY + 12 * HOUR
CAD = DeviceIdentity("CAD", DeviceKind.CAD, 0x00DB1234567890F0, 0x4242, link_key=bytes(16))


def _site() -> Site:
    """Occupier A, two and a half days in: history, messages, top-ups on both clients."""
    site = build_site()
    site.at(START + HOUR, lambda now: site.premises.esme.set_debt(now, 6000, 50))
    for day in (0, 1):
        site.at(START + day * DAY + 9 * HOUR, lambda now: site.supplier.top_up(now, 2000))
        site.at(
            START + day * DAY + 10 * HOUR,
            lambda now, d=day: site.supplier.display_message(now, f"For A, day {d}"),
        )
    site.run(ATTACK)
    return site


def _clients(site: Site) -> list[HanClient]:
    return site.premises.clients


def _holdings(site: Site) -> dict[str, dict[str, list[Any]]]:
    return {
        c.name: {k: [(r.key, r.time) for r in v] for k, v in c.held().items()}
        for c in _clients(site)
    }


def _tenancy_rsp(tsn: int, value: int, control: int = 1 << 9) -> bytes:
    request = ZclHeader(cluster_specific=False, server_to_client=False, tsn=tsn, command_id=0x00)
    return read_attributes_response(
        request,
        reg.DEVICE_MANAGEMENT,
        [AttributeValue(0x0200, value=value), AttributeValue(0x0201, value=control)],
    )


def _publish(tsn: int, value: int, issuer: int, provider: int = 1) -> bytes:
    return encode_command(
        reg.DEVICE_MANAGEMENT,
        "publish_change_of_tenancy",
        tsn=tsn,
        provider_id=provider,
        issuer_event_id=issuer,
        tariff_type=0,
        implementation_date_time=value,
        proposed_tenancy_change_control=1 << 9,
    )


def _spoof(
    site: Site, kind: DeviceKind, *, eui64: int | None = None, key: bytes | None = None
) -> DeviceIdentity:
    real = site.premises.identities[kind]
    return DeviceIdentity(
        real.name, real.kind, real.eui64 if eui64 is None else eui64, real.nwk, key
    )


def _inject_to_clients(site: Site, src: DeviceIdentity, payload: bytes, **kw: Any) -> None:
    for client in _clients(site):
        site.han.inject(
            HanFrame(site.han.now, src, client.identity, reg.DEVICE_MANAGEMENT, payload, **kw)
        )


def _assert_no_wipe(site: Site, before: dict[str, Any], until: int) -> None:
    site.run(until)
    for client in _clients(site):
        assert client.clears == [], (client.name, client.notes[-3:])
        assert client.tracker.watermark == 0 and client.tracker.pending == {}
        now_held = {k: {key for key, _ in v} for k, v in _holdings(site)[client.name].items()}
        for kind, items in before[client.name].items():
            assert {key for key, _ in items} <= now_held[kind], (client.name, kind)
    # The control: the occupier's data is there to be wiped.
    assert sum(len(v) for v in before["IHD"].values()) > 100
    assert sum(len(v) for v in before["PPMID"].values()) > 0


PAST = ATTACK - HOUR


def _unsolicited(site: Site, src: DeviceIdentity) -> None:
    for tsn in range(256):  # every sequence number, blind
        _inject_to_clients(site, src, _tenancy_rsp(tsn, PAST))


ATTACKS: dict[str, Callable[[Site], None]] = {
    "rogue CAD publishes a CoT": lambda s: _inject_to_clients(s, CAD, _publish(1, PAST, 2**31)),
    "rogue CAD answers a read it never got": lambda s: _inject_to_clients(
        s, CAD, _tenancy_rsp(5, PAST)
    ),
    "ESME short address, CAD's EUI-64": lambda s: _unsolicited(
        s, _spoof(s, DeviceKind.ESME, eui64=CAD.eui64)
    ),
    "ESME short address, no EUI-64": lambda s: _unsolicited(s, _spoof(s, DeviceKind.ESME, eui64=0)),
    "ESME short address and EUI-64, every sequence number": lambda s: _unsolicited(
        s, _spoof(s, DeviceKind.ESME)
    ),
    "GPF short address and EUI-64, every sequence number": lambda s: _unsolicited(
        s, _spoof(s, DeviceKind.GPF)
    ),
    "spoofed ESME publishes with a huge issuer id": lambda s: _inject_to_clients(
        s, _spoof(s, DeviceKind.ESME), _publish(9, PAST, 2**32 - 1)
    ),
    "spoofed GPF publishes for another provider": lambda s: _inject_to_clients(
        s, _spoof(s, DeviceKind.GPF), _publish(9, PAST, 2**31, provider=0xBAD)
    ),
    "spoofed ESME claims APS security with a guessed key": lambda s: [
        _inject_to_clients(
            s, _spoof(s, DeviceKind.ESME, key=bytes(16)), _tenancy_rsp(t, PAST), aps_secured=True
        )
        for t in range(256)
    ],
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_forged_cot_wipes_nothing(attack: str) -> None:
    site = _site()
    before = _holdings(site)
    ATTACKS[attack](site)
    _assert_no_wipe(site, before, ATTACK + 3 * HOUR)
    assert any(c.refused for c in _clients(site))


def test_a_replayed_genuine_answer_wipes_nothing() -> None:
    # Record the genuine answers to a real CoT at one premises; replay them at another with the
    # same keys and addresses (same seed) where no CoT was set.
    donor = build_site(move_in_b=START + DAY)
    donor.at(START + DAY, lambda now: donor.supplier.restrict_access_for_cot(now, START + DAY))
    donor.run(START + DAY + 2 * HOUR)
    answers = [
        f
        for f, _ in donor.frames
        if f.cluster == reg.DEVICE_MANAGEMENT
        and f.src.kind in (DeviceKind.ESME, DeviceKind.GPF)
        and decode_frame(f.cluster, f.payload).name == "read_attributes_rsp"
        and decode_frame(f.cluster, f.payload).args["records"][0].value == START + DAY
    ]
    assert (
        answers and donor.premises.ihd is not None and donor.premises.ihd.clears
    )  # it worked there
    site = _site()
    before = _holdings(site)
    for frame in answers:
        site.han.inject(replace(frame, time=site.han.now))
    _assert_no_wipe(site, before, ATTACK + 3 * HOUR)


def _race(site: Site, value: int, *, aps_guess: bool) -> list[int]:
    """A sniffer that answers every tenancy read it hears, before the meter does, with the
    meter's addresses and the request's sequence number (it holds the network key)."""
    seen: list[int] = []

    def tap(frame: HanFrame, delivered: bool) -> None:
        if frame.cluster != reg.DEVICE_MANAGEMENT or frame.src.kind not in (
            DeviceKind.IHD,
            DeviceKind.PPMID,
        ):
            return
        decoded = decode_frame(frame.cluster, frame.payload)
        if decoded.name != "read_attributes":
            return
        seen.append(decoded.header.tsn)
        forged = HanFrame(
            frame.time,
            DeviceIdentity(
                frame.dst.name, frame.dst.kind, frame.dst.eui64, frame.dst.nwk, bytes(16)
            ),
            frame.src,
            reg.DEVICE_MANAGEMENT,
            _tenancy_rsp(decoded.header.tsn, value),
            aps_secured=aps_guess,
        )
        site.han.inject(forged)

    site.han.taps.append(tap)
    return seen


@pytest.mark.parametrize("aps_guess", [False, True])
def test_a_sniffing_racer_cannot_wipe_the_ppmid(aps_guess: bool) -> None:
    site = _site()
    before = _holdings(site)
    seen = _race(site, PAST, aps_guess=aps_guess)
    site.run(ATTACK + 3 * HOUR)
    assert seen
    ppmid = site.premises.ppmid
    assert ppmid is not None and ppmid.clears == [] and ppmid.tracker.watermark == 0
    after = _holdings(site)["PPMID"]
    for kind, items in before["PPMID"].items():
        assert {key for key, _ in items} <= {key for key, _ in after[kind]}
    assert any("APS" in reason for _, _, reason in ppmid.refused)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (ATTACK + 3 * 365 * DAY, "far in the future"),
        (tu.UTC_INVALID - 1, "far in the future"),
        (1, "older than any history a meter serves"),
        (START - 500 * DAY, "older than any history a meter serves"),
    ],
)
def test_absurd_dates_are_refused_even_from_the_meter(value: int, why: str) -> None:
    site = _site()
    before = _holdings(site)
    # The meters themselves serve the absurd value (a supplier's mistake, or a racer).
    site.premises.esme.wan_set_tenancy(site.han.now, value)
    site.premises.gpf.wan_set_tenancy(site.han.now, value)
    _assert_no_wipe(site, before, ATTACK + 3 * HOUR)
    for client in _clients(site):
        assert any(why in reason for _, _, reason in client.refused)


def test_genuine_cot_still_works_with_a_forger_about() -> None:
    # A forger floods for a moment, then stops; the genuine CoT set later is acted on.
    site = _site()
    _unsolicited(site, _spoof(site, DeviceKind.ESME))
    site.run(ATTACK + HOUR)
    cot = ATTACK + 2 * HOUR
    site.at(cot, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(cot + HOUR)
    for client in _clients(site):
        assert [c.cot_time for _, c, _ in client.clears] == [cot]
        assert all(r.time >= cot for v in client.held().values() for r in v)


def test_suppressed_polls_the_cot_is_acted_on_at_the_next_successful_poll() -> None:
    site = _site()
    cot = ATTACK + HOUR
    jam_until = cot + 5 * HOUR

    def jammed(frame: HanFrame) -> bool:  # every tenancy read or answer is lost until jam_until
        return not (frame.cluster == reg.DEVICE_MANAGEMENT and site.han.now < jam_until)

    site.han.link_filters.append(jammed)
    site.at(cot - 10 * 60, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(jam_until - 1)
    for client in _clients(site):
        assert client.clears == []  # it never heard
        assert client.store.count(client.record_kinds, before=cot) > 0
    site.run(jam_until + 3 * HOUR)
    for client in _clients(site):
        ((when, clear, _),) = client.clears
        assert clear.cot_time == cot
        # The first poll after the jam ends (every 30 minutes) acts on it.
        assert jam_until <= when <= jam_until + client.behaviour.poll_interval
        assert all(r.time >= cot for v in client.held().values() for r in v)


def test_a_forger_sending_garbage_all_along_cannot_suppress_the_cot() -> None:
    # Refused forgeries in a meter's name must not make the genuine answers untrusted: a forger
    # sending one bad answer a minute in each meter's name would otherwise stop every CoT.
    site = _site()
    cot = ATTACK + 2 * HOUR

    def forge(now: int) -> None:
        for kind in (DeviceKind.ESME, DeviceKind.GPF):
            _inject_to_clients(site, _spoof(site, kind), _tenancy_rsp(0xEE, PAST))
        if now < cot + DAY:
            site.at(now + 55, forge)

    site.at(ATTACK, forge)
    site.at(cot - HOUR, lambda now: site.supplier.restrict_access_for_cot(now, cot))
    site.run(cot + HOUR)
    for client in _clients(site):
        assert client.refused, client.name  # the forger was active and refused
        assert [c.cot_time for _, c, _ in client.clears] == [cot], client.name
        assert all(r.time >= cot for v in client.held().values() for r in v)
