"""The DLMS/COSEM subset that GBCS DLMS use cases carry (e.g. ECS12, ECS10).

GBCS carries DLMS as an xDLMS ``access-request`` (tag 0xD9) from the DCC to the ESME and an
``access-response`` (tag 0xDA) back (DLMS UA 1000-2 "Green Book", ACCESS service; GBCS names the
use case and the COSEM object). Everything is A-XDR encoded, big-endian.

Only what the Change of Tenancy and Display Message use cases need is decoded: GET/SET/ACTION
request specifications with their COSEM attribute/method descriptors, a small set of Data types,
and the 12-octet COSEM date-time (DLMS UA 1000-1 "Blue Book", 4.1.6.1 date and time formats).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from hancot.errors import GbcsError
from hancot.timeutil import from_datetime, to_datetime
from hancot.wan.reader import ByteReader, ber_length

#: xDLMS APDU tags (Green Book, xDLMS APDUs; GBCS uses only these two plus data-notification).
ACCESS_REQUEST = 0xD9
ACCESS_RESPONSE = 0xDA
DATA_NOTIFICATION = 0x0F

#: Access-Request-Specification CHOICE tags (Green Book, ACCESS service).
ACCESS_GET = 1
ACCESS_SET = 2
ACCESS_ACTION = 3
ACCESS_GET_WITH_SELECTION = 4
ACCESS_SET_WITH_SELECTION = 5

#: COSEM interface class 1 "Data" (Blue Book 4.3.1).
CLASS_DATA = 1
#: OBIS 0-0:94.44.3.2, the ESME "Restrict Data Date Time" (GBCS ECS12; DOMAIN.md section 3).
OBIS_RESTRICT_DATA_DATE_TIME = bytes([0x00, 0x00, 0x5E, 0x2C, 0x03, 0x02])
#: Attribute 2 of class Data is ``value`` (Blue Book 4.3.1).
ATTRIBUTE_VALUE = 2

#: A-XDR Data CHOICE tags (Green Book, Data type).
TAG_NULL = 0x00
TAG_ARRAY = 0x01
TAG_STRUCTURE = 0x02
TAG_BOOLEAN = 0x03
TAG_BIT_STRING = 0x04
TAG_DOUBLE_LONG = 0x05
TAG_DOUBLE_LONG_UNSIGNED = 0x06
TAG_OCTET_STRING = 0x09
TAG_VISIBLE_STRING = 0x0A
TAG_UTF8_STRING = 0x0C
TAG_INTEGER = 0x0F
TAG_LONG = 0x10
TAG_UNSIGNED = 0x11
TAG_LONG_UNSIGNED = 0x12
TAG_LONG64 = 0x14
TAG_LONG64_UNSIGNED = 0x15
TAG_ENUM = 0x16

_FIXED_SIZE = {
    TAG_BOOLEAN: 1,
    TAG_DOUBLE_LONG: 4,
    TAG_DOUBLE_LONG_UNSIGNED: 4,
    TAG_INTEGER: 1,
    TAG_LONG: 2,
    TAG_UNSIGNED: 1,
    TAG_LONG_UNSIGNED: 2,
    TAG_LONG64: 8,
    TAG_LONG64_UNSIGNED: 8,
    TAG_ENUM: 1,
}
_STRING_TAGS = (TAG_OCTET_STRING, TAG_VISIBLE_STRING, TAG_UTF8_STRING)
#: Nesting limit for structures and arrays: GBCS payloads nest a few levels at most.
_MAX_DEPTH = 16

#: Length of a COSEM date-time (Blue Book 4.1.6.1).
DATETIME_LENGTH = 12
#: "not specified" markers in a COSEM date-time (Blue Book 4.1.6.1).
NOT_SPECIFIED_BYTE = 0xFF
NOT_SPECIFIED_YEAR = 0xFFFF
DEVIATION_NOT_SPECIFIED = -0x8000  # 0x8000 as int16


class DlmsError(GbcsError):
    """A DLMS payload inside a GBCS message could not be decoded or encoded."""


# --------------------------------------------------------------------------- date-time


def dlms_datetime_encode(
    utc: int, *, weekday: bool = False, clock_status: int = NOT_SPECIFIED_BYTE
) -> bytes:
    """UTCTime seconds to a 12-octet COSEM date-time (Blue Book 4.1.6.1).

    Layout: year u16 BE, month, day of month, day of week (1 = Monday, 0xFF not specified), hour,
    minute, second, hundredths, deviation i16 BE (0x8000 not specified), clock status.
    The defaults are those the GBCS RTDS vectors carry: day of week and clock status not specified,
    deviation not specified (the value is UTC).
    """
    if not 0 <= utc < 0xFFFFFFFF:
        raise DlmsError(f"UTCTime {utc} is outside 0..0xFFFFFFFE")
    moment = to_datetime(utc)
    day_of_week = moment.isoweekday() if weekday else NOT_SPECIFIED_BYTE
    return struct.pack(
        ">HBBBBBBBhB",
        moment.year,
        moment.month,
        moment.day,
        day_of_week,
        moment.hour,
        moment.minute,
        moment.second,
        0,
        DEVIATION_NOT_SPECIFIED,
        clock_status & 0xFF,
    )


def dlms_datetime_decode(data: bytes) -> int:
    """A 12-octet COSEM date-time (Blue Book 4.1.6.1) to UTCTime seconds.

    The date-time must name one instant: year, month, day, hour, minute and second specified.
    Hundredths 0xFF count as 0 and the day of week is not checked against the date.
    The deviation must be "not specified" (0x8000) or 0, meaning UTC: the sign convention of
    other deviations differs between Blue Book editions and GBCS date-times are UTC, so any
    other value is refused rather than guessed.
    """
    if len(data) != DATETIME_LENGTH:
        raise DlmsError(f"DLMS date-time must be {DATETIME_LENGTH} octets, got {len(data)}")
    (year, month, day, _dow, hour, minute, second, hundredths, deviation, _status) = struct.unpack(
        ">HBBBBBBBhB", data
    )
    named = {"year": year == NOT_SPECIFIED_YEAR, "month": month == NOT_SPECIFIED_BYTE}
    named |= {"day": day == NOT_SPECIFIED_BYTE, "hour": hour == NOT_SPECIFIED_BYTE}
    named |= {"minute": minute == NOT_SPECIFIED_BYTE, "second": second == NOT_SPECIFIED_BYTE}
    missing = [name for name, unspecified in named.items() if unspecified]
    if missing:
        raise DlmsError(f"DLMS date-time {data.hex()} leaves {', '.join(missing)} not specified")
    if hundredths != NOT_SPECIFIED_BYTE and hundredths > 99:
        raise DlmsError(f"DLMS date-time {data.hex()}: hundredths {hundredths} out of range")
    if deviation not in (DEVIATION_NOT_SPECIFIED, 0):
        raise DlmsError(
            f"DLMS date-time {data.hex()}: deviation {deviation} min is not UTC; "
            "only 0x8000 (not specified) or 0 are accepted"
        )
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        return from_datetime(moment)
    except ValueError as exc:
        raise DlmsError(f"DLMS date-time {data.hex()} is not a valid instant: {exc}") from exc


# --------------------------------------------------------------------------- A-XDR


class _Reader(ByteReader):
    """A bounds-checked cursor; every overrun is a DlmsError naming the field."""

    def overrun(self, count: int, what: str) -> DlmsError:
        return DlmsError(
            f"DLMS {what}: needs {count} octets at offset {self.pos}, only {self.remaining()} left"
        )

    def bad_length_form(self, first: int, what: str) -> DlmsError:
        return DlmsError(f"DLMS {what}: unsupported length form 0x{first:02X}")

    def done(self) -> bool:
        return self.pos == len(self.data)


def encode_length(value: int) -> bytes:
    """A-XDR / BER definite length (short form below 0x80, else 0x81..0x84 long form)."""
    return ber_length(value, DlmsError)


@dataclass(frozen=True)
class DlmsData:
    """One A-XDR Data value: its tag and the decoded value.

    ``value`` is an int for integer types and enum, bool for boolean, bytes for octet-string
    and bit-string (bit count in ``bits``), str for visible-/utf8-string, None for null-data,
    and a tuple of DlmsData for structure and array.
    """

    tag: int
    value: object
    bits: int | None = None

    def to_bytes(self) -> bytes:
        return encode_data(self)


def _read_data(reader: _Reader, depth: int = 0) -> DlmsData:
    if depth > _MAX_DEPTH:
        raise DlmsError(f"DLMS Data nested deeper than {_MAX_DEPTH} levels")
    tag = reader.u8("Data tag")
    if tag == TAG_NULL:
        return DlmsData(tag, None)
    if tag in (TAG_ARRAY, TAG_STRUCTURE):
        count = reader.length("structure/array count")
        items = tuple(_read_data(reader, depth + 1) for _ in range(count))
        return DlmsData(tag, items)
    if tag in _STRING_TAGS:
        raw = reader.take(reader.length(f"string length (tag 0x{tag:02X})"), "string")
        if tag == TAG_OCTET_STRING:
            return DlmsData(tag, raw)
        codec = "ascii" if tag == TAG_VISIBLE_STRING else "utf-8"
        try:
            return DlmsData(tag, raw.decode(codec))
        except UnicodeDecodeError as exc:
            raise DlmsError(f"DLMS string (tag 0x{tag:02X}) is not {codec}: {exc}") from exc
    if tag == TAG_BIT_STRING:
        bits = reader.length("bit-string length")
        return DlmsData(tag, reader.take((bits + 7) // 8, "bit-string"), bits)
    if tag in _FIXED_SIZE:
        raw = reader.take(_FIXED_SIZE[tag], f"Data value (tag 0x{tag:02X})")
        if tag == TAG_BOOLEAN:
            return DlmsData(tag, raw[0] != 0)
        signed = tag in (TAG_DOUBLE_LONG, TAG_INTEGER, TAG_LONG, TAG_LONG64)
        return DlmsData(tag, int.from_bytes(raw, "big", signed=signed))
    raise DlmsError(f"DLMS Data tag 0x{tag:02X} is not supported")


def encode_data(item: DlmsData) -> bytes:
    """Encode one A-XDR Data value (the inverse of the decoder above)."""
    tag = item.tag
    if tag == TAG_NULL:
        return b"\x00"
    if tag in (TAG_ARRAY, TAG_STRUCTURE):
        items = item.value
        if not isinstance(items, tuple):
            raise DlmsError("structure/array value must be a tuple of DlmsData")
        return bytes([tag]) + encode_length(len(items)) + b"".join(encode_data(i) for i in items)
    if tag in _STRING_TAGS:
        value = item.value
        raw = (
            value
            if isinstance(value, bytes)
            else str(value).encode("ascii" if tag == TAG_VISIBLE_STRING else "utf-8")
        )
        return bytes([tag]) + encode_length(len(raw)) + raw
    if tag == TAG_BIT_STRING:
        raw = bytes(item.value)  # type: ignore[call-overload]
        bits = item.bits if item.bits is not None else len(raw) * 8
        return bytes([tag]) + encode_length(bits) + raw
    if tag in _FIXED_SIZE:
        signed = tag in (TAG_DOUBLE_LONG, TAG_INTEGER, TAG_LONG, TAG_LONG64)
        value = int(item.value)  # type: ignore[call-overload]
        try:
            return bytes([tag]) + value.to_bytes(_FIXED_SIZE[tag], "big", signed=signed)
        except OverflowError as exc:
            raise DlmsError(f"value {value} does not fit Data tag 0x{tag:02X}") from exc
    raise DlmsError(f"DLMS Data tag 0x{tag:02X} is not supported")


# --------------------------------------------------------------------------- ACCESS service


@dataclass(frozen=True)
class AccessRequestSpec:
    """One Access-Request-Specification: GET / SET / ACTION of one COSEM attribute or method.

    ``member`` is the attribute id (GET, SET) or method id (ACTION); ``selector`` and
    ``selection`` are the access selection of the ``*-with-selection`` forms.
    """

    kind: int
    class_id: int
    obis: bytes
    member: int
    selector: int | None = None
    selection: DlmsData | None = None

    @property
    def obis_text(self) -> str:
        """OBIS in the usual A-B:C.D.E.F form."""
        a, b, c, d, e, f = self.obis
        return f"{a}-{b}:{c}.{d}.{e}.{f}"


@dataclass(frozen=True)
class AccessRequest:
    """An xDLMS access-request (tag 0xD9) as GBCS carries it."""

    invoke_id_and_priority: int
    date_time: bytes
    specs: tuple[AccessRequestSpec, ...]
    data: tuple[DlmsData, ...]

    @property
    def invoke_id(self) -> int:
        """The 24-bit invoke id (bits 0..23 of Long-Invoke-Id-And-Priority, Green Book)."""
        return self.invoke_id_and_priority & 0xFFFFFF


@dataclass(frozen=True)
class AccessResponse:
    """An xDLMS access-response (tag 0xDA): the data list and one (kind, result) per request."""

    invoke_id_and_priority: int
    date_time: bytes
    specs: tuple[AccessRequestSpec, ...] | None
    data: tuple[DlmsData, ...]
    results: tuple[tuple[int, int], ...]


def _read_spec(reader: _Reader) -> AccessRequestSpec:
    kind = reader.u8("Access-Request-Specification tag")
    if kind not in (1, 2, 3, 4, 5):
        raise DlmsError(f"DLMS Access-Request-Specification tag {kind} is not 1..5")
    class_id = reader.u16("class-id")
    obis = reader.take(6, "instance-id (OBIS)")
    member = int.from_bytes(reader.take(1, "attribute/method id"), "big", signed=True)
    if kind in (ACCESS_GET_WITH_SELECTION, ACCESS_SET_WITH_SELECTION):
        selector = reader.u8("access-selector")
        return AccessRequestSpec(kind, class_id, obis, member, selector, _read_data(reader))
    return AccessRequestSpec(kind, class_id, obis, member)


def _encode_spec(spec: AccessRequestSpec) -> bytes:
    if len(spec.obis) != 6:
        raise DlmsError(f"OBIS code must be 6 octets, got {len(spec.obis)}")
    out = bytes([spec.kind]) + spec.class_id.to_bytes(2, "big") + spec.obis
    out += spec.member.to_bytes(1, "big", signed=True)
    if spec.kind in (ACCESS_GET_WITH_SELECTION, ACCESS_SET_WITH_SELECTION):
        if spec.selector is None or spec.selection is None:
            raise DlmsError("a *-with-selection request needs selector and selection")
        out += bytes([spec.selector]) + encode_data(spec.selection)
    return out


def _read_apdu_head(data: bytes, tag: int, name: str) -> tuple[_Reader, int, bytes]:
    """The start common to access-request and -response: tag, long-invoke-id-and-priority and
    date-time; returns the reader positioned after them."""
    reader = _Reader(data)
    got = reader.u8("APDU tag")
    if got != tag:
        raise DlmsError(f"expected {name} tag 0x{tag:02X}, got 0x{got:02X}")
    invoke = reader.u32("long-invoke-id-and-priority")
    date_time = reader.take(reader.length("date-time length"), "date-time")
    return reader, invoke, date_time


def _expect_end(reader: _Reader, name: str) -> None:
    if not reader.done():
        raise DlmsError(f"{reader.remaining()} trailing octets after the {name}")


def parse_access_request(data: bytes) -> AccessRequest:
    """Decode an xDLMS access-request (0xD9); trailing octets are an error."""
    reader, invoke, date_time = _read_apdu_head(data, ACCESS_REQUEST, "access-request")
    specs = tuple(_read_spec(reader) for _ in range(reader.length("request specification count")))
    values = tuple(_read_data(reader) for _ in range(reader.length("list-of-data count")))
    _expect_end(reader, "access-request")
    return AccessRequest(invoke, date_time, specs, values)


def build_access_request(request: AccessRequest) -> bytes:
    """Encode an xDLMS access-request (0xD9)."""
    out = bytearray([ACCESS_REQUEST])
    out += request.invoke_id_and_priority.to_bytes(4, "big")
    out += encode_length(len(request.date_time)) + request.date_time
    out += encode_length(len(request.specs)) + b"".join(_encode_spec(s) for s in request.specs)
    out += encode_length(len(request.data)) + b"".join(encode_data(d) for d in request.data)
    return bytes(out)


def parse_access_response(data: bytes) -> AccessResponse:
    """Decode an xDLMS access-response (0xDA); trailing octets are an error."""
    reader, invoke, date_time = _read_apdu_head(data, ACCESS_RESPONSE, "access-response")
    specs: tuple[AccessRequestSpec, ...] | None = None
    if reader.u8("access-request-specification presence") != 0:
        specs = tuple(_read_spec(reader) for _ in range(reader.length("specification count")))
    values = tuple(_read_data(reader) for _ in range(reader.length("list-of-data count")))
    results = []
    for _ in range(reader.length("response specification count")):
        kind = reader.u8("Access-Response-Specification tag")
        results.append((kind, reader.u8("access result")))
    _expect_end(reader, "access-response")
    return AccessResponse(invoke, date_time, specs, values, tuple(results))


# --------------------------------------------------------------------------- ECS12

#: The high octet of Long-Invoke-Id-And-Priority in every RTDS access-request (0x20); the low
#: 24 bits carry the low 24 bits of the GBCS originator counter in the same vectors.
RTDS_INVOKE_FLAGS = 0x20000000


def build_ecs12_set(restriction_utc: int, *, counter: int = 0) -> bytes:
    """The ECS12 DLMS body: SET class 1, OBIS 0-0:94.44.3.2, attribute 2, a COSEM date-time.

    ``counter`` is the GBCS originator counter; its low 24 bits become the invoke id as in
    the RTDS vectors (0x200003E8 for counter 1000).
    """
    request = AccessRequest(
        invoke_id_and_priority=RTDS_INVOKE_FLAGS | (counter & 0xFFFFFF),
        date_time=b"",
        specs=(
            AccessRequestSpec(
                ACCESS_SET, CLASS_DATA, OBIS_RESTRICT_DATA_DATE_TIME, ATTRIBUTE_VALUE
            ),
        ),
        data=(DlmsData(TAG_OCTET_STRING, dlms_datetime_encode(restriction_utc)),),
    )
    return build_access_request(request)


def ecs12_restriction(request: AccessRequest) -> int:
    """The restriction date-time (UTCTime) an ECS12 access-request sets; DlmsError otherwise."""
    if len(request.specs) != 1 or len(request.data) != 1:
        raise DlmsError("ECS12 carries exactly one SET and one value")
    spec, value = request.specs[0], request.data[0]
    if (spec.kind, spec.class_id, spec.obis, spec.member) != (
        ACCESS_SET,
        CLASS_DATA,
        OBIS_RESTRICT_DATA_DATE_TIME,
        ATTRIBUTE_VALUE,
    ):
        raise DlmsError(
            f"not an ECS12 SET: kind {spec.kind}, class {spec.class_id}, OBIS {spec.obis_text}, "
            f"attribute {spec.member}"
        )
    if value.tag != TAG_OCTET_STRING or not isinstance(value.value, bytes):
        raise DlmsError(f"ECS12 value must be an octet-string, got tag 0x{value.tag:02X}")
    return dlms_datetime_decode(value.value)
