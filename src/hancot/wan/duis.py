"""A hardened parser for DCC User Interface Specification (DUIS) service requests.

A DUIS request is an XML document in the namespace
``http://www.dccinterface.co.uk/ServiceUserGateway``:
``Request`` with a ``Header`` (RequestID, CommandVariant, ServiceReference,
ServiceReferenceVariant), a ``Body`` holding one service-specific element, and an XML signature.
hancot reads the services that matter to a Change of Tenancy:

- SRV 3.2 Restrict Access For Change Of Tenancy:
  ``RestrictAccessForChangeOfTenancy/RestrictionDateTime``
- SRV 3.1 Display Message: ``DisplayMessage/SupplierMessage``
- SRV 2.2 Top Up Device: ``TopUpDevice/UTRN`` (prepayment top-up history is data a CoT can clear)

Hardening: the input is size-checked before any parsing; defusedxml refuses any DTD (so no
entity expansion, "billion laughs", or external entity); unknown or repeated elements are
refused rather than ignored. The XML signature is not verified (the DCC reference templates carry
placeholders); that is the job of whoever accepts the request, not of this parser.

Every failure raises DuisError naming the element and the problem.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from hancot.errors import DuisError
from hancot.timeutil import parse_iso

#: The DUIS XML namespace (DUIS XSD targetNamespace).
NAMESPACE = "http://www.dccinterface.co.uk/ServiceUserGateway"
#: Largest request accepted, checked before parsing. DUIS requests are a few KiB; the largest
#: (firmware images are sent by reference, tariffs are a few hundred elements) stay far below.
MAX_REQUEST_BYTES = 1024 * 1024
#: DUIS CommandVariant values 1..8 (DUIS, Request header: CommandVariant).
COMMAND_VARIANTS = range(1, 9)
#: GCS07 carries the message as a ZCL character string, whose one-octet length allows at most
#: 254 octets (ZCL r8 Table 2-10; 0xFF means invalid). hancot applies that ceiling to SRV 3.1.
MAX_SUPPLIER_MESSAGE_OCTETS = 254
#: A UTRN is a 20-digit decimal number (GBCS, UTRN format).
UTRN_DIGITS = 20

_EUI64 = r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}"
#: RequestID: business originator ID, business target ID (EUI-64s written with dashes) and
#: originator counter, colon-separated (DUIS, RequestID).
_REQUEST_ID = re.compile(rf"^({_EUI64}):({_EUI64}):([0-9]{{1,20}})$")
_SERVICE_REFERENCE = re.compile(r"^[0-9]{1,2}\.[0-9]{1,2}(?:\.[0-9]{1,2})?$")


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class DuisHeader:
    """The DUIS request header.

    ``business_originator_id`` and ``business_target_id`` are EUI-64s as integers (the target is
    the device, e.g. 0x00DB1234567890A3); ``counter`` is the originator counter of the RequestID.
    """

    request_id: str
    business_originator_id: int
    business_target_id: int
    counter: int
    service_reference: str
    service_reference_variant: str
    command_variant: int


@dataclass(frozen=True)
class RestrictAccessForChangeOfTenancy:
    """SRV 3.2 body. ``restriction_datetime`` is UTCTime (seconds since 2000-01-01 UTC)."""

    restriction_datetime: int


@dataclass(frozen=True)
class DisplayMessage:
    """SRV 3.1 body: the supplier message text."""

    message: str


@dataclass(frozen=True)
class TopUpDevice:
    """SRV 2.2 body: the Unique Transaction Reference Number, 20 decimal digits."""

    utrn: str


DuisBody = RestrictAccessForChangeOfTenancy | DisplayMessage | TopUpDevice


@dataclass(frozen=True)
class DuisRequest:
    header: DuisHeader
    body: DuisBody


# --------------------------------------------------------------------------- reading


def _load(data: bytes | bytearray | str | os.PathLike[str]) -> bytes:
    """The request octets, size-checked before they are all read."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) > MAX_REQUEST_BYTES:
            raise DuisError(
                f"DUIS request of {len(raw)} octets exceeds the {MAX_REQUEST_BYTES}-octet limit"
            )
        return raw
    if isinstance(data, str) and data.lstrip().startswith("<"):
        raise DuisError("a str is read as a file path; pass XML text as bytes (e.g. .encode())")
    path = Path(data)
    try:
        size = path.stat().st_size
        if size > MAX_REQUEST_BYTES:
            raise DuisError(
                f"DUIS request {path} of {size} octets exceeds the {MAX_REQUEST_BYTES}-octet limit"
            )
        with path.open("rb") as handle:
            raw = handle.read(MAX_REQUEST_BYTES + 1)
    except OSError as exc:
        raise DuisError(f"cannot read DUIS request {path}: {exc}") from exc
    if len(raw) > MAX_REQUEST_BYTES:
        raise DuisError(f"DUIS request {path} exceeds the {MAX_REQUEST_BYTES}-octet limit")
    return raw


