"""The simulated HAN: devices exchanging real ZCL frame bytes on a virtual clock.

In the manner of python-can's virtual bus, nothing here touches hardware: a frame a device
returns is delivered to its destination's :meth:`~hancot.devices.base.Device.receive` at the same
virtual time, in FIFO order; time advances only to the next moment some device asked to wake up
or a scheduled action is due.  Given the same devices, schedule and seed, a run is identical.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from hancot.devices.base import Device
from hancot.errors import ScenarioError
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame

FrameTap = Callable[[HanFrame, bool], None]
"""Called for every frame put on the air, with whether it reached its destination."""
Action = Callable[[int], Iterable[HanFrame] | None]

#: A device ticked this often at one instant without its wake-up moving on is a bug.
_MAX_TICKS_AT_ONE_INSTANT = 1000


@dataclass(order=True)
class _Scheduled:
    time: int
    order: int
    action: Action = field(compare=False)
    label: str = field(compare=False, default="")


class Han:
    """A premises' Home Area Network."""

    def __init__(self, start: int) -> None:
        self.now = start
        self.devices: dict[str, Device] = {}
        self.taps: list[FrameTap] = []
        #: Return False to drop a frame (a jammed or out-of-range link).
        self.link_filters: list[Callable[[HanFrame], bool]] = []
        self.out_of_range: set[str] = set()
        self.frames_sent = 0
        self.frames_dropped = 0
        self._queue: deque[HanFrame] = deque()
        self._schedule: list[_Scheduled] = []
        self._order = 0

    # -- building -----------------------------------------------------------------------------
    def add(self, device: Device) -> Device:
        if device.name in self.devices:
            raise ScenarioError(f"a device named {device.name!r} is already on this HAN")
        self.devices[device.name] = device
        return device

    def device(self, name: str) -> Device:
        try:
            return self.devices[name]
        except KeyError:
            raise ScenarioError(
                f"no device {name!r} on this HAN (devices: {', '.join(self.devices)})"
            ) from None

    def of_kind(self, kind: DeviceKind) -> list[Device]:
        return [d for d in self.devices.values() if d.kind == kind]

    def join(self, device: Device, peers: dict[DeviceKind, DeviceIdentity]) -> None:
        """Join ``device`` now, bound to ``peers``."""
        self.send(device.join(self.now, peers))

    # -- time and frames ------------------------------------------------------------------------
    def schedule(self, time: int, action: Action, label: str = "") -> None:
        """Run ``action(now)`` at virtual time ``time``; frames it returns go on the air."""
        self._order += 1
        heapq.heappush(self._schedule, _Scheduled(time, self._order, action, label))

    def send(self, frames: Iterable[HanFrame] | None) -> None:
        if frames:
            self._queue.extend(frames)

    def inject(self, frame: HanFrame) -> None:
        """Put a frame on the air that no simulated device sent (a test, an attacker)."""
        self._queue.append(frame)

    def _reachable(self, frame: HanFrame) -> bool:
        if frame.src.name in self.out_of_range or frame.dst.name in self.out_of_range:
            return False
        return all(allow(frame) for allow in self.link_filters)

    def _deliver_queued(self) -> None:
        while self._queue:
            frame = self._queue.popleft()
            self.frames_sent += 1
            target = self.devices.get(frame.dst.name)
            delivered = target is not None and target.powered and self._reachable(frame)
            if target is not None and target.identity.eui64 != frame.dst.eui64:
                delivered = False
            for tap in self.taps:
                tap(frame, delivered)
            if not delivered:
                self.frames_dropped += 1
                continue
            assert target is not None
            self._queue.extend(target.receive(self.now, frame))

    def _next_wakeup(self) -> tuple[int | None, list[Device]]:
        earliest: int | None = None
        due: list[Device] = []
        for device in self.devices.values():
            if not device.powered:
                continue
            wake = device.next_wakeup(self.now)
            if wake is None:
                continue
            if earliest is None or wake < earliest:
                earliest, due = wake, [device]
            elif wake == earliest:
                due.append(device)
        return earliest, due

    def run_until(self, end: int) -> None:
        """Advance the virtual clock to ``end``, delivering every frame and wake-up on the way."""
        ticks_here = 0
        while True:
            self._deliver_queued()
            wake, due = self._next_wakeup()
            next_action = self._schedule[0].time if self._schedule else None
            candidates = [t for t in (wake, next_action) if t is not None and t <= end]
            if not candidates:
                break
            moment = max(min(candidates), self.now)
            ticks_here = ticks_here + 1 if moment == self.now else 0
            if ticks_here > _MAX_TICKS_AT_ONE_INSTANT:
                raise ScenarioError(f"devices {[d.name for d in due]} never settle at {moment}")
            self.now = moment
            if next_action is not None and next_action <= moment:
                item = heapq.heappop(self._schedule)
                self.send(item.action(self.now))
                continue
            for device in due:
                self.send(device.tick(self.now))
        self.now = max(self.now, end)
