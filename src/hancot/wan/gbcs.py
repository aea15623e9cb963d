"""GBCS message framing: the MAC header, the grouping header, and the GBZ payload.

A GBCS message as the DCC Reference Test Data Set (RTDS 4.5.0) carries it, authenticated but not
encrypted, is::

    MAC Header (a DLMS general-ciphering APDU):
      DD                      general-ciphering tag
      00 00 00 00 00 00       transaction-id, originator-system-title, recipient-system-title,
                              date-time, other-information (each empty) and key-info (absent)
      LL                      ciphered-service length (A-XDR / BER length)
      11 00000000             security header: security control, invocation counter
    Grouping Header (a DLMS general-signing APDU):
      DF
      09 CC nnnnnnnnnnnnnnnn  transaction-id: CRA flag, originator counter (u64 BE)
      08 <EUI-64>             originator-system-title = business originator ID
      08 <EUI-64>             recipient-system-title = business target ID
      00 | 0C <date-time>     date-time (absent, or a 12-octet COSEM date-time)
      LL MMMM [...]           other-information: message code (u16 BE) [+ supplementary fields]
      LL <content>            content: GBZ payload, DLMS APDU or ASN.1
      LL [<signature>]        signature (empty when the use case is not signed)
    MAC (12 octets)

The field names follow GBCS (MAC Header, Grouping Header, CRA Flag, Originator Counter,
Business Originator ID / Business Target ID, Message Code, Other Information) and the DLMS
general-ciphering / general-signing APDUs it builds on (DLMS UA 1000-2 "Green Book").
Lengths in the headers are A-XDR / BER definite lengths (one octet below 0x80, else 0x81..0x84
followed by that many octets).

The GBZ payload of Zigbee use cases (GBCS "GBZ" payload) is::

    0109                      profile id, Smart Energy (big-endian)
    NN                        number of GBZ use case specific components
    per component:
      CC                      extended header control field
      CCCC                    extended header cluster id (big-endian)
      LLLL                    extended header GBZ command length (big-endian)
      [TTTTTTTT]              from date-time (UTCTime, big-endian) when control bit 4 is set
      <ZCL frame>             frame control, sequence number, command id, payload (little-endian)

Not supported (they raise GbcsError saying so): encrypted content (security control bit 5),
routed/populated MAC headers, General Block Transfer (0xE0) and encrypted GBZ components
(control bit 1), whose ZCL frame is ciphertext.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from hancot.errors import GbcsError
from hancot.wan.reader import ByteReader, ber_length

#: DLMS APDU tags used by GBCS framing (Green Book: general-ciphering 221, general-signing 223,
#: general-block-transfer 224).
GENERAL_CIPHERING = 0xDD
GENERAL_SIGNING = 0xDF
GENERAL_BLOCK_TRANSFER = 0xE0
#: GBCS MAC length: the AES-GCM tag is truncated to 12 octets.
MAC_LENGTH = 12
#: Security header: security control octet then 4-octet invocation counter (Green Book).
SECURITY_HEADER_LENGTH = 5
#: Security control 0x11: security suite 1 (bits 0-3), authentication only (bit 4).
SECURITY_CONTROL_AUTHENTICATED = 0x11
#: Security control bit 5: the content is encrypted.
SECURITY_CONTROL_ENCRYPTED = 0x20
#: Transaction-id length: CRA flag (1) + originator counter (8).
TRANSACTION_ID_LENGTH = 9
EUI64_LENGTH = 8
#: A COSEM date-time is 12 octets (Blue Book 4.1.6.1).
DATE_TIME_LENGTH = 12
#: Zigbee Smart Energy profile id, the first two octets of every GBZ payload.
PROFILE_SMART_ENERGY = 0x0109

#: Extended header control field bits (GBCS GBZ payload; same values as Wireshark's GBCS
#: dissector): bit 0 last (or only) component, bit 1 encrypted component, bit 4 from date-time.
GBZ_CONTROL_LAST = 0x01
GBZ_CONTROL_ENCRYPTED = 0x02
GBZ_CONTROL_FROM_DATE_TIME = 0x10
#: Frame control, sequence number and command id.
ZCL_HEADER_LENGTH = 3


class Cra(IntEnum):
    """CRA flag, the first octet of the transaction-id (GBCS: Command, Response, Alert)."""

    COMMAND = 1
    RESPONSE = 2
    ALERT = 3


class Payload(IntEnum):
    """How a use case's content is encoded (GBCS: GBZ, DLMS COSEM or ASN.1)."""

    GBZ = 1
    DLMS = 2
    ASN1 = 3