def _parse_xml(raw: bytes) -> Element:
    try:
        return SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as exc:
        raise DuisError(
            f"DUIS request carries a DTD (<!DOCTYPE {exc.name}>); DTDs and entities are refused"
        ) from exc
    except defusedxml.EntitiesForbidden as exc:
        raise DuisError(f"DUIS request declares entity {exc.name!r}; entities are refused") from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise DuisError(
            f"DUIS request references external {exc.sysid!r}; external references are refused"
        ) from exc
    except defusedxml.DefusedXmlException as exc:
        raise DuisError(f"DUIS request refused by the XML hardening: {exc}") from exc
    except ParseError as exc:
        raise DuisError(f"DUIS request is not well-formed XML: {exc}") from exc
    except LookupError as exc:  # an XML declaration naming an unknown encoding (scripts/fuzz.py)
        raise DuisError(f"DUIS request declares an encoding Python does not know: {exc}") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(parent: Element, name: str, path: str) -> Element:
    """The single child ``sr:name`` of ``parent``; DuisError if it is missing or repeated."""
    found = parent.findall(_q(name))
    if not found:
        raise DuisError(f"DUIS request lacks element {path}/{name}")
    if len(found) > 1:
        raise DuisError(f"DUIS request repeats element {path}/{name} ({len(found)} times)")
    return found[0]


def _text(parent: Element, name: str, path: str) -> str:
    element = _child(parent, name, path)
    if len(element):
        raise DuisError(f"DUIS element {path}/{name} must hold text, not child elements")
    text = (element.text or "").strip()
    if not text:
        raise DuisError(f"DUIS element {path}/{name} is empty")
    return text


def _only(parent: Element, allowed: set[str], path: str) -> None:
    """Refuse children of ``parent`` other than the ``allowed`` DUIS elements."""
    for child in parent:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        if not child.tag.startswith(f"{{{NAMESPACE}}}") or _local(child.tag) not in allowed:
            raise DuisError(f"DUIS element {path} holds unexpected element {child.tag}")


def _eui64(text: str) -> int:
    return int(text.replace("-", ""), 16)


def _header(root: Element) -> DuisHeader:
    header = _child(root, "Header", "Request")
    path = "Request/Header"
    names = {"RequestID", "CommandVariant", "ServiceReference", "ServiceReferenceVariant"}
    _only(header, names, path)
    request_id = _text(header, "RequestID", path)
    match = _REQUEST_ID.match(request_id)
    if match is None:
        raise DuisError(
            f"DUIS element {path}/RequestID {request_id!r} is not "
            "originator:target:counter (EUI-64s as XX-XX-XX-XX-XX-XX-XX-XX, decimal counter)"
        )
    counter = int(match.group(3))
    if counter >= 1 << 64:
        raise DuisError(f"DUIS element {path}/RequestID counter {counter} exceeds 64 bits")
    variant_text = _text(header, "CommandVariant", path)
    if not variant_text.isdigit() or int(variant_text) not in COMMAND_VARIANTS:
        raise DuisError(f"DUIS element {path}/CommandVariant {variant_text!r} is not 1..8")
    reference = _text(header, "ServiceReference", path)
    reference_variant = _text(header, "ServiceReferenceVariant", path)
    for name, value in (
        ("ServiceReference", reference),
        ("ServiceReferenceVariant", reference_variant),
    ):
        if not _SERVICE_REFERENCE.match(value):
            raise DuisError(f"DUIS element {path}/{name} {value!r} is not a service reference")
    if reference_variant != reference and not reference_variant.startswith(reference + "."):
        raise DuisError(
            f"DUIS element {path}/ServiceReferenceVariant {reference_variant!r} "
            f"is not a variant of ServiceReference {reference!r}"
        )
    return DuisHeader(
        request_id=request_id,
        business_originator_id=_eui64(match.group(1)),
        business_target_id=_eui64(match.group(2)),
        counter=counter,
        service_reference=reference,
        service_reference_variant=reference_variant,
        command_variant=int(variant_text),
    )


