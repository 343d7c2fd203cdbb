"""The fan-out core of one broadcast: the ring, resume planning, frame planning.

No I/O: nothing here awaits, reads Redis or writes a socket (a test keeps it
so: tests/unit/test_fanout.py). It is fed events (``Ring.extend``) and
connection states (``Member``: role, viewer id, position, ballots), and
answers with decisions: which resume outcome a position gets and what it
missed (``plan_resume``), which frame each connection receives for a batch
(``plan_batch``). ``server.live.channel`` is the thin I/O layer around it: it
tails Redis, writes the planned frames and advances each connection's ``pos``
only when its frame was written.

Ordering contract: a member's ``pos`` is the last stream id written to it. A
batch gives a member only the events after its ``pos``, so a member that
joined in the middle of a batch (its catch-up already covered part of it)
gets neither a gap nor a duplicate.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

from server.domain.projection import (
    coalesce,
    hide_names,
    private_id,
    project,
    project_for_owner,
    project_for_voter,
    project_snapshot,
)
from server.domain.resume import ZERO, ResumeOutcome, StreamId, parse_stream_id
from server.protocol import PUBLIC_STATUSES, Role

Event = dict[str, Any]
PUBLIC = frozenset(PUBLIC_STATUSES)


class Entry(NamedTuple):
    sid: StreamId
    event: Event  # as stored, private fields included, plus "pos"


def entry(pos: str, event: Event) -> Entry:
    """A stream entry as the core holds it: the event carries its own ``pos``."""
    event["pos"] = pos
    return Entry(parse_stream_id(pos), event)


class Member(Protocol):
    """What the core knows of one connection."""

    role: Role
    vid: str | None  # viewer id: personal variants (own questions, own ballots)
    pos: StreamId  # last stream id written to it
    voted: set[int]  # polls it has a ballot in: their tallies follow the ballot


M = TypeVar("M", bound=Member)


class Ring:
    """The last ``limit`` events of the stream, in order.

    Invariant: every event with an id in ``(base, tail]`` is in ``entries``;
    ``base`` itself is an event of the stream (the last one evicted, or the
    stream's last event when tailing started) or ``ZERO``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.entries: deque[Entry] = deque()
        self.base: StreamId = ZERO
        self.tail: StreamId = ZERO  # last stream id read
        self.tail_pos = "0-0"
        # Position of the last event that took a question out of public view: a
        # viewer snapshot older than it would still show that question's text
        # (then removed by the catch-up), so it is not reused.
        self.hidden_at: StreamId = ZERO

    def reset(self, pos: str) -> None:
        """Start again at ``pos`` (the stream's last id), holding nothing."""
        self.entries.clear()
        self.tail_pos = pos
        self.tail = self.base = parse_stream_id(pos)

    def extend(self, entries: Sequence[Entry]) -> None:
        ring, limit = self.entries, self.limit
        for item in entries:
            if len(ring) >= limit:
                self.base = ring.popleft().sid
            ring.append(item)
            event = item.event
            if (
                event.get("type") == "question"
                and event["q"]["status"] not in PUBLIC
                and event.get("prev") in PUBLIC
            ):
                self.hidden_at = item.sid
        if entries:
            self.tail = entries[-1].sid
            self.tail_pos = entries[-1].event["pos"]

    def covers(self, pos: StreamId) -> bool:
        return self.base <= pos <= self.tail

    def after(self, pos: StreamId) -> list[Event]:
        return [e.event for e in self.entries if e.sid > pos]

    def first_pos(self) -> str:
        """The oldest position the ring answers for (its base) as a string."""
        return self.entries[0].event["pos"] if self.entries else self.tail_pos


class Plan(NamedTuple):
    outcome: ResumeOutcome
    missed: list[Event]  # the events to replay (RECOVERED), else empty


def plan_resume(ring: Ring, pos: StreamId, limit: int) -> Plan | None:
    """Resume from ``pos`` (same epoch) with the ring alone; ``None``: ask Redis.

    A position inside the ring's range must be one of its events (or its
    base): any other id there was never an event of this stream, so the
    client's history is not ours and it gets a snapshot (UNKNOWN)."""
    if not ring.covers(pos):
        return None
    known = pos == ring.base
    missed: list[Event] = []
    for item in ring.entries:
        if item.sid > pos:
            missed.append(item.event)
        elif item.sid == pos:
            known = True
    if not known:
        return Plan(ResumeOutcome.UNKNOWN, [])
    if len(missed) > limit:
        return Plan(ResumeOutcome.TOO_MANY, [])
    return Plan(ResumeOutcome.RECOVERED if missed else ResumeOutcome.CURRENT, missed)


class Projector:
    """Role projection of one broadcast's events and snapshots, names hidden as it says."""

    def __init__(self, pseudonym: Callable[[str], str]) -> None:
        self.pseudonym = pseudonym
        self.show_names = True  # the broadcast's "show_names" setting

    def observe_broadcast(self, broadcast: Mapping[str, Any]) -> None:
        settings = broadcast.get("settings") or {}
        self.show_names = settings.get("show_names", True) is not False

    def names_hidden(self, role: Role) -> bool:
        return role is not Role.MODERATOR and not self.show_names

    def project(self, event: Event, role: Role) -> Event | None:
        """The role-wide projection, with names hidden where the broadcast says so."""
        item = project(event, role, pseudonym=self.pseudonym)
        if item is not None and self.names_hidden(role):
            item = hide_names(item)
        return item

    def project_for(
        self,
        member: Member,
        events: Iterable[Event],
        projected: Sequence[Event | None] | None = None,
    ) -> list[Event]:
        """Events as this one member may see them (personal variants included).

        ``projected``: the role-wide projections of ``events``, when the caller
        has them already (``plan_batch`` reuses them for every personal frame)."""
        role, vid = member.role, member.vid
        events = list(events)
        if projected is None:
            projected = [self.project(event, role) for event in events]
        out: list[Event] = []
        for event, item in zip(events, projected, strict=True):
            if role is Role.VIEWER:
                if vid is not None and private_id(event) == vid:
                    item = project_for_owner(event, item)
                elif event.get("type") == "tally" and event["pid"] in member.voted:
                    item = project_for_voter(event)
            if item is not None:
                out.append(item)
        return coalesce(out)

    def snapshot(self, snap: Mapping[str, Any], role: Role) -> dict[str, Any]:
        return project_snapshot(
            snap, role, pseudonym=self.pseudonym, names_hidden=self.names_hidden(role)
        )


class Frame(NamedTuple):
    """One ``events`` frame: shared by every member it is planned for."""

    pos: str  # the batch's last position: the frame is a resume point
    events: list[Event]


class Delivery(NamedTuple):
    member: Any  # an M; NamedTuple cannot be generic on Python 3.11
    frame: Frame | None  # None: nothing of the batch is visible to it, only pos moves


def plan_batch(
    batch: Sequence[Entry],
    groups: Mapping[Role, Iterable[M]],
    by_vid: Mapping[str, Iterable[M]],
    projector: Projector,
) -> list[Delivery]:
    """Who receives which frame for one batch of events.

    Each role's frame is projected and coalesced once and shared; a viewer
    gets a frame of its own only when the batch holds an event personal to it
    (its question, its upvote or ballot) or a tally of a poll it voted in, and
    viewers in the same situation share that frame. A member whose ``pos`` is
    already at the batch's end gets nothing; one inside the batch gets only
    what is after its ``pos``.

    State it updates: a ballot in the batch (cast on any socket of that
    viewer) adds the poll to ``voted`` of every connection of the viewer."""
    if not batch:
        return []
    first, last = batch[0].sid, batch[-1].sid
    last_pos = batch[-1].event["pos"]
    events = [e.event for e in batch]
    # Indexes of the batch, built once: which events are personal to whom and
    # which are tallies of which poll. A personal frame then visits only the
    # events that can differ for its viewer, not the whole batch per owner
    # (that was quadratic in the batch size when many viewers ask at once).
    by_owner: dict[str, list[int]] = {}
    by_poll: dict[int, list[int]] = {}
    for i, event in enumerate(events):
        vid = private_id(event)
        if vid is not None and vid in by_vid:
            by_owner.setdefault(vid, []).append(i)
        if event.get("type") == "tally":
            by_poll.setdefault(event["pid"], []).append(i)
            for member in by_vid.get(vid or "", ()):
                member.voted.add(event["pid"])
    tally_polls = by_poll.keys()
    # Tallies carry absolute state: of a poll's tallies in the batch, coalesce()
    # keeps in a frame only the last one not personal to its viewer, which is
    # the batch's last, or (for the viewer who cast it) the last cast by
    # someone else. Personal frames skip the others, so a crowd voting at once
    # costs each voter's frame two tallies, not the batch's.
    kept: dict[int, set[int]] = {}
    for pid, found in by_poll.items():
        last_voter = private_id(events[found[-1]])
        other = next((i for i in reversed(found) if private_id(events[i]) != last_voter), None)
        kept[pid] = {found[-1]} if other is None else {found[-1], other}
    superseded = {i for pid, found in by_poll.items() for i in found if i not in kept[pid]}
    out: list[Delivery] = []
    for role, group in groups.items():
        members = list(group)
        if not members:
            continue
        projected = [projector.project(e, role) for e in events]
        visible = [i for i, p in enumerate(projected) if p is not None and i not in superseded]
        shared_events = coalesce([p for p in projected if p is not None])
        shared = Frame(last_pos, shared_events) if shared_events else None
        variants: dict[tuple[str | None, frozenset[int]], Frame | None] = {}
        for member in members:
            if member.pos >= last:
                continue
            frame: Frame | None
            if member.pos >= first:  # joined mid-batch: only what it has not seen
                mine = projector.project_for(member, [b.event for b in batch if b.sid > member.pos])
                frame = Frame(last_pos, mine) if mine else None
            elif role is Role.VIEWER and (
                member.vid in by_owner or (tally_polls and member.voted & tally_polls)
            ):
                owner = member.vid if member.vid in by_owner else None
                polls = frozenset(member.voted & tally_polls)
                key = (owner, polls)
                if key not in variants:
                    wanted = set(visible)
                    wanted.update(by_owner.get(owner or "", ()))
                    for pid in polls:
                        wanted.update(kept[pid])
                    order = sorted(wanted)
                    mine = projector.project_for(
                        member, [events[i] for i in order], [projected[i] for i in order]
                    )
                    variants[key] = Frame(last_pos, mine) if mine else None
                frame = variants[key]
            else:
                frame = shared
            out.append(Delivery(member, frame))
    return out
