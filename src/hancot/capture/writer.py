"""Writes simulated HAN traffic to a pcap file Wireshark can open and decrypt."""

from __future__ import annotations

from os import PathLike
from types import TracebackType
from typing import BinaryIO

from hancot.capture.encoder import DEFAULT_PAN_ID, FrameEncoder
from hancot.capture.errors import CaptureError, UnknownLinkTypeError
from hancot.capture.pcap import (
    LINKTYPE_IEEE802_15_4_WITHFCS,
    SUPPORTED_LINKTYPES,
    PcapWriter,
    unix_seconds,
)
from hancot.capture.security import KeyRing, check_key
from hancot.han.frame import HanFrame


def network_key_text(key: bytes) -> str:
    """``key`` as 16 colon-separated hex bytes, the form of Wireshark's Zigbee key table.

    Wireshark takes it in "Normal" byte order, i.e. the bytes in the order CCM* uses them.
    """
    return ":".join(f"{b:02x}" for b in check_key(key))


def wireshark_key_options(keyring: KeyRing) -> list[str]:
    """``tshark``/``wireshark`` arguments loading the network key and every link key.

    Each ``-o uat:zigbee_pc_keys:...`` adds one row to the "Pre-configured Keys" table.
    """
    rows = [(keyring.network_key, "hancot network key")]
    rows += [(key, f"hancot link key {eui64:016x}") for eui64, key in keyring.link_keys.items()]
    options: list[str] = []
    for key, label in rows:
        options += ["-o", f'uat:zigbee_pc_keys:"{network_key_text(key)}","Normal","{label}"']
    return options


class CaptureWriter:
    """Encodes :class:`HanFrame` records and appends them to a pcap file.

    ``linktype`` 195 writes frames with their FCS, 230 without.  NWK security is applied unless
    ``nwk_security`` is False; APS security as :class:`FrameEncoder` describes.  Timestamps are the
    frame's Zigbee UTCTime moved to the Unix epoch.  Use as a context manager or call :meth:`close`.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        keyring: KeyRing,
        linktype: int = LINKTYPE_IEEE802_15_4_WITHFCS,
        nwk_security: bool = True,
        *,
        pan_id: int = DEFAULT_PAN_ID,
    ) -> None:
        if linktype not in SUPPORTED_LINKTYPES:
            raise UnknownLinkTypeError(linktype)
        self.keyring = keyring
        self.encoder = FrameEncoder(
            keyring,
            fcs=linktype == LINKTYPE_IEEE802_15_4_WITHFCS,
            nwk_security=nwk_security,
            pan_id=pan_id,
        )
        self.frames_written = 0
        self._file: BinaryIO | None = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._pcap = PcapWriter(self._file, linktype)

    def write(self, frame: HanFrame) -> bytes:
        """Encode ``frame``, append it, and return the bytes written as the record's data."""
        if self._file is None:
            raise CaptureError("the capture is closed; open a new CaptureWriter to write more")
        mpdu = self.encoder.encode(frame)
        self._pcap.write(mpdu, unix_seconds(frame.time))
        self.frames_written += 1
        return mpdu

    def close(self) -> None:
        """Flush and close the file; further writes raise :class:`CaptureError`."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