def _restrict(element: Element, path: str) -> RestrictAccessForChangeOfTenancy:
    _only(element, {"RestrictionDateTime"}, path)
    text = _text(element, "RestrictionDateTime", path)
    # xs:dateTime with a zone: a date alone or a local time would make the CoT instant ambiguous.
    if "T" not in text or not re.search(r"(Z|[+-][0-9]{2}:[0-9]{2})$", text):
        raise DuisError(
            f"DUIS element {path}/RestrictionDateTime {text!r} is not an xs:dateTime "
            "with a time zone (e.g. 2015-02-01T00:00:00.00Z)"
        )
    try:
        utc = parse_iso(text)
    except ValueError as exc:
        raise DuisError(f"DUIS element {path}/RestrictionDateTime {text!r}: {exc}") from exc
    return RestrictAccessForChangeOfTenancy(restriction_datetime=utc)


def _display(element: Element, path: str) -> DisplayMessage:
    _only(element, {"SupplierMessage"}, path)
    message_element = _child(element, "SupplierMessage", path)
    if len(message_element):
        raise DuisError(f"DUIS element {path}/SupplierMessage must hold text")
    message = message_element.text or ""
    octets = len(message.encode("utf-8"))
    if octets > MAX_SUPPLIER_MESSAGE_OCTETS:
        raise DuisError(
            f"DUIS element {path}/SupplierMessage is {octets} octets; "
            f"at most {MAX_SUPPLIER_MESSAGE_OCTETS} fit a ZCL character string"
        )
    # XML 1.0 already refuses most C0 controls; DEL and C1 controls (U+007F..U+009F) get through.
    if any((ord(ch) < 0x20 and ch not in "\t\n\r") or 0x7F <= ord(ch) <= 0x9F for ch in message):
        raise DuisError(f"DUIS element {path}/SupplierMessage holds control characters")
    return DisplayMessage(message=message)


def _top_up(element: Element, path: str) -> TopUpDevice:
    _only(element, {"UTRN"}, path)
    utrn = _text(element, "UTRN", path)
    if len(utrn) != UTRN_DIGITS or not utrn.isascii() or not utrn.isdigit():
        raise DuisError(f"DUIS element {path}/UTRN {utrn!r} is not {UTRN_DIGITS} decimal digits")
    return TopUpDevice(utrn=utrn)


#: ServiceReferenceVariant -> (body element, reader).
_SERVICES = {
    "3.2": ("RestrictAccessForChangeOfTenancy", _restrict),
    "3.1": ("DisplayMessage", _display),
    "2.2": ("TopUpDevice", _top_up),
}

SUPPORTED_SERVICES = tuple(_SERVICES)


def parse_duis(data: bytes | bytearray | str | os.PathLike[str]) -> DuisRequest:
    """Parse a DUIS request given as octets, or as a path (``str`` or PathLike) to a file."""
    root = _parse_xml(_load(data))
    if root.tag != _q("Request"):
        raise DuisError(f"DUIS root element is {root.tag}, expected {_q('Request')}")
    header = _header(root)
    service = _SERVICES.get(header.service_reference_variant)
    if service is None:
        raise DuisError(
            f"DUIS ServiceReferenceVariant {header.service_reference_variant!r} is not supported "
            f"(supported: {', '.join(SUPPORTED_SERVICES)})"
        )
    body_name, reader = service
    body = _child(root, "Body", "Request")
    _only(body, {body_name}, "Request/Body")
    element = _child(body, body_name, "Request/Body")
    return DuisRequest(header=header, body=reader(element, f"Request/Body/{body_name}"))
