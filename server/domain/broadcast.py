"""A broadcast: its identity, lifecycle and moderator-chosen settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from .errors import Code, Rejection
from .text import normalize_name

TITLE_MAX_LEN = 100
TOPIC_MAX_LEN = 200
MAX_LEN_RANGE = (10, 1000)  # bounds of a broadcast's question length limit
MAX_TAGS = 30
TAG_MAX_LEN = 20


class BroadcastState(StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    ENDED = "ended"


# Ending a show closes it (nothing on air, polls closed, likes, questions,
# upvotes and ballots refused); an ended broadcast may go live again (a show
# ended by mistake, or resumed after a break), which reopens questions, upvotes
# and likes but nothing the end closed: polls stay closed until a moderator
# opens one, and the answered question stays answered (docs/console.md).
# ``bc_update.lua`` receives the states a target may be reached from and
# applies them; it keeps no copy.
BROADCAST_TRANSITIONS: Mapping[BroadcastState, frozenset[BroadcastState]] = {
    BroadcastState.DRAFT: frozenset({BroadcastState.LIVE, BroadcastState.ENDED}),
    BroadcastState.LIVE: frozenset({BroadcastState.ENDED}),
    BroadcastState.ENDED: frozenset({BroadcastState.LIVE}),
}

# Ids appear in URLs, Redis keys (inside a {hash tag}) and file names: a small,
# lower-case alphabet keeps all three safe without escaping. Anchored so that
# .match, .search and .fullmatch all check the whole string.
BROADCAST_ID_RE = re.compile(r"\A[a-z0-9][a-z0-9-]{0,31}\Z")


def validate_broadcast_id(bid: str) -> str:
    if not isinstance(bid, str) or BROADCAST_ID_RE.fullmatch(bid) is None:
        raise Rejection(
            Code.INVALID,
            f"broadcast id {bid!r} is invalid: use 1 to 32 characters a-z, 0-9 or '-', "
            "not starting with '-'",
        )
    return bid


def _invalid(message: str) -> Rejection:
    return Rejection(Code.INVALID, message)


def _as_bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _invalid(f"setting {key} must be true or false")
    return value


def _as_int(key: str, value: object, lo: int, hi: int) -> int:
    # bool is a subclass of int: `true` is not a length.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid(f"setting {key} must be an integer")
    if not lo <= value <= hi:
        raise _invalid(f"setting {key} must be between {lo} and {hi}")
    return value


def _as_tags(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise _invalid("setting tags must be a list of strings")
    if len(value) > MAX_TAGS:
        raise _invalid(f"at most {MAX_TAGS} tags are allowed")
    tags: list[str] = []
    for raw in value:
        if not isinstance(raw, str):
            raise _invalid("setting tags must be a list of strings")
        try:
            tag = normalize_name(raw, TAG_MAX_LEN)
        except Rejection:
            raise _invalid(f"tag {raw!r} is longer than {TAG_MAX_LEN} characters") from None
        if not tag:
            raise _invalid("a tag cannot be empty")
        if tag in tags:
            raise _invalid(f"tag {tag!r} is listed twice")
        tags.append(tag)
    return tuple(tags)


@dataclass(frozen=True)
class BroadcastSettings:
    # Questions wait for a moderator before viewers see them.
    moderation: bool = True
    # Question length limit (code points after normalisation).
    max_len: int = 300
    # Topics a viewer may file a question under; empty = no tag picker.
    tags: tuple[str, ...] = ()
    # Show askers' names to viewers and on the overlay.
    show_names: bool = True

    def to_dict(self) -> dict[str, object]:
        return {
            "moderation": self.moderation,
            "max_len": self.max_len,
            "tags": list(self.tags),
            "show_names": self.show_names,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> BroadcastSettings:
        """Validate a full or partial settings mapping (missing keys take defaults)."""
        return apply_settings_patch(cls(), d)


def apply_settings_patch(
    current: BroadcastSettings, patch: Mapping[str, object]
) -> BroadcastSettings:
    """``current`` with the fields of ``patch`` replaced, each validated.

    Unknown keys are refused rather than ignored: a typo in a moderator's
    request must not look like it took effect.
    """
    changes: dict[str, Any] = {}
    for key, value in patch.items():
        if key == "moderation" or key == "show_names":
            changes[key] = _as_bool(key, value)
        elif key == "max_len":
            changes[key] = _as_int(key, value, *MAX_LEN_RANGE)
        elif key == "tags":
            changes[key] = _as_tags(value)
        else:
            raise _invalid(f"unknown setting {key!r}")
    return replace(current, **changes)


def validate_title(raw: object) -> str:
    if not isinstance(raw, str):
        raise _invalid("the title must be a string")
    title = normalize_name(raw, TITLE_MAX_LEN)
    if not title:
        raise Rejection(Code.EMPTY, "the title is empty")
    return title


def validate_topic(raw: object) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise _invalid("the topic must be a string")
    return normalize_name(raw, TOPIC_MAX_LEN)


# A start time is Unix ms; beyond year 3000 it is a unit mistake (seconds * 1000^2...).
SCHEDULED_MAX_MS = 32_503_680_000_000


def validate_scheduled(raw: object) -> int | None:
    """The announced start time: Unix ms, or None (not announced)."""
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= SCHEDULED_MAX_MS:
        raise _invalid("scheduled must be a time in ms since the epoch, or null")
    return raw


@dataclass(frozen=True)
class Broadcast:
    id: str
    title: str
    topic: str
    state: BroadcastState
    settings: BroadcastSettings
    created_ms: int
    # When the moderator announced it would start (shown on the waiting page).
    scheduled_ms: int | None = None
    # Holds sample content of a rehearsal; cannot go live until it is cleared.
    rehearsal: bool = False

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "topic": self.topic,
            "state": str(self.state),
            "settings": self.settings.to_dict(),
            "created": self.created_ms,
            "scheduled": self.scheduled_ms,
            "rehearsal": self.rehearsal,
        }
