"""Capturing a simulated premises: every HAN frame of a run into a pcap Wireshark can decrypt.

A :class:`CaptureTap` is a HAN tap (``premises.han.taps``): the HAN calls it with each frame put
on the air and whether it was delivered.  It writes every frame, delivered or not, because a
sniffer hears what is transmitted, not what arrives.  Keys come from the premises as a real
installation has them: the network key the CHF (trust centre) distributes, and each device's
link key (install-code derived for the IHD, the CBKE result for Type 1 devices).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path

from hancot.capture.pcap import LINKTYPE_IEEE802_15_4_WITHFCS
from hancot.capture.security import KeyRing
from hancot.capture.writer import CaptureWriter
from hancot.han.frame import HanFrame
from hancot.han.premises import Premises
from hancot.scenario.demo import DemoOptions, DemoResult, run_demo


def premises_keyring(premises: Premises) -> KeyRing:
    """The network key and every device's link key of ``premises``, as a :class:`KeyRing`."""
    link_keys = {
        identity.eui64: identity.link_key
        for identity in premises.identities.values()
        if identity.link_key is not None
    }
    return KeyRing(premises.network_key, link_keys=link_keys)


class CaptureTap:
    """A HAN tap writing each frame to a pcap through :class:`CaptureWriter`.

    ``frames`` counts frames written, ``undelivered`` those of them the HAN did not deliver.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        premises: Premises,
        *,
        linktype: int = LINKTYPE_IEEE802_15_4_WITHFCS,
        nwk_security: bool = True,
    ) -> None:
        self.keyring = premises_keyring(premises)
        self.writer = CaptureWriter(
            path, self.keyring, linktype, nwk_security, pan_id=premises.pan_id
        )
        self.frames = 0
        self.undelivered = 0
        self.aps_secured = 0

    def __call__(self, frame: HanFrame, delivered: bool) -> None:
        self.writer.write(frame)
        self.frames += 1
        self.undelivered += not delivered
        self.aps_secured += frame.aps_secured

    @property
    def aps_key_missing(self) -> int:
        """Frames that asked for APS security but went without (no link key for either end)."""
        return self.writer.encoder.aps_key_missing

    def close(self) -> None:
        self.writer.close()


@dataclass
class CaptureResult:
    """What :func:`capture_demo` wrote: the pcap, its keys and the demo's own result."""

    path: Path
    linktype: int
    nwk_security: bool
    network_key: bytes
    pan_id: int
    link_keys: dict[int, bytes]
    device_names: dict[int, str]
    frames: int
    aps_secured: int
    aps_key_missing: int
    demo: DemoResult
    keyring: KeyRing = field(repr=False)

    @property
    def uses_aps_security(self) -> bool:
        return self.aps_secured > 0


def capture_demo(
    opts: DemoOptions,
    path: str | PathLike[str],
    *,
    linktype: int = LINKTYPE_IEEE802_15_4_WITHFCS,
    nwk_security: bool = True,
) -> CaptureResult:
    """Run the demo scenario with ``opts`` and write every HAN frame to ``path``.

    ``opts.on_premises``, if set, still runs (after the tap is attached), so callers can also
    configure devices, e.g. a meter with ``restricts_history = False``.
    """
    taps: list[CaptureTap] = []
    names: dict[int, str] = {}
    user_hook = opts.on_premises

    def attach(premises: Premises) -> None:
        tap = CaptureTap(path, premises, linktype=linktype, nwk_security=nwk_security)
        taps.append(tap)
        names.update({i.eui64: i.name for i in premises.identities.values()})
        premises.han.taps.append(tap)
        if user_hook is not None:
            user_hook(premises)

    run_opts = replace(opts, on_premises=attach)
    try:
        demo = run_demo(run_opts)
    finally:
        for tap in taps:
            tap.close()
    (tap,) = taps
    return CaptureResult(
        path=Path(path),
        linktype=linktype,
        nwk_security=nwk_security,
        network_key=tap.keyring.network_key,
        pan_id=tap.writer.encoder.pan_id,
        link_keys=dict(tap.keyring.link_keys),
        device_names=names,
        frames=tap.frames,
        aps_secured=tap.aps_secured,
        aps_key_missing=tap.aps_key_missing,
        demo=demo,
        keyring=tap.keyring,
    )
