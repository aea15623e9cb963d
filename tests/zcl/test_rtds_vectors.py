"""Golden tests: the ZCL frames inside the DCC RTDS GBZ payloads decode to the values DOMAIN.md
states and re-encode to the same bytes (one test per vector file).  Vectors: tests/vectors/."""

from __future__ import annotations

from pathlib import Path

import pytest

from hancot.wan.gbcs import parse_gbcs_hex
from hancot.zcl import registry as reg
from hancot.zcl.codec import decode_frame, encode_command
from hancot.zcl.header import Status

RTDS = Path(__file__).resolve().parents[1] / "vectors" / "rtds"


def _component(name: str):
    message = parse_gbcs_hex((RTDS / name).read_text())
    assert message.gbz is not None, f"{name} carries no GBZ payload"
    (component,) = message.gbz.components
    return component


def test_gcs09_publish_change_of_tenancy_decodes_to_the_stated_values() -> None:
    component = _component("3.2_GCS09/GCS09_3.2_SUCCESS_COMMAND_GBCS.HEX")
    assert component.cluster == reg.DEVICE_MANAGEMENT
    frame = decode_frame(component.cluster, component.zcl_frame)
    assert frame.header.frame_control == 0x09  # cluster-specific, server to client, DR enabled
    assert frame.name == "publish_change_of_tenancy"
    assert frame.args == {
        "provider_id": 0,
        "issuer_event_id": 0x1C374A80,  # 2015-01-01T00:00:00Z
        "tariff_type": 0,
        "implementation_date_time": 0x1FC66E20,  # 2016-11-22T02:46:56Z
        "proposed_tenancy_change_control": 0x00000200,  # bit 9, clear IHD data - consumer
    }


def test_gcs09_publish_change_of_tenancy_re_encodes_to_the_same_bytes() -> None:
    component = _component("3.2_GCS09/GCS09_3.2_SUCCESS_COMMAND_GBCS.HEX")
    frame = decode_frame(component.cluster, component.zcl_frame)
    encoded = encode_command(reg.DEVICE_MANAGEMENT, frame.name, tsn=frame.header.tsn, **frame.args)
    assert encoded == component.zcl_frame


@pytest.mark.parametrize(
    "name",
    ["3.1_GCS07/GCS07_3.1_SUCCESS_COMMAND_GBCS.HEX", "3.1_GCS07/GCS07_3.1_ERROR_COMMAND_GBCS.HEX"],
)
def test_gcs07_display_message_round_trips(name: str) -> None:
    component = _component(name)
    assert component.cluster == reg.MESSAGING
    frame = decode_frame(component.cluster, component.zcl_frame)
    assert frame.name == "display_message"
    assert frame.args["message_id"] == 0x1C374A80
    assert frame.args["message_control"] == 0
    assert frame.args["start_time"] == 0  # now
    assert frame.args["duration_in_minutes"] == 0xFFFF  # until changed
    assert frame.args["message"] == "Reset"
    assert "extended_message_control" not in frame.args
    again = encode_command(reg.MESSAGING, frame.name, tsn=frame.header.tsn, **frame.args)
    assert again == component.zcl_frame


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("3.2_GCS09/GCS09_3.2_SUCCESS_RESPONSE_GBCS.HEX", Status.SUCCESS),
        ("3.1_GCS07/GCS07_3.1_SUCCESS_RESPONSE_GBCS.HEX", Status.SUCCESS),
        ("3.1_GCS07/GCS07_3.1_ERROR_RESPONSE_GBCS.HEX", Status.HARDWARE_FAILURE),
    ],
)
def test_default_response_replies_decode(name: str, status: Status) -> None:
    component = _component(name)
    frame = decode_frame(component.cluster, component.zcl_frame)
    assert frame.name == "default_response"
    assert frame.args == {"command_id": 0x00, "status": status}
    # Re-encode: general frame, client to server, default response enabled (frame control 0x00).
    assert component.zcl_frame == bytes(
        (0x00, frame.header.tsn, 0x0B, frame.args["command_id"], frame.args["status"])
    )
