"""Turns simulator :class:`~hancot.han.frame.HanFrame` records into 802.15.4 frames as sent on air.

Sans-IO and deterministic: the encoder keeps each sender's MAC sequence number, NWK sequence
number and APS counter, and takes frame counters from the :class:`KeyRing`.  Every frame is
modelled as one hop from source to destination (the HAN is a star around the communications hub).
"""

from __future__ import annotations

from hancot.capture.aps import ApsHeader, DeliveryMode, encode_aps_frame, link_aux
from hancot.capture.mac import BROADCAST, MacHeader, encode_mac_frame
from hancot.capture.nwk import (
    BROADCAST_MIN,
    DEFAULT_RADIUS,
    NwkHeader,
    encode_nwk_frame,
    network_aux,
)
from hancot.capture.security import KeyRing
from hancot.han.frame import DeviceIdentity, HanFrame

#: PAN identifier hancot's simulated HAN uses (any value 0x0000..0xFFFE is valid, 802.15.4 7.2.1.3).
DEFAULT_PAN_ID = 0x4843


class FrameEncoder:
    """Encodes HanFrames to MPDUs (MAC header, NWK, APS, ZCL payload, and FCS when ``fcs``).

    NWK security with the network key is applied when ``nwk_security``; APS security when the
    frame asks for it and a link key is known for the pair (see :meth:`link_key_for`).  Frames
    that ask for APS security without a known key are sent with NWK security only and counted in
    :attr:`aps_key_missing`.
    """

    def __init__(
        self,
        keyring: KeyRing,
        *,
        fcs: bool = True,
        nwk_security: bool = True,
        pan_id: int = DEFAULT_PAN_ID,
        radius: int = DEFAULT_RADIUS,
    ) -> None:
        self.keyring = keyring
        self.fcs = fcs
        self.nwk_security = nwk_security
        self.pan_id = pan_id
        self.radius = radius
        self.aps_key_missing = 0
        self._mac_seq: dict[int, int] = {}
        self._nwk_seq: dict[int, int] = {}
        self._aps_counter: dict[int, int] = {}

    def link_key_for(self, frame: HanFrame) -> bytes | None:
        """The APS link key protecting ``frame``: the source's, else the destination's.

        A link key is shared by the two ends; :class:`DeviceIdentity` records the key the trust
        centre holds for a device, so a frame from the hub to that device uses the device's key.
        Keys are looked up on the identity first, then in the key ring, and remembered there.
        """
        for device in (frame.src, frame.dst):
            key = device.link_key or self.keyring.link_key(device.eui64)
            if key is not None:
                if self.keyring.link_key(device.eui64) is None:
                    self.keyring.set_link_key(device.eui64, key)
                return key
        return None

    def encode(self, frame: HanFrame) -> bytes:
        """The MPDU for ``frame``; advances the sender's sequence numbers and frame counters."""
        src, dst = frame.src, frame.dst
        broadcast = dst.nwk >= BROADCAST_MIN
        key = self.link_key_for(frame) if frame.aps_secured else None
        if frame.aps_secured and key is None:
            self.aps_key_missing += 1
        aps_header = ApsHeader(
            counter=_next(self._aps_counter, src),  # 2.2.5.1.7, one per sender
            delivery=DeliveryMode.BROADCAST if broadcast else DeliveryMode.UNICAST,
            dst_ep=frame.dst_ep,
            cluster=frame.cluster,
            profile=frame.profile,
            src_ep=frame.src_ep,
            security=key is not None,
        )
        if key is not None:
            aux = link_aux(self.keyring.next_aps_counter(src.eui64), src.eui64)
            aps = encode_aps_frame(aps_header, frame.payload, aux=aux, key=key)
        else:
            aps = encode_aps_frame(aps_header, frame.payload)
        nwk_header = NwkHeader(
            dst=dst.nwk,
            src=src.nwk,
            seq=_next(self._nwk_seq, src),
            radius=self.radius,
            security=self.nwk_security,
            # Without NWK security no auxiliary header names the sender: carry its EUI-64 in the
            # NWK header instead (3.3.1.1.8) so captures still show who sent each frame.
            src_ieee=None if self.nwk_security else src.eui64,
        )
        if self.nwk_security:
            nwk_aux = network_aux(
                self.keyring.next_nwk_counter(src.eui64), src.eui64, self.keyring.key_seq
            )
            nwk = encode_nwk_frame(nwk_header, aps, aux=nwk_aux, key=self.keyring.network_key)
        else:
            nwk = encode_nwk_frame(nwk_header, aps)
        mac_header = MacHeader(
            seq=_next(self._mac_seq, src),
            dst_pan=self.pan_id,
            dst=BROADCAST if broadcast else dst.nwk,
            src=src.nwk,
            ack_request=not broadcast,  # 802.15.4 7.2.1.1.4: never on broadcast frames
        )
        return encode_mac_frame(mac_header, nwk, fcs=self.fcs)


def _next(counters: dict[int, int], device: DeviceIdentity) -> int:
    value = counters.get(device.eui64, 0)
    counters[device.eui64] = (value + 1) & 0xFF
    return value
