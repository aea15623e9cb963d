"""Devices, keys and hand-built ZCL payloads shared by the capture tests."""

from __future__ import annotations

import struct

from hancot.han.frame import DeviceIdentity, DeviceKind

NETWORK_KEY = bytes.fromhex("01030507090b0d0f00020406080a0c0d")
IHD_LINK_KEY = bytes.fromhex("66b6900981e1ee3ca4206b6b861c02bb")
WRONG_KEY = bytes(16)

CHF = DeviceIdentity("chf", DeviceKind.CHF, eui64=0x0015_8D00_0102_0304, nwk=0x0000)
ESME = DeviceIdentity("esme", DeviceKind.ESME, eui64=0x0015_8D00_0A0B_0C0D, nwk=0x2A31)
IHD = DeviceIdentity(
    "ihd", DeviceKind.IHD, eui64=0x0015_8D00_1122_3344, nwk=0x7E01, link_key=IHD_LINK_KEY
)

COT_TIME = 0x2F7E_C2C0  # a UTCTime in 2025
COT_CONTROL = (1 << 9) | (1 << 10) | (3 << 11)  # clear IHD data (consumer+supplier), contactor kept
T0 = 800_000_000  # Zigbee UTCTime of the first frame


def read_cot_attributes(tsn: int = 0x11) -> bytes:
    """ZCL Read Attributes (profile-wide, client to server) of 0x0708 attributes 0x0200/0x0201."""
    return struct.pack("<BBBHH", 0x00, tsn, 0x00, 0x0200, 0x0201)


def read_cot_response(tsn: int = 0x11) -> bytes:
    """Read Attributes Response: 0x0200 UTCTime (0xE2) and 0x0201 bitmap32 (0x1B), both SUCCESS."""
    return struct.pack(
        "<BBB HBBI HBBI",
        0x08,  # profile-wide, server to client, default response enabled
        tsn,
        0x01,
        0x0200,
        0x00,
        0xE2,
        COT_TIME,
        0x0201,
        0x00,
        0x1B,
        COT_CONTROL,
    )


def display_message(text: str = "Your supplier has changed", tsn: int = 0x12) -> bytes:
    """Messaging Display Message (cluster 0x0703, server command 0x00, frame control 0x09)."""
    body = text.encode()
    return struct.pack("<BBBIBIHB", 0x09, tsn, 0x00, 0x1234_5678, 0x00, 0, 60, len(body)) + body
