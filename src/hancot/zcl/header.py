"""The ZCL frame header (ZCL r8 2.4.1): frame control, manufacturer code, sequence, command id.

zigpy's ``ZCLHeader.general``/``.cluster`` helpers set "disable default response" on every
server-to-client frame (frame control 0x18/0x19); the GBCS frames of the DCC reference data use
0x09 (default response enabled).  hancot builds the frame control bit by bit so the bytes match.
"""

from __future__ import annotations

from dataclasses import dataclass

from zigpy.zcl import foundation

from hancot.errors import ZclDecodeError

Status = foundation.Status

# Frame control bits (ZCL r8 Figure 2-3)
_CLUSTER_SPECIFIC = 0x01
_MANUFACTURER_SPECIFIC = 0x04
_SERVER_TO_CLIENT = 0x08
_DISABLE_DEFAULT_RESPONSE = 0x10
_RESERVED = 0xE0
_FRAME_TYPE = 0x03


@dataclass(frozen=True, slots=True)
class ZclHeader:
    """A decoded ZCL header; ``server_to_client`` is the direction bit."""

    cluster_specific: bool
    server_to_client: bool
    tsn: int
    command_id: int
    disable_default_response: bool = False
    manufacturer: int | None = None

    @property
    def frame_control(self) -> int:
        value = _CLUSTER_SPECIFIC if self.cluster_specific else 0
        if self.manufacturer is not None:
            value |= _MANUFACTURER_SPECIFIC
        if self.server_to_client:
            value |= _SERVER_TO_CLIENT
        if self.disable_default_response:
            value |= _DISABLE_DEFAULT_RESPONSE
        return value

    def to_bytes(self) -> bytes:
        if self.manufacturer is None:
            return bytes((self.frame_control, self.tsn & 0xFF, self.command_id & 0xFF))
        return (
            bytes((self.frame_control,))
            + self.manufacturer.to_bytes(2, "little")
            + bytes((self.tsn & 0xFF, self.command_id & 0xFF))
        )

    def reply(self, command_id: int, *, cluster_specific: bool) -> ZclHeader:
        """The header of an answer to this frame: same sequence number, opposite direction.

        Replies disable the default response (ZCL r8 2.5.12.2: no Default Response to a response).
        """
        return ZclHeader(
            cluster_specific=cluster_specific,
            server_to_client=not self.server_to_client,
            tsn=self.tsn,
            command_id=command_id,
            disable_default_response=True,
            manufacturer=self.manufacturer,
        )


def parse_header(data: bytes) -> tuple[ZclHeader, bytes]:
    """Split a ZCL frame into its header and payload.

    Raises :class:`ZclDecodeError` with MALFORMED_COMMAND when the frame is too short or uses a
    reserved frame type.
    """
    if len(data) < 3:
        raise ZclDecodeError(
            f"ZCL frame of {len(data)} byte(s) is shorter than the 3-byte header",
            Status.MALFORMED_COMMAND,
        )
    frame_control = data[0]
    if frame_control & _FRAME_TYPE > 1:
        raise ZclDecodeError(
            f"reserved ZCL frame type {frame_control & _FRAME_TYPE} "
            f"(frame control 0x{frame_control:02X})",
            Status.MALFORMED_COMMAND,
        )
    offset = 1
    manufacturer = None
    if frame_control & _MANUFACTURER_SPECIFIC:
        if len(data) < 5:
            raise ZclDecodeError(
                "manufacturer-specific ZCL frame too short for its manufacturer code",
                Status.MALFORMED_COMMAND,
            )
        manufacturer = int.from_bytes(data[1:3], "little")
        offset = 3
    header = ZclHeader(
        cluster_specific=bool(frame_control & _CLUSTER_SPECIFIC),
        server_to_client=bool(frame_control & _SERVER_TO_CLIENT),
        tsn=data[offset],
        command_id=data[offset + 1],
        disable_default_response=bool(frame_control & _DISABLE_DEFAULT_RESPONSE),
        manufacturer=manufacturer,
    )
    return header, data[offset + 2 :]
