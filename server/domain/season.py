"""A season: the episodes of one programme year ("2024 协商在线", 9 episodes).

Validation only; the store keeps a season's broadcasts in episode order
(``server/store/seasons.py``). A broadcast belongs to at most one season.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import Code, Rejection
from .text import normalize_name

# Same alphabet as broadcast ids: the id appears in URLs (/r/s/<sid>) and keys.
SEASON_ID_RE = re.compile(r"\A[a-z0-9][a-z0-9-]{0,31}\Z")
SEASON_NAME_MAX_LEN = 60
YEAR_MIN, YEAR_MAX = 2000, 2100
# Names the key schema uses next to season ids under the same hash tag.
RESERVED_IDS = frozenset({"all", "audit"})


@dataclass(frozen=True)
class NewSeason:
    sid: str
    name: str
    year: int


def validate_season_id(raw: object) -> str:
    if not isinstance(raw, str) or SEASON_ID_RE.fullmatch(raw) is None or raw in RESERVED_IDS:
        raise Rejection(
            Code.INVALID,
            f"season id {raw!r} is invalid: use 1 to 32 characters a-z, 0-9 or '-', "
            "not starting with '-'",
        )
    return raw


def validate_new_season(sid: object, name: object, year: object) -> NewSeason:
    clean_sid = validate_season_id(sid)
    if not isinstance(name, str):
        raise Rejection(Code.INVALID, "the season name must be a string")
    clean_name = normalize_name(name, SEASON_NAME_MAX_LEN)
    if not clean_name:
        raise Rejection(Code.EMPTY, "the season name is empty")
    if isinstance(year, bool) or not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
        raise Rejection(Code.INVALID, f"the year must be an integer from {YEAR_MIN} to {YEAR_MAX}")
    return NewSeason(clean_sid, clean_name, year)
