"""Who lives at the premises, and how much energy they use each half hour.

Consumption is a deterministic function of (seed, occupant, fuel, half hour), so a run is the
same whatever order devices ask in.  Occupants differ in size and habits, so the two occupiers'
histories are easy to tell apart.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from dataclasses import dataclass

from hancot import timeutil as tu


@dataclass(frozen=True)
class Occupant:
    name: str
    #: Typical electricity use per day in Wh, and gas per day in Wh (energy, as metered in kWh).
    electricity_per_day: int = 8_000
    gas_per_day: int = 30_000


#: An empty premises between tenancies still draws a little (fridge left on, standby).
VACANT = Occupant("vacant", electricity_per_day=1_200, gas_per_day=0)


def _unit(seed: int, *parts: object) -> float:
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64


class Occupancy:
    """A timeline of occupants: ``moves`` is a list of (move-in time, occupant)."""

    def __init__(self, seed: int, moves: list[tuple[int, Occupant]]) -> None:
        self.seed = seed
        self.moves = sorted(moves, key=lambda m: m[0])
        self._times = [t for t, _ in self.moves]

    def occupant_at(self, time: int) -> Occupant:
        index = bisect.bisect_right(self._times, time) - 1
        return self.moves[index][1] if index >= 0 else VACANT

    def half_hour_wh(self, fuel: str, start: int) -> int:
        occupant = self.occupant_at(start)
        per_day = occupant.electricity_per_day if fuel == "electricity" else occupant.gas_per_day
        hour = (start % tu.DAY) / 3600
        # Evening peak and a morning bump; gas mostly morning and evening heating.
        shape = (
            0.6 + 0.5 * math.exp(-((hour - 19) ** 2) / 6) + 0.3 * math.exp(-((hour - 8) ** 2) / 3)
        )
        noise = 0.7 + 0.6 * _unit(self.seed, occupant.name, fuel, start)
        return int(per_day / 48 * shape * noise)

    def electricity(self, start: int) -> int:
        return self.half_hour_wh("electricity", start)

    def gas(self, start: int) -> int:
        return self.half_hour_wh("gas", start)
