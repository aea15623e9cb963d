"""Change of Tenancy compliance from a HAN capture: who read the tenancy attributes, when the CoT
changed, and whether anything of the previous occupier still went on the air afterwards.

Works on hancot's own captures and on a real sniffer's (link types 195 and 230), given the
network key (and link keys where APS security is used).  Sans-IO at its core: :class:`Auditor`
is fed decoded :class:`~hancot.capture.decoder.CaptureRecord` objects in capture order and
:meth:`Auditor.finish` returns an :class:`AuditReport`; :func:`audit_capture` adds the file.

How the capture is read:

* **Devices** are told apart by EUI-64, from the NWK auxiliary header (or the NWK extended source
  when NWK security is off), with the NWK short addresses each was seen using.  A destination is
  known only by short address; it is resolved through the device that answers (the CHF and the
  GPF can share one short address), else through the one EUI-64 seen with that address.
* **Roles.** Meters are the devices answering reads of Device Management 0x0200/0x0201 or of
  Metering history (history attributes, Get Profile) or the prepayment logs; clients are the
  devices asking for them.
* **Conversations.** A response is paired with its request by ZCL sequence number (TSN), cluster
  and the two short addresses (ZCL r8 2.4.1.3: a response carries its request's TSN).
* **The CoT.** A meter's CoT value is what it answers for 0x0200 (and in Publish Change of
  Tenancy).  A value other than 0 and 0xFFFFFFFF takes effect at the later of its date-time and the
  first frame showing it (a backdated CoT takes effect when set, DOMAIN.md section 7); 0xFFFFFFFF
  cancels one that has not yet taken effect.
* **Violations** (DOMAIN.md section 7, "Meters" and "What a CoT is"):
  ``pre-cot-history``: after a meter's CoT took effect it served a record dated wholly before it:
  a history attribute (day/week/month consumption whose period ends at or before the CoT, with a
  value other than the ZCL invalid value), Get Profile intervals, top-up or debt log entries, or a
  top-up slot attribute; ``pre-cot-to-client``: a Display Message whose start time is before the
  CoT was sent to a client after the CoT took effect; ``tenancy-never-read``: a client that talks to
  a meter never read that meter's tenancy attributes (SECMP0056 mandates the query; a v4.2 IHD or
  PPMID does not make it).
* **Warnings** do not fail the audit: gaps between a client's tenancy reads longer than the
  expected poll interval (default 30 minutes), tenancy reads left unanswered, meters answering
  UNSUPPORTED_ATTRIBUTE (pre-ESMETS 5.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from os import PathLike
from typing import Any

from hancot import timeutil as tu
from hancot.capture.decoder import CaptureRecord, LinkKeys
from hancot.capture.pcap import PcapReader
from hancot.capture.reader import decode_records
from hancot.devices.periods import HISTORY_ATTRIBUTE_IDS, history_periods
from hancot.errors import HancotError, ZclDecodeError
from hancot.zcl import registry as reg
from hancot.zcl.codec import ZclFrame, decode_frame
from hancot.zcl.header import Status, parse_header

#: The poll interval DOMAIN.md section 7 reads for IHD/PPMID tenancy queries.
DEFAULT_MAX_GAP = 1800
#: Violation rules, in report order.
RULES = {
    "pre-cot-history": "meter served history dated before the CoT after it took effect",
    "pre-cot-to-client": "item dated before the CoT sent to an IHD/PPMID after it took effect",
    "tenancy-never-read": "client never read the tenancy attributes of a meter it talks to",
}
TENANCY_ATTRIBUTES = (0x0200, 0x0201)
#: Identifiers above the EUI-64 range stand for a device known only by its NWK short address.
_NWK_ONLY = 1 << 64
#: Get Profile interval period codes (SE 1.4 D.3.2.3.1.1.3) in seconds.
_PROFILE_PERIOD = {0: 86400, 1: 3600, 2: 1800, 3: 900, 4: 600, 5: 450, 6: 300, 7: 150}
#: Prepayment top-up slot date-time attributes 0x01n0, n = 0..4 (SE 1.4 D.7.2.2.2).
_TOP_UP_TIMES = {0x0100 + 0x10 * n for n in range(5)}
_EXAMPLE_NOTES = 20
HISTORY_ATTRIBUTES = HISTORY_ATTRIBUTE_IDS


def history_period(attr_id: int, at: int) -> tuple[int, int] | None:
    """The [start, end) a Metering history attribute read at ``at`` covers, or None (the
    meters' own table, devices/periods.py)."""
    period = history_periods(at).get(attr_id)
    return None if period is None else (period.start, period.end)


def _eui_text(eui64: int) -> str:
    return ":".join(f"{b:02x}" for b in eui64.to_bytes(8, "big"))


def _when(utc: int | None) -> str | None:
    if utc is None:
        return None
    if utc == tu.UTC_INVALID:
        return "0xFFFFFFFF (cancel)"
    if utc == 0:
        return "0 (unset)"
    return tu.to_datetime(utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- report ---------------------------------------------------------------------------------------
@dataclass
class DeviceSummary:
    """One device of the capture."""

    id: str
    eui64: str | None
    nwk: list[str]
    name: str | None
    roles: list[str]
    frames_sent: int
    frames_undecoded: int
    clusters_served: list[str]
    clusters_asked: list[str]
    tenancy_attributes: str  # supported / unsupported / unknown (meters only)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


@dataclass
class TenancyReadSummary:
    """How one client read one meter's tenancy attributes."""

    client: str
    meter: str
    reads: int
    answered: int
    get_change_of_tenancy: int
    first: str | None
    last: str | None
    mean_interval_s: float | None
    max_gap_s: int | None
    gaps_over_limit: int
    values_seen: list[str]


@dataclass
class CotChange:
    """A meter's ChangeOfTenancyUpdateDateTime as seen on the air changed (or was first seen)."""

    time: str
    frame: int
    meter: str
    previous: str | None
    value: str
    control: str | None


@dataclass
class ViolationGroup:
    """Frames breaking one rule between the same two devices, for the same kind of item."""

    rule: str
    kind: str
    sender: str
    receiver: str
    count: int
    first_frame: int
    first_time: str
    last_frame: int
    last_time: str
    cot: str
    example: str


@dataclass
class AuditReport:
    """The outcome of an audit; :attr:`verdict` is ``compliant``, ``violation`` or
    ``inconclusive`` (no frame could be decoded to ZCL, e.g. a wrong network key)."""

    source: str
    linktype: int | None
    frames: int
    decoded: int
    zcl_frames: int
    first_time: str | None
    last_time: str | None
    max_gap_s: int
    note_counts: dict[str, int]
    notes: list[dict[str, Any]]
    devices: list[DeviceSummary]
    tenancy_reads: list[TenancyReadSummary]
    cot_changes: list[CotChange]
    cot_in_effect: list[dict[str, str]]
    violations: list[ViolationGroup]
    warnings: list[str]

    @property
    def verdict(self) -> str:
        if self.violations:
            return "violation"
        if self.zcl_frames == 0:
            return "inconclusive"
        return "compliant"

    def as_dict(self) -> dict[str, Any]:
        def plain(items: Iterable[Any]) -> list[dict[str, Any]]:
            return [dict(vars(item)) for item in items]

        return {
            "verdict": self.verdict,
            "capture": {
                "source": self.source,
                "linktype": self.linktype,
                "frames": self.frames,
                "decoded_to_zcl": self.zcl_frames,
                "first": self.first_time,
                "last": self.last_time,
            },
            "notes": {"counts": self.note_counts, "examples": self.notes},
            "devices": plain(self.devices),
            "tenancy_reads": {"max_gap_s": self.max_gap_s, "pairs": plain(self.tenancy_reads)},
            "cot_changes": plain(self.cot_changes),
            "cot_in_effect": self.cot_in_effect,
            "violations": plain(self.violations),
            "warnings": self.warnings,
        }

    def render(self) -> str:
        """The human-readable report."""
        lines = [
            f"Capture {self.source}: {self.frames} frames (link type {self.linktype}), "
            f"{self.zcl_frames} decoded to ZCL, {self.first_time} .. {self.last_time}",
        ]
        if self.note_counts:
            lines.append(
                "Frame notes: " + ", ".join(f"{k} {v}" for k, v in self.note_counts.items())
            )
            for note in self.notes[:5]:
                lines.append(f"  frame {note['frame']}: {note['note']}")
            if len(self.notes) > 5:
                lines.append(f"  ... {sum(self.note_counts.values()) - 5} more (see --json)")
        lines += ["", "Devices:"]
        for dev in self.devices:
            role = "/".join(dev.roles) or "other"
            extra = ""
            if "meter" in dev.roles:
                extra = f", tenancy attributes {dev.tenancy_attributes}"
            lines.append(
                f"  {dev.label:<40} {role:<12} nwk {','.join(dev.nwk)}; {dev.frames_sent} frames "
                f"sent{extra}"
            )
        lines += [
            "",
            f"Tenancy reads (0x0708 attributes 0x0200/0x0201; expected every "
            f"{self.max_gap_s // 60} min):",
        ]
        if not self.tenancy_reads:
            lines.append("  none")
        for r in self.tenancy_reads:
            mean = f"{r.mean_interval_s / 60:.1f} min" if r.mean_interval_s is not None else "-"
            gap = f"{r.max_gap_s / 60:.1f} min" if r.max_gap_s is not None else "-"
            lines.append(
                f"  {r.client} -> {r.meter}: {r.reads} reads ({r.answered} answered), "
                f"mean interval {mean}, max gap {gap}, {r.gaps_over_limit} gaps over the limit; "
                f"{r.first} .. {r.last}"
            )
        lines += ["", "Change of Tenancy values seen:"]
        if not self.cot_changes:
            lines.append("  none")
        for c in self.cot_changes:
            was = f"from {c.previous} " if c.previous is not None else "first seen: "
            control = f" (control {c.control})" if c.control else ""
            lines.append(f"  {c.time} frame {c.frame} {c.meter}: {was}-> {c.value}{control}")
        for e in self.cot_in_effect:
            lines.append(f"  in effect on {e['meter']}: {e['cot']} since {e['since']}")
        lines += [
            "",
            f"Violations: {len(self.violations) and sum(v.count for v in self.violations)}",
        ]
        for v in self.violations:
            lines.append(
                f"  [{v.rule}] {v.kind}: {v.sender} -> {v.receiver}, {v.count} frame(s) "
                f"{v.first_frame}..{v.last_frame} ({v.first_time} .. {v.last_time}), CoT {v.cot}; "
                f"e.g. {v.example}"
            )
        if self.warnings:
            lines += ["", "Warnings:"] + [f"  {w}" for w in self.warnings]
        verdicts = {
            "compliant": "no violation found",
            "violation": "VIOLATION: "
            + "; ".join(sorted({RULES[v.rule] for v in self.violations})),
            "inconclusive": "nothing could be decoded to ZCL: check the network key",
        }
        lines += ["", f"Verdict: {verdicts[self.verdict]}"]
        return "\n".join(lines)


# -- the auditor ----------------------------------------------------------------------------------
@dataclass
class _Device:
    id: int
    shorts: set[int] = field(default_factory=set)
    sent: int = 0
    served: set[int] = field(default_factory=set)
    asked: set[int] = field(default_factory=set)
    meter: bool = False
    client: bool = False
    tenancy_supported: bool | None = None
    #: Frames from this device that could not be decoded to ZCL (missing key, MIC failure).
    hidden: int = 0


@dataclass
class _Request:
    index: int
    time: int
    src: int
    src_short: int
    dst_short: int
    cluster: int
    name: str
    tenancy: bool = False
    answered: int = 0
    responder: int | None = None


@dataclass
class _Violation:
    rule: str
    kind: str
    sender: int
    receiver: int | None
    receiver_short: int | None
    frame: int
    time: int
    cot: int
    text: str


class Auditor:
    """Feed :class:`CaptureRecord` objects in capture order, then call :meth:`finish`.

    ``names`` labels devices by EUI-64 (e.g. from the premises that made the capture);
    ``max_gap`` is the tenancy poll interval to hold clients to, in seconds.
    """

    def __init__(
        self, *, names: Mapping[int, str] | None = None, max_gap: int = DEFAULT_MAX_GAP
    ) -> None:
        self.names = dict(names or {})
        self.max_gap = max_gap
        self.frames = 0
        self.decoded = 0
        self.zcl_frames = 0
        self.first_time: int | None = None
        self.last_time: int | None = None
        self.note_counts: dict[str, int] = {}
        self.notes: list[dict[str, Any]] = []
        self._devices: dict[int, _Device] = {}
        self._short_ids: dict[int, set[int]] = {}
        self._pending: dict[tuple[int, int, int, int], _Request] = {}
        self._requests: list[_Request] = []  # tenancy queries and data requests
        self._cot_value: dict[int, int] = {}
        self._cot_effects: dict[int, list[tuple[int, int]]] = {}
        #: meter -> its clock minus the capture's, from its Time cluster answers.
        self._clock_offset: dict[int, int] = {}
        self._changes: list[tuple[int, int, int, int | None, int, int | None]] = []
        self._violations: list[_Violation] = []
        self._talks_to: set[tuple[int, int]] = set()
        self._unsupported_seen: set[int] = set()

    # -- feeding ----------------------------------------------------------------------------
    def feed(self, rec: CaptureRecord) -> None:
        self.frames += 1
        if rec.time is not None:
            self.first_time = rec.time if self.first_time is None else self.first_time
            self.last_time = rec.time
        if rec.note is not None:
            self._note(rec.index, rec.note)
        if rec.payload is None or rec.cluster is None or rec.time is None:
            if rec.src_eui64 is not None or rec.nwk_src is not None:
                self._devices_get(self._source(rec)).hidden += 1
            return
        self.decoded += 1
        src = self._source(rec)
        try:
            header, _ = parse_header(rec.payload)
        except ZclDecodeError as exc:
            self._note(rec.index, f"ZCL: {exc}")
            return
        self.zcl_frames += 1
        if header.manufacturer is not None:
            return
        default_rsp = not header.cluster_specific and header.command_id == 0x0B
        if header.server_to_client or default_rsp:
            self._response(rec, src, default_rsp)
        elif not (not header.cluster_specific and header.command_id in (0x01, 0x0A)):
            self._request(rec, src, header.cluster_specific, header.command_id, header.tsn)

    def _note(self, index: int, note: str) -> None:
        kind = _note_kind(note)
        self.note_counts[kind] = self.note_counts.get(kind, 0) + 1
        if len(self.notes) < _EXAMPLE_NOTES:
            self.notes.append({"frame": index, "kind": kind, "note": note})

    def _source(self, rec: CaptureRecord) -> int:
        short = rec.nwk_src if rec.nwk_src is not None else 0xFFFF
        dev_id = rec.src_eui64 if rec.src_eui64 is not None else _NWK_ONLY | short
        dev = self._devices.get(dev_id)
        if dev is None:
            dev = self._devices[dev_id] = _Device(dev_id)
        dev.sent += 1
        dev.shorts.add(short)
        self._short_ids.setdefault(short, set()).add(dev_id)
        return dev_id

    def _devices_get(self, dev_id: int) -> _Device:
        return self._devices[dev_id]

    def _decode(self, rec: CaptureRecord) -> ZclFrame | None:
        assert rec.cluster is not None and rec.payload is not None
        try:
            return decode_frame(rec.cluster, rec.payload)
        except ZclDecodeError as exc:
            self._note(rec.index, f"ZCL: {exc}")
            return None

    def _request(
        self, rec: CaptureRecord, src: int, specific: bool, command_id: int, tsn: int
    ) -> None:
        cluster = rec.cluster
        assert cluster is not None and rec.time is not None and rec.payload is not None
        tenancy = False
        name = f"0x{command_id:02x}"
        if not specific and command_id == 0x00:  # Read Attributes: ids follow the 3-byte header
            body = rec.payload[3:]
            ids = {int.from_bytes(body[i : i + 2], "little") for i in range(0, len(body) - 1, 2)}
            name = "read_attributes"
            tenancy = cluster == reg.DEVICE_MANAGEMENT and bool(ids & set(TENANCY_ATTRIBUTES))
            asks = tenancy or (cluster == reg.METERING and bool(ids & HISTORY_ATTRIBUTES))
        elif specific:
            decoded = self._decode(rec)
            if decoded is None:
                return
            name = decoded.name
            asks = name in {
                "get_profile",
                "get_top_up_log",
                "get_debt_repayment_log",
                "get_last_message",
                "get_change_of_tenancy",
            }
            tenancy = name == "get_change_of_tenancy"
        else:
            asks = False
        dev = self._devices[src]
        dev.asked.add(cluster)
        if asks:
            dev.client = True
        request = _Request(
            rec.index,
            rec.time,
            src,
            rec.nwk_src if rec.nwk_src is not None else 0xFFFF,
            rec.nwk_dst if rec.nwk_dst is not None else 0xFFFF,
            cluster,
            name,
            tenancy=tenancy,
        )
        self._pending[(request.src_short, request.dst_short, cluster, tsn)] = request
        self._requests.append(request)

    def _response(self, rec: CaptureRecord, src: int, default_rsp: bool) -> None:
        assert rec.cluster is not None and rec.payload is not None and rec.time is not None
        cluster = rec.cluster
        key = (
            rec.nwk_dst if rec.nwk_dst is not None else 0xFFFF,
            rec.nwk_src if rec.nwk_src is not None else 0xFFFF,
            cluster,
            rec.payload[1] if rec.payload[0] & 0x04 == 0 else rec.payload[3],
        )
        request = self._pending.get(key)
        if request is not None:
            request.answered += 1
            request.responder = src
            self._talks_to.add((request.src, src))
        if default_rsp:
            return
        decoded = self._decode(rec)
        if decoded is None:
            return
        receiver = request.src if request is not None else None
        dev = self._devices[src]
        name = decoded.name
        if name == "read_attributes_rsp":
            records = decoded.args["records"]
            ids = {r.attr_id for r in records}
            if cluster == reg.DEVICE_MANAGEMENT and ids & set(TENANCY_ATTRIBUTES):
                self._tenancy_answer(rec, src, records)
            elif cluster == reg.METERING and ids & HISTORY_ATTRIBUTES:
                dev.meter = True
                self._check_history(rec, src, receiver, records)
            elif cluster == reg.PREPAYMENT and ids & _TOP_UP_TIMES:
                self._check_top_up_slots(rec, src, receiver, records)
            elif cluster == reg.TIME:
                self._time_answer(rec, src, records)
            dev.served.add(cluster)
            return
        dev.served.add(cluster)
        if name == "get_profile_response":
            dev.meter = True
            self._check_profile(rec, src, receiver, decoded.args)
        elif name in ("publish_top_up_log", "publish_debt_log"):
            dev.meter = True
            self._check_log(rec, src, receiver, name, decoded.args)
        elif name == "publish_change_of_tenancy":
            dev.meter = True
            args = decoded.args
            self._observe_cot(
                rec,
                src,
                int(args["implementation_date_time"]),
                int(args["proposed_tenancy_change_control"]),
            )
        elif name == "display_message":
            self._check_message(rec, src, receiver, decoded.args)

    # -- the meters' clocks ---------------------------------------------------------------------
    def _time_answer(self, rec: CaptureRecord, src: int, records: list[Any]) -> None:
        """A meter's Time (0x000A attribute 0x0000): how far its clock is from the capture's.

        A meter dates its CoT, its history periods and its restriction by its own clock, and a
        sniffer may stamp frames from another (or from boot): judging by the capture's clock
        would report a meter that is right by its own clock, and miss one that is wrong.
        """
        assert rec.time is not None
        for r in records:
            if r.attr_id == 0x0000 and r.status == Status.SUCCESS and isinstance(r.value, int):
                self._clock_offset[src] = int(r.value) - rec.time

    def meter_time(self, meter: int, at: int) -> int:
        """Capture time ``at`` on ``meter``'s clock (the capture's own if it never said)."""
        return at + self._clock_offset.get(meter, 0)

    # -- the CoT ------------------------------------------------------------------------------
    def _tenancy_answer(self, rec: CaptureRecord, src: int, records: list[Any]) -> None:
        dev = self._devices[src]
        dev.meter = True
        by_id = {r.attr_id: r for r in records}
        value_rec = by_id.get(0x0200)
        if value_rec is None:
            return
        if value_rec.status != Status.SUCCESS:
            if value_rec.status == Status.UNSUPPORTED_ATTRIBUTE:
                dev.tenancy_supported = False
            return
        dev.tenancy_supported = True
        control_rec = by_id.get(0x0201)
        control = (
            int(control_rec.value)
            if control_rec is not None and control_rec.status == Status.SUCCESS
            else None
        )
        self._observe_cot(rec, src, int(value_rec.value), control)

    def _observe_cot(self, rec: CaptureRecord, meter: int, value: int, control: int | None) -> None:
        assert rec.time is not None
        now = self.meter_time(meter, rec.time)
        previous = self._cot_value.get(meter)
        if previous == value:
            return
        self._cot_value[meter] = value
        self._changes.append((rec.time, rec.index, meter, previous, value, control))
        effects = self._cot_effects.setdefault(meter, [])
        if value == tu.UTC_INVALID:
            # A cancel withdraws a CoT not yet in effect; one in effect stays (DOMAIN.md 7).
            effects[:] = [(t, v) for t, v in effects if t <= now]
        elif value != 0:
            effects.append((max(value, now), value))

    def cot_in_effect(self, meter: int, at: int) -> int | None:
        """The CoT date-time in effect on ``meter`` at capture time ``at`` (None: none has taken
        effect), judged by the meter's clock."""
        at = self.meter_time(meter, at)
        best: tuple[int, int] | None = None
        for effect, value in self._cot_effects.get(meter, ()):
            if effect <= at and (best is None or effect >= best[0]):
                best = (effect, value)
        return None if best is None else best[1]

    def _premises_cot(self, at: int) -> int | None:
        values = [v for m in self._cot_effects if (v := self.cot_in_effect(m, at)) is not None]
        return max(values) if values else None

    # -- checks ---------------------------------------------------------------------------------
    def _violate(
        self,
        rec: CaptureRecord,
        rule: str,
        kind: str,
        sender: int,
        receiver: int | None,
        cot: int,
        text: str,
    ) -> None:
        assert rec.time is not None
        self._violations.append(
            _Violation(rule, kind, sender, receiver, rec.nwk_dst, rec.index, rec.time, cot, text)
        )

    def _check_history(
        self, rec: CaptureRecord, meter: int, receiver: int | None, records: list[Any]
    ) -> None:
        assert rec.time is not None
        cot = self.cot_in_effect(meter, rec.time)
        if cot is None:
            return
        try:
            periods = history_periods(self.meter_time(meter, rec.time))
        except ValueError:
            return  # a clock before 2001 (a sniffer stamping from boot): periods undefined
        for r in records:
            period = periods.get(r.attr_id)
            if period is None or r.status != Status.SUCCESS:
                continue
            if period.end <= cot and int(r.value) != period.invalid:
                self._violate(
                    rec,
                    "pre-cot-history",
                    "history attribute",
                    meter,
                    receiver,
                    cot,
                    f"Metering 0x{r.attr_id:04x} ({period.kind} -{period.ago}, "
                    f"{_when(period.start)} .. {_when(period.end)}) = {int(r.value)}",
                )

    def _check_top_up_slots(
        self, rec: CaptureRecord, meter: int, receiver: int | None, records: list[Any]
    ) -> None:
        assert rec.time is not None
        cot = self.cot_in_effect(meter, rec.time)
        if cot is None:
            return
        for r in records:
            if r.attr_id in _TOP_UP_TIMES and r.status == Status.SUCCESS:
                when = int(r.value)
                if 0 < when < cot:
                    self._violate(
                        rec,
                        "pre-cot-history",
                        "top-up slot attribute",
                        meter,
                        receiver,
                        cot,
                        f"Prepayment 0x{r.attr_id:04x} top-up date-time {_when(when)}",
                    )

    def _check_profile(
        self, rec: CaptureRecord, meter: int, receiver: int | None, args: dict[str, Any]
    ) -> None:
        assert rec.time is not None
        cot = self.cot_in_effect(meter, rec.time)
        if cot is None or int(args["status"]) != 0:
            return
        period = _PROFILE_PERIOD.get(int(args["profile_interval_period"]), tu.HALF_HOUR)
        end = int(args["end_time"])
        # Intervals run backwards from the end time, newest first (SE 1.4 D.3.2.3.1.1.5).
        early = [i for i in range(len(args["intervals"])) if end - (i + 1) * period < cot]
        if early:
            oldest = end - len(args["intervals"]) * period
            self._violate(
                rec,
                "pre-cot-history",
                "Get Profile intervals",
                meter,
                receiver,
                cot,
                f"{len(early)} of {len(args['intervals'])} intervals before the CoT "
                f"(from {_when(oldest)}, end {_when(end)})",
            )

    def _check_log(
        self,
        rec: CaptureRecord,
        meter: int,
        receiver: int | None,
        name: str,
        args: dict[str, Any],
    ) -> None:
        assert rec.time is not None
        cot = self.cot_in_effect(meter, rec.time)
        if cot is None:
            return
        if name == "publish_top_up_log":
            times = [int(r.top_up_time) for r in args.get("top_up_payload", [])]
            kind = "top-up log entries"
        else:
            times = [int(r.collection_time) for r in args.get("debt_payload", [])]
            kind = "debt log entries"
        early = [t for t in times if t < cot]
        if early:
            self._violate(
                rec,
                "pre-cot-history",
                kind,
                meter,
                receiver,
                cot,
                f"{len(early)} of {len(times)} entries dated before the CoT "
                f"(oldest {_when(min(early))})",
            )

    def _check_message(
        self, rec: CaptureRecord, sender: int, receiver: int | None, args: dict[str, Any]
    ) -> None:
        assert rec.time is not None
        # A meter that reports a CoT is judged by its own (and its own clock); one that never
        # did (e.g. a pre-ESMETS 5.1 meter) by the latest CoT in effect on the premises.
        if self._cot_value.get(sender, 0) not in (0, tu.UTC_INVALID):
            cot = self.cot_in_effect(sender, rec.time)
        else:
            cot = self._premises_cot(rec.time)
        start = int(args.get("start_time", 0))
        # Start time 0 means "now" (SE 1.4 D.5.2.3.1.1): dated at sending, never before the CoT.
        if cot is None or start == 0 or start >= cot:
            return
        self._violate(
            rec,
            "pre-cot-to-client",
            "Display Message",
            sender,
            receiver,
            cot,
            f"message {int(args['message_id'])} {str(args.get('message', ''))!r} "
            f"starting {_when(start)}",
        )

    # -- the report -------------------------------------------------------------------------------
    def _resolve_short(self, short: int | None) -> int | None:
        if short is None:
            return None
        ids = self._short_ids.get(short, set())
        return next(iter(ids)) if len(ids) == 1 else _NWK_ONLY | short

    def _label(self, dev_id: int | None) -> str:
        if dev_id is None:
            return "?"
        if dev_id & _NWK_ONLY:
            return f"nwk 0x{dev_id & 0xFFFF:04x}"
        name = self.names.get(dev_id)
        text = _eui_text(dev_id)
        return f"{name} ({text})" if name else text

    def finish(self, source: str = "", linktype: int | None = None) -> AuditReport:
        devices = sorted(self._devices.values(), key=lambda d: d.id)
        warnings: list[str] = []
        # Tenancy reads per (client, meter).
        pairs: dict[tuple[int, int], list[_Request]] = {}
        for req in self._requests:
            meter = (
                req.responder if req.responder is not None else self._resolve_short(req.dst_short)
            )
            assert meter is not None
            if req.responder is None and not req.tenancy:
                continue
            self._talks_to.add((req.src, meter))
            if req.tenancy:
                pairs.setdefault((req.src, meter), []).append(req)
        read_summaries: list[TenancyReadSummary] = []
        for (client, meter), reqs in sorted(pairs.items()):
            reads = [r for r in reqs if r.name == "read_attributes"]
            times = [r.time for r in reads]
            gaps = [b - a for a, b in pairwise(times)]
            over = [g for g in gaps if g > self.max_gap]
            summary = TenancyReadSummary(
                client=self._label(client),
                meter=self._label(meter),
                reads=len(reads),
                answered=sum(1 for r in reads if r.answered),
                get_change_of_tenancy=len(reqs) - len(reads),
                first=_when(times[0]) if times else None,
                last=_when(times[-1]) if times else None,
                mean_interval_s=round(sum(gaps) / len(gaps), 1) if gaps else None,
                max_gap_s=max(gaps) if gaps else None,
                gaps_over_limit=len(over),
                values_seen=[
                    _when(v) or ""
                    for t, _, m, _, v, _ in self._changes
                    if m == meter and times and t >= times[0]
                ],
            )
            read_summaries.append(summary)
            if over:
                warnings.append(
                    f"{summary.client} went {max(over) / 60:.0f} min without reading the tenancy "
                    f"attributes of {summary.meter} ({len(over)} gap(s) over "
                    f"{self.max_gap // 60} min)"
                )
            if summary.reads and summary.answered < summary.reads:
                warnings.append(
                    f"{summary.reads - summary.answered} of {summary.reads} tenancy reads by "
                    f"{summary.client} from {summary.meter} went unanswered in the capture"
                )
        # Clients that never read the tenancy attributes of a meter they talk to.
        meters = {d.id for d in devices if d.meter}
        violations = list(self._violations)
        hidden = {d.id: d.hidden for d in devices}
        for client in sorted(d.id for d in devices if d.client):
            for meter in sorted(m for c, m in self._talks_to if c == client and m in meters):
                if (client, meter) not in pairs or not any(
                    r.name == "read_attributes" for r in pairs[(client, meter)]
                ):
                    if hidden[client]:
                        # The reads may be among the frames we could not decrypt: say so, but
                        # do not accuse the client on missing evidence.
                        warnings.append(
                            f"no tenancy read by {self._label(client)} from "
                            f"{self._label(meter)} was seen, but {hidden[client]} of its frames "
                            "could not be decrypted (give its APS link key with --link-key)"
                        )
                        continue
                    first = next(r for r in self._requests if r.src == client)
                    violations.append(
                        _Violation(
                            "tenancy-never-read",
                            "missing query",
                            client,
                            meter,
                            None,
                            first.index,
                            first.time,
                            0,
                            f"{self._label(client)} asked {self._label(meter)} for data but "
                            "never read its tenancy attributes 0x0200/0x0201",
                        )
                    )
        for dev in devices:
            if dev.hidden:
                warnings.append(
                    f"{dev.hidden} frame(s) from {self._label(dev.id)} could not be decoded "
                    "to ZCL (see the frame notes); results about it are partial"
                )
            if dev.meter and dev.tenancy_supported is False:
                warnings.append(
                    f"{self._label(dev.id)} answers UNSUPPORTED_ATTRIBUTE for 0x0200 (a meter "
                    "before ESMETS 5.1 / CHTS 1.5 cannot tell clients of a CoT)"
                )
        summaries = [
            DeviceSummary(
                id=self._label(dev.id) if dev.id & _NWK_ONLY else _eui_text(dev.id),
                eui64=None if dev.id & _NWK_ONLY else _eui_text(dev.id),
                nwk=[f"0x{s:04x}" for s in sorted(dev.shorts)],
                name=self.names.get(dev.id),
                roles=[r for r, on in (("meter", dev.meter), ("client", dev.client)) if on],
                frames_sent=dev.sent,
                frames_undecoded=dev.hidden,
                clusters_served=[reg.cluster_name(c) for c in sorted(dev.served)],
                clusters_asked=[reg.cluster_name(c) for c in sorted(dev.asked)],
                tenancy_attributes={True: "supported", False: "unsupported", None: "unknown"}[
                    dev.tenancy_supported
                ],
            )
            for dev in devices
        ]
        changes = [
            CotChange(
                time=_when(t) or "",
                frame=index,
                meter=self._label(meter),
                previous=_when(previous),
                value=_when(value) or "",
                control=f"0x{control:08x}" if control is not None else None,
            )
            for t, index, meter, previous, value, control in self._changes
        ]
        in_effect = [
            {"meter": self._label(meter), "cot": _when(value) or "", "since": _when(effect) or ""}
            for meter, effects in sorted(self._cot_effects.items())
            for effect, value in effects
        ]
        return AuditReport(
            source=source,
            linktype=linktype,
            frames=self.frames,
            decoded=self.decoded,
            zcl_frames=self.zcl_frames,
            first_time=_when(self.first_time),
            last_time=_when(self.last_time),
            max_gap_s=self.max_gap,
            note_counts=dict(self.note_counts),
            notes=list(self.notes),
            devices=summaries,
            tenancy_reads=read_summaries,
            cot_changes=changes,
            cot_in_effect=in_effect,
            violations=self._group(violations),
            warnings=warnings,
        )

    def _group(self, violations: list[_Violation]) -> list[ViolationGroup]:
        groups: dict[tuple[str, str, str, str], ViolationGroup] = {}
        order = list(RULES)
        for v in sorted(violations, key=lambda v: (order.index(v.rule), v.frame)):
            receiver = (
                v.receiver if v.receiver is not None else self._resolve_short(v.receiver_short)
            )
            key = (v.rule, v.kind, self._label(v.sender), self._label(receiver))
            group = groups.get(key)
            if group is None:
                groups[key] = ViolationGroup(
                    rule=v.rule,
                    kind=v.kind,
                    sender=key[2],
                    receiver=key[3],
                    count=1,
                    first_frame=v.frame,
                    first_time=_when(v.time) or "",
                    last_frame=v.frame,
                    last_time=_when(v.time) or "",
                    cot=_when(v.cot) or "-" if v.cot else "-",
                    example=v.text,
                )
            else:
                group.count += 1
                group.last_frame, group.last_time = v.frame, _when(v.time) or ""
        return list(groups.values())


def _note_kind(note: str) -> str:
    text = note.lower()
    # The root cause first: a truncated frame also fails its MIC, an altered one its FCS.
    for needle, kind in (
        ("truncated", "truncated"),
        ("mic check failed", "MIC failure"),
        ("corrupt:", "corrupt record"),
        ("fcs", "FCS mismatch"),
        ("no network key", "encrypted"),
        ("no link key", "encrypted"),
        ("not a data frame", "not application data"),
        ("fragment", "fragment"),
        ("zcl", "ZCL undecodable"),
        ("undecodable", "undecodable"),
    ):
        if needle in text:
            return kind
    return "other"


def audit_records(
    records: Iterable[CaptureRecord],
    *,
    names: Mapping[int, str] | None = None,
    max_gap: int = DEFAULT_MAX_GAP,
    source: str = "",
    linktype: int | None = None,
) -> AuditReport:
    """Audit decoded records (from :func:`~hancot.capture.read_capture` or elsewhere)."""
    auditor = Auditor(names=names, max_gap=max_gap)
    for rec in records:
        auditor.feed(rec)
    return auditor.finish(source, linktype)


def audit_capture(
    path: str | PathLike[str],
    network_key: bytes | None,
    link_keys: LinkKeys = (),
    *,
    names: Mapping[int, str] | None = None,
    max_gap: int = DEFAULT_MAX_GAP,
) -> AuditReport:
    """Read, decrypt and audit the pcap at ``path``.

    Raises only what :func:`~hancot.capture.read_capture` raises for a file it cannot read at all
    (:class:`~hancot.capture.errors.PcapFormatError`, unknown link type, malformed key) and
    :class:`AuditInputError` for an unreadable file; damaged records become notes.
    """
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise AuditInputError(f"cannot read {path}: {exc.strerror}") from exc
    with stream:
        reader = PcapReader(stream)
        return audit_records(
            decode_records(reader, network_key, link_keys),
            names=names,
            max_gap=max_gap,
            source=str(path),
            linktype=reader.header.linktype,
        )


class AuditInputError(HancotError):
    """The capture file cannot be opened or read."""
