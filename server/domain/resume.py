"""The resume decision: may a reconnecting client catch up from its position?

A client remembers ``(epoch, pos)``: the broadcast's epoch and the stream id of
the last event it applied. On reconnect the hub either replays the events after
``pos`` or sends a snapshot. Replaying is only correct when *every* event after
``pos`` is still available; when in doubt, snapshot (a snapshot is always
correct, a replay with a hole is silently wrong).
"""

from __future__ import annotations

import re
from enum import StrEnum

# A Redis stream id "<ms>-<seq>" as a comparable pair (tuple order = stream order).
StreamId = tuple[int, int]
ZERO: StreamId = (0, 0)

# The only definition of the format (the audit log pages with it too).
STREAM_ID = re.compile(r"\A([0-9]{1,20})-([0-9]{1,20})\Z")
_U64_MAX = 2**64 - 1  # both halves of a Redis stream id are unsigned 64-bit


def parse_stream_id(s: str) -> StreamId:
    """``"1700000000000-3"`` -> ``(1700000000000, 3)``; ``ValueError`` if malformed."""
    m = STREAM_ID.fullmatch(s) if isinstance(s, str) else None
    if m is None:
        raise ValueError(f"not a stream id: {s!r}")
    ms, seq = int(m.group(1)), int(m.group(2))
    if ms > _U64_MAX or seq > _U64_MAX:
        raise ValueError(f"stream id out of range: {s!r}")
    return ms, seq


# Beyond any stream id (both halves are below 2**64).
BEYOND: StreamId = (2**64, 0)


def client_position(pos: str) -> StreamId:
    """A client's resume position (``Since.pos`` of its hello). One that is no
    stream id is treated as from the future, so it gets a snapshot."""
    try:
        return parse_stream_id(pos)
    except ValueError:
        return BEYOND


def format_stream_id(sid: StreamId) -> str:
    return f"{sid[0]}-{sid[1]}"


class ResumeOutcome(StrEnum):
    FRESH = "fresh"  # the client sent no position: snapshot
    CURRENT = "current"  # the client is up to date: send nothing
    RECOVERED = "recovered"  # send the missed events
    TRIMMED = "trimmed"  # some missed events are no longer in the stream: snapshot
    TOO_MANY = "too_many"  # more missed than the limit: snapshot
    FUTURE = "future"  # position beyond the last event (lost data / other server): snapshot
    # Inside the stream's range but never an event there: the client's history
    # is not this stream's (restored from an older copy, forged): snapshot.
    UNKNOWN = "unknown"
    EPOCH_CHANGED = "epoch_changed"  # the broadcast was recreated: snapshot

    @property
    def needs_snapshot(self) -> bool:
        return self not in (ResumeOutcome.CURRENT, ResumeOutcome.RECOVERED)


def decide_resume(
    *,
    client_epoch: str | None,
    client_pos: StreamId | None,
    epoch: str,
    first: StreamId | None,
    last: StreamId | None,
    missed: int,
    limit: int,
    trimmed_before: StreamId = ZERO,
    known: bool = True,
) -> ResumeOutcome:
    """Decide how a reconnecting client catches up.

    ``first``/``last`` are the oldest/newest ids still in the stream (``None``
    when it is empty); ``missed`` counts entries with id > ``client_pos`` (the
    caller may cap it at ``limit + 1``); ``trimmed_before`` is the highest id
    ever removed from the stream (Redis 7 ``XINFO STREAM`` "max-deleted-entry-id",
    ``ZERO`` when none). ``first`` is informative only: a position older than the
    first entry is fine as long as nothing after it was ever removed (a client
    that joined an empty stream sits at ``ZERO``). ``known`` says whether
    ``client_pos`` is an entry of the stream (or ``ZERO``); a caller that could
    not tell passes True only if it checked by other means. Replaying after a
    position the stream never held would skip the events the client has
    wrongly and keep ones the stream does not have (phantom questions).

    The first matching row wins:

    ==  ==========================================  ===============
    #   condition                                   outcome
    ==  ==========================================  ===============
    1   no client position or no client epoch       FRESH
    2   client epoch != epoch                       EPOCH_CHANGED
    3   stream empty, pos == ZERO, nothing removed  CURRENT
    4   stream empty, pos == ZERO, entries removed  TRIMMED
    5   stream empty, pos != ZERO                   FUTURE
    6   pos > last                                  FUTURE
    7   pos == last                                 CURRENT
    8   pos < trimmed_before                        TRIMMED
    9   pos is not an entry of the stream           UNKNOWN
    10  missed > limit                              TOO_MANY
    11  otherwise                                   RECOVERED
    ==  ==========================================  ===============
    """
    if client_pos is None or client_epoch is None:
        return ResumeOutcome.FRESH
    if client_epoch != epoch:
        return ResumeOutcome.EPOCH_CHANGED
    if last is None:
        if client_pos != ZERO:
            return ResumeOutcome.FUTURE
        return ResumeOutcome.TRIMMED if trimmed_before > ZERO else ResumeOutcome.CURRENT
    if client_pos > last:
        return ResumeOutcome.FUTURE
    if client_pos == last:
        return ResumeOutcome.CURRENT
    if client_pos < trimmed_before:
        return ResumeOutcome.TRIMMED
    if not known:
        return ResumeOutcome.UNKNOWN
    if missed > limit:
        return ResumeOutcome.TOO_MANY
    return ResumeOutcome.RECOVERED
