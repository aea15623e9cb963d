"""Shared builders for tests that run a whole simulated premises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from hancot import timeutil as tu
from hancot.devices.client import ClientBehaviour
from hancot.han.frame import HanFrame
from hancot.han.occupancy import Occupancy, Occupant
from hancot.han.premises import Premises, PremisesConfig
from hancot.wan.supplier import Supplier

#: A Monday, so weeks line up with the calendar.
START = tu.parse_iso("2026-03-02T00:00:00Z")
DAY = tu.DAY
A = Occupant("A", electricity_per_day=9_000, gas_per_day=30_000)
B = Occupant("B", electricity_per_day=4_000, gas_per_day=12_000)


@dataclass
class Site:
    """A commissioned premises with its supplier and a record of every frame on the air."""

    premises: Premises
    supplier: Supplier
    frames: list[tuple[HanFrame, bool]] = field(default_factory=list)

    @property
    def han(self) -> Any:
        return self.premises.han

    def at(self, time: int, action: Callable[[int], Any]) -> None:
        self.han.schedule(time, action)

    def run(self, until: int) -> None:
        self.han.run_until(until)


#: ``build_site(ihd=None)`` builds a premises without that client; the default is the reference.
_DEFAULT: Any = ClientBehaviour()


def build_site(
    *,
    move_in_b: int | None = None,
    ihd: ClientBehaviour | None = _DEFAULT,
    ppmid: ClientBehaviour | None = _DEFAULT,
    seed: int = 7,
    **config: Any,
) -> Site:
    moves = [(START, A)] + ([(move_in_b, B)] if move_in_b is not None else [])
    premises = Premises(
        START,
        Occupancy(seed, moves),
        PremisesConfig(
            seed=seed,
            ihd=ClientBehaviour() if ihd is _DEFAULT else ihd,
            ppmid=ClientBehaviour() if ppmid is _DEFAULT else ppmid,
            **config,
        ),
    )
    site = Site(premises, Supplier(premises))
    premises.han.taps.append(lambda frame, delivered: site.frames.append((frame, delivered)))
    premises.commission()
    return site


@pytest.fixture
def site_factory() -> Callable[..., Site]:
    return build_site