@dataclass(frozen=True)
class UseCase:
    """One row of the GBCS message code table."""

    code: int
    name: str
    title: str
    payload: Payload


#: GBCS message codes (GBCS use case table, "Message Code"), checked against RTDS 4.5.0.
USE_CASES: dict[int, UseCase] = {
    uc.code: uc
    for uc in (
        UseCase(0x0021, "ECS10", "Send Message to ESME", Payload.DLMS),
        UseCase(0x0022, "ECS12", "Set Change of Tenancy date on ESME", Payload.DLMS),
        UseCase(0x0071, "GCS07", "Send Message to GSME", Payload.GBZ),
        UseCase(0x0072, "GCS09", "Set Change of Tenancy date on GPF", Payload.GBZ),
    )
}


# --------------------------------------------------------------------------- reading


class _Reader(ByteReader):
    """A bounds-checked cursor; every overrun is a GbcsError naming the part and the field."""

    def __init__(self, data: bytes, where: str) -> None:
        super().__init__(data)
        self.where = where

    def overrun(self, count: int, what: str) -> GbcsError:
        return GbcsError(
            f"{self.where}: {what} needs {count} octets at offset {self.pos} "
            f"but only {self.remaining()} remain (truncated or length past end)"
        )

    def bad_length_form(self, first: int, what: str) -> GbcsError:
        return GbcsError(f"{self.where}: {what} has unsupported length form 0x{first:02X}")

    def element(self, what: str) -> bytes:
        """A length-prefixed element."""
        return self.take(self.length(f"{what} length"), what)


def _element(value: bytes) -> bytes:
    return ber_length(len(value), GbcsError) + value


# --------------------------------------------------------------------------- GBZ


@dataclass(frozen=True)
class GbzComponent:
    """One GBZ use case specific component: extended header and a ZCL frame."""

    control: int
    cluster: int
    zcl_frame: bytes
    #: From Date Time (UTCTime), present when control bit 4 is set.
    from_date_time: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.control <= 0xFF:
            raise GbcsError(f"GBZ control field {self.control} is not one octet")
        if not 0 <= self.cluster <= 0xFFFF:
            raise GbcsError(f"GBZ cluster id {self.cluster} is not 16 bits")
        if bool(self.control & GBZ_CONTROL_FROM_DATE_TIME) != (self.from_date_time is not None):
            raise GbcsError(
                "GBZ control bit 4 (from date-time present) and from_date_time disagree"
            )
        if self.from_date_time is not None and not 0 <= self.from_date_time <= 0xFFFFFFFF:
            raise GbcsError(f"GBZ from date-time {self.from_date_time} is not a UTCTime")

    @property
    def last(self) -> bool:
        return bool(self.control & GBZ_CONTROL_LAST)

    @property
    def encrypted(self) -> bool:
        return bool(self.control & GBZ_CONTROL_ENCRYPTED)

    @property
    def frame_control(self) -> int:
        return self.zcl_frame[0]

    @property
    def sequence(self) -> int:
        return self.zcl_frame[1]

    @property
    def command_id(self) -> int:
        return self.zcl_frame[2]

    def to_bytes(self) -> bytes:
        body = b""
        if self.from_date_time is not None:
            body += self.from_date_time.to_bytes(4, "big")
        body += self.zcl_frame
        if len(body) > 0xFFFF:
            raise GbcsError(f"GBZ component of {len(body)} octets exceeds the 16-bit length")
        return (
            bytes([self.control])
            + self.cluster.to_bytes(2, "big")
            + len(body).to_bytes(2, "big")
            + body
        )


