"""Zigbee UTCTime: uint32 seconds since 2000-01-01T00:00:00Z (ZCL r8 Table 2-10).

hancot's virtual clock counts in these seconds, so a device's notion of "now" is directly what
goes on the wire.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

ZIGBEE_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: Seconds between the Unix epoch and the Zigbee epoch (pcap timestamps are Unix time).
UNIX_OFFSET = 946_684_800
#: 0xFFFFFFFF is the "invalid" UTCTime; on the tenancy attribute it cancels a pending CoT.
UTC_INVALID = 0xFFFFFFFF
HALF_HOUR = 1800
DAY = 86_400
WEEK = 7 * DAY


def to_datetime(utc: int) -> datetime:
    """UTCTime seconds to an aware datetime."""
    return ZIGBEE_EPOCH + timedelta(seconds=utc)


def from_datetime(moment: datetime) -> int:
    """An aware (or naive, taken as UTC) datetime to UTCTime seconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = int((moment - ZIGBEE_EPOCH).total_seconds())
    if not 0 <= seconds < UTC_INVALID:
        raise ValueError(f"{moment.isoformat()} is outside the Zigbee UTCTime range (2000..2136)")
    return seconds


def parse_iso(text: str) -> int:
    """An ISO 8601 date-time (``2015-02-01T00:00:00.00Z`` or a plain date) to UTCTime seconds."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from exc
    return from_datetime(moment)


def iso(utc: int) -> str:
    """UTCTime seconds as a compact ISO string (``2026-01-05 00:30``)."""
    if utc == UTC_INVALID:
        return "invalid(0xFFFFFFFF)"
    return to_datetime(utc).strftime("%Y-%m-%d %H:%M")


def day_start(utc: int) -> int:
    """Start of the UTC day containing ``utc``."""
    return utc - utc % DAY


def week_start(utc: int) -> int:
    """Start of the week (Monday 00:00 UTC) containing ``utc``; 2000-01-01 was a Saturday."""
    start = day_start(utc)
    weekday = to_datetime(start).weekday()
    return start - weekday * DAY


def month_start(utc: int) -> int:
    """Start of the calendar month containing ``utc``."""
    moment = to_datetime(utc)
    return from_datetime(moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def add_months(month_begin: int, months: int) -> int:
    """The start of the month ``months`` after (or before, if negative) ``month_begin``."""
    moment = to_datetime(month_begin)
    index = moment.year * 12 + moment.month - 1 + months
    return from_datetime(moment.replace(year=index // 12, month=index % 12 + 1, day=1))
