"""A poll as each role receives it: lists always lists, moderators' fields kept
for moderators only.

The scripts encode with Lua's cjson, which writes an empty list as ``{}``; a
word cloud with no words yet, a poll without options or hidden words would
reach the pages as objects. ``shaped`` turns them back into lists. A word
cloud's ``hidden`` words, its review ``queue`` and ``pending`` count are for
moderators; viewers and the overlay never receive them (nor the hidden words,
which the cloud itself no longer contains).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LIST_FIELDS = ("options", "tallies", "hidden", "queue", "labels", "choices", "mine")
MODERATOR_ONLY = ("hidden", "queue", "pending", "answer", "status")


def shaped(item: Mapping[str, Any], *, moderator: bool) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if moderator or k not in MODERATOR_ONLY}
    for key in LIST_FIELDS:
        if isinstance(out.get(key), dict):  # cjson's empty table
            out[key] = []
    return out


def shaped_event(event: Mapping[str, Any], *, moderator: bool) -> dict[str, Any]:
    """A ``poll`` or ``tally`` event with its poll (or its own fields) shaped."""
    if event.get("type") == "poll" and isinstance(event.get("poll"), Mapping):
        return {**event, "poll": shaped(event["poll"], moderator=moderator)}
    return shaped(event, moderator=moderator)
