"""Classic libpcap files: the global header, per-record headers, and the 802.15.4 link types.

Format as documented by the Tcpdump Group ("libpcap file format", draft-ietf-opsawg-pcap):
a 24-byte global header, then records of a 16-byte header and the captured bytes.  hancot writes
the microsecond, host-independent little-endian variant (magic 0xA1B2C3D4) and reads either byte
order and the nanosecond variant.  Link types from the tcpdump.org LINKTYPE registry.
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from hancot.capture.errors import PcapFormatError, UnknownLinkTypeError
from hancot.timeutil import UNIX_OFFSET

#: IEEE 802.15.4 frames with the 2-byte FCS at the end (LINKTYPE_IEEE802_15_4_WITHFCS).
LINKTYPE_IEEE802_15_4_WITHFCS = 195
#: IEEE 802.15.4 frames without FCS (LINKTYPE_IEEE802_15_4_NOFCS).
LINKTYPE_IEEE802_15_4_NOFCS = 230
SUPPORTED_LINKTYPES = frozenset({LINKTYPE_IEEE802_15_4_WITHFCS, LINKTYPE_IEEE802_15_4_NOFCS})

_MAGIC_USEC = 0xA1B2C3D4
_MAGIC_NSEC = 0xA1B23C4D
_PCAPNG_MAGIC = 0x0A0D0D0A
_VERSION = (2, 4)
#: Snapshot length written to the header; 802.15.4 frames are at most 127 bytes.
DEFAULT_SNAPLEN = 65535
#: Records claiming more than this are taken as corruption rather than allocated (libpcap's
#: own limit for non-USB link types is 262144).
MAX_RECORD = 262144
_GLOBAL = struct.Struct("<IHHiIII")
_RECORD_LEN = 16


@dataclass(frozen=True)
class PcapHeader:
    """The global header of a pcap file."""

    linktype: int
    snaplen: int = DEFAULT_SNAPLEN
    version: tuple[int, int] = _VERSION
    byte_order: str = "<"
    nanosecond: bool = False


@dataclass(frozen=True)
class PcapRecord:
    """One record.  ``note`` says what is wrong with it (truncation), else ``None``.

    ``index`` counts from 1, as Wireshark numbers frames; ``ts_frac`` is microseconds (or
    nanoseconds when the file says so, see :attr:`PcapHeader.nanosecond`).  The timestamp is
    ``None`` when the file ends inside the record header.
    """

    index: int
    ts_sec: int | None
    ts_frac: int | None
    data: bytes
    orig_len: int
    note: str | None = None


def unix_seconds(zigbee_utc: int) -> int:
    """Zigbee UTCTime (seconds since 2000) to the Unix seconds a pcap timestamp holds."""
    return zigbee_utc + UNIX_OFFSET


def zigbee_seconds(unix: int) -> int:
    """Unix seconds from a pcap timestamp to Zigbee UTCTime (seconds since 2000)."""
    return unix - UNIX_OFFSET


def encode_global_header(linktype: int, snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """The 24-byte global header: magic, version 2.4, zone 0, sigfigs 0, snaplen, link type."""
    if linktype not in SUPPORTED_LINKTYPES:
        raise UnknownLinkTypeError(linktype)
    return _GLOBAL.pack(_MAGIC_USEC, *_VERSION, 0, 0, snaplen, linktype)


def encode_record(data: bytes, ts_sec: int, ts_usec: int = 0) -> bytes:
    """A record header (seconds, microseconds, captured length, original length) and the data."""
    if not 0 <= ts_usec < 1_000_000:
        raise ValueError(f"microseconds must be 0..999999, got {ts_usec}")
    if not 0 <= ts_sec <= 0xFFFFFFFF:
        raise ValueError(f"pcap timestamp {ts_sec} does not fit 32 bits (years 1970..2106)")
    return struct.pack("<IIII", ts_sec, ts_usec, len(data), len(data)) + data


class PcapWriter:
    """Writes records to a binary stream; the global header is written on construction."""

    def __init__(self, stream: BinaryIO, linktype: int, snaplen: int = DEFAULT_SNAPLEN) -> None:
        self._stream = stream
        self.linktype = linktype
        stream.write(encode_global_header(linktype, snaplen))

    def write(self, data: bytes, ts_sec: int, ts_usec: int = 0) -> None:
        """Append one record."""
        self._stream.write(encode_record(data, ts_sec, ts_usec))


def decode_global_header(raw: bytes) -> PcapHeader:
    """Decode the 24-byte global header; raises :class:`PcapFormatError` if it is not one."""
    if len(raw) < _GLOBAL.size:
        raise PcapFormatError(
            f"file is {len(raw)} bytes, shorter than the 24-byte pcap global header"
        )
    magic_le = int.from_bytes(raw[:4], "little")
    order = "<"
    if magic_le in (_MAGIC_USEC, _MAGIC_NSEC):
        magic = magic_le
    elif int.from_bytes(raw[:4], "big") in (_MAGIC_USEC, _MAGIC_NSEC):
        order, magic = ">", int.from_bytes(raw[:4], "big")
    elif magic_le == _PCAPNG_MAGIC:
        raise PcapFormatError(
            "this is a pcapng file; hancot reads classic pcap: convert it with "
            "`editcap -F pcap <in> <out>`"
        )
    else:
        raise PcapFormatError(
            f"bad magic number 0x{magic_le:08x}: not a pcap file (expected a1b2c3d4 or "
            "a1b23c4d in either byte order)"
        )
    _, major, minor, _zone, _sigfigs, snaplen, linktype = struct.unpack(
        order + "IHHiIII", raw[: _GLOBAL.size]
    )
    return PcapHeader(
        linktype=linktype & 0x0FFFFFFF,  # upper bits may carry FCS info (pcap draft 4.1)
        snaplen=snaplen,
        version=(major, minor),
        byte_order=order,
        nanosecond=magic == _MAGIC_NSEC,
    )


class PcapReader:
    """Reads a classic pcap stream.

    The global header is read and checked on construction (raising :class:`PcapFormatError`, or
    :class:`UnknownLinkTypeError` when ``linktypes`` is given and the file's is not in it).
    Iterating yields :class:`PcapRecord`; a damaged record is yielded with what could be read and
    a note, and iteration stops there, since nothing after a broken length can be trusted.
    """

    def __init__(
        self, stream: BinaryIO, linktypes: Collection[int] | None = SUPPORTED_LINKTYPES
    ) -> None:
        self._stream = stream
        self.header = decode_global_header(stream.read(_GLOBAL.size))
        if linktypes is not None and self.header.linktype not in linktypes:
            raise UnknownLinkTypeError(self.header.linktype)

    def __iter__(self) -> Iterator[PcapRecord]:
        order = self.header.byte_order
        index = 0
        while True:
            head = self._stream.read(_RECORD_LEN)
            if not head:
                return
            index += 1
            if len(head) < _RECORD_LEN:
                yield PcapRecord(
                    index,
                    None,
                    None,
                    b"",
                    0,
                    note=f"truncated: file ends inside record header ({len(head)} of 16 bytes)",
                )
                return
            ts_sec, ts_frac, incl, orig = struct.unpack(order + "IIII", head)
            if incl > MAX_RECORD:
                yield PcapRecord(
                    index,
                    ts_sec,
                    ts_frac,
                    b"",
                    orig,
                    note=f"corrupt: record claims {incl} bytes (limit {MAX_RECORD}); stopped here",
                )
                return
            data = self._stream.read(incl)
            if len(data) < incl:
                yield PcapRecord(
                    index,
                    ts_sec,
                    ts_frac,
                    data,
                    orig,
                    note=f"truncated: file ends inside record data ({len(data)} of {incl} bytes)",
                )
                return
            note = None
            if incl < orig:
                note = f"truncated: captured {incl} of {orig} bytes (snapshot length)"
            yield PcapRecord(index, ts_sec, ts_frac, data, orig, note)
