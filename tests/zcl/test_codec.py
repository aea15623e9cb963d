"""The ZCL codec against zigpy's own codecs, and its refusals with the right ZCL status."""

from __future__ import annotations

import pytest
import zigpy.types as t
from zigpy.zcl import foundation

from hancot.errors import ZclDecodeError
from hancot.zcl import registry as reg
from hancot.zcl.clusters import DeviceManagement, Messaging, Metering, Prepayment
from hancot.zcl.clusters import metering as mt
from hancot.zcl.clusters import prepayment as pp
from hancot.zcl.codec import (
    AttributeValue,
    decode_frame,
    default_response,
    encode_command,
    read_attributes,
    read_attributes_response,
    report_attributes,
)
from hancot.zcl.header import Status, ZclHeader, parse_header


def test_tenancy_attributes_have_the_se_types() -> None:
    attrs = DeviceManagement.attributes
    assert attrs[0x0200].name == "change_of_tenancy_update_date_time"
    assert attrs[0x0200].zcl_type == foundation.DataTypeId.UTC  # 0xE2
    assert attrs[0x0201].zcl_type == foundation.DataTypeId.map32  # 0x1B
    assert attrs[0x0100].type is t.uint32_t


def test_history_attributes_fill_the_se_ranges() -> None:
    ids = set(Metering.attributes)
    assert set(range(0x0420, 0x042E)) <= ids  # previous days 2..8, delivered and received
    assert set(range(0x0430, 0x043C)) <= ids  # current and previous weeks 1..5
    assert set(range(0x0440, 0x045C)) <= ids  # current and previous months 1..13
    assert mt.day_attribute(8) == 0x042C and mt.month_attribute(13) == 0x045A


def test_prepayment_slots_follow_the_attribute_sets() -> None:
    ids = set(Prepayment.attributes)
    for slot in range(1, 6):
        assert {pp.top_up_attribute(slot, f) for f in range(4)} <= ids
    assert pp.top_up_attribute(5, 3) == 0x0143
    assert pp.debt_attribute(3, 9) == 0x0239


def test_read_attributes_response_matches_zigpy_byte_for_byte() -> None:
    request = decode_frame(reg.DEVICE_MANAGEMENT, read_attributes([0x0200, 0x0201], tsn=7))
    ours = read_attributes_response(
        request.header,
        reg.DEVICE_MANAGEMENT,
        [AttributeValue(0x0200, value=0x1FC66E20), AttributeValue(0x0201, value=0x200)],
    )
    header = foundation.ZCLHeader(
        frame_control=foundation.FrameControl(
            frame_type=foundation.FrameType.GLOBAL_COMMAND,
            is_manufacturer_specific=False,
            direction=foundation.Direction.Server_to_Client,
            disable_default_response=True,
            reserved=0,
        ),
        tsn=7,
        command_id=foundation.GeneralCommand.Read_Attributes_rsp,
    )
    schema = foundation.GENERAL_COMMANDS[foundation.GeneralCommand.Read_Attributes_rsp].schema
    records = [
        foundation.ReadAttributeRecord(
            0x0200, foundation.Status.SUCCESS, foundation.TypeValue(0xE2, t.UTCTime(0x1FC66E20))
        ),
        foundation.ReadAttributeRecord(
            0x0201, foundation.Status.SUCCESS, foundation.TypeValue(0x1B, t.bitmap32(0x200))
        ),
    ]
    assert ours == header.serialize() + schema(status_records=records).serialize()
    decoded = decode_frame(reg.DEVICE_MANAGEMENT, ours)
    assert [(r.attr_id, r.type_id, int(r.value)) for r in decoded.args["records"]] == [
        (0x0200, 0xE2, 0x1FC66E20),
        (0x0201, 0x1B, 0x200),
    ]


COMMANDS = [
    (reg.DEVICE_MANAGEMENT, "get_change_of_tenancy", {}),
    (reg.DEVICE_MANAGEMENT, "get_change_of_supplier", {}),
    (
        reg.DEVICE_MANAGEMENT,
        "publish_change_of_supplier",
        {
            "current_provider_id": 1,
            "issuer_event_id": 2,
            "tariff_type": 0,
            "proposed_provider_id": 3,
            "provider_change_implementation_time": 4,
            "provider_change_control": 0,
            "proposed_provider_name": b"Supplier B",
            "proposed_provider_contact_details": b"0800",
        },
    ),
    (reg.MESSAGING, "get_last_message", {}),
    (reg.MESSAGING, "message_confirmation", {"message_id": 5, "confirmation_time": 6}),
    (reg.MESSAGING, "cancel_message", {"message_id": 5, "message_control": 0}),
    (reg.MESSAGING, "cancel_all_messages", {"implementation_date_time": 9}),
    (reg.PREPAYMENT, "get_top_up_log", {"latest_end_time": 10, "number_of_records": 5}),
    (
        reg.PREPAYMENT,
        "get_debt_repayment_log",
        {"latest_end_time": 10, "number_of_debts": 3, "debt_type": 0xFF},
    ),
    (
        reg.PREPAYMENT,
        "publish_top_up_log",
        {
            "command_index": 0,
            "total_number_of_commands": 1,
            "top_up_payload": [
                pp.TopUpRecord(
                    top_up_code=b"12345678901234567890", top_up_amount=2000, top_up_time=7
                )
            ],
        },
    ),
    (
        reg.PREPAYMENT,
        "publish_debt_log",
        {
            "command_index": 0,
            "total_number_of_commands": 1,
            "debt_payload": [
                pp.DebtRecord(
                    collection_time=8, amount_collected=50, debt_type=0, outstanding_debt=5950
                )
            ],
        },
    ),
    (reg.METERING, "get_profile", {"interval_channel": 0, "end_time": 99, "number_of_periods": 24}),
]


