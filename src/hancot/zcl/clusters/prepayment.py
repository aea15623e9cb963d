"""Prepayment cluster 0x0705 (Zigbee Smart Energy 1.4, Annex D.7).

Credit, emergency credit and debt are the meter's current state; the top-up log and the debt
recovery log are the occupier's history, which hancot's ``extended`` clear policy removes on a
Change of Tenancy (DOMAIN.md section 7).
"""

from __future__ import annotations

from typing import Final

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import (
    BaseAttributeDefs,
    BaseCommandDefs,
    CommandSchema,
    ZCLAttributeDef,
    ZCLCommandDef,
)

#: Top-up attribute set 0x01 holds five slots, #1 newest (SE 1.4 D.7.2.2.2).
TOP_UP_SLOTS = 5
#: Debt attribute set 0x02 holds three debts, #1..#3 (SE 1.4 D.7.2.2.3).
DEBT_SLOTS = 3


def top_up_attribute(slot: int, field: int) -> int:
    """Attribute id of top-up slot ``slot`` (1..5): field 0 date-time, 1 amount, 2 originating
    device, 3 code (0x01n0..0x01n3, n = slot - 1)."""
    return 0x0100 + 0x10 * (slot - 1) + field


def debt_attribute(slot: int, field: int) -> int:
    """Attribute id of debt ``slot`` (1..3): 0x02m0 + field (m = slot)."""
    return 0x0200 + 0x10 * slot + field


class OriginatingDevice(t.enum8):
    """Originating Device (SE 1.4 D.7.2.2.2.3)."""

    Energy_Service_Interface = 0x00
    Meter = 0x01
    In_Home_Display = 0x02


class DebtType(t.enum8):
    """Debt Type (SE 1.4 D.7.3.3.10.3): 0..2 debt #1..#3, 0xFF all debts."""

    Debt_1 = 0x00
    Debt_2 = 0x01
    Debt_3 = 0x02
    All_Debts = 0xFF


class DebtRecoveryMethod(t.enum8):
    """Debt Recovery Method (SE 1.4 D.7.2.2.3.3)."""

    Time_Based = 0x00
    Percentage_Based = 0x01
    Catch_Up_Based = 0x02


class DebtRecoveryFrequency(t.enum8):
    """Debt Recovery Frequency (SE 1.4 D.7.2.2.3.6)."""

    Per_Hour = 0x00
    Per_Day = 0x01
    Per_Week = 0x02
    Per_Month = 0x03
    Per_Quarter = 0x04


class ResultType(t.enum8):
    """Consumer Top Up Response result (SE 1.4 D.7.2.3.3.1)."""

    Accepted = 0x00
    Rejected_Invalid_Top_Up = 0x01
    Rejected_Duplicate_Top_Up = 0x02
    Rejected_Error = 0x03
    Rejected_Max_Credit_Reached = 0x04
    Rejected_Keypad_Lock = 0x05
    Rejected_Top_Up_Value_Too_Large = 0x06


class TopUpRecord(t.Struct):
    """One TopUpPayload entry of Publish Top Up Log (SE 1.4 D.7.2.3.5.1.3)."""

    top_up_code: t.LVBytes
    top_up_amount: t.int32s
    top_up_time: t.UTCTime


class DebtRecord(t.Struct):
    """One DebtPayload entry of Publish Debt Log (SE 1.4 D.7.2.3.6.1.3)."""

    collection_time: t.UTCTime
    amount_collected: t.uint32_t
    debt_type: DebtType
    outstanding_debt: t.uint32_t


class PublishTopUpLogSchema(CommandSchema):
    command_index: t.uint8_t
    total_number_of_commands: t.uint8_t
    top_up_payload: t.List[TopUpRecord]


class PublishDebtLogSchema(CommandSchema):
    command_index: t.uint8_t
    total_number_of_commands: t.uint8_t
    debt_payload: t.List[DebtRecord]


