"""DUIS request parsing: the DCC reference templates, and every way a request can be refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from hancot.errors import DuisError
from hancot.timeutil import parse_iso
from hancot.wan.duis import (
    MAX_REQUEST_BYTES,
    DisplayMessage,
    RestrictAccessForChangeOfTenancy,
    TopUpDevice,
    parse_duis,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "duis"
ORIGINATOR = 0x90B3D51F30010000
GCS09 = VECTORS / "GCS09_3.2_SUCCESS_REQUEST_DUIS.XML"


def _gcs09_text() -> str:
    return GCS09.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- vectors


@pytest.mark.parametrize(
    ("name", "target", "counter", "service", "body"),
    [
        (
            "GCS09_3.2_SUCCESS_REQUEST_DUIS.XML",
            0x00DB1234567890A3,
            1000,
            "3.2",
            RestrictAccessForChangeOfTenancy(parse_iso("2015-02-01T00:00:00Z")),
        ),
        (
            "ECS12_3.2_SUCCESS_REQUEST_DUIS.XML",
            0x00DB1234567890A0,
            1000,
            "3.2",
            RestrictAccessForChangeOfTenancy(parse_iso("2014-03-27T15:45:32Z")),
        ),
        (
            "GCS07_3.1_SUCCESS_REQUEST_DUIS.XML",
            0x00DB1234567890A1,
            1002,
            "3.1",
            DisplayMessage("Reset"),
        ),
        (
            "ECS10_3.1_SUCCESS_REQUEST_DUIS.XML",
            0x00DB1234567890A0,
            1003,
            "3.1",
            DisplayMessage("Reset"),
        ),
    ],
)
def test_reference_requests_parse_to_their_values(name, target, counter, service, body):
    request = parse_duis(VECTORS / name)
    header = request.header
    assert header.business_originator_id == ORIGINATOR
    assert header.business_target_id == target
    assert header.counter == counter
    assert header.service_reference == service
    assert header.service_reference_variant == service
    assert header.command_variant == 1
    assert header.request_id.endswith(f":{counter}")
    assert request.body == body


def test_gcs09_restriction_is_2015_02_01_midnight():
    body = parse_duis(GCS09).body
    assert isinstance(body, RestrictAccessForChangeOfTenancy)
    # 15 years and 4 leap days (2000, 2004, 2008, 2012) plus January 2015.
    assert body.restriction_datetime == (15 * 365 + 4 + 31) * 86_400 == 476_064_000


def test_bytes_str_path_and_pathlike_inputs_agree():
    expected = parse_duis(GCS09)
    assert parse_duis(GCS09.read_bytes()) == expected
    assert parse_duis(str(GCS09)) == expected
    assert parse_duis(bytearray(GCS09.read_bytes())) == expected


def test_top_up_device_srv_2_2():
    # Shape of the DCC duis-templates CS01a_2.2 request (counter beyond 32 bits).
    text = (
        _gcs09_text()
        .replace("A3:1000", "A0:12884901888")
        .replace("<sr:ServiceReference>3.2<", "<sr:ServiceReference>2.2<")
        .replace("<sr:ServiceReferenceVariant>3.2<", "<sr:ServiceReferenceVariant>2.2<")
        .replace(
            "<sr:RestrictAccessForChangeOfTenancy>\n"
            "      <sr:RestrictionDateTime>2015-02-01T00:00:00.00Z</sr:RestrictionDateTime>\n"
            "    </sr:RestrictAccessForChangeOfTenancy>",
            "<sr:TopUpDevice><sr:UTRN>73946144332040217315</sr:UTRN></sr:TopUpDevice>",
        )
    )
    request = parse_duis(text.encode())
    assert request.header.counter == 12_884_901_888
    assert request.body == TopUpDevice("73946144332040217315")


# --------------------------------------------------------------------------- refusals

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">&lol3;</sr:Request>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">&xxe;</sr:Request>"""


