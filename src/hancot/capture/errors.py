"""Typed errors of the wire layer.

Codecs raise :class:`FrameDecodeError` (or its subclasses) on bytes they cannot decode; the
capture reader turns those into per-record notes, so a damaged capture never ends in a traceback.
File-level problems (not a pcap at all, a link type hancot does not speak) raise
:class:`PcapFormatError`.
"""

from __future__ import annotations

from hancot.errors import HancotError


class CaptureError(HancotError):
    """Base class of every error the capture package raises."""


class PcapFormatError(CaptureError):
    """The file is not a classic pcap file hancot can read (bad magic, short global header)."""


class UnknownLinkTypeError(PcapFormatError):
    """The pcap link type is not one hancot encodes or decodes (195 or 230)."""

    def __init__(self, linktype: int) -> None:
        super().__init__(
            f"pcap link type {linktype} is not supported: hancot reads and writes 195 "
            "(IEEE802_15_4_WITHFCS) and 230 (IEEE802_15_4_NOFCS); convert the capture, e.g. "
            "`editcap -T wpan <in> <out>`"
        )
        self.linktype = linktype


class FrameDecodeError(CaptureError):
    """Bytes could not be decoded as the frame the layer expected (too short, wrong type)."""


class MicError(FrameDecodeError):
    """The CCM* message integrity code did not verify: wrong key or nonce, or a corrupted frame."""


class CaptureKeyError(CaptureError):
    """A key is malformed (not 16 bytes) or a needed key is missing."""


class CounterExhaustedError(CaptureError):
    """A device's outgoing frame counter reached 0xFFFFFFFF; Zigbee forbids reusing a counter."""
