"""IHD and PPMID: Zigbee SE clients that read the meters, cache what they read, show it, and,
since IHDTS/PPMIDTS v5.0 (SECMP0056), query the tenancy attributes and clear the previous
occupier's data when a Change of Tenancy takes effect.

Which data is whose: every cached record is dated by the earliest moment its data may cover.  On
a CoT at time T the device deletes the records dated before T of the kinds its clear policy
names, in one store transaction, and from then on refuses records whose whole period lies before
T (a message dated before the CoT that arrives late, or a meter that still serves old history).
A record whose period straddles T is kept from T on (its date is moved to T).

Who may tell a client that a CoT happened (docs/security.md): every joined device holds the network
key, so a CAD can forge any NWK-level frame.  A client therefore acts only on tenancy values that
answer its own outstanding request to a meter it is bound to (EUI-64 and short address, matching
ZCL sequence number, within :data:`RESPONSE_WINDOW`), protected by APS security where the two ends
hold a link key (Type 1 devices: the PPMID), with monotonic issuer event ids and a date inside
:data:`MAX_FUTURE_COT` of its clock and not before it first joined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hancot import timeutil as tu
from hancot.devices.base import Device
from hancot.devices.periods import history_periods
from hancot.devices.store import Record, Store
from hancot.devices.tenancy import Clear, TenancyTracker
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.zcl import registry as reg
from hancot.zcl.clusters import metering as mt
from hancot.zcl.clusters.device_management import ProposedTenancyChangeControl as Ctl
from hancot.zcl.codec import ZclFrame, default_response, encode_command, read_attributes
from hancot.zcl.header import Status

#: SEC minimum (SECMP0056 legal text): historic consumption of every period, the load profile,
#: and supplier messages.
SEC_MINIMUM_KINDS = ("day", "week", "month", "profile", "message")
#: hancot's ``extended`` policy adds top-up history and debt recovery information.
PREPAYMENT_KINDS = ("top_up", "debt_log")
POLICIES = ("extended", "sec-minimum")
#: Default poll interval for the tenancy attributes (DOMAIN.md section 7: 30 minutes).
DEFAULT_POLL_INTERVAL = 1800
#: Attributes per Read Attributes request, so every response fits one APS payload.
ATTRIBUTES_PER_READ = 8

#: A tenancy answer is accepted only this long after the request it answers (seconds).
RESPONSE_WINDOW = 60
#: Requests per meter remembered as outstanding; older ones are forgotten (sequence numbers wrap).
MAX_OUTSTANDING = 8
#: What may answer a tenancy query.
TENANCY_ANSWERS = ("read_attributes_rsp", "publish_change_of_tenancy")
#: A CoT dated further ahead than this of the device's clock is refused as absurd: SRV 3.2 sets
#: the date of a move that is planned, not one years away.
MAX_FUTURE_COT = 400 * tu.DAY
#: A CoT dated further back than this before the device joined is refused as absurd: the oldest
#: history a meter serves is 13 months back (PreviousMonth13, SE 1.4 Table D-24), and a device
#: can hold nothing older.  A backdated CoT within it is genuine and acted on.
MAX_BACKDATED_COT = 14 * 31 * tu.DAY


@dataclass(frozen=True)
class ClientBehaviour:
    """How an IHD/PPMID implementation behaves; the reference is the default.

    ``legacy()`` is IHDTS/PPMIDTS v4.2 (never reads the tenancy attributes).  The conformance
    kit builds its deliberately faulty variants by changing single fields.
    """

    profile: str = "reference"
    reads_tenancy: bool = True
    tenancy_sources: frozenset[DeviceKind] = frozenset({DeviceKind.ESME, DeviceKind.GPF})
    poll_interval: int = DEFAULT_POLL_INTERVAL
    query_on_join: bool = True
    query_on_power_up: bool = True
    policy: str = "extended"
    clears_history: bool = True
    clears_messages: bool = True
    keeps_post_cot_data: bool = True
    persists_pending: bool = True
    future_immediate: bool = False
    checks_issuer_event_id: bool = True
    refuses_pre_cot_records: bool = True
    #: Accept a CoT only in answer to the device's own outstanding request (docs/security.md).
    authenticates_tenancy: bool = True

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"unknown clear policy {self.policy!r}; choose from {POLICIES}")
        if self.poll_interval <= 0:
            raise ValueError("poll interval must be a positive number of seconds")

    @classmethod
    def legacy(cls, **kwargs: Any) -> ClientBehaviour:
        """IHDTS / PPMIDTS v4.2: no tenancy attributes, so no clear."""
        return cls(profile="legacy", reads_tenancy=False, **kwargs)

    def clear_kinds(self, control: int) -> tuple[str, ...]:
        kinds: list[str] = []
        if self.clears_history:
            kinds += ["day", "week", "month", "profile"]
        if self.clears_messages:
            kinds.append("message")
        if self.policy == "extended" or control & Ctl.Clear_Prepayment_Data:
            kinds += PREPAYMENT_KINDS
        return tuple(kinds)


@dataclass
class MeterLink:
    """What a client knows of one meter it is bound to."""

    identity: DeviceIdentity
    fuel: str
    tenancy_supported: bool | None = None
    last_tenancy_read: int | None = None
    #: The meter's last authenticated ChangeOfTenancyUpdateDateTime (0x0200).
    tenancy_value: int = 0
    #: The meter's clock minus this device's, from its Time cluster; history periods are the
    #: meter's days, weeks and months, so they are labelled by its clock.
    clock_offset: int = 0
    notes: list[str] = field(default_factory=list)

    def meter_time(self, local: int) -> int:
        return local + self.clock_offset

    def restricts_from(self, moment: int, local: int) -> bool:
        """Whether this meter, by what it told us, serves nothing dated before ``moment`` now."""
        return self.tenancy_value not in (0, tu.UTC_INVALID) and (
            moment <= self.tenancy_value <= self.meter_time(local)
        )


class HanClient(Device):
    """Common IHD/PPMID behaviour.  Subclasses say what they read (:meth:`data_requests`)."""

    clusters = frozenset(
        {
            reg.BASIC,
            reg.TIME,
            reg.METERING,
            reg.MESSAGING,
            reg.DEVICE_MANAGEMENT,
            reg.PREPAYMENT,
            reg.PRICE,
        }
    )
    #: Record kinds this device caches (for reports).
    record_kinds: ClassVar[tuple[str, ...]] = ()
    #: Type 1 devices (PPMID) establish APS link keys with the meters by CBKE and protect the
    #: tenancy exchange with them; a Type 2 device (IHD) has only its trust-centre link key from
    #: its install code and talks to the meters under the network key alone (DOMAIN.md 5).
    aps_link_keys: ClassVar[bool] = False

    def __init__(
        self,
        identity: DeviceIdentity,
        store: Store | None = None,
        *,
        behaviour: ClientBehaviour | None = None,
        clock_offset: int = 0,
    ) -> None:
        super().__init__(identity, store, clock_offset=clock_offset)
        self.behaviour = behaviour or ClientBehaviour()
        self.tracker = TenancyTracker(self.store, future_immediate=self.behaviour.future_immediate)
        self.meters: dict[str, MeterLink] = {}
        self.clears: list[tuple[int, Clear, int]] = []
        self.tenancy_reads: list[tuple[int, str]] = []
        #: meter -> {ZCL sequence number: (time sent, request)} of tenancy queries not yet
        #: answered.
        self.outstanding: dict[str, dict[int, tuple[int, str]]] = {}
        #: Tenancy frames refused as unauthenticated: (time, source name, reason).
        self.refused: list[tuple[int, str, str]] = []
        self._restore_bindings()

    # -- binding --------------------------------------------------------------------------------
    def on_join(self, now: int) -> Iterable[HanFrame]:
        self.meters = {}
        for kind, fuel in ((DeviceKind.ESME, "electricity"), (DeviceKind.GPF, "gas")):
            if kind in self.peers:
                self.meters[kind.value] = MeterLink(self.peers[kind], fuel)
        # Bindings are durable: a device restarted from its store still knows its meters.
        self.store.set(
            "bindings",
            {
                name: [
                    link.identity.kind.value,
                    link.identity.name,
                    link.identity.eui64,
                    link.identity.nwk,
                    link.identity.link_key.hex() if link.identity.link_key else None,
                    link.fuel,
                ]
                for name, link in self.meters.items()
            },
        )
        if self.store.get("joined_at") is None:
            self.store.set("joined_at", self.local_time(now))
        self.store.set("next_poll", now + self.behaviour.poll_interval)
        if self.behaviour.query_on_join:
            return self.poll(now, full=True)
        return []

    def _restore_bindings(self) -> None:
        bindings = self.store.get("bindings") or {}
        for name, (kind, ident, eui64, nwk, key, fuel) in bindings.items():
            identity = DeviceIdentity(
                ident, DeviceKind(kind), int(eui64), int(nwk), bytes.fromhex(key) if key else None
            )
            self.meters[name] = MeterLink(identity, fuel)
            self.peers[DeviceKind(kind)] = identity

    def on_power_up(self, now: int) -> Iterable[HanFrame]:
        if not self.behaviour.persists_pending:
            self.tracker.forget_pending()
        out = list(self._apply_due(now))
        self.store.set("next_poll", now + self.behaviour.poll_interval)
        if self.behaviour.query_on_power_up:
            out += self.poll(now, full=True)
        return out

    # -- polling -------------------------------------------------------------------------------
    def next_wakeup(self, now: int) -> int | None:
        if not self.powered:
            return None
        wakeups = [int(self.store.get("next_poll", now + self.behaviour.poll_interval))]
        due = self.tracker.next_due()
        if due is not None:
            wakeups.append(due - self.clock_offset)
        return min(wakeups)

    def tick(self, now: int) -> list[HanFrame]:
        if not self.powered:
            return []
        with self.store.transaction():
            out = list(self._apply_due(now))
            next_poll = int(self.store.get("next_poll", now))
            if next_poll <= now:
                last_full = self.store.get("last_full_poll")
                full = last_full is None or tu.day_start(last_full) != tu.day_start(
                    self.local_time(now)
                )
                out += self.poll(now, full=full)
                self.store.set("next_poll", now + self.behaviour.poll_interval)
        return out

    def poll(self, now: int, *, full: bool) -> list[HanFrame]:
        """Query every bound meter: tenancy attributes, then the data this device shows.

        ``full`` adds the daily history refresh (history attributes, profile, last message).
        """
        out: list[HanFrame] = []
        if full:
            self.store.set("last_full_poll", self.local_time(now))
        for name, link in self.meters.items():
            if self.behaviour.reads_tenancy and DeviceKind(name) in self.behaviour.tenancy_sources:
                self.tenancy_reads.append((now, name))
                tsn = self.next_tsn()
                self._expect(now, name, tsn, "read_attributes")
                out.append(
                    self.send(
                        now,
                        link.identity,
                        reg.DEVICE_MANAGEMENT,
                        read_attributes([0x0200, 0x0201], tsn=tsn),
                        aps_secured=self._aps(link),
                    )
                )
            for cluster, payload in self.data_requests(now, link, full=full):
                out.append(self.send(now, link.identity, cluster, payload))
        return out

    def data_requests(self, now: int, link: MeterLink, *, full: bool) -> list[tuple[int, bytes]]:
        """The (cluster, ZCL frame) requests this device sends to a meter on a poll."""
        requests: list[tuple[int, bytes]] = []
        if full:
            # The meter's clock first: the history read after it is labelled by its days.
            requests.append((reg.TIME, read_attributes([0x0000], tsn=self.next_tsn())))
            requests.append(
                (
                    reg.MESSAGING,
                    encode_command(reg.MESSAGING, "get_last_message", tsn=self.next_tsn()),
                )
            )
        return requests

    def read_chunks(self, cluster: int, attr_ids: list[int]) -> list[tuple[int, bytes]]:
        return [
            (cluster, read_attributes(attr_ids[i : i + ATTRIBUTES_PER_READ], tsn=self.next_tsn()))
            for i in range(0, len(attr_ids), ATTRIBUTES_PER_READ)
        ]

    # -- who may announce a CoT ------------------------------------------------------------------
    def _aps(self, link: MeterLink) -> bool:
        """Whether the tenancy exchange with this meter is APS-secured (both hold a link key)."""
        return (
            self.aps_link_keys
            and self.identity.link_key is not None
            and link.identity.link_key is not None
        )

    def _expect(self, now: int, meter: str, tsn: int, request: str) -> None:
        pending = self.outstanding.setdefault(meter, {})
        pending[tsn] = (now, request)
        while len(pending) > MAX_OUTSTANDING:
            del pending[next(iter(pending))]

    def _authentic(
        self, now: int, meter: str, frame: HanFrame, tsn: int, answer: str
    ) -> str | None:
        """Why a tenancy answer from ``meter`` must not be believed, or None if it may be.

        The sender is already the bound meter by EUI-64 and short address (:meth:`handle`); both
        can be forged with the network key, so the answer must also match a request this device
        sent to that meter, recently, and carry APS security where the pair has link keys.
        """
        if not self.behaviour.authenticates_tenancy:
            return None
        link = self.meters[meter]
        # A refused forgery does not make the meter suspect: that would let anyone suppress the
        # CoT by sending garbage in the meter's name (docs/security.md, suppression).
        if self._aps(link) and not (
            frame.aps_secured and frame.src.link_key == link.identity.link_key
        ):
            return "not APS-secured with the meter's link key"
        outstanding = self.outstanding.get(meter, {})
        request = outstanding.get(tsn)
        # A tenancy query may be answered with the attributes or with a Publish Change of
        # Tenancy: both carry the same information, and either must match one of our queries.
        if request is None or answer not in TENANCY_ANSWERS:
            return f"answers no outstanding request (sequence number {tsn})"
        del outstanding[tsn]
        sent = request[0]
        if now - sent > RESPONSE_WINDOW:
            return f"answers a request {now - sent} s old"
        return None

    def _refuse(self, now: int, frame: HanFrame, decoded: ZclFrame, reason: str) -> list[HanFrame]:
        self.refused.append((now, frame.src.name, reason))
        self.note(now, f"tenancy frame from {frame.src.name} refused: {reason}")
        if decoded.header.cluster_specific and not decoded.header.disable_default_response:
            # A command that asked for a Default Response learns it was refused (ZCL r8 2.5.12).
            refused = default_response(decoded.header, Status.NOT_AUTHORIZED)
            return [self.send(now, frame.src, frame.cluster, refused)]
        return []

    def _plausible(self, local_now: int, value: int) -> str | None:
        """Why a CoT date cannot be genuine, or None (0 and 0xFFFFFFFF are handled elsewhere)."""
        if not self.behaviour.authenticates_tenancy or value in (0, tu.UTC_INVALID):
            return None
        if value > local_now + MAX_FUTURE_COT:
            return f"CoT date {tu.iso(value)} is implausibly far in the future"
        joined = self.store.get("joined_at")
        if joined is not None and value < int(joined) - MAX_BACKDATED_COT:
            return (
                f"CoT date {tu.iso(value)} is older than any history a meter serves "
                "before this device was installed"
            )
        return None

    # -- the CoT ---------------------------------------------------------------------------------
    def _apply_due(self, now: int) -> list[HanFrame]:
        out: list[HanFrame] = []
        # Acting on a CoT and deleting the data are one transaction: a power cut leaves both done
        # or neither (docs/reliability.md).
        with self.store.transaction():
            for clear in self.tracker.due(self.local_time(now)):
                out += self._clear(now, clear)
        return out

    def _observe(
        self, now: int, meter: str, value: int, control: int, issuer: int | None = None
    ) -> list[HanFrame]:
        if not self.behaviour.checks_issuer_event_id:
            issuer = None
        implausible = self._plausible(self.local_time(now), value)
        if implausible is not None:
            self.refused.append((now, meter, implausible))
            self.note(now, f"tenancy value from {meter} refused: {implausible}")
            return []
        with self.store.transaction():
            return self._observe_in_transaction(now, meter, value, control, issuer)

    def _observe_in_transaction(
        self, now: int, meter: str, value: int, control: int, issuer: int | None
    ) -> list[HanFrame]:
        result = self.tracker.observe(self.local_time(now), meter, value, control, issuer)
        if result.outcome == "pending":
            self.note(now, f"CoT {tu.iso(value)} from {meter} pending until its time")
        elif result.outcome == "cancelled":
            self.note(now, f"pending CoT from {meter} cancelled")
        elif result.outcome == "stale":
            self.note(now, f"stale Publish Change of Tenancy from {meter} ignored")
        if result.clear is not None:
            return self._clear(now, result.clear)
        return []

    def _clear(self, now: int, clear: Clear) -> list[HanFrame]:
        kinds = self.behaviour.clear_kinds(clear.control)
        before = clear.cot_time if self.behaviour.keeps_post_cot_data else tu.UTC_INVALID
        with self.store.transaction():
            removed = self.store.delete_before(kinds, before)
        self.clears.append((now, clear, removed))
        self.note(
            now,
            f"Change of Tenancy {tu.iso(clear.cot_time)} (from {clear.source}) took effect: "
            f"cleared {removed} record(s) of {', '.join(kinds) or 'nothing'}",
        )
        # Re-read: the meters now serve only the new occupier's data.
        return self.poll(now, full=True)

    # -- ingesting what the meters send -----------------------------------------------------------
    def keep(
        self,
        now: int,
        kind: str,
        key: str,
        start: int,
        end: int,
        data: dict[str, Any],
        source: MeterLink | None = None,
    ) -> bool:
        """Cache a record covering [start, end) unless it holds the previous occupier's data.

        A record wholly before the last CoT is theirs.  One whose period straddles it is kept,
        dated from the CoT, only if its meter restricts its own history from the CoT on (its
        0x0200 is at or after the CoT and its clock has reached it); otherwise its value still
        counts the previous occupier's consumption, and it waits for the next period.
        """
        watermark = self.tracker.watermark if self.behaviour.refuses_pre_cot_records else 0
        if end <= watermark:
            return False
        if start < watermark and (
            source is None or not source.restricts_from(watermark, self.local_time(now))
        ):
            return False
        self.store.put(kind, key, max(start, watermark), data)
        return True

    def handle(self, now: int, frame: HanFrame, decoded: ZclFrame) -> Iterable[HanFrame]:
        meter = self._meter_name(frame.src)
        if decoded.name == "read_attributes":
            return self.serve_attributes(now, frame, decoded)
        if decoded.name == "default_response":
            status = decoded.args["status"]
            if status != Status.SUCCESS and meter:
                self.meters[meter].notes.append(
                    f"{reg.cluster_name(frame.cluster)} command 0x{decoded.args['command_id']:02X}"
                    f" answered {_status_name(status)}"
                )
            return []
        if meter is None:
            # Only the meters this device is bound to (by EUI-64) may tell it anything.
            self.note(now, f"ignored {decoded.name} from unbound {frame.src.name}")
            if frame.cluster == reg.DEVICE_MANAGEMENT:
                self.refused.append((now, frame.src.name, "not a bound meter"))
            return []
        if not decoded.header.server_to_client and decoded.name != "read_attributes_rsp":
            return super().handle(now, frame, decoded)
        if decoded.name == "read_attributes_rsp":
            if frame.cluster == reg.DEVICE_MANAGEMENT:
                reason = self._authentic(
                    now, meter, frame, decoded.header.tsn, "read_attributes_rsp"
                )
                if reason is not None:
                    return self._refuse(now, frame, decoded, reason)
            return self._on_attributes(now, meter, frame.cluster, decoded.args["records"])
        if decoded.name == "publish_change_of_tenancy":
            reason = self._authentic(
                now, meter, frame, decoded.header.tsn, "publish_change_of_tenancy"
            )
            if reason is not None:
                return self._refuse(now, frame, decoded, reason)
        handler = getattr(self, f"_on_{decoded.name}", None)
        if handler is None:
            return super().handle(now, frame, decoded)
        return handler(now, meter, decoded)

    def _meter_name(self, src: DeviceIdentity) -> str | None:
        for name, link in self.meters.items():
            if link.identity.eui64 == src.eui64 and link.identity.nwk == src.nwk:
                return name
        return None

    def _on_attributes(
        self, now: int, meter: str, cluster: int, records: list[Any]
    ) -> list[HanFrame]:
        link = self.meters[meter]
        # Every attribute a client reads is numeric; a value of another ZCL type (a malformed or
        # hostile response) is ignored rather than trusted (found by scripts/fuzz.py).
        values = {
            r.attr_id: r.value
            for r in records
            if r.status == Status.SUCCESS and isinstance(r.value, int)
        }
        if cluster == reg.DEVICE_MANAGEMENT:
            statuses = {r.attr_id: r.status for r in records}
            if 0x0200 in statuses:
                link.last_tenancy_read = now
                if statuses[0x0200] != Status.SUCCESS:
                    if link.tenancy_supported is not False:
                        self.note(
                            now,
                            f"{meter} does not support the tenancy attributes "
                            f"({_status_name(statuses[0x0200])}): CoT cannot be detected from it",
                        )
                    link.tenancy_supported = False
                    return []
                if 0x0200 not in values:
                    self.note(now, f"{meter} answered 0x0200 with a value that is not a UTCTime")
                    return []
                link.tenancy_supported = True
                link.tenancy_value = int(values[0x0200])
                if self.behaviour.reads_tenancy:
                    return self._observe(
                        now, meter, int(values[0x0200]), int(values.get(0x0201, 0))
                    )
            return []
        if cluster == reg.TIME:
            if 0x0000 in values:
                link.clock_offset = int(values[0x0000]) - self.local_time(now)
            return []
        self.ingest(now, link, cluster, values)
        return []

    def ingest(self, now: int, link: MeterLink, cluster: int, values: dict[int, Any]) -> None:
        """Cache attribute values read from a meter (subclasses)."""

    # -- messaging -------------------------------------------------------------------------------
    def _on_display_message(self, now: int, meter: str, decoded: ZclFrame) -> list[HanFrame]:
        args = decoded.args
        start = int(args["start_time"]) or self.local_time(now)
        duration = int(args["duration_in_minutes"])
        end = tu.UTC_INVALID if duration == 0xFFFF else start + 60 * duration
        kept = self.keep(
            now,
            "message",
            f"{meter}:{int(args['message_id'])}",
            start,
            start + 1,
            {"text": str(args["message"]), "from": meter, "end": end, "received": now},
        )
        if not kept:
            self.note(now, f"message {args['message_id']} dated before the CoT refused")
        if (
            int(args["message_control"]) & 0x80
        ):  # Message Confirmation required (SE 1.4 D.5.2.3.1.1.2)
            payload = encode_command(
                reg.MESSAGING,
                "message_confirmation",
                tsn=self.next_tsn(),
                message_id=int(args["message_id"]),
                confirmation_time=now,
            )
            return [self.send(now, self.meters[meter].identity, reg.MESSAGING, payload)]
        return []

    _on_display_protected_message = _on_display_message

    def _on_cancel_message(self, now: int, meter: str, decoded: ZclFrame) -> list[HanFrame]:
        self.store.delete("message", f"{meter}:{int(decoded.args['message_id'])}")
        return []

    def _on_cancel_all_messages(self, now: int, meter: str, decoded: ZclFrame) -> list[HanFrame]:
        for record in self.store.records("message"):
            if record.data.get("from") == meter:
                self.store.delete("message", record.key)
        return []

    def _on_publish_change_of_tenancy(
        self, now: int, meter: str, decoded: ZclFrame
    ) -> list[HanFrame]:
        if not self.behaviour.reads_tenancy:
            return []
        args = decoded.args
        return self._observe(
            now,
            meter,
            int(args["implementation_date_time"]),
            int(args["proposed_tenancy_change_control"]),
            int(args["issuer_event_id"]),
        )

    def _on_publish_change_of_supplier(
        self, now: int, meter: str, decoded: ZclFrame
    ) -> list[HanFrame]:
        # Change of Supplier alone clears no consumer data (DOMAIN.md section 7).
        self.note(now, f"change of supplier announced by {meter}")
        return []

    # -- what the device holds and shows -----------------------------------------------------------
    def held(self) -> dict[str, list[Record]]:
        return {kind: self.store.records(kind) for kind in self.record_kinds}

    def screen(self, now: int) -> dict[str, Any]:
        """What the device shows (subclasses)."""
        return {}

    def latest_message(self, now: int) -> str | None:
        messages = [
            r for r in self.store.records("message") if r.data.get("end", tu.UTC_INVALID) > now
        ]
        return messages[-1].data["text"] if messages else None

    def status_lines(self) -> list[str]:
        lines = []
        for name, link in self.meters.items():
            if link.tenancy_supported is False:
                lines.append(f"{name}: tenancy attributes unsupported - CoT not detectable")
        return lines


def _status_name(status: int) -> str:
    try:
        return Status(status).name
    except ValueError:
        return f"0x{status:02X}"


class Ihd(HanClient):
    """In-Home Display (IHDTS v5.0): consumption of both fuels, cost, supplier messages."""

    kind = DeviceKind.IHD
    record_kinds = ("day", "week", "month", "profile", "message")

    def data_requests(self, now: int, link: MeterLink, *, full: bool) -> list[tuple[int, bytes]]:
        requests = super().data_requests(now, link, full=full)
        current = [0x0000, 0x0400, mt.day_attribute(0)]
        requests += self.read_chunks(reg.METERING, current)
        if full:
            history = [mt.day_attribute(d) for d in range(1, 9)]
            history += [mt.week_attribute(w) for w in mt.WEEKS]
            history += [mt.month_attribute(m) for m in mt.MONTHS]
            requests += self.read_chunks(reg.METERING, history)
            # Yesterday's half-hour profile, in two Get Profile requests of 24 periods.
            today = tu.day_start(self.local_time(now))
            for end in (today, today - 12 * 3600):
                requests.append(
                    (
                        reg.METERING,
                        encode_command(
                            reg.METERING,
                            "get_profile",
                            tsn=self.next_tsn(),
                            interval_channel=0,
                            end_time=end,
                            number_of_periods=24,
                        ),
                    )
                )
        return requests

    def ingest(self, now: int, link: MeterLink, cluster: int, values: dict[int, Any]) -> None:
        if cluster != reg.METERING:
            return
        # Periods are the meter's days, weeks and months: label them by its clock.
        meter_now = link.meter_time(self.local_time(now))
        fuel = link.fuel
        if 0x0000 in values:
            self.store.set(f"summation:{fuel}", int(values[0x0000]))
        if 0x0400 in values:
            self.store.set(f"demand:{fuel}", int(values[0x0400]))
        for attr_id, period in history_periods(meter_now).items():
            value = values.get(attr_id)
            if value is not None and value != period.invalid:
                self.keep(
                    now,
                    period.kind,
                    f"{fuel}:{period.start}",
                    period.start,
                    period.end,
                    {"fuel": fuel, "wh": int(value)},
                    source=link,
                )

    def _on_get_profile_response(self, now: int, meter: str, decoded: ZclFrame) -> list[HanFrame]:
        args = decoded.args
        if int(args["status"]) != 0:
            return []
        link = self.meters[meter]
        fuel = link.fuel
        end = int(args["end_time"])
        for i, wh in enumerate(args["intervals"]):
            start = end - (i + 1) * tu.HALF_HOUR
            self.keep(
                now,
                "profile",
                f"{fuel}:{start}",
                start,
                start + tu.HALF_HOUR,
                {"fuel": fuel, "wh": int(wh)},
                source=link,
            )
        return []

    def screen(self, now: int) -> dict[str, Any]:
        local = self.local_time(now)
        today = tu.day_start(local)
        shown: dict[str, Any] = {}
        for fuel in ("electricity", "gas"):
            days = {
                r.key: r.data["wh"] for r in self.store.records("day") if r.data["fuel"] == fuel
            }
            shown[fuel] = {
                "today_kwh": _kwh(days.get(f"{fuel}:{today}")),
                "yesterday_kwh": _kwh(days.get(f"{fuel}:{today - tu.DAY}")),
                "days_of_history": len(days),
                "weeks_of_history": sum(
                    1 for r in self.store.records("week") if r.data["fuel"] == fuel
                ),
                "months_of_history": sum(
                    1 for r in self.store.records("month") if r.data["fuel"] == fuel
                ),
                "profile_intervals": sum(
                    1 for r in self.store.records("profile") if r.data["fuel"] == fuel
                ),
            }
        shown["message"] = self.latest_message(now)
        return shown


class Ppmid(HanClient):
    """Prepayment Meter Interface Device (PPMIDTS v5.0): credit, debt, top-up history."""

    kind = DeviceKind.PPMID
    aps_link_keys = True
    record_kinds = ("message", "top_up", "debt_log")

    def data_requests(self, now: int, link: MeterLink, *, full: bool) -> list[tuple[int, bytes]]:
        requests = super().data_requests(now, link, full=full)
        if link.identity.kind != DeviceKind.ESME:
            return requests  # prepayment is modelled on the electricity meter
        requests += self.read_chunks(reg.PREPAYMENT, [0x0001, 0x0002, 0x0005])
        if full:
            for name, fields in (
                ("get_top_up_log", {"number_of_records": 5}),
                ("get_debt_repayment_log", {"number_of_debts": 10, "debt_type": 0xFF}),
            ):
                requests.append(
                    (
                        reg.PREPAYMENT,
                        encode_command(
                            reg.PREPAYMENT,
                            name,
                            tsn=self.next_tsn(),
                            latest_end_time=self.local_time(now),
                            **fields,
                        ),
                    )
                )
        return requests

    def ingest(self, now: int, link: MeterLink, cluster: int, values: dict[int, Any]) -> None:
        if cluster != reg.PREPAYMENT:
            return
        for attr_id, key in ((0x0001, "credit"), (0x0002, "emergency_credit"), (0x0005, "debt")):
            if attr_id in values:
                self.store.set(key, int(values[attr_id]))

    def _on_publish_top_up_log(self, now: int, meter: str, decoded: ZclFrame) -> list[HanFrame]:
        for record in decoded.args["top_up_payload"]:
            code = bytes(record.top_up_code).decode("ascii", "replace")
            time = int(record.top_up_time)
            self.keep(
                now,
                "top_up",
                code,
                time,
                time + 1,
                {"amount": int(record.top_up_amount), "code": code},
            )
        return []

    def _on_publish_debt_log(self, now: int, meter: str, decoded: ZclFrame) -> list[HanFrame]:
        for record in decoded.args["debt_payload"]:
            time = int(record.collection_time)
            self.keep(
                now,
                "debt_log",
                str(time),
                time,
                time + 1,
                {
                    "collected": int(record.amount_collected),
                    "outstanding": int(record.outstanding_debt),
                },
            )
        return []

    def _on_consumer_top_up_response(
        self, now: int, meter: str, decoded: ZclFrame
    ) -> list[HanFrame]:
        self.store.set("credit", int(decoded.args["credit_remaining"]))
        return []

    def screen(self, now: int) -> dict[str, Any]:
        top_ups = self.store.records("top_up")[::-1]
        return {
            "credit_pence": self.store.get("credit"),
            "debt_pence": self.store.get("debt"),
            "recent_top_ups": [
                {"time": tu.iso(r.time), "amount_pence": r.data["amount"]} for r in top_ups[:5]
            ],
            "debt_repayments": len(self.store.records("debt_log")),
            "message": self.latest_message(now),
        }


def _kwh(wh: int | None) -> float | None:
    return None if wh is None else round(wh / 1000, 2)
