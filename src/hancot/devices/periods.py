"""Which consumption period each Metering history attribute covers, seen from a given day.

The meter (serving) and the IHD (caching) must agree on it, so both ask here.  Periods are UTC
calendar days, weeks from Monday, and calendar months (SE 1.4 D.3.2.2.5: "previous day", "previous
week", "previous month" relative to the meter's current day).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from hancot import timeutil as tu
from hancot.zcl.clusters import metering as mt

#: ZCL invalid ("non-value") of uint24 and uint32 (ZCL r8 2.6.2.8): a period with no data.
INVALID_U24 = 0xFFFFFF
INVALID_U32 = 0xFFFFFFFF


@dataclass(frozen=True)
class Period:
    kind: str  # day | week | month
    ago: int  # 0 = current, 1 = previous ...
    start: int
    end: int
    invalid: int


@lru_cache(maxsize=64)
def _periods_of_day(day: int) -> dict[int, Period]:
    periods: dict[int, Period] = {}
    for days_ago in range(9):
        start = day - days_ago * tu.DAY
        periods[mt.day_attribute(days_ago)] = Period(
            "day", days_ago, start, start + tu.DAY, INVALID_U24
        )
    this_week = tu.week_start(day)
    for weeks_ago in mt.WEEKS:
        start = this_week - weeks_ago * tu.WEEK
        periods[mt.week_attribute(weeks_ago)] = Period(
            "week", weeks_ago, start, start + tu.WEEK, INVALID_U24
        )
    this_month = tu.month_start(day)
    for months_ago in mt.MONTHS:
        start = tu.add_months(this_month, -months_ago)
        end = tu.add_months(start, 1)
        periods[mt.month_attribute(months_ago)] = Period(
            "month", months_ago, start, end, INVALID_U32
        )
    return periods


#: Every delivered-consumption history attribute id.
HISTORY_ATTRIBUTE_IDS = frozenset(
    [mt.day_attribute(d) for d in range(9)]
    + [mt.week_attribute(w) for w in mt.WEEKS]
    + [mt.month_attribute(m) for m in mt.MONTHS]
)


def history_periods(local_now: int) -> dict[int, Period]:
    """Delivered-consumption history attribute id -> the period it covers at ``local_now``."""
    return _periods_of_day(tu.day_start(local_now))
