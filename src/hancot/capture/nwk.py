"""Zigbee NWK frames: header, optional NWK security, payload.

Clause numbers are the Zigbee specification R22 (docs-05-3474-22): 3.3.1 for the general NWK frame
format, 4.3.1 for NWK frame security.  Multi-byte fields are little-endian (1.2.1.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from hancot.capture.errors import FrameDecodeError, MicError
from hancot.capture.security import DEFAULT_LEVEL, AuxHeader, KeyId, secure, unsecure

#: nwkcProtocolVersion of Zigbee PRO (3.3.1.1.2; NWK constants, 3.5.1).
PROTOCOL_VERSION = 2
#: Radius used when NLDE-DATA.request asks for the default: 2 * nwkMaxDepth (3.2.1.1, 3.3.1.4).
DEFAULT_RADIUS = 30
#: Smallest reserved broadcast address; 0xFFF8..0xFFFF are broadcast addresses (3.6.5).
BROADCAST_MIN = 0xFFF8


class NwkFrameType(IntEnum):
    """Frame type sub-field, frame control bits 0-1 (3.3.1.1.1)."""

    DATA = 0
    COMMAND = 1
    INTER_PAN = 3


class DiscoverRoute(IntEnum):
    """Discover route sub-field, bits 6-7 (3.3.1.1.3)."""

    SUPPRESS = 0
    ENABLE = 1


# Frame control bit positions (3.3.1.1, Figure 3-6).
_VERSION_SHIFT = 2  # bits 2-5 protocol version
_DISCOVER_SHIFT = 6  # bits 6-7 discover route
_FC_MULTICAST = 1 << 8  # 3.3.1.1.4 multicast flag
_FC_SECURITY = 1 << 9  # 3.3.1.1.5 security
_FC_SOURCE_ROUTE = 1 << 10  # 3.3.1.1.6 source route
_FC_DST_IEEE = 1 << 11  # 3.3.1.1.7 destination IEEE address present
_FC_SRC_IEEE = 1 << 12  # 3.3.1.1.8 source IEEE address present
_FC_ED_INITIATOR = 1 << 13  # 3.3.1.1.9 end device initiator


@dataclass(frozen=True)
class NwkHeader:
    """NWK header (3.3.1).  ``security`` is the frame control security bit (3.3.1.1.5)."""

    dst: int
    src: int
    seq: int
    radius: int = DEFAULT_RADIUS
    frame_type: NwkFrameType = NwkFrameType.DATA
    discover_route: DiscoverRoute = DiscoverRoute.ENABLE
    security: bool = False
    dst_ieee: int | None = None
    src_ieee: int | None = None
    end_device_initiator: bool = False
    protocol_version: int = PROTOCOL_VERSION
    multicast_control: int | None = None
    relay_index: int | None = None
    relays: tuple[int, ...] = ()

    @property
    def is_broadcast(self) -> bool:
        """True when the destination is a broadcast address (3.6.5)."""
        return self.dst >= BROADCAST_MIN

    def encode(self) -> bytes:
        """Serialise the header (3.3.1.1 to 3.3.1.9)."""
        fc = int(self.frame_type) & 0x3
        fc |= (self.protocol_version & 0xF) << _VERSION_SHIFT
        fc |= (int(self.discover_route) & 0x3) << _DISCOVER_SHIFT
        fc |= _FC_MULTICAST if self.multicast_control is not None else 0
        fc |= _FC_SECURITY if self.security else 0
        fc |= _FC_SOURCE_ROUTE if self.relay_index is not None else 0
        fc |= _FC_DST_IEEE if self.dst_ieee is not None else 0
        fc |= _FC_SRC_IEEE if self.src_ieee is not None else 0
        fc |= _FC_ED_INITIATOR if self.end_device_initiator else 0
        out = bytearray(fc.to_bytes(2, "little"))
        out += self.dst.to_bytes(2, "little")  # 3.3.1.2
        out += self.src.to_bytes(2, "little")  # 3.3.1.3
        out.append(self.radius & 0xFF)  # 3.3.1.4
        out.append(self.seq & 0xFF)  # 3.3.1.5
        if self.dst_ieee is not None:
            out += self.dst_ieee.to_bytes(8, "little")  # 3.3.1.6
        if self.src_ieee is not None:
            out += self.src_ieee.to_bytes(8, "little")  # 3.3.1.7
        if self.multicast_control is not None:
            out.append(self.multicast_control & 0xFF)  # 3.3.1.8
        if self.relay_index is not None:  # 3.3.1.9 source route subframe
            out += bytes([len(self.relays), self.relay_index & 0xFF])
            for relay in self.relays:
                out += relay.to_bytes(2, "little")
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> tuple[NwkHeader, int]:
        """Decode from the start of ``data``; returns the header and its length in bytes."""
        if len(data) < 8:
            raise FrameDecodeError(f"NWK header needs at least 8 bytes, the frame has {len(data)}")
        fc = int.from_bytes(data[0:2], "little")
        frame_type = fc & 0x3
        if frame_type == 2:
            raise FrameDecodeError("NWK frame type 2 is reserved (3.3.1.1.1)")
        if frame_type == NwkFrameType.INTER_PAN:
            raise FrameDecodeError("inter-PAN frame (stub NWK header, SE 1.4 Annex B) not decoded")
        pos = 8

        def take(n: int, what: str) -> int:
            nonlocal pos
            if pos + n > len(data):
                raise FrameDecodeError(f"NWK frame ends inside the {what} field")
            value = int.from_bytes(data[pos : pos + n], "little")
            pos += n
            return value

        dst_ieee = take(8, "destination IEEE address") if fc & _FC_DST_IEEE else None
        src_ieee = take(8, "source IEEE address") if fc & _FC_SRC_IEEE else None
        multicast = take(1, "multicast control") if fc & _FC_MULTICAST else None
        relay_index = None
        relays: tuple[int, ...] = ()
        if fc & _FC_SOURCE_ROUTE:
            count = take(1, "relay count")
            relay_index = take(1, "relay index")
            relays = tuple(take(2, "relay list") for _ in range(count))
        header = cls(
            dst=int.from_bytes(data[2:4], "little"),
            src=int.from_bytes(data[4:6], "little"),
            radius=data[6],
            seq=data[7],
            frame_type=NwkFrameType(frame_type),
            discover_route=DiscoverRoute((fc >> _DISCOVER_SHIFT) & 0x1),
            security=bool(fc & _FC_SECURITY),
            dst_ieee=dst_ieee,
            src_ieee=src_ieee,
            end_device_initiator=bool(fc & _FC_ED_INITIATOR),
            protocol_version=(fc >> _VERSION_SHIFT) & 0xF,
            multicast_control=multicast,
            relay_index=relay_index,
            relays=relays,
        )
        return header, pos


@dataclass(frozen=True)
class NwkFrame:
    """A decoded NWK frame.

    ``payload`` is the NWK payload (the APS frame, or a NWK command) in clear when the frame was
    not secured or was decrypted; when it was secured and no key was given, ``payload`` is the
    ciphertext with its MIC and ``encrypted`` is True.
    """

    header: NwkHeader
    payload: bytes
    aux: AuxHeader | None = None
    encrypted: bool = False


def network_aux(frame_counter: int, source: int, key_seq: int) -> AuxHeader:
    """The auxiliary header Zigbee PRO puts on NWK frames: security control 0x28 on air.

    Level 0 as sent (receivers substitute nwkSecurityLevel 5, 4.3.1.1 step 7), key identifier
    network key (4.5.1.1.2), extended nonce set so the sender's EUI-64 travels with the frame
    (the NWK layer always sets the extended nonce, 4.3.1.1).
    """
    return AuxHeader(
        key_id=KeyId.NETWORK, frame_counter=frame_counter, source=source, key_seq=key_seq
    )


def encode_nwk_frame(
    header: NwkHeader,
    payload: bytes,
    *,
    aux: AuxHeader | None = None,
    key: bytes | None = None,
    level: int = DEFAULT_LEVEL,
) -> bytes:
    """Serialise a NWK frame; when ``header.security`` is set, protect it with ``key``/``aux``.

    The authenticated data is the NWK header and the auxiliary header with level ``level``
    (4.3.1.1 step 5); the NWK payload is encrypted (4.3.1.1 step 6).
    """
    head = header.encode()
    if not header.security:
        if aux is not None:
            raise ValueError("an auxiliary header was given but the NWK security bit is clear")
        return head + payload
    if aux is None or key is None:
        raise ValueError("a secured NWK frame needs both aux (auxiliary header) and key")
    return head + secure(key, head, aux, payload, level)


def decode_nwk_frame(
    data: bytes, *, key: bytes | None = None, level: int = DEFAULT_LEVEL
) -> NwkFrame:
    """Decode a NWK frame, decrypting it with ``key`` when it is secured.

    Raises :class:`~hancot.capture.errors.MicError` when the key does not verify the frame and
    :class:`~hancot.capture.errors.FrameDecodeError` when the bytes are not a NWK frame.
    """
    header, pos = NwkHeader.decode(data)
    if not header.security:
        return NwkFrame(header=header, payload=bytes(data[pos:]))
    aux, aux_len = AuxHeader.decode(data[pos:])
    sealed = bytes(data[pos + aux_len :])
    if key is None:
        return NwkFrame(header=header, payload=sealed, aux=aux, encrypted=True)
    try:
        plain = unsecure(key, bytes(data[:pos]), aux, sealed, level=level, source=header.src_ieee)
    except MicError as exc:
        raise MicError(
            f"NWK MIC check failed (frame counter {aux.frame_counter}): wrong network key, or "
            "the frame was altered"
        ) from exc
    return NwkFrame(header=header, payload=plain, aux=aux)
