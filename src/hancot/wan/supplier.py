"""The WAN entry: what an energy supplier asks of a premises through the DCC.

Each service goes the way it goes in reality, bytes included:

- SRV 3.2 Restrict Access For Change Of Tenancy: to the ESME as GBCS ECS12, a DLMS SET of
  OBIS 0-0:94.44.3.2; to the GPF as GBCS GCS09, a GBZ payload carrying a Device Management
  Publish Change of Tenancy.  The meter takes the date-time from the bytes it receives.
- SRV 3.1 Display Message: to the ESME (ECS10) and to the GPF as GCS07, a GBZ Messaging Display
  Message; the meter pushes it to the IHD and PPMID.
- SRV 2.2 Top Up Device: credit and a top-up log entry on the ESME.

Requests come from the Python API or from DUIS XML (:meth:`Supplier.apply_duis`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hancot import timeutil as tu
from hancot.devices.meter import DEFAULT_TENANCY_CONTROL
from hancot.errors import DuisError, HancotError
from hancot.han.frame import DeviceKind, HanFrame
from hancot.han.premises import Premises
from hancot.wan import dlms, duis, gbcs
from hancot.zcl import registry as reg
from hancot.zcl.codec import decode_frame, encode_command

FUELS = ("electricity", "gas")


@dataclass(frozen=True)
class WanEvent:
    """One request the supplier sent, as it went over the WAN."""

    time: int
    service: str
    use_case: str
    target: str
    detail: str
    payload: bytes
    response: bytes = b""


class Supplier:
    """An energy supplier acting on one premises through the DCC."""

    def __init__(self, premises: Premises, provider_id: int = 0x0000_0001) -> None:
        self.premises = premises
        self.provider_id = provider_id
        self.events: list[WanEvent] = []
        self._counter = 0x1000
        self._last_message_id = 0

    def _next_counter(self) -> int:
        self._counter += 1
        return self._counter

    # -- SRV 3.2 ---------------------------------------------------------------------------------
    def restrict_access_for_cot(
        self,
        now: int,
        restriction: int,
        fuels: Iterable[str] = FUELS,
        *,
        control: int = DEFAULT_TENANCY_CONTROL,
    ) -> list[HanFrame]:
        """Set the CoT date-time (past or future; 0xFFFFFFFF cancels) on the chosen meters."""
        fuels = _check_fuels(fuels)
        if not 0 <= restriction <= tu.UTC_INVALID:
            raise HancotError(
                f"restriction date-time {restriction} is outside UTCTime (0..0xFFFFFFFF)"
            )
        frames: list[HanFrame] = []
        if "electricity" in fuels:
            request = dlms.build_ecs12_set(
                restriction if restriction != tu.UTC_INVALID else 0, counter=self._next_counter()
            )
            # The ESME acts on the bytes it received.
            received = dlms.ecs12_restriction(dlms.parse_access_request(request))
            if restriction == tu.UTC_INVALID:
                received = tu.UTC_INVALID
            self.premises.esme.wan_set_tenancy(
                now,
                received,
                control=control,
                issuer_event_id=now,
                provider_id=self.provider_id,
            )
            self.events.append(
                WanEvent(now, "3.2", "ECS12", "ESME", f"restrict from {tu.iso(received)}", request)
            )
        if "gas" in fuels:
            zcl = encode_command(
                reg.DEVICE_MANAGEMENT,
                "publish_change_of_tenancy",
                tsn=0,
                provider_id=self.provider_id,
                issuer_event_id=now,
                tariff_type=0,
                implementation_date_time=restriction,
                proposed_tenancy_change_control=control,
            )
            frames += self._to_gpf(
                now,
                "3.2",
                "GCS09",
                reg.DEVICE_MANAGEMENT,
                zcl,
                f"restrict from {tu.iso(restriction)}",
            )
        return frames

    # -- SRV 3.1 ---------------------------------------------------------------------------------
    def display_message(
        self, now: int, text: str, fuels: Iterable[str] = FUELS, *, control: int = 0
    ) -> list[HanFrame]:
        """Send a supplier message to the chosen meters; they push it to the IHD and PPMID."""
        fuels = _check_fuels(fuels)
        frames: list[HanFrame] = []
        # Message ids are issue times (as in the DCC reference data), kept unique and increasing.
        message_id = max(now, self._last_message_id + 1)
        self._last_message_id = message_id
        if "electricity" in fuels:
            frames += self.premises.esme.wan_display_message(now, message_id, text, control=control)
            self.events.append(
                WanEvent(now, "3.1", "ECS10", "ESME", f"message {text!r}", text.encode())
            )
        if "gas" in fuels:
            zcl = encode_command(
                reg.MESSAGING,
                "display_message",
                tsn=0,
                message_id=message_id,
                message_control=control,
                start_time=0,
                duration_in_minutes=0xFFFF,
                message=text,
            )
            frames += self._to_gpf(now, "3.1", "GCS07", reg.MESSAGING, zcl, f"message {text!r}")
        return frames

    # -- SRV 2.2 ---------------------------------------------------------------------------------
    def top_up(self, now: int, amount_pence: int, utrn: str | None = None) -> list[HanFrame]:
        """Add credit on the ESME (simulated UTRNs carry the pence in their last 6 digits)."""
        if not 0 < amount_pence < 1_000_000:
            raise HancotError(f"top-up of {amount_pence}p is outside 1p..£9,999.99")
        code = utrn or f"{self._next_counter():014d}{amount_pence:06d}"
        self.premises.esme.wan_top_up(now, amount_pence, code)
        self.events.append(
            WanEvent(now, "2.2", "ECS??", "ESME", f"top-up {amount_pence}p", code.encode())
        )
        return []

    # -- Change of Supplier ------------------------------------------------------------------------
    def change_supplier(self, now: int, new_provider_id: int, at: int) -> list[HanFrame]:
        for meter in (self.premises.esme, self.premises.gpf):
            meter.wan_change_supplier(now, new_provider_id, at, issuer_event_id=now)
        self.events.append(
            WanEvent(
                now, "CoS", "-", "ESME+GPF", f"provider {new_provider_id} from {tu.iso(at)}", b""
            )
        )
        return []

    # -- DUIS -------------------------------------------------------------------------------------
    def apply_duis(self, now: int, request: duis.DuisRequest) -> list[HanFrame]:
        """Carry out a parsed DUIS request on the device its RequestID addresses."""
        target = request.header.business_target_id
        kinds = {ident.eui64: kind for kind, ident in self.premises.identities.items()}
        kind = kinds.get(target)
        if kind not in (DeviceKind.ESME, DeviceKind.GPF, DeviceKind.GSME):
            raise DuisError(
                f"request {request.header.request_id} is addressed to {gbcs.format_eui64(target)}, "
                "which is not a meter of this premises"
            )
        fuel = "electricity" if kind == DeviceKind.ESME else "gas"
        body = request.body
        if isinstance(body, duis.RestrictAccessForChangeOfTenancy):
            return self.restrict_access_for_cot(now, body.restriction_datetime, [fuel])
        if isinstance(body, duis.DisplayMessage):
            return self.display_message(now, body.message, [fuel])
        if isinstance(body, duis.TopUpDevice):
            if kind != DeviceKind.ESME:
                raise DuisError("hancot models prepayment on the ESME; address SRV 2.2 to it")
            amount = int(body.utrn[-6:])
            return self.top_up(now, amount, body.utrn)
        raise DuisError(f"service {request.header.service_reference} is not supported")

    # -- the GPF path ---------------------------------------------------------------------
    def _to_gpf(
        self, now: int, service: str, use_case: str, cluster: int, zcl: bytes, detail: str
    ) -> list[HanFrame]:
        payload = gbcs.build_gbz([gbcs.gbz_component(cluster, zcl)])
        frames: list[HanFrame] = []
        responses = []
        for component in gbcs.GbzPayload.from_bytes(payload).components:
            response, out = self.premises.gpf.wan_gbz_command(
                now, component.cluster, component.zcl_frame
            )
            frames += out
            responses.append(gbcs.gbz_component(component.cluster, response))
        self.events.append(
            WanEvent(now, service, use_case, "GPF", detail, payload, gbcs.build_gbz(responses))
        )
        return frames


def _check_fuels(fuels: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(fuels)
    unknown = [f for f in chosen if f not in FUELS]
    if unknown or not chosen:
        raise HancotError(f"fuels must be among {FUELS}, got {chosen}")
    return chosen


def describe_response(response: bytes) -> str:
    """A GBZ response as text (the Default Response inside it)."""
    parts = []
    for component in gbcs.GbzPayload.from_bytes(response).components:
        frame = decode_frame(component.cluster, component.zcl_frame)
        parts.append(f"{reg.cluster_name(component.cluster)} status 0x{frame.args['status']:02X}")
    return ", ".join(parts)
