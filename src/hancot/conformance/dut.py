"""The interface a device under test (an IHD or PPMID implementation) offers the conformance kit.

A maker implements :class:`DeviceUnderTest` in Python, or runs the device out of process behind
the socket adapter (:mod:`hancot.conformance.remote`).  The kit drives it like any simulated
device: it hands it frames and the virtual time and takes the frames it sends.  To judge it, the
kit asks what it currently *holds* (cached records, each with the date of the data it covers)
and *shows* (its screen), through :meth:`DeviceUnderTest.observe`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from hancot.devices.client import HanClient
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame


@dataclass(frozen=True)
class HeldRecord:
    """One item of personal data the device holds.

    ``kind`` is one of ``day``, ``week``, ``month``, ``profile`` (historic consumption),
    ``message`` (supplier message), ``top_up``, ``debt_log``; ``time`` is the earliest moment
    (Zigbee UTCTime) the record's data covers; ``summary`` is free text for reports.
    """

    kind: str
    time: int
    summary: str = ""


@dataclass(frozen=True)
class Observation:
    """What a device holds and shows at one moment."""

    records: tuple[HeldRecord, ...] = ()
    shows: dict[str, Any] = field(default_factory=dict)
    #: Free-text status lines the device reports (e.g. "ESME: tenancy attributes unsupported").
    status: tuple[str, ...] = ()

    def count(self, kinds: tuple[str, ...] | None = None, *, before: int | None = None) -> int:
        return sum(
            1
            for r in self.records
            if (kinds is None or r.kind in kinds) and (before is None or r.time < before)
        )


@runtime_checkable
class DeviceUnderTest(Protocol):
    """What the kit needs of an IHD/PPMID implementation (see :class:`ReferenceDut`)."""

    identity: DeviceIdentity
    powered: bool

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> DeviceKind: ...

    def join(self, now: int, peers: dict[DeviceKind, DeviceIdentity]) -> list[HanFrame]: ...

    def receive(self, now: int, frame: HanFrame) -> list[HanFrame]: ...

    def tick(self, now: int) -> list[HanFrame]: ...

    def next_wakeup(self, now: int) -> int | None: ...

    def power_off(self, now: int) -> None: ...

    def power_on(self, now: int) -> list[HanFrame]: ...

    def observe(self, now: int) -> Observation: ...


def observe_client(client: HanClient, now: int) -> Observation:
    """The :class:`Observation` of one of hancot's own IHD/PPMID models."""
    records = tuple(
        HeldRecord(kind, record.time, record.key)
        for kind, held in client.held().items()
        for record in held
    )
    return Observation(records, client.screen(now), tuple(client.status_lines()))


class ReferenceDut:
    """One of hancot's own IHD/PPMID models (reference, legacy or a faulty variant) seen through
    the :class:`DeviceUnderTest` interface; it also shows a maker the minimum to implement."""

    def __init__(self, client: HanClient) -> None:
        self.client = client

    @property
    def identity(self) -> DeviceIdentity:
        return self.client.identity

    @property
    def powered(self) -> bool:
        return self.client.powered

    @property
    def name(self) -> str:
        return self.client.name

    @property
    def kind(self) -> DeviceKind:
        return self.client.kind

    def join(self, now: int, peers: dict[DeviceKind, DeviceIdentity]) -> list[HanFrame]:
        return self.client.join(now, peers)

    def receive(self, now: int, frame: HanFrame) -> list[HanFrame]:
        return self.client.receive(now, frame)

    def tick(self, now: int) -> list[HanFrame]:
        return self.client.tick(now)

    def next_wakeup(self, now: int) -> int | None:
        return self.client.next_wakeup(now)

    def power_off(self, now: int) -> None:
        self.client.power_off(now)

    def power_on(self, now: int) -> list[HanFrame]:
        return self.client.power_on(now)

    def observe(self, now: int) -> Observation:
        return observe_client(self.client, now)

    def close(self) -> None:
        self.client.store.close()
