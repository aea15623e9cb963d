"""Metering cluster 0x0702 with the history attributes zigpy lacks (SE 1.4 Annex D.3.2.2.5).

zigpy defines the Metering cluster up to 0x0416; the consumption history an IHD displays (previous
days 2..8, current and previous weeks 1..5, current and previous months 1..13) is added here.
Delivered values sit on even ids, received values on the odd id after them.
"""

from __future__ import annotations

import zigpy.types as t
from zigpy.zcl.clusters import smartenergy
from zigpy.zcl.foundation import ZCLAttributeDef

#: Previous days 2..8: PreviousDayN at 0x0420 + 2 * (N - 2) (SE 1.4 Table D-24).
PREVIOUS_DAYS = range(2, 9)
#: Current week (0) and previous weeks 1..5: 0x0430 + 2 * N (SE 1.4 Table D-24).
WEEKS = range(0, 6)
#: Current month (0) and previous months 1..13: 0x0440 + 2 * N (SE 1.4 Table D-24).
MONTHS = range(0, 14)

CURRENT_DAY_DELIVERED = 0x0401
PREVIOUS_DAY_DELIVERED = 0x0403


def day_attribute(days_ago: int) -> int:
    """Delivered-consumption attribute for the day ``days_ago`` (0 today .. 8)."""
    if days_ago == 0:
        return CURRENT_DAY_DELIVERED
    if days_ago == 1:
        return PREVIOUS_DAY_DELIVERED
    if days_ago in PREVIOUS_DAYS:
        return 0x0420 + 2 * (days_ago - 2)
    raise ValueError(f"no Metering attribute for {days_ago} days ago (0..8)")


def week_attribute(weeks_ago: int) -> int:
    """Delivered-consumption attribute for the week ``weeks_ago`` (0 current .. 5)."""
    if weeks_ago not in WEEKS:
        raise ValueError(f"no Metering attribute for {weeks_ago} weeks ago (0..5)")
    return 0x0430 + 2 * weeks_ago


def month_attribute(months_ago: int) -> int:
    """Delivered-consumption attribute for the month ``months_ago`` (0 current .. 13)."""
    if months_ago not in MONTHS:
        raise ValueError(f"no Metering attribute for {months_ago} months ago (0..13)")
    return 0x0440 + 2 * months_ago


class MeteringAttributeDefs(smartenergy.Metering.AttributeDefs):
    pass


for _n in PREVIOUS_DAYS:
    for _offset, _dir in ((0, "delivered"), (1, "received")):
        setattr(
            MeteringAttributeDefs,
            f"previous_day_{_n}_consumption_{_dir}",
            ZCLAttributeDef(id=day_attribute(_n) + _offset, type=t.uint24_t, access="r"),
        )
for _n in WEEKS:
    _label = "current_week" if _n == 0 else f"previous_week_{_n}"
    for _offset, _dir in ((0, "delivered"), (1, "received")):
        setattr(
            MeteringAttributeDefs,
            f"{_label}_consumption_{_dir}",
            ZCLAttributeDef(id=week_attribute(_n) + _offset, type=t.uint24_t, access="r"),
        )
for _n in MONTHS:
    _label = "current_month" if _n == 0 else f"previous_month_{_n}"
    for _offset, _dir in ((0, "delivered"), (1, "received")):
        setattr(
            MeteringAttributeDefs,
            f"{_label}_consumption_{_dir}",
            ZCLAttributeDef(id=month_attribute(_n) + _offset, type=t.uint32_t, access="r"),
        )


class Metering(smartenergy.Metering):
    """Metering (0x0702): zigpy's definition plus the history attribute set."""

    AttributeDefs = MeteringAttributeDefs
