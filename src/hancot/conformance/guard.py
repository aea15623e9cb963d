"""Keeping a misbehaving device under test from hanging or crashing the kit.

:class:`GuardedDut` checks what the device returns (lists of :class:`HanFrame`, an
:class:`Observation`, a wake-up time) and turns any exception it raises into a
:class:`DutError` that names the call; it also bounds how many calls one scenario may make, so a
device that asks to wake every second cannot keep a scenario running for long.
:class:`SkewedDut` runs the device's clock ahead of or behind the premises' clock by handing it
shifted times, which works for any implementation without its co-operation.
:func:`wall_clock_limit` bounds a scenario in real time where the platform allows (SIGALRM in the
main thread): the safety net for a device that blocks inside a call.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hancot.conformance.dut import DeviceUnderTest, Observation
from hancot.errors import HancotError
from hancot.han.frame import DeviceIdentity, DeviceKind, HanFrame

#: Calls into the device one scenario may make (a day of 30-minute polls is about 500).
DEFAULT_CALL_BUDGET = 50_000


class DutError(HancotError):
    """The device under test raised, returned something it must not, or overran its budget."""


class DutTimeout(DutError):
    """The device under test did not return within the scenario's wall-clock limit."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class GuardedDut:
    """A :class:`DeviceUnderTest` that fails loudly and clearly instead of crashing the kit."""

    def __init__(self, inner: DeviceUnderTest, *, call_budget: int = DEFAULT_CALL_BUDGET) -> None:
        self.inner = inner
        self.call_budget = call_budget
        self.calls = 0
        try:
            identity = inner.identity
            name = inner.name
        except Exception as exc:
            raise DutError(f"device has no usable identity/name: {exc}") from exc
        if not isinstance(identity, DeviceIdentity):
            raise DutError(f"device identity is {_describe(identity)}, not a DeviceIdentity")
        if not isinstance(name, str):
            raise DutError(f"device name is {_describe(name)}, not a string")
        self.identity = identity
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> DeviceKind:
        return self._call("kind", lambda: self.inner.kind)

    @property
    def powered(self) -> bool:
        return bool(self._call("powered", lambda: self.inner.powered))

    def _call(self, what: str, fn: Any) -> Any:
        self.calls += 1
        if self.calls > self.call_budget:
            raise DutError(
                f"device made more than {self.call_budget} calls in one scenario "
                "(does next_wakeup keep asking for the same or the next second?)"
            )
        try:
            return fn()
        except DutError:
            raise
        except Exception as exc:
            raise DutError(f"device raised in {what}: {type(exc).__name__}: {exc}") from exc

    def _frames(self, what: str, fn: Any) -> list[HanFrame]:
        out = self._call(what, fn)
        if out is None:
            return []
        if not isinstance(out, list | tuple):
            raise DutError(f"{what} returned {_describe(out)}, not a list of HanFrame")
        for frame in out:
            if not isinstance(frame, HanFrame):
                raise DutError(f"{what} returned {_describe(frame)} among its frames")
            if not isinstance(frame.payload, bytes | bytearray):
                raise DutError(f"{what} returned a frame whose payload is not bytes")
        return list(out)

    def join(self, now: int, peers: dict[DeviceKind, DeviceIdentity]) -> list[HanFrame]:
        return self._frames("join", lambda: self.inner.join(now, peers))

    def receive(self, now: int, frame: HanFrame) -> list[HanFrame]:
        return self._frames("receive", lambda: self.inner.receive(now, frame))

    def tick(self, now: int) -> list[HanFrame]:
        return self._frames("tick", lambda: self.inner.tick(now))

    def next_wakeup(self, now: int) -> int | None:
        wake = self._call("next_wakeup", lambda: self.inner.next_wakeup(now))
        if wake is not None and (not isinstance(wake, int) or isinstance(wake, bool)):
            raise DutError(f"next_wakeup returned {_describe(wake)}, not an int or None")
        return wake

    def power_off(self, now: int) -> None:
        self._call("power_off", lambda: self.inner.power_off(now))

    def power_on(self, now: int) -> list[HanFrame]:
        return self._frames("power_on", lambda: self.inner.power_on(now))

    def observe(self, now: int) -> Observation:
        seen = self._call("observe", lambda: self.inner.observe(now))
        if not isinstance(seen, Observation):
            raise DutError(f"observe returned {_describe(seen)}, not an Observation")
        return seen

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            self._call("close", close)


class SkewedDut:
    """Hands the device the premises' time plus ``offset`` seconds: its clock is skewed."""

    def __init__(self, inner: DeviceUnderTest, offset: int) -> None:
        self.inner = inner
        self.offset = offset
        self.identity = inner.identity

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def kind(self) -> DeviceKind:
        return self.inner.kind

    @property
    def powered(self) -> bool:
        return self.inner.powered

    def join(self, now: int, peers: dict[DeviceKind, DeviceIdentity]) -> list[HanFrame]:
        return self.inner.join(now + self.offset, peers)

    def receive(self, now: int, frame: HanFrame) -> list[HanFrame]:
        return self.inner.receive(now + self.offset, frame)

    def tick(self, now: int) -> list[HanFrame]:
        return self.inner.tick(now + self.offset)

    def next_wakeup(self, now: int) -> int | None:
        wake = self.inner.next_wakeup(now + self.offset)
        return None if wake is None else wake - self.offset

    def power_off(self, now: int) -> None:
        self.inner.power_off(now + self.offset)

    def power_on(self, now: int) -> list[HanFrame]:
        return self.inner.power_on(now + self.offset)

    def observe(self, now: int) -> Observation:
        return self.inner.observe(now + self.offset)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


@contextmanager
def wall_clock_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`DutTimeout` in the running code after ``seconds`` of real time.

    Only where SIGALRM exists and only in the main thread; elsewhere it does nothing (the call
    budget of :class:`GuardedDut` still bounds the work).
    """
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _expired(signum: int, frame: Any) -> None:
        raise DutTimeout(f"scenario did not finish within {seconds:g} s of real time")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