@dataclass(frozen=True)
class GbzPayload:
    """A GBZ payload: the Smart Energy profile id and its components, in order."""

    components: tuple[GbzComponent, ...]
    profile: int = PROFILE_SMART_ENERGY

    def __init__(
        self, components: Iterable[GbzComponent], profile: int = PROFILE_SMART_ENERGY
    ) -> None:
        object.__setattr__(self, "components", tuple(components))
        object.__setattr__(self, "profile", profile)
        if len(self.components) > 0xFF:
            raise GbcsError(f"{len(self.components)} GBZ components exceed the one-octet count")

    def to_bytes(self) -> bytes:
        return (
            self.profile.to_bytes(2, "big")
            + bytes([len(self.components)])
            + b"".join(c.to_bytes() for c in self.components)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> GbzPayload:
        """Decode a (non-alert) GBZ payload; every octet must be accounted for."""
        reader = _Reader(bytes(data), "GBZ payload")
        profile = reader.u16("profile id")
        if profile != PROFILE_SMART_ENERGY:
            raise GbcsError(f"GBZ payload: profile id 0x{profile:04X} is not 0x0109")
        count = reader.u8("component count")
        components = []
        for index in range(count):
            where = f"GBZ component {index}"
            control = reader.u8(f"{where} control field")
            cluster = reader.u16(f"{where} cluster id")
            length = reader.u16(f"{where} length")
            body = _Reader(reader.take(length, f"{where} body"), where)
            if control & GBZ_CONTROL_ENCRYPTED:
                raise GbcsError(f"{where}: encrypted GBZ components are not supported")
            from_date_time = None
            if control & GBZ_CONTROL_FROM_DATE_TIME:
                from_date_time = int.from_bytes(body.take(4, "from date-time"), "big")
            frame = body.take(body.remaining(), "ZCL frame")
            if len(frame) < ZCL_HEADER_LENGTH:
                raise GbcsError(f"{where}: ZCL frame of {len(frame)} octets lacks a ZCL header")
            components.append(GbzComponent(control, cluster, frame, from_date_time))
        if reader.remaining():
            raise GbcsError(
                f"GBZ payload: {reader.remaining()} octets after the {count} declared components"
            )
        return cls(components, profile)


def build_gbz(components: Iterable[GbzComponent], profile: int = PROFILE_SMART_ENERGY) -> bytes:
    """The GBZ payload octets for these components, their control fields as given."""
    return GbzPayload(components, profile).to_bytes()


def gbz_component(
    cluster: int, zcl_frame: bytes, *, last: bool = True, from_date_time: int | None = None
) -> GbzComponent:
    """A component with its control field derived from ``last`` and ``from_date_time``."""
    control = (GBZ_CONTROL_LAST if last else 0) | (
        GBZ_CONTROL_FROM_DATE_TIME if from_date_time is not None else 0
    )
    return GbzComponent(control, cluster, bytes(zcl_frame), from_date_time)


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class GbcsMessage:
    """A GBCS message (MAC header + grouping header + content + MAC).

    ``content`` is the use case payload as carried; ``gbz`` is its decoding for GBZ commands and
    responses, ``dlms`` the content again for DLMS use cases (decode it with hancot.wan.dlms).
    ``mac_header`` is False for a bare general-signing APDU (no general-ciphering around it);
    then ``security_control``, ``invocation_counter`` and ``mac`` are None.
    """

    cra: Cra
    originator_counter: int
    originator: int
    recipient: int
    message_code: int
    content: bytes
    date_time: bytes | None = None
    #: Other-information octets after the message code (supplementary remote party fields).
    supplementary: bytes = b""
    signature: bytes = b""
    mac_header: bool = True
    security_control: int | None = SECURITY_CONTROL_AUTHENTICATED
    invocation_counter: int | None = 0
    mac: bytes | None = field(default=bytes(MAC_LENGTH))
    gbz: GbzPayload | None = None
    dlms: bytes | None = None

    @property
    def use_case(self) -> UseCase | None:
        return USE_CASES.get(self.message_code)

    def grouping_header_bytes(self) -> bytes:
        """The general-signing APDU (grouping header, content and signature)."""
        out = bytearray([GENERAL_SIGNING])
        out += _element(bytes([self.cra]) + self.originator_counter.to_bytes(8, "big"))
        out += _element(self.originator.to_bytes(8, "big"))
        out += _element(self.recipient.to_bytes(8, "big"))
        out += _element(self.date_time or b"")
        out += _element(self.message_code.to_bytes(2, "big") + self.supplementary)
        out += _element(self.content)
        out += _element(self.signature)
        return bytes(out)

    def to_bytes(self) -> bytes:
        """The message octets; re-encodes a parsed message exactly (minimal lengths assumed)."""
        signing = self.grouping_header_bytes()
        if not self.mac_header:
            return signing
        mac = self.mac if self.mac is not None else bytes(MAC_LENGTH)
        if len(mac) != MAC_LENGTH:
            raise GbcsError(f"MAC must be {MAC_LENGTH} octets, got {len(mac)}")
        control = self.security_control
        if control is None:
            control = SECURITY_CONTROL_AUTHENTICATED
        security = bytes([control]) + (self.invocation_counter or 0).to_bytes(4, "big")
        ciphered = security + signing + mac
        return bytes([GENERAL_CIPHERING]) + bytes(6) + _element(ciphered)


def _parse_signing(data: bytes, where: str) -> GbcsMessage:
    reader = _Reader(data, where)
    tag = reader.u8("general-signing tag")
    if tag != GENERAL_SIGNING:
        raise GbcsError(f"{where}: expected general-signing tag 0xDF, got 0x{tag:02X}")
    transaction = reader.element("transaction-id")
    if len(transaction) != TRANSACTION_ID_LENGTH:
        raise GbcsError(
            f"{where}: transaction-id must be {TRANSACTION_ID_LENGTH} octets, "
            f"got {len(transaction)}"
        )
    try:
        cra = Cra(transaction[0])
    except ValueError:
        raise GbcsError(f"{where}: CRA flag 0x{transaction[0]:02X} is not 1, 2 or 3") from None
    counter = int.from_bytes(transaction[1:], "big")
    originator = reader.element("originator-system-title")
    recipient = reader.element("recipient-system-title")
    for name, title in (("originator", originator), ("recipient", recipient)):
        if len(title) != EUI64_LENGTH:
            raise GbcsError(
                f"{where}: {name}-system-title must be an EUI-64, got {len(title)} octets"
            )
    date_time = reader.element("date-time")
    if len(date_time) not in (0, DATE_TIME_LENGTH):
        raise GbcsError(f"{where}: date-time must be empty or 12 octets, got {len(date_time)}")
    other = reader.element("other-information")
    if len(other) < 2:
        raise GbcsError(f"{where}: other-information lacks the 2-octet message code")
    message_code = int.from_bytes(other[:2], "big")
    content = reader.element("content")
    signature = reader.element("signature")
    if reader.remaining():
        raise GbcsError(f"{where}: {reader.remaining()} octets after the signature")
    gbz: GbzPayload | None = None
    dlms: bytes | None = None
    use_case = USE_CASES.get(message_code)
    kind = use_case.payload if use_case else _sniff(content)
    if kind is Payload.GBZ and cra is not Cra.ALERT:
        gbz = GbzPayload.from_bytes(content)
    elif kind is Payload.DLMS:
        dlms = content
    return GbcsMessage(
        cra=cra,
        originator_counter=counter,
        originator=int.from_bytes(originator, "big"),
        recipient=int.from_bytes(recipient, "big"),
        message_code=message_code,
        content=content,
        date_time=date_time or None,
        supplementary=other[2:],
        signature=signature,
        mac_header=False,
        security_control=None,
        invocation_counter=None,
        mac=None,
        gbz=gbz,
        dlms=dlms,
    )


def _sniff(content: bytes) -> Payload | None:
    """Payload kind of a message code not in USE_CASES, from its first octets."""
    if content[:2] == PROFILE_SMART_ENERGY.to_bytes(2, "big"):
        return Payload.GBZ
    if content[:1] in (b"\xd9", b"\xda", b"\x0f"):
        return Payload.DLMS
    return None


def parse_gbcs(data: bytes) -> GbcsMessage:
    """Parse a GBCS message (MAC header + general signing, or a bare general signing APDU)."""
    data = bytes(data)
    if not data:
        raise GbcsError("GBCS message is empty")
    tag = data[0]
    if tag == GENERAL_SIGNING:
        return _parse_signing(data, "grouping header")
    if tag == GENERAL_BLOCK_TRANSFER:
        raise GbcsError("General Block Transfer (0xE0) GBCS messages are not supported")
    if tag != GENERAL_CIPHERING:
        raise GbcsError(f"GBCS message starts with 0x{tag:02X}, expected 0xDD or 0xDF")
    reader = _Reader(data, "MAC header")
    reader.u8("general-ciphering tag")
    names = (
        "transaction-id",
        "originator-system-title",
        "recipient-system-title",
        "date-time",
        "other-information",
        "key-info",
    )
    for name in names:
        if reader.u8(name) != 0:
            raise GbcsError(
                f"MAC header: {name} is populated; only the empty MAC header of "
                "authenticated (not encrypted) GBCS messages is supported"
            )
    ciphered = reader.element("ciphered-service")
    if reader.remaining():
        raise GbcsError(f"MAC header: {reader.remaining()} octets after the ciphered service")
    if len(ciphered) < SECURITY_HEADER_LENGTH + MAC_LENGTH + 1:
        raise GbcsError(
            f"MAC header: ciphered service of {len(ciphered)} octets cannot hold security "
            "header, grouping header and MAC"
        )
    security_control = ciphered[0]
    if security_control & SECURITY_CONTROL_ENCRYPTED:
        raise GbcsError(
            f"MAC header: security control 0x{security_control:02X} marks encrypted content, "
            "which is not supported"
        )
    invocation_counter = int.from_bytes(ciphered[1:SECURITY_HEADER_LENGTH], "big")
    signing = _parse_signing(ciphered[SECURITY_HEADER_LENGTH:-MAC_LENGTH], "grouping header")
    return GbcsMessage(
        cra=signing.cra,
        originator_counter=signing.originator_counter,
        originator=signing.originator,
        recipient=signing.recipient,
        message_code=signing.message_code,
        content=signing.content,
        date_time=signing.date_time,
        supplementary=signing.supplementary,
        signature=signing.signature,
        mac_header=True,
        security_control=security_control,
        invocation_counter=invocation_counter,
        mac=ciphered[-MAC_LENGTH:],
        gbz=signing.gbz,
        dlms=signing.dlms,
    )


def parse_gbcs_hex(text: str) -> GbcsMessage:
    """Parse a GBCS message written as hex (as in the RTDS ``.HEX`` files); whitespace ignored."""
    cleaned = "".join(text.split())
    if len(cleaned) % 2:
        raise GbcsError(f"GBCS hex has an odd number of digits ({len(cleaned)})")
    try:
        data = binascii.unhexlify(cleaned)
    except (binascii.Error, ValueError) as exc:
        raise GbcsError(f"GBCS hex is not hexadecimal: {exc}") from exc
    return parse_gbcs(data)


def format_eui64(value: int) -> str:
    """An EUI-64 as DUIS writes it: ``00-DB-12-34-56-78-90-A3``."""
    return "-".join(f"{b:02X}" for b in value.to_bytes(8, "big"))
