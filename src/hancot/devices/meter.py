"""What the ESME and the GPF share as Zigbee SE servers: consumption history, supplier messages,
supplier and tenancy attributes, and the restriction a Change of Tenancy puts on history.

The restriction (GBCS ECS12/GCS09 effect, DOMAIN.md section 3 and "Our reading"): once the meter's
clock reaches the CoT date-time, it serves no record dated before it on the HAN.  History
attributes whose whole period lies before it read as the ZCL invalid value (all ones, ZCL r8
2.6.2.8); a period cut by it counts only the part after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hancot import timeutil as tu
from hancot.devices.base import Device
from hancot.devices.periods import history_periods
from hancot.devices.store import Store
from hancot.errors import ZclError
from hancot.han.frame import DeviceIdentity, HanFrame
from hancot.zcl import registry as reg
from hancot.zcl.codec import ZclFrame, encode_command, encode_reply
from hancot.zcl.header import Status

#: Get Profile returns at most this many intervals per response, so a frame fits one APS payload.
MAX_PROFILE_PERIODS = 24
#: Get Profile Response status values (SE 1.4 D.3.2.3.1.1.2).
PROFILE_SUCCESS = 0x00
PROFILE_UNDEFINED_CHANNEL = 0x01
PROFILE_NO_INTERVALS = 0x05
#: ProfileIntervalPeriod 2 = 30 minutes (SE 1.4 D.3.2.3.1.1.3).
PROFILE_PERIOD_30_MIN = 0x02

#: The default tenancy control a supplier sends: bit 9, clear IHD data - consumer (as in the DCC
#: reference test data for GCS09).
DEFAULT_TENANCY_CONTROL = 1 << 9


LoadProfile = Callable[[int], int]
"""Consumption in Wh of the half hour starting at the given UTCTime."""


@dataclass(frozen=True)
class TenancyState:
    """The tenancy attributes a meter exposes and what has taken effect."""

    update_date_time: int = 0
    control: int = 0
    issuer_event_id: int = 0
    provider_id: int = 0

    @property
    def is_set(self) -> bool:
        return self.update_date_time not in (0, tu.UTC_INVALID)


class Meter(Device):
    """A Smart Energy metering server (ESME, or the GPF for gas)."""

    clusters = frozenset(
        {reg.BASIC, reg.TIME, reg.METERING, reg.MESSAGING, reg.DEVICE_MANAGEMENT, reg.PRICE}
    )
    fuel: str = "electricity"

    def __init__(
        self,
        identity: DeviceIdentity,
        store: Store | None = None,
        *,
        clock_offset: int = 0,
        provider_id: int = 0,
        tenancy_attributes: bool = True,
        restricts_history: bool = True,
    ) -> None:
        super().__init__(identity, store, clock_offset=clock_offset)
        #: False models an ESME before ESMETS 5.1: 0x0200/0x0201 answer UNSUPPORTED_ATTRIBUTE.
        self.tenancy_attributes = tenancy_attributes
        #: False models a meter that keeps serving pre-CoT history (a defect).
        self.restricts_history = restricts_history
        self.clients: list[DeviceIdentity] = []
        if self.store.get("provider_id") is None:
            self.store.set("provider_id", provider_id)

    # -- state ------------------------------------------------------------------------------
    @property
    def tenancy(self) -> TenancyState:
        return TenancyState(**self.store.get("tenancy", {}))

    def restricted_before(self, now: int) -> int:
        """History dated before this time is not served (0: nothing restricted)."""
        if not self.restricts_history:
            return 0
        restricted = int(self.store.get("restrict_from", 0))
        tenancy = self.tenancy
        local = self.local_time(now)
        if tenancy.is_set and tenancy.update_date_time <= local:
            restricted = max(restricted, tenancy.update_date_time)
        return restricted

    def bind(self, client: DeviceIdentity) -> None:
        """A client (IHD, PPMID) bound to this meter: it receives pushed messages."""
        if client not in self.clients:
            self.clients.append(client)

    # -- recording --------------------------------------------------------------------------
    def record_interval(self, start: int, wh: int) -> None:
        """Store the consumption of the half hour starting at ``start``."""
        self.store.put("interval", str(start), start, {"wh": int(wh)})
        if self.store.get("first_interval") is None:
            self.store.set("first_interval", start)
        self.store.set("summation", int(self.store.get("summation", 0)) + int(wh))
        self.store.set("last_interval", [start, int(wh)])

    def consumption(self, now: int, start: int, end: int) -> int | None:
        """Wh recorded in [start, end), after the restriction; None if it is all restricted."""
        restricted = self.restricted_before(now)
        first = self.store.get("first_interval")
        if end <= restricted or first is None or end <= first:
            return None  # restricted, or before the meter recorded anything
        since = max(start, restricted)
        return sum(r.data["wh"] for r in self.store.records("interval", since=since, until=end))

    # -- WAN side (called by the CHF / supplier) --------------------------------------------
    def wan_set_tenancy(
        self,
        now: int,
        update_date_time: int,
        *,
        control: int = DEFAULT_TENANCY_CONTROL,
        issuer_event_id: int = 0,
        provider_id: int | None = None,
    ) -> None:
        """Restrict Access for Change of Tenancy (SRV 3.2): set the tenancy attributes.

        0xFFFFFFFF cancels a CoT that has not yet taken effect; one that has stays effective.
        """
        with self.store.transaction():
            self.store.set("restrict_from", self.restricted_before(now))
            self.store.set(
                "tenancy",
                {
                    "update_date_time": int(update_date_time),
                    "control": int(control),
                    "issuer_event_id": int(issuer_event_id),
                    "provider_id": int(
                        self.store.get("provider_id", 0) if provider_id is None else provider_id
                    ),
                },
            )
        self.note(now, f"tenancy set to {tu.iso(update_date_time)} (control 0x{control:08X})")

    def wan_change_supplier(
        self, now: int, new_provider_id: int, at: int, *, issuer_event_id: int = 0
    ) -> None:
        """Change of Supplier: the supplier attribute set changes; no consumer data is touched."""
        with self.store.transaction():
            self.store.set(
                "proposed_supplier",
                {"provider_id": new_provider_id, "at": at, "issuer_event_id": issuer_event_id},
            )
            if at <= self.local_time(now):
                self.store.set("provider_id", new_provider_id)
        self.note(now, f"change of supplier to provider {new_provider_id} at {tu.iso(at)}")

    def wan_display_message(
        self,
        now: int,
        message_id: int,
        text: str,
        *,
        control: int = 0,
        start_time: int = 0,
        duration_minutes: int = 0xFFFF,
    ) -> list[HanFrame]:
        """A supplier message (SRV 3.1) arrives; push it to every bound client."""
        with self.store.transaction():
            self.store.set(
                "message",
                {
                    "message_id": message_id,
                    "control": control,
                    "start_time": start_time or now,
                    "duration": duration_minutes,
                    "text": text,
                },
            )
        self.note(now, f"supplier message {message_id}: {text!r}")
        return [
            self.send(now, client, reg.MESSAGING, self._display_message(self.next_tsn()))
            for client in self.clients
        ]

    def _display_message(self, tsn: int, request: Any = None) -> bytes:
        message = self.store.get("message")
        fields = {
            "message_id": message["message_id"],
            "message_control": message["control"],
            "start_time": message["start_time"],
            "duration_in_minutes": message["duration"],
            "message": message["text"],
        }
        if request is not None:
            return encode_reply(request, reg.MESSAGING, "display_message", **fields)
        return encode_command(reg.MESSAGING, "display_message", tsn=tsn, **fields)

    # -- HAN side ---------------------------------------------------------------------------
    def handle(self, now: int, frame: HanFrame, decoded: ZclFrame) -> Iterable[HanFrame]:
        if decoded.name == "read_attributes":
            return self.serve_attributes(now, frame, decoded)
        if decoded.name in {"default_response", "read_attributes_rsp", "report_attributes"}:
            return []
        handler = getattr(self, f"_on_{decoded.name}", None)
        if handler is None or decoded.header.server_to_client:
            raise ZclError(
                f"{self.name} does not accept {decoded.name}", Status.UNSUP_CLUSTER_COMMAND
            )
        return handler(now, frame, decoded)

    def _on_get_change_of_tenancy(
        self, now: int, frame: HanFrame, decoded: ZclFrame
    ) -> list[HanFrame]:
        tenancy = self.tenancy
        if not self.tenancy_attributes or tenancy.update_date_time == 0:
            raise ZclError("no change of tenancy to publish", Status.NOT_FOUND)
        payload = encode_reply(
            decoded.header,
            reg.DEVICE_MANAGEMENT,
            "publish_change_of_tenancy",
            provider_id=tenancy.provider_id,
            issuer_event_id=tenancy.issuer_event_id,
            tariff_type=0,
            implementation_date_time=tenancy.update_date_time,
            proposed_tenancy_change_control=tenancy.control,
        )
        return [self.send(now, frame.src, frame.cluster, payload)]

    def _on_get_change_of_supplier(
        self, now: int, frame: HanFrame, decoded: ZclFrame
    ) -> list[HanFrame]:
        proposed = self.store.get("proposed_supplier")
        if proposed is None:
            raise ZclError("no change of supplier to publish", Status.NOT_FOUND)
        payload = encode_reply(
            decoded.header,
            reg.DEVICE_MANAGEMENT,
            "publish_change_of_supplier",
            current_provider_id=self.store.get("provider_id", 0),
            issuer_event_id=proposed["issuer_event_id"],
            tariff_type=0,
            proposed_provider_id=proposed["provider_id"],
            provider_change_implementation_time=proposed["at"],
            provider_change_control=0,
            proposed_provider_name=b"",
            proposed_provider_contact_details=b"",
        )
        return [self.send(now, frame.src, frame.cluster, payload)]

    def _on_get_last_message(self, now: int, frame: HanFrame, decoded: ZclFrame) -> list[HanFrame]:
        message = self.store.get("message")
        if message is None or message["start_time"] < self.restricted_before(now):
            raise ZclError("no message to display", Status.NOT_FOUND)
        return [self.send(now, frame.src, frame.cluster, self._display_message(0, decoded.header))]

    def _on_message_confirmation(
        self, now: int, frame: HanFrame, decoded: ZclFrame
    ) -> list[HanFrame]:
        self.note(now, f"message {decoded.args['message_id']} confirmed by {frame.src.name}")
        return []

    def _on_get_profile(self, now: int, frame: HanFrame, decoded: ZclFrame) -> list[HanFrame]:
        args = decoded.args
        # Only completed intervals exist: the end is clamped to the last half-hour boundary of
        # the meter's own clock (an end time of 0 means "now", SE 1.4 D.3.2.3.1.1.2).
        last_boundary = self.local_time(now) - self.local_time(now) % tu.HALF_HOUR
        end = min(int(args["end_time"]) or last_boundary, last_boundary)
        end -= end % tu.HALF_HOUR
        periods = min(int(args["number_of_periods"]), MAX_PROFILE_PERIODS)
        status = PROFILE_SUCCESS
        intervals: list[int] = []
        if args["interval_channel"] != 0:  # 0 = consumption delivered (SE 1.4 D.3.2.3.1.1.1)
            status = PROFILE_UNDEFINED_CHANNEL
        else:
            # Nothing before the first recorded interval (no invented zeros) or the restriction.
            first = self.store.get("first_interval")
            oldest = max(self.restricted_before(now), tu.UTC_INVALID if first is None else first)
            stored = {
                r.time: r.data["wh"]
                for r in self.store.records(
                    "interval", since=max(end - periods * tu.HALF_HOUR, oldest), until=end
                )
            }
            # Intervals run backwards from the end time, newest first (SE 1.4 D.3.2.3.1.1.5); a
            # half hour lost in between (a GSME report that never arrived) reads 0.
            for i in range(1, periods + 1):
                start = end - i * tu.HALF_HOUR
                if start < oldest:
                    break
                intervals.append(stored.get(start, 0))
            if not intervals:
                status = PROFILE_NO_INTERVALS
        payload = encode_reply(
            decoded.header,
            reg.METERING,
            "get_profile_response",
            end_time=end,
            status=status,
            profile_interval_period=PROFILE_PERIOD_30_MIN,
            number_of_periods_delivered=len(intervals),
            intervals=intervals,
        )
        return [self.send(now, frame.src, frame.cluster, payload)]

    # -- attributes -------------------------------------------------------------------------
    def attribute_value(self, now: int, cluster: int, attr_id: int) -> Any:
        if cluster == reg.DEVICE_MANAGEMENT:
            return self._device_management_attribute(attr_id)
        if cluster == reg.METERING:
            return self._metering_attribute(now, attr_id)
        if cluster == reg.BASIC and attr_id == 0x0000:
            return 3  # ZCLVersion
        if cluster == reg.TIME and attr_id == 0x0000:
            # The meter is the HAN's time source; clients label history periods by its clock.
            return self.local_time(now)
        if cluster == reg.TIME and attr_id == 0x0001:
            return 0b0000_0011  # TimeStatus: Master, Synchronized (ZCL r8 3.12.2.2.2)
        return None

    def _device_management_attribute(self, attr_id: int) -> Any:
        tenancy = self.tenancy
        if attr_id == 0x0100:
            return self.store.get("provider_id", 0)
        if attr_id == 0x0300:
            return 1  # WANStatus: available
        if not self.tenancy_attributes:
            return None
        if attr_id == 0x0200:
            return tenancy.update_date_time
        if attr_id == 0x0201:
            return tenancy.control
        return None

    def _metering_attribute(self, now: int, attr_id: int) -> Any:
        if attr_id == 0x0000:
            return int(self.store.get("summation", 0))
        if attr_id == 0x0300:
            return 0x00 if self.fuel == "electricity" else 0x01  # kWh / m3 (SE 1.4 D.3.2.2.4)
        if attr_id == 0x0301:
            return 1  # Multiplier
        if attr_id == 0x0302:
            return 1000  # Divisor: values are in Wh
        if attr_id == 0x0306:
            return 0 if self.fuel == "electricity" else 1  # MeteringDeviceType
        if attr_id == 0x0400:
            last = self.store.get("last_interval")
            if last is None or last[0] < self.restricted_before(now):
                return 0
            return int(last[1]) * 2  # Wh per half hour -> W
        period = history_periods(self.local_time(now)).get(attr_id)
        if period is not None:
            return self._period(now, period.start, period.end, period.invalid)
        return None

    def _period(self, now: int, start: int, end: int, invalid: int) -> int:
        value = self.consumption(now, start, end)
        return invalid if value is None else min(value, invalid - 1)