@pytest.mark.parametrize(("cluster", "name", "fields"), COMMANDS, ids=[c[1] for c in COMMANDS])
def test_cluster_commands_round_trip(cluster: int, name: str, fields: dict) -> None:
    encoded = encode_command(cluster, name, tsn=42, **fields)
    decoded = decode_frame(cluster, encoded)
    assert decoded.name == name
    assert decoded.header.tsn == 42
    assert encode_command(cluster, name, tsn=42, **decoded.args) == encoded
    for key, value in fields.items():
        assert decoded.args[key] == value


def test_report_attributes_round_trip() -> None:
    frame = report_attributes(
        reg.METERING,
        [AttributeValue(0x0000, value=123456), AttributeValue(0x0407, value=321)],
        tsn=3,
    )
    decoded = decode_frame(reg.METERING, frame)
    assert decoded.name == "report_attributes"
    assert [(r.attr_id, int(r.value)) for r in decoded.args["records"]] == [
        (0, 123456),
        (0x0407, 321),
    ]


@pytest.mark.parametrize(
    ("cluster", "data", "status"),
    [
        (reg.DEVICE_MANAGEMENT, b"", Status.MALFORMED_COMMAND),
        (reg.DEVICE_MANAGEMENT, b"\x09\x01", Status.MALFORMED_COMMAND),
        (reg.DEVICE_MANAGEMENT, bytes.fromhex("090100000000"), Status.MALFORMED_COMMAND),
        (reg.DEVICE_MANAGEMENT, bytes.fromhex("09017f"), Status.UNSUP_CLUSTER_COMMAND),
        (reg.DEVICE_MANAGEMENT, bytes.fromhex("000100000202"), Status.MALFORMED_COMMAND),
        (reg.DEVICE_MANAGEMENT, bytes.fromhex("000160"), Status.UNSUP_GENERAL_COMMAND),
        (
            reg.DEVICE_MANAGEMENT,
            bytes.fromhex("05341201000002"),
            Status.UNSUP_MANUF_CLUSTER_COMMAND,
        ),
        (reg.DEVICE_MANAGEMENT, bytes.fromhex("030100"), Status.MALFORMED_COMMAND),
        (0x0006, bytes.fromhex("010100"), Status.UNSUPPORTED_CLUSTER),
        (
            reg.MESSAGING,
            bytes.fromhex("09010001000000000000000000000541"),
            Status.MALFORMED_COMMAND,
        ),
    ],
)
def test_bad_frames_raise_with_the_status_to_answer(cluster: int, data: bytes, status: int) -> None:
    with pytest.raises(ZclDecodeError) as info:
        decode_frame(cluster, data)
    assert info.value.status == status
    assert str(info.value)


def test_default_response_answers_with_the_request_sequence() -> None:
    header, _ = parse_header(bytes.fromhex("010900"))
    reply = default_response(header, Status.NOT_FOUND)
    assert reply == bytes.fromhex("18090b008b")
    assert ZclHeader(False, True, 9, 0x0B, True).to_bytes() == reply[:3]
    assert Messaging.cluster_id == 0x0703


@pytest.mark.parametrize("text", ["Reset", "Top up £5", "Zählerstand ✓", ""])
def test_display_message_text_length_counts_octets(text: str) -> None:
    frame = encode_command(
        reg.MESSAGING,
        "display_message",
        tsn=1,
        message_id=1,
        message_control=0,
        start_time=0,
        duration_in_minutes=0xFFFF,
        message=text,
        extended_message_control=0,
    )
    encoded = text.encode("utf-8")
    assert frame[14] == len(encoded) and frame[15 : 15 + len(encoded)] == encoded
    decoded = decode_frame(reg.MESSAGING, frame)
    assert decoded.args["message"] == text
    assert decoded.args["extended_message_control"] == 0
