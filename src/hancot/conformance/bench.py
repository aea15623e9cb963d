"""The test bench: one fresh premises per scenario, with the device under test in its slot.

The bench builds a :class:`~hancot.han.premises.Premises` with no IHD or PPMID of its own, then
joins the device under test in the IHD or PPMID slot (same EUI-64, short address and link key the
premises would have given its own device), bound to the ESME and the GPF.  Every frame on the
air is kept (raw) so a check can quote, decoded, the frames that decided it.

For a meter subject the premises' own ESME or GPF is the device under test (with the subject's
faults switched on) and a :class:`Probe` in the IHD slot asks it questions.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hancot import timeutil as tu
from hancot.conformance.devices import Subject
from hancot.conformance.dut import DeviceUnderTest, Observation
from hancot.conformance.guard import DutError, GuardedDut, SkewedDut
from hancot.devices.base import Device
from hancot.devices.meter import Meter
from hancot.errors import ZclError
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.han.log import summarise
from hancot.han.occupancy import Occupancy, Occupant
from hancot.han.premises import Premises, PremisesConfig
from hancot.wan.supplier import Supplier
from hancot.zcl import registry as reg
from hancot.zcl.codec import ZclFrame, decode_frame

#: Scenarios start on a Monday at midnight, so days and weeks line up with the calendar.
START = tu.parse_iso("2026-01-05T00:00:00Z")
HOUR = 3600
MINUTE = 60
OCCUPIER_A = Occupant("Occupier A", electricity_per_day=9_500, gas_per_day=38_000)
OCCUPIER_B = Occupant("Occupier B", electricity_per_day=5_500, gas_per_day=22_000)
#: Evidence quotes at most this many frames per check.
MAX_EVIDENCE_FRAMES = 40
#: Record kinds that are historic consumption.
HISTORY_KINDS = ("day", "week", "month")


@dataclass
class BenchOptions:
    """How a scenario wants its premises."""

    moved_in: int = START + 36 * HOUR
    esme_tenancy_attributes: bool = True
    gpf_tenancy_attributes: bool = True
    #: Clock offsets (seconds) of the device under test and of the meters.
    dut_clock_offset: int = 0
    meter_clock_offsets: dict[DeviceKind, int] = field(default_factory=dict)
    #: Meter faults for this scenario (on top of a meter subject's own).
    meter_faults: dict[DeviceKind, dict[str, bool]] = field(default_factory=dict)
    seed: int = 1


@dataclass(frozen=True)
class FrameRecord:
    #: The premises' time when the frame went on the air (a skewed device stamps its own).
    time: int
    frame: HanFrame
    delivered: bool

    def line(self) -> str:
        mark = "" if self.delivered else " [not delivered]"
        return (
            f"{tu.iso(self.time)}:{self.time % 60:02d} {self.frame.src.name}->"
            f"{self.frame.dst.name} {reg.cluster_name(self.frame.cluster)} "
            f"{summarise(self.frame)}{mark}"
        )


def observation_summary(obs: Observation, cot: int | None = None) -> dict[str, Any]:
    """An observation as JSON-safe evidence: counts by kind (and dated before ``cot``)."""
    by_kind: dict[str, int] = {}
    before: dict[str, int] = {}
    for record in obs.records:
        by_kind[record.kind] = by_kind.get(record.kind, 0) + 1
        if cot is not None and record.time < cot:
            before[record.kind] = before.get(record.kind, 0) + 1
    summary: dict[str, Any] = {"records": by_kind}
    if cot is not None:
        summary["dated_before_cot"] = before
    try:
        summary["shows"] = json.loads(json.dumps(obs.shows, default=str))
    except (TypeError, ValueError):
        summary["shows"] = repr(obs.shows)[:500]
    summary["status"] = [str(s) for s in obs.status]
    return summary


class Probe(Device):
    """Plays an IHD towards a meter under test: sends what it is told, keeps every answer."""

    kind = DeviceKind.IHD
    clusters = frozenset(reg.CLUSTERS)

    def __init__(self, identity: DeviceIdentity) -> None:
        super().__init__(identity)
        self.received: list[tuple[int, HanFrame, ZclFrame | None]] = []

    def receive(self, now: int, frame: HanFrame) -> list[HanFrame]:
        try:
            decoded: ZclFrame | None = decode_frame(frame.cluster, frame.payload)
        except ZclError:
            decoded = None
        self.received.append((now, frame, decoded))
        return []


class Bench:
    """One scenario's premises, supplier, device under test and frame record."""

    def __init__(self, subject: Subject, options: BenchOptions | None = None) -> None:
        self.subject = subject
        self.options = opts = options or BenchOptions()
        self.moved_in = opts.moved_in
        occupancy = Occupancy(opts.seed, [(START, OCCUPIER_A), (opts.moved_in, OCCUPIER_B)])
        self.premises = Premises(
            START,
            occupancy,
            PremisesConfig(
                seed=opts.seed,
                ihd=None,
                ppmid=None,
                esme_tenancy_attributes=opts.esme_tenancy_attributes,
                gpf_tenancy_attributes=opts.gpf_tenancy_attributes,
                clock_offsets=dict(opts.meter_clock_offsets),
            ),
        )
        self.han = self.premises.han
        self.supplier = Supplier(self.premises)
        self.frames: list[FrameRecord] = []
        self.han.taps.append(
            lambda frame, delivered: self.frames.append(FrameRecord(self.han.now, frame, delivered))
        )
        faults = {k: dict(v) for k, v in opts.meter_faults.items()}
        if subject.is_meter:
            faults.setdefault(subject.kind, {}).update(subject.meter_faults)
        for kind, flags in faults.items():
            meter = self.meter(kind)
            for flag, value in flags.items():
                if not hasattr(meter, flag):
                    raise DutError(f"meter model has no fault switch {flag!r}")
                setattr(meter, flag, value)
        self.slot = DeviceKind.IHD if subject.is_meter else subject.kind
        self.identity = self.premises.identities[self.slot]
        self.dut: GuardedDut | None = None
        self.probe: Probe | None = None
        self.joined_at: int | None = None

    # -- the devices -------------------------------------------------------------------------
    def meter(self, kind: DeviceKind) -> Meter:
        return self.premises.esme if kind == DeviceKind.ESME else self.premises.gpf

    @property
    def esme(self) -> DeviceIdentity:
        return self.premises.identities[DeviceKind.ESME]

    @property
    def gpf(self) -> DeviceIdentity:
        return self.premises.identities[DeviceKind.GPF]

    @property
    def name(self) -> str:
        return self.identity.name

    def commission(self) -> None:
        """Join the meters and the device under test (or the probe) at the current time."""
        self.premises.commission()
        ids = self.premises.identities
        if self.subject.is_meter:
            self.probe = Probe(self.identity)
            device: Any = self.probe
        else:
            if self.subject.factory is None:
                raise DutError(f"subject {self.subject.name} has no factory")
            try:
                built = self.subject.factory(self.identity)
            except Exception as exc:
                raise DutError(f"the device factory raised {type(exc).__name__}: {exc}") from exc
            inner: DeviceUnderTest = built
            if self.options.dut_clock_offset:
                inner = SkewedDut(inner, self.options.dut_clock_offset)
            self.dut = GuardedDut(inner)
            if self.dut.kind != self.slot:
                raise DutError(
                    f"device says it is a {self.dut.kind}, but the kit is testing a {self.slot}"
                )
            if self.dut.identity.eui64 != self.identity.eui64:
                raise DutError(
                    f"device took EUI-64 {self.dut.identity.eui64_text}, not the one the kit "
                    f"gave it ({self.identity.eui64_text})"
                )
            device = self.dut
        self.han.add(device)
        self.premises.chf.admit(self.identity)
        self.premises.esme.bind(self.identity)
        self.premises.gpf.bind(self.identity)
        self.joined_at = self.han.now
        self.han.join(
            device, {DeviceKind.ESME: ids[DeviceKind.ESME], DeviceKind.GPF: ids[DeviceKind.GPF]}
        )

    def close(self) -> None:
        if self.dut is not None:
            with contextlib.suppress(DutError):
                self.dut.close()
        self.premises.close()

    # -- time ---------------------------------------------------------------------------------
    @property
    def now(self) -> int:
        return self.han.now

    def run_until(self, time: int) -> None:
        self.han.run_until(time)

    def at(
        self, time: int, action: Callable[[int], Iterable[HanFrame] | None], label: str = ""
    ) -> None:
        self.han.schedule(time, action, label)

    def run_action(self, time: int, action: Callable[[int], Iterable[HanFrame] | None]) -> None:
        """Run to ``time``, then do ``action`` and deliver what it sends."""
        self.run_until(time)
        self.han.send(action(self.now))
        self.run_until(time)

    # -- WAN and physical actions ---------------------------------------------------------------
    def cot(
        self, time: int, value: int, fuels: tuple[str, ...] = ("electricity", "gas"), **kw: Any
    ) -> None:
        self.run_action(
            time, lambda now: self.supplier.restrict_access_for_cot(now, value, fuels, **kw)
        )

    def message(self, time: int, text: str, fuels: tuple[str, ...] = ("electricity",)) -> None:
        self.run_action(time, lambda now: self.supplier.display_message(now, text, fuels))

    def power_off(self, time: int) -> None:
        self.run_until(time)
        assert self.dut is not None
        self.dut.power_off(self.now)

    def power_on(self, time: int) -> None:
        self.run_until(time)
        assert self.dut is not None
        self.han.send(self.dut.power_on(self.now))
        self.run_until(time)

    def set_out_of_range(self, time: int, out: bool) -> None:
        self.run_until(time)
        if out:
            self.han.out_of_range.add(self.name)
        else:
            self.han.out_of_range.discard(self.name)

    def inject(self, time: int, src: DeviceIdentity, cluster: int, payload: bytes) -> None:
        """Put a frame from ``src`` to the device under test on the air at ``time``."""
        self.run_until(time)
        self.han.inject(
            HanFrame(time=self.now, src=src, dst=self.identity, cluster=cluster, payload=payload)
        )
        self.run_until(time)

    def answer_next_query(self, meter: DeviceKind, payload: Callable[[int], bytes]) -> None:
        """Answer the device's next tenancy query to ``meter`` with ``payload(tsn)`` sent in the
        meter's name (APS-secured with its link key), ahead of the meter's own answer.

        A device that trusts only answers to its own requests (docs/security.md) still takes this
        one: it is how the kit hands it a Publish Change of Tenancy of its choosing.
        """
        source = self.premises.identities[meter]

        def tap(frame: HanFrame, delivered: bool) -> None:
            if (
                delivered
                and frame.src.name == self.name
                and frame.dst.name == meter.value
                and frame.cluster == reg.DEVICE_MANAGEMENT
                and is_tenancy_query(frame.payload)
            ):
                self.han.taps.remove(tap)
                tsn = frame.payload[3] if frame.payload[0] & 0x04 else frame.payload[1]
                self.han.inject(
                    HanFrame(
                        time=self.now,
                        src=source,
                        dst=self.identity,
                        cluster=reg.DEVICE_MANAGEMENT,
                        payload=payload(tsn),
                        aps_secured=source.link_key is not None,
                    )
                )

        self.han.taps.append(tap)

    def probe_send(
        self, time: int, dst: DeviceIdentity, cluster: int, payload: bytes
    ) -> list[ZclFrame | None]:
        """From the probe, send one frame to a meter; the decoded answers it got."""
        assert self.probe is not None
        self.run_until(time)
        mark = len(self.probe.received)
        self.han.inject(
            HanFrame(time=self.now, src=self.identity, dst=dst, cluster=cluster, payload=payload)
        )
        self.run_until(time)
        return [decoded for _, _, decoded in self.probe.received[mark:]]

    # -- observing ------------------------------------------------------------------------------
    def observe(self) -> Observation:
        assert self.dut is not None
        return self.dut.observe(self.now)

    def frames_between(
        self,
        start: int,
        end: int,
        *,
        cluster: int | None = None,
        involving_dut: bool = True,
    ) -> list[FrameRecord]:
        return [
            r
            for r in self.frames
            if start <= r.time <= end
            and (cluster is None or r.frame.cluster == cluster)
            and (not involving_dut or self.name in (r.frame.src.name, r.frame.dst.name))
        ]

    def evidence_frames(self, records: list[FrameRecord]) -> list[str]:
        lines = [r.line() for r in records[:MAX_EVIDENCE_FRAMES]]
        if len(records) > MAX_EVIDENCE_FRAMES:
            lines.append(f"... {len(records) - MAX_EVIDENCE_FRAMES} more frame(s)")
        return lines

    def tenancy_queries(self, start: int, end: int, meter: DeviceKind) -> list[FrameRecord]:
        """Frames in which the device under test asked ``meter`` for CoT information."""
        found = []
        for record in self.frames_between(start, end, cluster=reg.DEVICE_MANAGEMENT):
            frame = record.frame
            if frame.src.name != self.name or frame.dst.name != meter.value:
                continue
            if is_tenancy_query(frame.payload):
                found.append(record)
        return found


def is_tenancy_query(payload: bytes) -> bool:
    """A Device Management frame asking for CoT information: a Read Attributes naming 0x0200
    or 0x0201 (server attributes), or Get Change of Tenancy (client command 0x00)."""
    try:
        decoded = decode_frame(reg.DEVICE_MANAGEMENT, payload)
    except ZclError:
        return False
    if decoded.header.server_to_client:
        return False
    if decoded.name == "read_attributes":
        return bool({0x0200, 0x0201} & set(decoded.args["attribute_ids"]))
    return decoded.name == "get_change_of_tenancy"
