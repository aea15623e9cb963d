"""ESME, the electricity meter: half-hourly recording, prepayment (credit, top-ups, debt recovery)
and the Metering / Messaging / Device Management / Prepayment servers (SMETS2 ESMETS v5.1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hancot import timeutil as tu
from hancot.devices.halfhour import begin_recording, closed_half_hours, next_boundary
from hancot.devices.meter import LoadProfile, Meter
from hancot.devices.store import Record, Store
from hancot.errors import ZclError
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame
from hancot.zcl import registry as reg
from hancot.zcl.clusters import prepayment as pp
from hancot.zcl.clusters.device_management import ProposedTenancyChangeControl as Ctl
from hancot.zcl.codec import ZclFrame, encode_reply
from hancot.zcl.header import Status

#: CreditRemaining is an int32 (SE 1.4 D.7.2.2.1.2): credit beyond it cannot be held or shown.
MAX_CREDIT = 2**31 - 1
#: Publish Top Up Log carries at most this many records per command so each frame fits one APS
#: payload (a 20-digit UTRN makes a record 29 bytes).
TOP_UPS_PER_COMMAND = 2
DEBT_RECORDS_PER_COMMAND = 5


class Esme(Meter):
    """Electricity meter.  Amounts of money are in pence."""

    kind = DeviceKind.ESME
    clusters = Meter.clusters | {reg.PREPAYMENT}
    fuel = "electricity"

    def __init__(
        self,
        identity: DeviceIdentity,
        load: LoadProfile,
        store: Store | None = None,
        *,
        start: int = 0,
        unit_price: int = 25,
        **kwargs: Any,
    ) -> None:
        super().__init__(identity, store, **kwargs)
        self.load = load
        #: Pence per kWh.
        self.unit_price = unit_price
        if begin_recording(self.store, start):
            self.store.set("credit", 0)
            self.store.set("debt", None)

    # -- time-driven recording ---------------------------------------------------------------
    def next_wakeup(self, now: int) -> int | None:
        wakeups = [next_boundary(self.store)]
        tenancy = self.tenancy
        if tenancy.is_set and self.store.get("tenancy_applied") != tenancy.update_date_time:
            wakeups.append(tenancy.update_date_time - self.clock_offset)
        return min(wakeups)

    def tick(self, now: int) -> list[HanFrame]:
        if not self.powered:
            return []
        with self.store.transaction():
            for start in closed_half_hours(self.store, now):
                wh = self.load(start)
                self.record_interval(start, wh)
                self.store.set(
                    "credit", int(self.store.get("credit")) - wh * self.unit_price // 1000
                )
                if (start + tu.HALF_HOUR) % tu.DAY == 0:
                    self._recover_debt(start + tu.HALF_HOUR)
            self._apply_tenancy_control(now)
        return []

    def _apply_tenancy_control(self, now: int) -> None:
        """When a CoT takes effect, act on the prepayment bits of its control bitmap (DOMAIN.md
        section 4): bit 2 resets the credit register (the previous occupier's credit is settled
        off the meter), bit 3 the debit register (their debt leaves with them)."""
        tenancy = self.tenancy
        if not tenancy.is_set or tenancy.update_date_time > self.local_time(now):
            return
        if self.store.get("tenancy_applied") == tenancy.update_date_time:
            return
        self.store.set("tenancy_applied", tenancy.update_date_time)
        if tenancy.control & Ctl.Reset_Credit_Register:
            self.store.set("credit", 0)
            self.note(now, "CoT: credit register reset")
        if tenancy.control & Ctl.Reset_Debit_Register:
            self.store.set("debt", None)
            self.note(now, "CoT: debt register reset")

    # -- prepayment ---------------------------------------------------------------------------
    def set_debt(
        self, now: int, amount: int, recovery_per_day: int, label: str = "Arrears"
    ) -> None:
        """A time-based debt (debt #1) recovered daily from credit (SE 1.4 D.7.2.2.3)."""
        with self.store.transaction():
            self.store.set(
                "debt",
                {
                    "label": label,
                    "amount": amount,
                    "per_day": recovery_per_day,
                    "start": now,
                },
            )
        self.note(now, f"debt of {amount}p set, recovered at {recovery_per_day}p/day")

    def _recover_debt(self, midnight: int) -> None:
        """Collect the day's debt recovery at midnight; the record is dated by the day it covers."""
        debt = self.store.get("debt")
        if not debt or debt["amount"] <= 0:
            return
        collected = min(debt["per_day"], debt["amount"])
        debt["amount"] -= collected
        self.store.set("debt", debt)
        self.store.set("credit", int(self.store.get("credit")) - collected)
        day = midnight - tu.DAY
        self.store.put(
            "debt_log",
            str(day),
            day,
            {"collected": collected, "outstanding": debt["amount"], "debt_type": 0},
        )

    def wan_top_up(self, now: int, amount: int, code: str) -> None:
        """A top-up (SRV 2.2 / a UTRN entered on the PPMID) adds credit and a log entry."""
        with self.store.transaction():
            self._apply_top_up(now, amount, code, pp.OriginatingDevice.Energy_Service_Interface)

    def _apply_top_up(self, now: int, amount: int, code: str, origin: int) -> None:
        if self.store.fetch("top_up", code) is not None:
            raise ZclError(f"top-up code {code} was already used", Status.DUPLICATE_EXISTS)
        if int(self.store.get("credit")) + amount > MAX_CREDIT:
            raise ZclError(
                f"top-up of {amount}p would take credit past the register's limit",
                Status.INVALID_VALUE,
            )
        self.store.set("credit", int(self.store.get("credit")) + amount)
        self.store.put("top_up", code, now, {"amount": amount, "code": code, "origin": int(origin)})
        self.note(now, f"top-up of {amount}p ({code})")

    def _visible(self, now: int, kind: str) -> list[Any]:
        return self.store.records(kind, since=self.restricted_before(now))

    # -- HAN commands -------------------------------------------------------------------------
    def _on_consumer_top_up(self, now: int, frame: HanFrame, decoded: ZclFrame) -> list[HanFrame]:
        code = bytes(decoded.args["top_up_code"]).decode("ascii", "replace")
        if not code.isdigit() or len(code) != 20:
            result, value = pp.ResultType.Rejected_Invalid_Top_Up, 0
        elif self.store.fetch("top_up", code) is not None:
            result, value = pp.ResultType.Rejected_Duplicate_Top_Up, 0
        elif int(self.store.get("credit")) + int(code[-6:]) > MAX_CREDIT:
            result, value = pp.ResultType.Rejected_Max_Credit_Reached, 0
        else:
            # A UTRN encodes its value; hancot's simulated UTRNs carry pence in the last 6 digits.
            value = int(code[-6:])
            self._apply_top_up(now, value, code, decoded.args["originating_device"])
            result = pp.ResultType.Accepted
        payload = encode_reply(
            decoded.header,
            reg.PREPAYMENT,
            "consumer_top_up_response",
            result_type=result,
            top_up_value=value,
            source_of_top_up=decoded.args["originating_device"],
            credit_remaining=_int32(int(self.store.get("credit"))),
        )
        return [self.send(now, frame.src, frame.cluster, payload)]

    def _on_get_top_up_log(self, now: int, frame: HanFrame, decoded: ZclFrame) -> list[HanFrame]:
        return self._publish_log(
            now,
            frame,
            decoded,
            kind="top_up",
            wanted=int(decoded.args["number_of_records"]),
            per_command=TOP_UPS_PER_COMMAND,
            command="publish_top_up_log",
            field="top_up_payload",
            entry=lambda r: pp.TopUpRecord(
                top_up_code=r.data["code"].encode(),
                top_up_amount=r.data["amount"],
                top_up_time=r.time,
            ),
        )

    def _on_get_debt_repayment_log(
        self, now: int, frame: HanFrame, decoded: ZclFrame
    ) -> list[HanFrame]:
        return self._publish_log(
            now,
            frame,
            decoded,
            kind="debt_log",
            wanted=int(decoded.args["number_of_debts"]),
            per_command=DEBT_RECORDS_PER_COMMAND,
            command="publish_debt_log",
            field="debt_payload",
            entry=lambda r: pp.DebtRecord(
                collection_time=r.time,
                amount_collected=r.data["collected"],
                debt_type=r.data["debt_type"],
                outstanding_debt=r.data["outstanding"],
            ),
        )

    def _publish_log(
        self,
        now: int,
        frame: HanFrame,
        decoded: ZclFrame,
        *,
        kind: str,
        wanted: int,
        per_command: int,
        command: str,
        field: str,
        entry: Callable[[Record], Any],
    ) -> list[HanFrame]:
        """Answer a log request with the newest ``wanted`` visible records up to the requested
        end time, split over as many Publish commands as needed (SE 1.4 D.7.2.3.5/6)."""
        latest = int(decoded.args["latest_end_time"])
        records = [r for r in self._visible(now, kind) if r.time <= latest][::-1][:wanted]
        if not records:
            raise ZclError(f"no {kind.replace('_', ' ')} records to publish", Status.NOT_FOUND)
        chunks = [records[i : i + per_command] for i in range(0, len(records), per_command)]
        return [
            self.send(
                now,
                frame.src,
                frame.cluster,
                encode_reply(
                    decoded.header,
                    reg.PREPAYMENT,
                    command,
                    command_index=index,
                    total_number_of_commands=len(chunks),
                    **{field: [entry(r) for r in chunk]},
                ),
            )
            for index, chunk in enumerate(chunks)
        ]

    # -- attributes ---------------------------------------------------------------------------
    def attribute_value(self, now: int, cluster: int, attr_id: int) -> Any:
        if cluster == reg.PREPAYMENT:
            return self._prepayment_attribute(now, attr_id)
        return super().attribute_value(now, cluster, attr_id)

    def _prepayment_attribute(self, now: int, attr_id: int) -> Any:
        debt = self.store.get("debt") or {}
        simple = {
            0x0000: 0x0002,  # PaymentControlConfiguration: prepayment enabled
            0x0001: _int32(int(self.store.get("credit"))),
            0x0002: 0,
            0x0005: int(debt.get("amount", 0)),
        }
        if attr_id in simple:
            return simple[attr_id]
        if 0x0100 <= attr_id < 0x0150:
            slot, field = (attr_id - 0x0100) // 0x10 + 1, attr_id & 0x0F
            top_ups = self._visible(now, "top_up")[::-1]
            if field > 3:
                return None
            if slot > len(top_ups):
                return (tu.UTC_INVALID, 0, 0, b"")[field]
            record = top_ups[slot - 1]
            return (
                record.time,
                record.data["amount"],
                record.data["origin"],
                record.data["code"].encode(),
            )[field]
        if 0x0210 <= attr_id <= 0x0219 and debt:
            return {
                0x0210: debt["label"].encode(),
                0x0211: debt["amount"],
                0x0212: pp.DebtRecoveryMethod.Time_Based,
                0x0213: debt["start"],
                0x0214: 0,
                0x0216: pp.DebtRecoveryFrequency.Per_Day,
                0x0217: debt["per_day"],
            }.get(attr_id)
        return None


def _int32(value: int) -> int:
    """A register value as the int32 attribute can carry it (saturating)."""
    return max(-(2**31), min(MAX_CREDIT, value))
