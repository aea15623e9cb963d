"""GBCS framing against the DCC RTDS 4.5.0 vectors (one golden test per file), and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hancot.errors import GbcsError
from hancot.wan.gbcs import (
    GBZ_CONTROL_FROM_DATE_TIME,
    MAC_LENGTH,
    USE_CASES,
    Cra,
    GbcsMessage,
    GbzComponent,
    GbzPayload,
    build_gbz,
    format_eui64,
    gbz_component,
    parse_gbcs,
    parse_gbcs_hex,
)

RTDS = Path(__file__).resolve().parents[1] / "vectors" / "rtds"
DCC_USER = 0x90B3D51F30010000
ESME = 0x00DB1234567890A0
GPF_GCS07 = 0x00DB1234567890A1
GPF_GCS09 = 0x00DB1234567890A3

GCS09_FRAME = bytes.fromhex("09 00 00 00000000 804A371C 00 206EC61F 00020000")
GCS07_FRAME = bytes.fromhex("09 00 00 804A371C 00 00000000 FFFF 05 5265736574")
DEFAULT_RESPONSE_OK = bytes.fromhex("00 00 0B 00 00")
DEFAULT_RESPONSE_HW_FAILURE = bytes.fromhex("00 00 0B 00 C0")  # ZCL status 0xC0 HARDWARE_FAILURE

# file -> (message code, CRA, counter, device, expected GBZ (cluster, frame) or DLMS content)
GOLDEN = {
    "3.2_GCS09/GCS09_3.2_SUCCESS_COMMAND_GBCS.HEX": (
        0x0072, Cra.COMMAND, 1000, GPF_GCS09, (0x0708, GCS09_FRAME)),
    "3.2_GCS09/GCS09_3.2_SUCCESS_RESPONSE_GBCS.HEX": (
        0x0072, Cra.RESPONSE, 1000, GPF_GCS09, (0x0708, DEFAULT_RESPONSE_OK)),
    "3.1_GCS07/GCS07_3.1_SUCCESS_COMMAND_GBCS.HEX": (
        0x0071, Cra.COMMAND, 1002, GPF_GCS07, (0x0703, GCS07_FRAME)),
    "3.1_GCS07/GCS07_3.1_SUCCESS_RESPONSE_GBCS.HEX": (
        0x0071, Cra.RESPONSE, 1002, GPF_GCS07, (0x0703, DEFAULT_RESPONSE_OK)),
    "3.1_GCS07/GCS07_3.1_ERROR_COMMAND_GBCS.HEX": (
        0x0071, Cra.COMMAND, 1003, GPF_GCS07, (0x0703, GCS07_FRAME)),
    "3.1_GCS07/GCS07_3.1_ERROR_RESPONSE_GBCS.HEX": (
        0x0071, Cra.RESPONSE, 1003, GPF_GCS07, (0x0703, DEFAULT_RESPONSE_HW_FAILURE)),
    "3.2_ECS12/ECS12_3.2_SUCCESS_COMMAND_GBCS.HEX": (
        0x0022, Cra.COMMAND, 1000, ESME,
        "D9200003E8000102000100005E2C03020201090C07DE031BFF0F2D20008000FF"),
    "3.2_ECS12/ECS12_3.2_SUCCESS_RESPONSE_GBCS.HEX": (
        0x0022, Cra.RESPONSE, 1000, ESME, "DA200003E800000100010200"),
    "3.2_ECS12/ECS12_3.2_ERROR_COMMAND_GBCS.HEX": (
        0x0022, Cra.COMMAND, 1002, ESME,
        "D9200003EA000102000100005E2C03020201090C07DE031BFF0F2D20008000FF"),
    "3.2_ECS12/ECS12_3.2_ERROR_RESPONSE_GBCS.HEX": (
        0x0022, Cra.RESPONSE, 1002, ESME, "DA200003EA00000100010201"),
    "3.1_ECS10/ECS10_3.1_SUCCESS_COMMAND_GBCS.HEX": (
        0x0021, Cra.COMMAND, 1003, ESME,
        "D9200003EB00010200010002600D01FF020109055265736574"),
    "3.1_ECS10/ECS10_3.1_SUCCESS_RESPONSE_GBCS.HEX": (
        0x0021, Cra.RESPONSE, 1003, ESME, "DA200003EB00000100010200"),
    "3.1_ECS10/ECS10_3.1_ERROR_COMMAND_GBCS.HEX": (
        0x0021, Cra.COMMAND, 1004, ESME,
        "D9200003EC00010200010002600D01FF020109055265736574"),
    "3.1_ECS10/ECS10_3.1_ERROR_RESPONSE_GBCS.HEX": (
        0x0021, Cra.RESPONSE, 1004, ESME, "DA200003EC00000100010201"),
}  # fmt: skip


def _hex(name: str) -> str:
    return (RTDS / name).read_text(encoding="ascii").strip()


def test_every_vector_file_has_a_golden_entry():
    on_disk = {str(p.relative_to(RTDS)) for p in RTDS.glob("*/*.HEX")}
    assert on_disk == set(GOLDEN)
    assert len(on_disk) == 14


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_rtds_vector(name):
    code, cra, counter, device, expected = GOLDEN[name]
    text = _hex(name)
    message = parse_gbcs_hex(text)

    assert message.message_code == code
    assert message.use_case is USE_CASES[code]
    assert message.cra is cra
    assert message.originator_counter == counter
    # Commands go from the DCC user to the device; responses come back.
    sender, receiver = (DCC_USER, device) if cra is Cra.COMMAND else (device, DCC_USER)
    assert (message.originator, message.recipient) == (sender, receiver)
    assert message.date_time is None
    assert message.signature == b""
    assert message.supplementary == b""
    assert message.mac_header
    assert message.security_control == 0x11
    assert message.invocation_counter == 0
    assert message.mac is not None and len(message.mac) == MAC_LENGTH
    assert message.mac == bytes.fromhex(text[-2 * MAC_LENGTH :])

    if isinstance(expected, tuple):
        cluster, frame = expected
        assert message.dlms is None
        assert message.gbz is not None
        assert message.gbz.profile == 0x0109
        (component,) = message.gbz.components
        assert (component.control, component.cluster, component.zcl_frame) == (1, cluster, frame)
        assert component.last and not component.encrypted
        assert component.from_date_time is None
        # Rebuilding the GBZ payload from its parsed components gives the exact octets.
        assert build_gbz(message.gbz.components) == message.content
        assert GbzPayload.from_bytes(message.content) == message.gbz
    else:
        assert message.gbz is None
        assert message.dlms == bytes.fromhex(expected) == message.content

    # The whole message re-encodes to the vector.
    assert message.to_bytes() == bytes.fromhex(text)


def test_eui64_formatting_matches_duis():
    message = parse_gbcs_hex(_hex("3.2_GCS09/GCS09_3.2_SUCCESS_COMMAND_GBCS.HEX"))
    assert format_eui64(message.recipient) == "00-DB-12-34-56-78-90-A3"
    assert format_eui64(message.originator) == "90-B3-D5-1F-30-01-00-00"


def test_bare_general_signing_apdu_parses():
    full = parse_gbcs_hex(_hex("3.2_GCS09/GCS09_3.2_SUCCESS_COMMAND_GBCS.HEX"))
    bare = parse_gbcs(full.grouping_header_bytes())
    assert not bare.mac_header and bare.mac is None
    assert bare.gbz == full.gbz
    assert bare.to_bytes() == full.grouping_header_bytes()


def test_gbz_from_date_time_and_multiple_components_round_trip():
    first = gbz_component(0x0708, GCS09_FRAME, last=False, from_date_time=0x1FC66E20)
    second = gbz_component(0x0703, GCS07_FRAME)
    assert first.control == GBZ_CONTROL_FROM_DATE_TIME
    assert second.control == 0x01
    payload = build_gbz([first, second])
    # From Date Time sits before the ZCL frame, big-endian, inside the component length.
    assert payload[3:12] == bytes.fromhex("10 0708 0018 1FC66E20")
    assert GbzPayload.from_bytes(payload).components == (first, second)


def test_built_message_round_trips():
    content = build_gbz([gbz_component(0x0708, GCS09_FRAME)])
    message = GbcsMessage(
        cra=Cra.COMMAND,
        originator_counter=1000,
        originator=DCC_USER,
        recipient=GPF_GCS09,
        message_code=0x0072,
        content=content,
        mac=bytes.fromhex("B511D7424B396F3CF3872C4C"),
    )
    assert message.to_bytes() == bytes.fromhex(_hex("3.2_GCS09/GCS09_3.2_SUCCESS_COMMAND_GBCS.HEX"))


def test_long_content_uses_long_form_lengths():
    frame = b"\x09\x00\x00" + bytes(300)
    message = GbcsMessage(
        cra=Cra.COMMAND,
        originator_counter=1,
        originator=DCC_USER,
        recipient=GPF_GCS09,
        message_code=0x0071,
        content=build_gbz([gbz_component(0x0703, frame)]),
    )
    parsed = parse_gbcs(message.to_bytes())
    assert parsed.gbz is not None and parsed.gbz.components[0].zcl_frame == frame
    assert parsed.to_bytes() == message.to_bytes()


# --------------------------------------------------------------------------- refusals

GCS09_HEX = _hex("3.2_GCS09/GCS09_3.2_SUCCESS_COMMAND_GBCS.HEX")
GCS09_BYTES = bytes.fromhex(GCS09_HEX)


def _patched(offset: int, value: int) -> bytes:
    data = bytearray(GCS09_BYTES)
    data[offset] = value
    return bytes(data)


# Offsets into the GCS09 command: 0 DD, 7 ciphered length, 8 security control, 13 DF,
# 14 transaction-id length, 15 CRA, 24 originator title length, 42 date-time length,
# 43 other-information length, 46 content length, 47.. GBZ payload.
@pytest.mark.parametrize(
    ("data", "needle"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(_patched(0, 0xAA), "starts with 0xAA", id="wrong-tag"),
        pytest.param(_patched(0, 0xE0), "General Block Transfer", id="gbt"),
        pytest.param(GCS09_BYTES[:40], "truncated", id="truncated-header"),
        pytest.param(GCS09_BYTES[:-1], "truncated", id="truncated-mac"),
        pytest.param(GCS09_BYTES + b"\x00", "after the ciphered service", id="trailing"),
        pytest.param(_patched(7, 0x7F), "length past end", id="length-past-end"),
        pytest.param(_patched(1, 0x01), "transaction-id is populated", id="routed-header"),
        pytest.param(_patched(8, 0x31), "encrypted content", id="encrypted"),
        pytest.param(_patched(13, 0xDE), "general-signing tag", id="wrong-signing-tag"),
        pytest.param(_patched(15, 0x07), "CRA flag 0x07", id="bad-cra"),
        pytest.param(_patched(47, 0x02), "profile id 0x0209", id="wrong-profile"),
        pytest.param(_patched(49, 0x02), "GBZ component 1", id="component-count-too-high"),
        pytest.param(_patched(49, 0x00), "after the 0 declared components", id="count-too-low"),
        pytest.param(_patched(50, 0x03), "encrypted GBZ", id="encrypted-component"),
        pytest.param(_patched(54, 0x30), "GBZ component 0 body", id="component-length"),
    ],
)
def test_malformed_messages_raise_gbcs_error(data, needle):
    with pytest.raises(GbcsError) as info:
        parse_gbcs(data)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        pytest.param(GCS09_HEX[:-1], "odd number", id="odd-length"),
        pytest.param("ZZ" + GCS09_HEX[2:], "not hexadecimal", id="not-hex"),
    ],
)
def test_malformed_hex_raises_gbcs_error(text, needle):
    with pytest.raises(GbcsError, match=needle):
        parse_gbcs_hex(text)


def test_component_consistency_is_checked():
    with pytest.raises(GbcsError, match="bit 4"):
        GbzComponent(GBZ_CONTROL_FROM_DATE_TIME, 0x0708, GCS09_FRAME)
    with pytest.raises(GbcsError, match="cluster id"):
        GbzComponent(0x01, 0x10000, GCS09_FRAME)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_parse_or_raise_gbcs_error(data):
    try:
        message = parse_gbcs(data)
    except GbcsError:
        return
    assert isinstance(message, GbcsMessage)


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=len(GCS09_BYTES) - 1), st.integers(0, 255))
def test_mutated_vector_parses_or_raises_gbcs_error(offset, value):
    try:
        message = parse_gbcs(_patched(offset, value))
    except GbcsError:
        return
    assert isinstance(message, GbcsMessage)
