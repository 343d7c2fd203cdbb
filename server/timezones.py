"""The deployment's time zone (``settings.timezone``) and times written in it.

Every page, CSV and export writes times in one zone, the broadcast's (today the
deployment's): ISO 8601 with its offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Debian's slim images have no tzdata: the zones a deployment here uses keep
# working as fixed offsets (China has had no daylight saving time since 1991).
_FIXED: dict[str, tzinfo] = {
    "Asia/Shanghai": timezone(timedelta(hours=8), "CST"),
    "UTC": UTC,
    "Etc/UTC": UTC,
}


def resolve_timezone(name: str) -> tzinfo:
    """The ``tzinfo`` of an IANA name; ValueError if unknown (checked at start-up)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        fixed = _FIXED.get(name)
        if fixed is None:
            raise ValueError(
                f"unknown time zone TIMEZONE={name!r} (install the tzdata package?)"
            ) from None
        return fixed


def iso_time(ms: int, tz: tzinfo) -> str:
    """``2025-11-25T20:00:00.123+08:00``."""
    moment = datetime.fromtimestamp(ms // 1000, tz).replace(microsecond=(ms % 1000) * 1000)
    return moment.isoformat(timespec="milliseconds")
