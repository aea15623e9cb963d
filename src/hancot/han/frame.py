"""What travels on the simulated HAN: one APS data frame carrying ZCL bytes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: Zigbee Smart Energy application profile (SE 1.4 clause 5.1).
SE_PROFILE = 0x0109
#: Endpoint every hancot device uses for its Smart Energy clusters.
SE_ENDPOINT = 1


class DeviceKind(StrEnum):
    """The device types of a SMETS2 premises (DOMAIN.md section 1)."""

    CHF = "CHF"
    GPF = "GPF"
    ESME = "ESME"
    GSME = "GSME"
    IHD = "IHD"
    PPMID = "PPMID"
    CAD = "CAD"


@dataclass(frozen=True)
class DeviceIdentity:
    """How a device is known on the HAN.

    ``link_key`` is the APS link key the trust centre holds for it (derived from an install code
    for Type 2 devices, from CBKE for Type 1 devices); ``None`` for devices that use the network
    key alone.
    """

    name: str
    kind: DeviceKind
    eui64: int
    nwk: int
    link_key: bytes | None = None

    @property
    def eui64_text(self) -> str:
        """EUI-64 as colon-separated bytes, most significant first (how Zigbee tools show it)."""
        return ":".join(f"{b:02x}" for b in self.eui64.to_bytes(8, "big"))


@dataclass(frozen=True)
class HanFrame:
    """One application frame on the HAN: APS addressing plus the ZCL frame bytes.

    ``time`` is the virtual clock (Zigbee UTCTime seconds) at which the frame is sent;
    ``aps_secured`` says whether the sender protected it with its APS link key (in addition to NWK
    security).
    """

    time: int
    src: DeviceIdentity
    dst: DeviceIdentity
    cluster: int
    payload: bytes
    src_ep: int = SE_ENDPOINT
    dst_ep: int = SE_ENDPOINT
    profile: int = SE_PROFILE
    aps_secured: bool = False
