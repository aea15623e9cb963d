"""DLMS subset carried by ECS10/ECS12: the RTDS access-requests/-responses and COSEM date-times."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hancot.errors import GbcsError
from hancot.timeutil import UTC_INVALID, parse_iso
from hancot.wan.dlms import (
    ACCESS_SET,
    CLASS_DATA,
    OBIS_RESTRICT_DATA_DATE_TIME,
    TAG_NULL,
    TAG_OCTET_STRING,
    AccessRequest,
    AccessResponse,
    DlmsData,
    DlmsError,
    build_access_request,
    build_ecs12_set,
    dlms_datetime_decode,
    dlms_datetime_encode,
    ecs12_restriction,
    parse_access_request,
    parse_access_response,
)
from hancot.wan.duis import RestrictAccessForChangeOfTenancy, parse_duis
from hancot.wan.gbcs import parse_gbcs_hex

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
ECS12 = VECTORS / "rtds" / "3.2_ECS12"
VECTOR_DATETIME = bytes.fromhex("07DE031BFF0F2D20008000FF")  # 2014-03-27 15:45:32, UTC


def _dlms(name: str) -> bytes:
    message = parse_gbcs_hex((ECS12 / name).read_text(encoding="ascii"))
    assert message.dlms is not None
    return message.dlms


def test_ecs12_command_decodes_to_class_obis_attribute_and_date():
    request = parse_access_request(_dlms("ECS12_3.2_SUCCESS_COMMAND_GBCS.HEX"))
    (spec,) = request.specs
    assert spec.kind == ACCESS_SET
    assert spec.class_id == CLASS_DATA == 1
    assert spec.obis == OBIS_RESTRICT_DATA_DATE_TIME == bytes.fromhex("00005E2C0302")
    assert spec.obis_text == "0-0:94.44.3.2"
    assert spec.member == 2
    assert request.data == (DlmsData(TAG_OCTET_STRING, VECTOR_DATETIME),)
    assert request.invoke_id == 1000
    assert request.date_time == b""
    assert ecs12_restriction(request) == parse_iso("2014-03-27T15:45:32Z")
    assert build_access_request(request) == _dlms("ECS12_3.2_SUCCESS_COMMAND_GBCS.HEX")


def test_ecs12_date_matches_the_duis_request():
    duis = parse_duis(VECTORS / "duis" / "ECS12_3.2_SUCCESS_REQUEST_DUIS.XML")
    assert isinstance(duis.body, RestrictAccessForChangeOfTenancy)
    request = parse_access_request(_dlms("ECS12_3.2_SUCCESS_COMMAND_GBCS.HEX"))
    assert ecs12_restriction(request) == duis.body.restriction_datetime


@pytest.mark.parametrize(
    ("name", "counter"),
    [("ECS12_3.2_SUCCESS_COMMAND_GBCS.HEX", 1000), ("ECS12_3.2_ERROR_COMMAND_GBCS.HEX", 1002)],
)
def test_build_ecs12_set_reproduces_the_vector(name, counter):
    utc = parse_iso("2014-03-27T15:45:32Z")
    assert build_ecs12_set(utc, counter=counter) == _dlms(name)


@pytest.mark.parametrize(
    ("name", "result"),
    [("ECS12_3.2_SUCCESS_RESPONSE_GBCS.HEX", 0), ("ECS12_3.2_ERROR_RESPONSE_GBCS.HEX", 1)],
)
def test_ecs12_responses(name, result):
    # Data-Access-Result 0 success, 1 hardware-fault (Green Book).
    response = parse_access_response(_dlms(name))
    assert response.specs is None
    assert response.data == (DlmsData(TAG_NULL, None),)
    assert response.results == ((ACCESS_SET, result),)


def test_ecs10_command_carries_the_message():
    path = VECTORS / "rtds" / "3.1_ECS10" / "ECS10_3.1_SUCCESS_COMMAND_GBCS.HEX"
    message = parse_gbcs_hex(path.read_text(encoding="ascii"))
    assert message.dlms is not None
    request = parse_access_request(message.dlms)
    assert request.data == (DlmsData(TAG_OCTET_STRING, b"Reset"),)
    with pytest.raises(DlmsError, match="not an ECS12 SET"):
        ecs12_restriction(request)


def test_datetime_vector_both_ways():
    utc = parse_iso("2014-03-27T15:45:32Z")
    assert dlms_datetime_encode(utc) == VECTOR_DATETIME
    assert dlms_datetime_decode(VECTOR_DATETIME) == utc
    # 2014-03-27 was a Thursday (4).
    assert dlms_datetime_encode(utc, weekday=True)[4] == 4


@given(st.integers(min_value=0, max_value=UTC_INVALID - 1))
def test_datetime_round_trip(utc):
    assert dlms_datetime_decode(dlms_datetime_encode(utc)) == utc


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (VECTOR_DATETIME[:11], "12 octets"),
        (bytes.fromhex("FFFF031BFF0F2D20008000FF"), "year"),
        (bytes.fromhex("07DE031BFFFF2D20008000FF"), "hour"),
        (bytes.fromhex("07DE021EFF0F2D20008000FF"), "not a valid instant"),
        (bytes.fromhex("07DE031BFF0F2D2000FFC4FF"), "deviation -60"),
        (bytes.fromhex("07DE031BFF0F2D2064800000"), "hundredths 100"),
        (bytes.fromhex("07CF0C1FFF173B3B00800000"), "not a valid instant"),  # 1999
    ],
)
def test_bad_datetimes(data, needle):
    with pytest.raises(DlmsError, match=needle):
        dlms_datetime_decode(data)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ("DA200003E8", "expected access-request"),
        ("D9200003E8000102000100005E2C03020201090C07DE", "needs 12 octets"),
        ("D9200003E80001070001", "tag 7 is not 1..5"),
        ("D9200003E800010200010000000000000201FE", "tag 0xFE is not supported"),
        ("D9200003E8000000FF", "trailing"),
    ],
)
def test_malformed_access_requests(data, needle):
    with pytest.raises(DlmsError, match=needle):
        parse_access_request(bytes.fromhex(data))


def test_dlms_error_is_a_gbcs_error():
    assert issubclass(DlmsError, GbcsError)


@given(st.binary(max_size=80))
def test_random_access_requests_decode_or_raise_dlms_error(data):
    for tag, parse in ((b"\xd9", parse_access_request), (b"\xda", parse_access_response)):
        try:
            decoded = parse(tag + data)
        except DlmsError:
            continue
        assert isinstance(decoded, AccessRequest | AccessResponse)
