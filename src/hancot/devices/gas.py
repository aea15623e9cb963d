"""The gas side: the sleepy GSME and the Gas Proxy Function (GPF) on the Communications Hub.

HAN devices never wake the battery-powered GSME: it pushes its half-hourly readings to the GPF,
which serves gas data (and, since SECMP0056, the gas tenancy attributes) to IHDs and PPMIDs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hancot import timeutil as tu
from hancot.devices.base import Device
from hancot.devices.halfhour import begin_recording, closed_half_hours, next_boundary
from hancot.devices.meter import LoadProfile, Meter
from hancot.devices.store import Store
from hancot.errors import ZclError
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.zcl import registry as reg
from hancot.zcl.codec import AttributeValue, ZclFrame, decode_frame, report_attributes
from hancot.zcl.header import Status, ZclHeader

#: Metering attributes the GSME reports: CurrentSummationDelivered, and the interval just closed
#: as CurrentPartialProfileIntervalStartTimeDelivered / ...ValueDelivered (SE 1.4 Table D-24).
SUMMATION = 0x0000
INTERVAL_START = 0x0405
INTERVAL_VALUE = 0x0407


class Gsme(Device):
    """Gas meter: records each half hour and reports it to the GPF."""

    kind = DeviceKind.GSME
    clusters = frozenset({reg.METERING})

    def __init__(
        self,
        identity: DeviceIdentity,
        load: LoadProfile,
        store: Store | None = None,
        *,
        start: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(identity, store, **kwargs)
        self.load = load
        if begin_recording(self.store, start):
            self.store.set("summation", 0)

    def next_wakeup(self, now: int) -> int | None:
        return next_boundary(self.store)

    def tick(self, now: int) -> list[HanFrame]:
        if not self.powered:
            return []
        out = []
        with self.store.transaction():
            for start in closed_half_hours(self.store, now):
                wh = self.load(start)
                summation = int(self.store.get("summation")) + wh
                self.store.set("summation", summation)
                gpf = self.peers.get(DeviceKind.GPF)
                if gpf is not None:
                    payload = report_attributes(
                        reg.METERING,
                        [
                            AttributeValue(SUMMATION, value=summation),
                            AttributeValue(INTERVAL_START, value=start),
                            AttributeValue(INTERVAL_VALUE, value=wh),
                        ],
                        tsn=self.next_tsn(),
                    )
                    out.append(self.send(now, gpf, reg.METERING, payload))
        return out

    def handle(self, now: int, frame: HanFrame, decoded: ZclFrame) -> Iterable[HanFrame]:
        if decoded.name == "default_response":
            return []
        raise ZclError(f"{self.name} accepts no {decoded.name}", Status.UNSUP_CLUSTER_COMMAND)


class Gpf(Meter):
    """Gas Proxy Function: the gas Smart Energy server, mirroring the GSME (CHTS v1.5)."""

    kind = DeviceKind.GPF
    fuel = "gas"

    def handle(self, now: int, frame: HanFrame, decoded: ZclFrame) -> Iterable[HanFrame]:
        if decoded.name == "report_attributes" and frame.cluster == reg.METERING:
            return self._on_gsme_report(now, frame, decoded)
        return super().handle(now, frame, decoded)

    def _on_gsme_report(self, now: int, frame: HanFrame, decoded: ZclFrame) -> list[HanFrame]:
        gsme = self.peers.get(DeviceKind.GSME)
        if gsme is None or frame.src.eui64 != gsme.eui64:
            raise ZclError(
                f"report from {frame.src.name}, not this GPF's GSME", Status.NOT_AUTHORIZED
            )
        records = {r.attr_id: r for r in decoded.args["records"]}
        start_record, value_record = records.get(INTERVAL_START), records.get(INTERVAL_VALUE)
        if start_record is None or value_record is None:
            return []
        # The report must carry the types the Metering cluster defines (UTCTime 0xE2, uint24
        # 0x22, SE 1.4 Table D-24) for a closed half hour; anything else is refused, not stored.
        if start_record.type_id != 0xE2 or value_record.type_id != 0x22:
            raise ZclError(
                "GSME interval report with the wrong data types", Status.INVALID_DATA_TYPE
            )
        start, wh = int(start_record.value), int(value_record.value)
        if start % tu.HALF_HOUR or start > self.local_time(now):
            raise ZclError(
                f"GSME interval start {start} is not a closed half hour", Status.INVALID_VALUE
            )
        if self.store.fetch("interval", str(start)) is None:  # a repeated report counts once
            self.record_interval(start, wh)
        return []

    def wan_gbz_command(
        self, now: int, cluster: int, zcl_frame: bytes
    ) -> tuple[bytes, list[HanFrame]]:
        """Carry out one GBZ component from the DCC (GBCS GCS09 / GCS07) and return the ZCL
        Default Response the GPF puts in its GBZ response, plus the frames it sends on the HAN.

        The response keeps default response enabled and the direction client-to-server, as the
        DCC reference responses do (frame control 0x00).
        """
        out: list[HanFrame] = []
        try:
            decoded = decode_frame(cluster, zcl_frame)
            args = decoded.args
            if decoded.name == "publish_change_of_tenancy":
                self.wan_set_tenancy(
                    now,
                    int(args["implementation_date_time"]),
                    control=int(args["proposed_tenancy_change_control"]),
                    issuer_event_id=int(args["issuer_event_id"]),
                    provider_id=int(args["provider_id"]),
                )
            elif decoded.name == "display_message":
                out = self.wan_display_message(
                    now,
                    int(args["message_id"]),
                    str(args["message"]),
                    control=int(args["message_control"]),
                    start_time=int(args["start_time"]),
                    duration_minutes=int(args["duration_in_minutes"]),
                )
            else:
                raise ZclError(
                    f"GBZ command {decoded.name} is not supported", Status.UNSUP_CLUSTER_COMMAND
                )
            status = int(Status.SUCCESS)
        except ZclError as exc:
            status = int(exc.status)
        tsn = zcl_frame[1] if len(zcl_frame) > 1 else 0
        command_id = zcl_frame[2] if len(zcl_frame) > 2 else 0xFF
        header = ZclHeader(cluster_specific=False, server_to_client=False, tsn=tsn, command_id=0x0B)
        return header.to_bytes() + bytes((command_id, status)), out


class Chf(Device):
    """Communications Hub Function: coordinator and trust centre.  It keeps the HAN device log
    (the EUI-64s allowed to join) and hosts the GPF; it serves no Smart Energy cluster itself."""

    kind = DeviceKind.CHF
    clusters = frozenset()

    def __init__(self, identity: DeviceIdentity, store: Store | None = None, **kwargs: Any):
        super().__init__(identity, store, **kwargs)
        self.device_log: dict[int, DeviceIdentity] = {}

    def admit(self, device: DeviceIdentity) -> None:
        """Add a device to the device log (the whitelist, GBCS CS11 'Add Device to CHF')."""
        self.device_log[device.eui64] = device

    def allows(self, device: DeviceIdentity) -> bool:
        return device.eui64 in self.device_log