def _variant(old: str, new: str) -> bytes:
    text = _gcs09_text()
    assert old in text
    return text.replace(old, new).encode()


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        pytest.param(BILLION_LAUGHS, "DTD", id="billion-laughs"),
        pytest.param(EXTERNAL_ENTITY, "DTD", id="external-entity"),
        pytest.param(GCS09.read_bytes()[:700], "not well-formed", id="truncated"),
        pytest.param(b"not xml at all", "not well-formed", id="not-xml"),
        pytest.param(b"", "not well-formed", id="empty"),
        pytest.param(
            _variant(
                'xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway"',
                'xmlns:sr="http://example.com/ServiceUserGateway"',
            ),
            "root element",
            id="wrong-namespace",
        ),
        pytest.param(
            _variant(
                "<sr:RestrictionDateTime>2015-02-01T00:00:00.00Z</sr:RestrictionDateTime>", ""
            ),
            "lacks element Request/Body/RestrictAccessForChangeOfTenancy/RestrictionDateTime",
            id="missing-restriction",
        ),
        pytest.param(
            _variant("2015-02-01T00:00:00.00Z", "2015-02-30T00:00:00.00Z"),
            "RestrictionDateTime '2015-02-30T00:00:00.00Z'",
            id="bad-date",
        ),
        pytest.param(
            _variant("2015-02-01T00:00:00.00Z", "2015-02-01"),
            "time zone",
            id="date-without-time",
        ),
        pytest.param(
            _variant("2015-02-01T00:00:00.00Z", "2015-02-01T00:00:00"),
            "time zone",
            id="local-time",
        ),
        pytest.param(
            _variant("2015-02-01T00:00:00.00Z", "1999-12-31T23:59:59Z"),
            "RestrictionDateTime",
            id="before-zigbee-epoch",
        ),
        pytest.param(
            _variant("<sr:ServiceReferenceVariant>3.2<", "<sr:ServiceReferenceVariant>3.1<"),
            "is not a variant of ServiceReference '3.2'",
            id="variant-mismatch",
        ),
        pytest.param(
            _variant("<sr:ServiceReference>3.2<", "<sr:ServiceReference>6.15<").replace(
                b"<sr:ServiceReferenceVariant>3.2<", b"<sr:ServiceReferenceVariant>6.15.1<"
            ),
            "'6.15.1' is not supported",
            id="unsupported-service",
        ),
        pytest.param(
            _variant("<sr:RequestID>", "<sr:RequestIDX>").replace(
                b"</sr:RequestID>", b"</sr:RequestIDX>"
            ),
            "unexpected element",
            id="unknown-header-element",
        ),
        pytest.param(
            _variant("  <sr:CommandVariant>1</sr:CommandVariant>\n", ""),
            "lacks element Request/Header/CommandVariant",
            id="missing-command-variant",
        ),
        pytest.param(
            _variant("<sr:CommandVariant>1<", "<sr:CommandVariant>9<"),
            "CommandVariant '9'",
            id="bad-command-variant",
        ),
        pytest.param(
            _variant(":00-DB-12-34-56-78-90-A3:", ":00DB1234567890A3:"),
            "RequestID",
            id="request-id-without-dashes",
        ),
        pytest.param(
            _variant("<sr:Body>", "<sr:Body><sr:Other/>"),
            "unexpected element",
            id="extra-body-element",
        ),
        pytest.param(
            _variant(
                "<sr:RestrictionDateTime>2015-02-01T00:00:00.00Z</sr:RestrictionDateTime>",
                "<sr:RestrictionDateTime>2015-02-01T00:00:00.00Z</sr:RestrictionDateTime>" * 2,
            ),
            "repeats element",
            id="repeated-element",
        ),
        pytest.param(
            _variant("<sr:Header>", "<sr:Header>" + "<!--" + "x" * MAX_REQUEST_BYTES + "-->"),
            "exceeds",
            id="oversized",
        ),
    ],
)
def test_malformed_requests_raise_duis_error_naming_the_problem(data, needle):
    with pytest.raises(DuisError) as info:
        parse_duis(data)
    assert needle in str(info.value)


def test_oversized_file_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.xml"
    big.write_bytes(b" " * (MAX_REQUEST_BYTES + 1))
    with pytest.raises(DuisError, match="exceeds"):
        parse_duis(big)


def test_xml_passed_as_str_is_refused_with_a_hint():
    with pytest.raises(DuisError, match="pass XML text as bytes"):
        parse_duis(_gcs09_text())


def test_missing_file_is_a_duis_error(tmp_path):
    with pytest.raises(DuisError, match="cannot read"):
        parse_duis(tmp_path / "absent.xml")


def test_supplier_message_limits():
    text = (VECTORS / "GCS07_3.1_SUCCESS_REQUEST_DUIS.XML").read_text(encoding="utf-8")
    ok = text.replace(">Reset<", ">" + "x" * 254 + "<")
    assert parse_duis(ok.encode()).body == DisplayMessage("x" * 254)
    with pytest.raises(DuisError, match="SupplierMessage is 255 octets"):
        parse_duis(text.replace(">Reset<", ">" + "x" * 255 + "<").encode())
    with pytest.raises(DuisError, match="control characters"):
        parse_duis(text.replace(">Reset<", ">a&#x7F;b<").encode())
    with pytest.raises(DuisError, match="not well-formed"):
        parse_duis(text.replace(">Reset<", ">a&#x1;b<").encode())


def test_bad_utrn():
    text = _gcs09_text()
    text = (
        text.replace(">3.2<", ">2.2<")
        .replace("RestrictAccessForChangeOfTenancy", "TopUpDevice")
        .replace("RestrictionDateTime", "UTRN")
    )
    with pytest.raises(DuisError, match=r"UTRN '2015-02-01T00:00:00\.00Z' is not 20 decimal"):
        parse_duis(text.encode())
