"""Bounds-checked reading and writing of big-endian WAN messages (GBCS framing, DLMS A-XDR).

GBCS headers and the A-XDR encoding of DLMS share their integers (big-endian) and their
definite lengths (BER: one octet below 0x80, else 0x81..0x84 followed by that many octets), so
one cursor serves both.  Each format keeps its own typed error and wording: a subclass says how
an overrun or an unsupported length form reads.
"""

from __future__ import annotations


class ByteReader:
    """A cursor over one message; reading past its end raises the subclass's error."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def overrun(self, count: int, what: str) -> Exception:
        """The error for ``what`` needing ``count`` octets where fewer remain."""
        raise NotImplementedError

    def bad_length_form(self, first: int, what: str) -> Exception:
        """The error for a length of ``what`` whose first octet is neither short nor 0x81..0x84."""
        raise NotImplementedError

    def take(self, count: int, what: str) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise self.overrun(count, what)
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return int.from_bytes(self.take(2, what), "big")

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "big")

    def length(self, what: str) -> int:
        """A BER definite length (A-XDR length / SEQUENCE OF count)."""
        first = self.u8(what)
        if first < 0x80:
            return first
        size = first & 0x7F
        if not 1 <= size <= 4:
            raise self.bad_length_form(first, what)
        return int.from_bytes(self.take(size, what), "big")

    def remaining(self) -> int:
        return len(self.data) - self.pos


def ber_length(value: int, error: type[Exception]) -> bytes:
    """A BER definite length (short form below 0x80, else 0x81..0x84 long form); a length that
    is negative or needs more than 4 octets raises ``error``."""
    if value < 0:
        raise error(f"negative length {value}")
    if value < 0x80:
        return bytes([value])
    size = (value.bit_length() + 7) // 8
    if size > 4:
        raise error(f"length {value} does not fit 4 octets")
    return bytes([0x80 | size]) + value.to_bytes(size, "big")
