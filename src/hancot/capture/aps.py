"""Zigbee APS frames: header, optional APS security, payload.

Clause numbers are the Zigbee specification R22 (docs-05-3474-22): 2.2.5.1 for the general APS frame
format, 4.4.1 for APS frame security.  Multi-byte fields are little-endian (1.2.1.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from hancot.capture.errors import FrameDecodeError, MicError
from hancot.capture.security import (
    DEFAULT_LEVEL,
    AuxHeader,
    KeyId,
    hashed_link_key,
    secure,
    unsecure,
)


class ApsFrameType(IntEnum):
    """Frame type sub-field, frame control bits 0-1 (2.2.5.1.1.1)."""

    DATA = 0
    COMMAND = 1
    ACK = 2
    INTER_PAN = 3


class DeliveryMode(IntEnum):
    """Delivery mode sub-field, bits 2-3 (2.2.5.1.1.2)."""

    UNICAST = 0
    BROADCAST = 2
    GROUP = 3


# Frame control bit positions (2.2.5.1.1, Figure 2-3).
_DELIVERY_SHIFT = 2
_FC_ACK_FORMAT = 1 << 4  # 2.2.5.1.1.3 ack format (ack of an APS command)
_FC_SECURITY = 1 << 5  # 2.2.5.1.1.4 security
_FC_ACK_REQ = 1 << 6  # 2.2.5.1.1.5 acknowledgement request
_FC_EXT_HEADER = 1 << 7  # 2.2.5.1.1.6 extended header present


@dataclass(frozen=True)
class ApsHeader:
    """APS header (2.2.5.1).

    Which addressing fields are present depends on frame type and delivery mode: endpoints,
    cluster and profile for data frames and for acknowledgements of data frames; a group address
    instead of the destination endpoint in group delivery (2.2.5.1.2 to 2.2.5.1.6).  The extended
    header (2.2.5.1.8) is kept as its raw octets; hancot does not reassemble fragments.
    """

    counter: int
    frame_type: ApsFrameType = ApsFrameType.DATA
    delivery: DeliveryMode = DeliveryMode.UNICAST
    dst_ep: int | None = None
    group: int | None = None
    cluster: int | None = None
    profile: int | None = None
    src_ep: int | None = None
    security: bool = False
    ack_request: bool = False
    ack_format: bool = False
    extended: bytes | None = None

    @property
    def _has_addressing(self) -> bool:
        # Data frames, and acks of data frames (ack format 0), carry cluster/profile/endpoints.
        return self.frame_type is ApsFrameType.DATA or (
            self.frame_type is ApsFrameType.ACK and not self.ack_format
        )

    @property
    def fragmented(self) -> bool:
        """True when the extended header marks the frame as a fragment (2.2.5.1.8.1)."""
        return self.extended is not None and bool(self.extended[0] & 0x3)

    def encode(self) -> bytes:
        """Serialise the header (2.2.5.1.1 to 2.2.5.1.8)."""
        fc = int(self.frame_type) & 0x3
        fc |= (int(self.delivery) & 0x3) << _DELIVERY_SHIFT
        fc |= _FC_ACK_FORMAT if self.ack_format else 0
        fc |= _FC_SECURITY if self.security else 0
        fc |= _FC_ACK_REQ if self.ack_request else 0
        fc |= _FC_EXT_HEADER if self.extended is not None else 0
        out = bytearray([fc])
        if self._has_addressing:
            if self.delivery is DeliveryMode.GROUP:
                out += _need(self.group, "group").to_bytes(2, "little")  # 2.2.5.1.3
            else:
                out.append(_need(self.dst_ep, "dst_ep") & 0xFF)  # 2.2.5.1.2
            out += _need(self.cluster, "cluster").to_bytes(2, "little")  # 2.2.5.1.4
            out += _need(self.profile, "profile").to_bytes(2, "little")  # 2.2.5.1.5
            out.append(_need(self.src_ep, "src_ep") & 0xFF)  # 2.2.5.1.6
        out.append(self.counter & 0xFF)  # 2.2.5.1.7
        if self.extended is not None:
            out += self.extended  # 2.2.5.1.8
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> tuple[ApsHeader, int]:
        """Decode from the start of ``data``; returns the header and its length in bytes."""
        if not data:
            raise FrameDecodeError("APS frame is empty")
        fc = data[0]
        frame_type = ApsFrameType(fc & 0x3)
        delivery_bits = (fc >> _DELIVERY_SHIFT) & 0x3
        if delivery_bits == 1:
            raise FrameDecodeError("APS delivery mode 1 (indirect) is reserved in Zigbee PRO")
        delivery = DeliveryMode(delivery_bits)
        ack_format = bool(fc & _FC_ACK_FORMAT)
        pos = 1

        def take(n: int, what: str) -> int:
            nonlocal pos
            if pos + n > len(data):
                raise FrameDecodeError(f"APS frame ends inside the {what} field")
            value = int.from_bytes(data[pos : pos + n], "little")
            pos += n
            return value

        dst_ep = group = cluster = profile = src_ep = None
        addressed = frame_type is ApsFrameType.DATA or (
            frame_type is ApsFrameType.ACK and not ack_format
        )
        if addressed:
            if delivery is DeliveryMode.GROUP:
                group = take(2, "group address")
            else:
                dst_ep = take(1, "destination endpoint")
            cluster = take(2, "cluster identifier")
            profile = take(2, "profile identifier")
            src_ep = take(1, "source endpoint")
        counter = take(1, "APS counter")
        extended = None
        if fc & _FC_EXT_HEADER:
            ext_fc = take(1, "extended frame control")
            length = 1
            if ext_fc & 0x3:  # fragmented: block number follows (2.2.5.1.8.2)
                take(1, "block number")
                length += 1
                if frame_type is ApsFrameType.ACK:  # ack bitfield (2.2.5.1.8.3)
                    take(1, "ack bitfield")
                    length += 1
            extended = bytes(data[pos - length : pos])
        header = cls(
            counter=counter,
            frame_type=frame_type,
            delivery=delivery,
            dst_ep=dst_ep,
            group=group,
            cluster=cluster,
            profile=profile,
            src_ep=src_ep,
            security=bool(fc & _FC_SECURITY),
            ack_request=bool(fc & _FC_ACK_REQ),
            ack_format=ack_format,
            extended=extended,
        )
        return header, pos


def _need(value: int | None, name: str) -> int:
    if value is None:
        raise ValueError(f"APS header field {name} is required by this frame type/delivery mode")
    return value


@dataclass(frozen=True)
class ApsFrame:
    """A decoded APS frame.

    ``payload`` is the ZCL frame (data frames) or the APS command, in clear when the frame was not
    secured or was decrypted; otherwise it is the ciphertext with its MIC and ``encrypted`` is True.
    """

    header: ApsHeader
    payload: bytes
    aux: AuxHeader | None = None
    encrypted: bool = False


def link_aux(frame_counter: int, source: int | None) -> AuxHeader:
    """The auxiliary header of an APS data frame protected with a link key.

    Key identifier "data key" (0, 4.5.1.1.2); with ``source`` the extended nonce is set and the
    sender's EUI-64 is carried (4.4.1.1), otherwise the receiver takes it from the NWK layer.
    """
    return AuxHeader(key_id=KeyId.DATA, frame_counter=frame_counter, source=source)


def encode_aps_frame(
    header: ApsHeader,
    payload: bytes,
    *,
    aux: AuxHeader | None = None,
    key: bytes | None = None,
    source: int | None = None,
    level: int = DEFAULT_LEVEL,
) -> bytes:
    """Serialise an APS frame; when ``header.security`` is set, protect it with ``key``/``aux``.

    The authenticated data is the APS header and the auxiliary header with level ``level``
    (4.4.1.1); ``source`` is the sender's EUI-64, needed for the nonce when ``aux`` has no
    extended nonce.
    """
    head = header.encode()
    if not header.security:
        if aux is not None:
            raise ValueError("an auxiliary header was given but the APS security bit is clear")
        return head + payload
    if aux is None or key is None:
        raise ValueError("a secured APS frame needs both aux (auxiliary header) and key")
    return head + secure(key, head, aux, payload, level, source=source)


def decode_aps_frame(
    data: bytes,
    *,
    link_keys: Sequence[bytes] = (),
    network_key: bytes | None = None,
    source: int | None = None,
    level: int = DEFAULT_LEVEL,
) -> ApsFrame:
    """Decode an APS frame, decrypting it when it is secured and a usable key is given.

    ``link_keys`` are tried in order: as they are for key identifier "data key", hashed for the
    key-transport and key-load identifiers (4.5.3); ``network_key`` serves key identifier
    "network key".  ``source`` is the sender's EUI-64 from the NWK layer, used when the auxiliary
    header has no extended nonce.  Raises :class:`MicError` when keys were given but none
    verifies the frame.
    """
    header, pos = ApsHeader.decode(data)
    if not header.security:
        return ApsFrame(header=header, payload=bytes(data[pos:]))
    aux, aux_len = AuxHeader.decode(data[pos:])
    sealed = bytes(data[pos + aux_len :])
    if aux.key_id is KeyId.NETWORK:
        candidates = [network_key] if network_key is not None else []
    elif aux.key_id is KeyId.DATA:
        candidates = list(link_keys)
    else:
        candidates = [hashed_link_key(k, aux.key_id) for k in link_keys]
    if not candidates:
        return ApsFrame(header=header, payload=sealed, aux=aux, encrypted=True)
    head = bytes(data[:pos])
    for key in candidates:
        try:
            plain = unsecure(key, head, aux, sealed, level=level, source=source)
        except MicError:
            continue
        return ApsFrame(header=header, payload=plain, aux=aux)
    raise MicError(
        f"APS MIC check failed with each of the {len(candidates)} candidate key(s) "
        f"(key identifier {aux.key_id.name}, frame counter {aux.frame_counter}): the link key "
        "is wrong or missing"
    )
