"""ZCL data types where zigpy's differ from the specification."""

from __future__ import annotations

import zigpy.types as t

#: A length octet of 0xFF marks an invalid character string (ZCL r8 2.6.2.13).
_INVALID_LENGTH = 0xFF


class CharacterString(t.CharacterString):
    """ZCL character string (type 0x42): the length octet counts *octets* of UTF-8 (ZCL r8
    2.6.2.13).  zigpy 2.4's ``CharacterString.serialize`` writes the number of characters, so a
    supplier message such as "Top up £5" loses its last octet and shifts every later field; its
    ``deserialize`` already reads octets."""

    def serialize(self) -> bytes:
        if self.invalid:
            return bytes((_INVALID_LENGTH,))
        data = self.encode("utf-8")
        if len(data) >= _INVALID_LENGTH:
            raise ValueError(f"character string of {len(data)} octets is longer than 254")
        return bytes((len(data),)) + data
