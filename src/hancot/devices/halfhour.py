"""The half-hour recording clock the ESME and the GSME share (SMETS2 meters record consumption
per half hour: the profile of SE 1.4 D.3.2.3.1, ProfileIntervalPeriod 30 minutes).

The next half-hour boundary to close is kept in the device's store, so a meter that was off
catches up on every half hour it missed when it next wakes.
"""

from __future__ import annotations

from hancot import timeutil as tu
from hancot.devices.store import Store

_KEY = "next_interval"


def begin_recording(store: Store, start: int) -> bool:
    """Schedule the first boundary after ``start``; False when the store already records."""
    if store.get(_KEY) is not None:
        return False
    store.set(_KEY, start - start % tu.HALF_HOUR + tu.HALF_HOUR)
    return True


def next_boundary(store: Store) -> int:
    return int(store.get(_KEY))


def closed_half_hours(store: Store, now: int) -> list[int]:
    """The starts of the half hours closed by ``now`` not yet recorded, oldest first; the clock
    moves past them (call inside the transaction that records them)."""
    boundary = next_boundary(store)
    starts = list(range(boundary - tu.HALF_HOUR, now - tu.HALF_HOUR + 1, tu.HALF_HOUR))
    if starts:
        store.set(_KEY, starts[-1] + 2 * tu.HALF_HOUR)
    return starts
