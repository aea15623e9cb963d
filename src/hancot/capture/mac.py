"""IEEE 802.15.4 MAC frames: the header Zigbee data rides in, and the FCS.

Clause numbers are IEEE Std 802.15.4-2006 (the frame format Zigbee PRO 2015 / R22 transmits).
All multi-byte fields are little-endian, least significant octet first (7.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from hancot.capture.errors import FrameDecodeError

#: Broadcast short address and PAN identifier (7.2.1.4 / 7.2.1.6).
BROADCAST = 0xFFFF
#: Length of the frame check sequence (7.2.1.9).
FCS_LEN = 2
#: aMaxPHYPacketSize (6.4.1): the largest MPDU, FCS included.
MAX_PHY_PACKET = 127


class MacFrameType(IntEnum):
    """Frame type subfield, frame control bits 0-2 (7.2.1.1.1, Table 79)."""

    BEACON = 0
    DATA = 1
    ACK = 2
    COMMAND = 3


class AddrMode(IntEnum):
    """Destination/source addressing mode subfields (7.2.1.1.6, Table 80)."""

    NONE = 0
    SHORT = 2
    EXTENDED = 3


# Frame control bit positions (7.2.1.1, Figure 42).
_FC_SECURITY = 1 << 3  # 7.2.1.1.2 security enabled
_FC_PENDING = 1 << 4  # 7.2.1.1.3 frame pending
_FC_ACK_REQ = 1 << 5  # 7.2.1.1.4 acknowledgment request
_FC_PANID_COMP = 1 << 6  # 7.2.1.1.5 PAN ID compression
_DST_MODE_SHIFT = 10  # 7.2.1.1.6 destination addressing mode, bits 10-11
_VERSION_SHIFT = 12  # 7.2.1.1.7 frame version, bits 12-13
_SRC_MODE_SHIFT = 14  # 7.2.1.1.8 source addressing mode, bits 14-15

_ADDR_LEN = {AddrMode.NONE: 0, AddrMode.SHORT: 2, AddrMode.EXTENDED: 8}


def crc16_kermit(data: bytes) -> int:
    """The 802.15.4 FCS: ITU-T CRC-16, x^16+x^12+x^5+1, initial value 0, bits reflected (7.2.1.9).

    This is the catalogued CRC-16/KERMIT (check value 0x2189 for ``b"123456789"``); it is sent
    least significant octet first.
    """
    # Byte-at-a-time with a 256-entry table (same result as the bitwise loop that builds it):
    # the FCS check is otherwise the largest single cost of reading a capture.
    crc = 0
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def _crc_table() -> tuple[int, ...]:
    table = []
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1  # 0x8408 = 0x1021 reflected
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


@dataclass(frozen=True)
class MacHeader:
    """MAC header (MHR) of a frame (7.2.1).

    Addresses are integers: a short address for :attr:`AddrMode.SHORT`, the EUI-64 for
    :attr:`AddrMode.EXTENDED`, ``None`` when the mode is :attr:`AddrMode.NONE`.  With PAN ID
    compression (the Zigbee norm) the source PAN is the destination PAN and is not sent;
    ``src_pan`` is then ``None`` and :attr:`source_pan` gives the implied value.
    """

    seq: int
    dst_pan: int | None
    dst: int | None
    src: int | None
    src_pan: int | None = None
    frame_type: MacFrameType = MacFrameType.DATA
    ack_request: bool = False
    pan_id_compression: bool = True
    frame_pending: bool = False
    frame_version: int = 0
    dst_mode: AddrMode = AddrMode.SHORT
    src_mode: AddrMode = AddrMode.SHORT

    @property
    def source_pan(self) -> int | None:
        """The source PAN, whether sent or implied by PAN ID compression (7.2.1.1.5)."""
        return self.src_pan if self.src_pan is not None else self.dst_pan

    def encode(self) -> bytes:
        """Serialise the MHR (frame control, sequence number, addressing fields)."""
        fc = int(self.frame_type) & 0x7
        fc |= _FC_PENDING if self.frame_pending else 0
        fc |= _FC_ACK_REQ if self.ack_request else 0
        fc |= _FC_PANID_COMP if self.pan_id_compression else 0
        fc |= int(self.dst_mode) << _DST_MODE_SHIFT
        fc |= (self.frame_version & 0x3) << _VERSION_SHIFT
        fc |= int(self.src_mode) << _SRC_MODE_SHIFT
        out = bytearray(fc.to_bytes(2, "little"))
        out.append(self.seq & 0xFF)  # 7.2.1.2 sequence number
        if self.dst_mode is not AddrMode.NONE:
            out += _require(self.dst_pan, "dst_pan").to_bytes(2, "little")  # 7.2.1.3
            out += _require(self.dst, "dst").to_bytes(_ADDR_LEN[self.dst_mode], "little")  # 7.2.1.4
        if self.src_mode is not AddrMode.NONE:
            if not (self.pan_id_compression and self.dst_mode is not AddrMode.NONE):
                pan = self.src_pan if self.src_pan is not None else self.dst_pan
                out += _require(pan, "src_pan").to_bytes(2, "little")  # 7.2.1.5
            out += _require(self.src, "src").to_bytes(_ADDR_LEN[self.src_mode], "little")  # 7.2.1.6
        return bytes(out)


@dataclass(frozen=True)
class MacFrame:
    """A decoded MPDU: header, MAC payload and, when the link type carries one, the FCS verdict."""

    header: MacHeader
    payload: bytes
    fcs_ok: bool | None


def _require(value: int | None, name: str) -> int:
    if value is None:
        raise ValueError(f"MAC header field {name} is needed by its addressing mode but is None")
    return value


def encode_mac_frame(header: MacHeader, payload: bytes, *, fcs: bool = True) -> bytes:
    """MHR + payload, followed by the FCS when ``fcs`` (link type 195) (7.2.1.9)."""
    body = header.encode() + payload
    if fcs:
        body += crc16_kermit(body).to_bytes(FCS_LEN, "little")
    if len(body) > MAX_PHY_PACKET + (0 if fcs else -FCS_LEN):
        raise ValueError(
            f"MPDU of {len(body)} bytes exceeds aMaxPHYPacketSize ({MAX_PHY_PACKET}, 6.4.1); "
            "the payload would need APS fragmentation, which hancot does not model"
        )
    return body


def decode_mac_frame(data: bytes, *, fcs: bool = True) -> MacFrame:
    """Decode an MPDU.  Raises :class:`FrameDecodeError` when the header is short or unsupported.

    A wrong FCS does not raise: ``fcs_ok`` is ``False`` and the rest is decoded as far as it goes.
    """
    fcs_ok: bool | None = None
    if fcs:
        if len(data) < 3 + FCS_LEN:
            raise FrameDecodeError(f"MAC frame of {len(data)} bytes is too short to hold an FCS")
        fcs_ok = crc16_kermit(data[:-FCS_LEN]) == int.from_bytes(data[-FCS_LEN:], "little")
        data = data[:-FCS_LEN]
    if len(data) < 3:
        raise FrameDecodeError(f"MAC frame of {len(data)} bytes is shorter than its 3-byte minimum")
    fc = int.from_bytes(data[0:2], "little")
    frame_type = fc & 0x7
    version = (fc >> _VERSION_SHIFT) & 0x3
    if frame_type not in MacFrameType.__members__.values():
        raise FrameDecodeError(f"MAC frame type {frame_type} is reserved (7.2.1.1.1)")
    if version > 1:
        raise FrameDecodeError(
            f"MAC frame version {version} (802.15.4-2015 frames) is not used by Zigbee PRO"
        )
    if fc & _FC_SECURITY:
        raise FrameDecodeError("MAC-layer security is set; Zigbee does not use it (7.2.1.1.2)")
    try:
        dst_mode = AddrMode((fc >> _DST_MODE_SHIFT) & 0x3)
        src_mode = AddrMode((fc >> _SRC_MODE_SHIFT) & 0x3)
    except ValueError as exc:
        raise FrameDecodeError("MAC addressing mode 1 is reserved (7.2.1.1.6)") from exc
    compression = bool(fc & _FC_PANID_COMP)
    pos = 3
    dst_pan = dst = src_pan = src = None

    def take(n: int, what: str) -> int:
        nonlocal pos
        if pos + n > len(data):
            raise FrameDecodeError(f"MAC frame ends inside the {what} field")
        value = int.from_bytes(data[pos : pos + n], "little")
        pos += n
        return value

    if dst_mode is not AddrMode.NONE:
        dst_pan = take(2, "destination PAN")
        dst = take(_ADDR_LEN[dst_mode], "destination address")
    if src_mode is not AddrMode.NONE:
        if not (compression and dst_mode is not AddrMode.NONE):
            src_pan = take(2, "source PAN")
        src = take(_ADDR_LEN[src_mode], "source address")
    header = MacHeader(
        seq=data[2],
        dst_pan=dst_pan,
        dst=dst,
        src=src,
        src_pan=src_pan,
        frame_type=MacFrameType(frame_type),
        ack_request=bool(fc & _FC_ACK_REQ),
        pan_id_compression=compression,
        frame_pending=bool(fc & _FC_PENDING),
        frame_version=version,
        dst_mode=dst_mode,
        src_mode=src_mode,
    )
    return MacFrame(header=header, payload=bytes(data[pos:]), fcs_ok=fcs_ok)
