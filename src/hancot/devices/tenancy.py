"""The Change of Tenancy decision an IHD or PPMID makes, as an explicit state machine.

Inputs are what the meters say (ChangeOfTenancyUpdateDateTime 0x0200 and
ProposedTenancyChangeControl 0x0201 read from the ESME and the GPF, or a Publish Change of
Tenancy), and the device's own clock.  Output is a :class:`Clear` when a CoT takes effect.

The readings are those of DOMAIN.md section 7:

- a CoT is a 0x0200 value the device has not acted on before, other than 0 (unset) and
  0xFFFFFFFF (cancel);
- it takes effect when the device's clock reaches it; until then it is *pending*, and a pending
  CoT survives power cycles (it lives in the device's store);
- 0xFFFFFFFF from a meter cancels the CoT pending from that meter;
- the same value seen again (from either meter) clears nothing new;
- a Publish Change of Tenancy whose issuer event id is not above the last one accepted from that
  meter is stale and ignored.

State per device: ``acted`` (values acted on), ``pending`` (meter -> value, control),
``watermark`` (the latest CoT acted on: records dated before it are the previous occupier's and
are refused if they arrive later), ``issuer`` (meter -> last issuer event id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hancot import timeutil as tu
from hancot.devices.store import Store

_KEY = "tenancy_client"


@dataclass(frozen=True)
class Clear:
    """A CoT took effect: clear the data dated before ``cot_time``."""

    cot_time: int
    control: int
    source: str


@dataclass(frozen=True)
class Observation:
    """What a device concluded from one tenancy value (for its notes and the conformance kit)."""

    outcome: str  # unset | cancelled | already-acted | stale | pending | still-pending | effective
    clear: Clear | None = None


class TenancyTracker:
    """Persistent CoT state of one IHD/PPMID, kept in its :class:`Store`."""

    def __init__(self, store: Store, *, future_immediate: bool = False) -> None:
        self.store = store
        #: A faulty device treats a future-dated CoT as immediate (conformance kit variant).
        self.future_immediate = future_immediate

    # -- persistent state ---------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return self.store.get(_KEY) or {"acted": [], "pending": {}, "watermark": 0, "issuer": {}}

    def _save(self, state: dict[str, Any]) -> None:
        self.store.set(_KEY, state)

    @property
    def watermark(self) -> int:
        return int(self._state()["watermark"])

    @property
    def pending(self) -> dict[str, tuple[int, int]]:
        return {k: (int(v[0]), int(v[1])) for k, v in self._state()["pending"].items()}

    @property
    def acted(self) -> list[int]:
        return [int(v) for v in self._state()["acted"]]

    def forget_pending(self) -> None:
        state = self._state()
        state["pending"] = {}
        self._save(state)

    # -- transitions --------------------------------------------------------------------------
    def observe(
        self,
        local_now: int,
        meter: str,
        value: int,
        control: int = 0,
        issuer_event_id: int | None = None,
    ) -> Observation:
        state = self._state()
        if issuer_event_id is not None:
            last = state["issuer"].get(meter)
            if last is not None and issuer_event_id <= last:
                return Observation("stale")
            state["issuer"][meter] = issuer_event_id
        value = int(value)
        if value == 0:
            self._save(state)
            return Observation("unset")
        if value == tu.UTC_INVALID:
            cancelled = state["pending"].pop(meter, None)
            self._save(state)
            return Observation("cancelled" if cancelled else "unset")
        if value in state["acted"]:
            state["pending"].pop(meter, None)
            self._save(state)
            return Observation("already-acted")
        if value > local_now and not self.future_immediate:
            already = state["pending"].get(meter)
            state["pending"][meter] = [value, int(control)]
            self._save(state)
            if already and int(already[0]) == value:
                return Observation("still-pending")
            self._save(state)
            return Observation("pending")
        clear = self._act(state, value, int(control), meter)
        return Observation("effective", clear)

    def due(self, local_now: int) -> list[Clear]:
        """Pending CoTs whose time the device's clock has reached, acted on now."""
        state = self._state()
        clears = []
        for meter, (value, control) in sorted(state["pending"].items(), key=lambda kv: kv[1][0]):
            if value <= local_now and meter in state["pending"]:
                del state["pending"][meter]
                if value not in state["acted"]:
                    clears.append(self._act(state, value, control, meter))
        self._save(state)
        return clears

    def next_due(self) -> int | None:
        values = [v for v, _ in self.pending.values()]
        return min(values) if values else None

    def _act(self, state: dict[str, Any], value: int, control: int, meter: str) -> Clear:
        state["acted"].append(value)
        state["watermark"] = max(int(state["watermark"]), value)
        # The same value pending from the other meter is the same CoT: nothing more to do.
        state["pending"] = {m: v for m, v in state["pending"].items() if v[0] != value}
        self._save(state)
        return Clear(value, control, meter)