class PrepaymentAttributeDefs(BaseAttributeDefs):
    # Prepayment Information attribute set 0x00 (SE 1.4 D.7.2.2.1)
    payment_control_configuration: Final = ZCLAttributeDef(id=0x0000, type=t.bitmap16, access="r")
    credit_remaining: Final = ZCLAttributeDef(id=0x0001, type=t.int32s, access="r")
    emergency_credit_remaining: Final = ZCLAttributeDef(id=0x0002, type=t.int32s, access="r")
    credit_status: Final = ZCLAttributeDef(id=0x0003, type=t.bitmap8, access="r")
    credit_remaining_timestamp: Final = ZCLAttributeDef(id=0x0004, type=t.UTCTime, access="r")
    accumulated_debt: Final = ZCLAttributeDef(id=0x0005, type=t.int32s, access="r")
    overall_debt_cap: Final = ZCLAttributeDef(id=0x0006, type=t.int32s, access="r")
    emergency_credit_limit_allowance: Final = ZCLAttributeDef(
        id=0x0010, type=t.uint32_t, access="r"
    )
    emergency_credit_threshold: Final = ZCLAttributeDef(id=0x0011, type=t.uint32_t, access="r")
    total_credit_added: Final = ZCLAttributeDef(id=0x0020, type=t.uint48_t, access="r")


# Top-up attribute set 0x01, slots #1..#5 (SE 1.4 D.7.2.2.2): 0x01n0..0x01n3.
for _slot in range(1, TOP_UP_SLOTS + 1):
    for _field, (_name, _type) in enumerate(
        (
            ("top_up_date_time", t.UTCTime),
            ("top_up_amount", t.int32s),
            ("originating_device", OriginatingDevice),
            ("top_up_code", t.LVBytes),
        )
    ):
        setattr(
            PrepaymentAttributeDefs,
            f"{_name}_{_slot}",
            ZCLAttributeDef(id=top_up_attribute(_slot, _field), type=_type, access="r"),
        )

# Debt attribute set 0x02, debts #1..#3 (SE 1.4 D.7.2.2.3): 0x02m0..0x02m9 (m5, m8 reserved).
for _slot in range(1, DEBT_SLOTS + 1):
    for _field, _name, _type in (
        (0, "debt_label", t.LVBytes),
        (1, "debt_amount", t.uint32_t),
        (2, "debt_recovery_method", DebtRecoveryMethod),
        (3, "debt_recovery_start_time", t.UTCTime),
        (4, "debt_recovery_collection_time", t.uint16_t),
        (6, "debt_recovery_frequency", DebtRecoveryFrequency),
        (7, "debt_recovery_amount", t.uint32_t),
        (9, "debt_recovery_top_up_percentage", t.uint16_t),
    ):
        setattr(
            PrepaymentAttributeDefs,
            f"{_name}_{_slot}",
            ZCLAttributeDef(id=debt_attribute(_slot, _field), type=_type, access="r"),
        )


class Prepayment(smartenergy.Prepayment):
    """Prepayment (0x0705)."""

    AttributeDefs = PrepaymentAttributeDefs

    class ServerCommandDefs(BaseCommandDefs):
        # Commands a server receives (SE 1.4 D.7.2.4)
        select_available_emergency_credit: Final = ZCLCommandDef(
            id=0x00,
            schema={
                "command_issue_date_time": t.UTCTime,
                "originating_device": OriginatingDevice,
            },
        )
        consumer_top_up: Final = ZCLCommandDef(
            id=0x04,
            schema={"originating_device": OriginatingDevice, "top_up_code": t.LVBytes},
        )
        get_top_up_log: Final = ZCLCommandDef(
            id=0x08,
            schema={"latest_end_time": t.UTCTime, "number_of_records": t.uint8_t},
        )
        get_debt_repayment_log: Final = ZCLCommandDef(
            id=0x0A,
            schema={
                "latest_end_time": t.UTCTime,
                "number_of_debts": t.uint8_t,
                "debt_type": DebtType,
            },
        )

    class ClientCommandDefs(BaseCommandDefs):
        # Commands a client receives (SE 1.4 D.7.2.3)
        consumer_top_up_response: Final = ZCLCommandDef(
            id=0x03,
            schema={
                "result_type": ResultType,
                "top_up_value": t.int32s,
                "source_of_top_up": OriginatingDevice,
                "credit_remaining": t.int32s,
            },
        )
        publish_top_up_log: Final = ZCLCommandDef(id=0x05, schema=PublishTopUpLogSchema)
        publish_debt_log: Final = ZCLCommandDef(id=0x06, schema=PublishDebtLogSchema)
