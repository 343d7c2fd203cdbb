"""One broadcast inside one hub process: the I/O around its fan-out core.

A ``Channel`` exists while the process has clients of that broadcast. The
decisions are made by the pure core (``server.live.fanout``: the ring, resume
planning, who gets which frame); this module does what the core cannot:

* ingests what the process's tailer (``server.live.tailer``) read of the
  broadcast's stream from the last id it saw, so an event reaches every
  process, in order, across Redis restarts;
* completes a resume the ring cannot answer from Redis, and joins with a
  snapshot (``server.live.snapshots``: one shared read, encoded once);
* writes the planned frames, encoded once, to every socket without awaiting,
  and advances a connection's ``pos`` only when its frame was written.

Ordering contract: a connection's ``pos`` is the last stream id written to it.
Registration, the catch-up write and ``pos`` are set in one synchronous step
(no await in between), so a tick can neither be missed nor written twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from server import protocol
from server.domain.errors import Code, Rejection
from server.domain.resume import (
    ZERO,
    ResumeOutcome,
    StreamId,
    client_position,
    decide_resume,
    format_stream_id,
    parse_stream_id,
)
from server.live.conn import Conn, ConnState, OutFrame
from server.live.deps import LiveDeps
from server.live.fanout import Entry, Event, Frame, Plan, Projector, Ring, entry, plan_batch
from server.live.fanout import plan_resume as plan_from_ring
from server.live.flight import Flights
from server.live.snapshots import Snapshots
from server.protocol import Role, Since

log = logging.getLogger("xs.channel")
# Visit marks kept between two presence reports (a report every few seconds
# sends them all); past this many the extra ones are dropped, never the socket.
VISITS_MAX = 100_000


class Channel:
    def __init__(
        self,
        bid: str,
        deps: LiveDeps,
        *,
        pseudonym: Callable[[str, str], str],
        heartbeat_s: float,
    ) -> None:
        self.bid = bid
        self._deps = deps
        self._store = deps.store
        self._settings = deps.settings
        self._metrics = deps.metrics
        self._make_pseudonym = pseudonym
        self._heartbeat_s = heartbeat_s
        self.epoch = ""
        self.ring = Ring(self._settings.ring_size)
        self.projector = Projector(self.pseudonym)
        self.conns: dict[Role, set[Conn]] = {role: set() for role in Role}
        self.by_vid: dict[str, set[Conn]] = {}
        self.broadcast: dict[str, Any] = {}
        self.overlay_key = ""
        # The host view's key (docs/obs.md, "Host view"): it connects as an
        # overlay (the same projection: no viewer identities), with its own key.
        self.host_key = ""
        # Visits since the last presence report, in order: "+<vid>" when a
        # device's first socket here opened, "-<vid>" when its last one closed
        # (views and unique devices, lua/presence.lua). Bounded by the churn of
        # one presence interval; past VISITS_MAX the report is due anyway.
        self.visits: list[str] = []
        # Resumes from before the ring (e.g. after a restart): the Redis part of
        # the plan, shared by every join from the same position while the
        # ring's base holds, so a storm of them costs one read (see _older).
        self._older_reads: Flights[
            tuple[str, StreamId, StreamId], tuple[ResumeOutcome, list[Event]]
        ]
        self._older_reads = Flights()
        self._older_cache: dict[tuple[str, StreamId, StreamId], tuple[ResumeOutcome, list[Event]]]
        self._older_cache = {}
        self.snapshots = Snapshots(
            bid, deps, self.projector, self.ring, epoch=lambda: self.epoch,
            on_broadcast=self._observe_broadcast,
        )  # fmt: skip
        self._idle_since: float | None = None
        self._pseudonyms: dict[str, str] = {}
        # Viewer ids banned from this broadcast: loaded at start, then kept by
        # the stream's ban events (which also close their sockets here).
        self.banned: set[str] = set()

    @property
    def tail(self) -> StreamId:
        return self.ring.tail

    @property
    def tail_pos(self) -> str:
        return self.ring.tail_pos

    # --- life ---------------------------------------------------------------------

    async def start(self) -> None:
        """Load the broadcast and position the ring at the stream's end (the hub
        then hands the channel to its tailer)."""
        store = self._store
        meta = await store.broadcast_meta(self.bid)
        if meta is None:
            raise Rejection(Code.NOT_FOUND, "no such broadcast")
        self.epoch = await store.epoch(self.bid) or ""
        self.overlay_key = meta.get("okey", "")
        self.host_key = meta.get("hkey", "")
        self.banned = await store.banned_ids(self.bid)
        _, last = await store.stream_bounds(self.bid)
        self.ring.reset(last or "0-0")

    def conn_count(self) -> int:
        return sum(len(c) for c in self.conns.values())

    def idle_for(self, now: float) -> float:
        if self.conn_count():
            self._idle_since = None
            return 0.0
        if self._idle_since is None:
            self._idle_since = now
        return now - self._idle_since

    def viewer_count(self) -> int:
        return len(self.conns[Role.VIEWER])

    def pseudonym(self, vid: str) -> str:
        found = self._pseudonyms.get(vid)
        if found is None:
            if len(self._pseudonyms) > 100_000:
                self._pseudonyms.clear()
            found = self._pseudonyms[vid] = self._make_pseudonym(vid, self.bid)
        return found

    # --- tailing (server.live.tailer reads, this channel ingests) -------------------

    async def revalidate(self) -> None:
        """After a Redis outage: detect a lost or rolled-back stream, and if so
        reset the channel (every client gets a fresh snapshot)."""
        store = self._store
        epoch = await store.epoch(self.bid) or ""
        _, last = await store.stream_bounds(self.bid)
        last_sid = parse_stream_id(last) if last else ZERO
        same = epoch == self.epoch and last_sid >= self.tail
        if same and (self.tail == ZERO or await store.has_event(self.bid, self.tail_pos)):
            return  # the event we saw last is still there: nothing was lost
        if epoch == self.epoch:
            # Redis came back with an older copy of the data: a new epoch makes
            # every client on every hub process take a full snapshot.
            epoch = await store.bump_epoch(self.bid, self.epoch)
        log.warning("event stream of a broadcast went back in time; resetting its clients")
        self._reset(epoch, last or "0-0")

    def _reset(self, epoch: str, last_pos: str) -> None:
        self.epoch = epoch
        self.ring.reset(last_pos)
        self.snapshots.clear()
        # The stream went back in time or was cleared (rehearsal): bans may
        # have changed without ban events.
        self._deps.spawn(self._reload_banned())
        for conn in [c for group in self.conns.values() for c in group]:
            self._unregister(conn)
            conn.state = ConnState.JOINING
            conn.voted.clear()  # the new snapshot says which polls it voted in
            self._deps.spawn(self._resync(conn))

    async def _reload_banned(self) -> None:
        self.banned = await self._store.banned_ids(self.bid)

    async def _resync(self, conn: Conn) -> None:
        try:
            await self.join(conn, None, send_welcome=False)
        except Exception:
            # Left unregistered it would hear nothing: make it reconnect instead.
            conn.close(protocol.Close.TRY_AGAIN, "resynchronisation failed")

    def ingest(self, entries: list[Entry]) -> None:
        """Append a batch to the ring, update local caches and fan it out."""
        for i, item in enumerate(entries):
            if item.event.get("type") == "reset":
                # The broadcast's content was cleared (rehearsal.lua) under a new
                # epoch: what came before goes out as usual, then every client
                # is resynchronised with a fresh snapshot, as after a rollback.
                if i:
                    self.ingest(entries[:i])
                self.banned.clear()
                self._reset(item.event["epoch"], item.event["pos"])
                if i + 1 < len(entries):
                    self.ingest(entries[i + 1 :])
                return
        self.ring.extend(entries)
        for item in entries:
            self._observe(item.event)
        self._dispatch(entries)

    def _observe(self, event: Event) -> None:
        kind = event.get("type")
        if kind == "broadcast":
            self._observe_broadcast(event["b"])
        elif kind == "key_rotated":
            self._deps.spawn(self._refresh_overlay_key())
        elif kind == "ban":
            self._observe_ban(event["asker"], bool(event["on"]))
        elif kind == "deleted":
            # server/store/deletion.py: the broadcast is gone for everyone.
            for conn in [c for group in self.conns.values() for c in group]:
                conn.close(protocol.Close.NOT_FOUND, "the broadcast was deleted")

    def _observe_broadcast(self, broadcast: dict[str, Any]) -> None:
        self.broadcast = broadcast
        self.projector.observe_broadcast(broadcast)

    def _observe_ban(self, vid: str, on: bool) -> None:
        """Every process reads the ban from the stream: the viewer's sockets here
        close with 4403 (terminal), and a new one is refused at join."""
        if not on:
            self.banned.discard(vid)
            return
        self.banned.add(vid)
        for conn in list(self.by_vid.get(vid, ())):
            if conn.role is Role.VIEWER:
                conn.close(protocol.Close.FORBIDDEN, "banned from this broadcast")

    async def _refresh_overlay_key(self) -> None:
        meta = await self._store.broadcast_meta(self.bid)
        self.overlay_key = (meta or {}).get("okey", "")
        self.host_key = (meta or {}).get("hkey", "")
        for conn in list(self.conns[Role.OVERLAY]):
            if conn.key not in (self.overlay_key, self.host_key):
                conn.close(protocol.Close.UNAUTHORIZED, "overlay key rotated")

    # --- fan-out ------------------------------------------------------------------

    def _frame(self, last_pos: str, events: list[Event]) -> OutFrame:
        return OutFrame(protocol.encode(protocol.events_frame(self.epoch, last_pos, events)))

    def _dispatch(self, entries: list[Entry]) -> None:
        """Write what the core planned: each frame encoded once, shared by its members."""
        last = entries[-1].sid
        encoded: dict[int, tuple[Frame, OutFrame]] = {}  # id(frame) -> its bytes
        frames_out = events_out = 0
        for delivery in plan_batch(entries, self.conns, self.by_vid, self.projector):
            conn: Conn = delivery.member
            frame = delivery.frame
            if frame is None:
                conn.pos = last
                continue
            found = encoded.get(id(frame))
            if found is None:
                found = encoded[id(frame)] = (frame, self._frame(frame.pos, frame.events))
            if conn.send_frame(found[1]):
                conn.pos = last
                frames_out += 1
                events_out += len(frame.events)
        self._metrics.frames_out_total.inc(frames_out)
        self._metrics.events_out_total.inc(events_out)

    # --- joining ------------------------------------------------------------------

    def register(self, conn: Conn) -> None:
        self.conns[conn.role].add(conn)
        if conn.vid is not None:
            if conn.vid not in self.by_vid and len(self.visits) < VISITS_MAX:
                self.visits.append("+" + conn.vid)
            self.by_vid.setdefault(conn.vid, set()).add(conn)
        conn.state = ConnState.LIVE
        conn.on_close = self._unregister

    def _unregister(self, conn: Conn) -> None:
        self.conns[conn.role].discard(conn)
        if conn.vid is not None:
            same = self.by_vid.get(conn.vid)
            if same is not None:
                same.discard(conn)
                if not same:
                    del self.by_vid[conn.vid]
                    if len(self.visits) < VISITS_MAX:
                        self.visits.append("-" + conn.vid)

    async def join(
        self, conn: Conn, since: Since | None, *, send_welcome: bool = True
    ) -> ResumeOutcome:
        """Bring a connection up to date and register it; returns the resume outcome."""
        if conn.role is Role.VIEWER and conn.vid in self.banned:
            raise Rejection(Code.BANNED, "you are banned from this broadcast")
        for _attempt in range(5):
            if since is None:
                outcome = ResumeOutcome.FRESH
            elif since.epoch != self.epoch:
                outcome = ResumeOutcome.EPOCH_CHANGED
            else:
                if conn.role is Role.VIEWER and conn.vid is not None and not conn.voted:
                    # Tallies of polls this viewer voted in follow their ballot.
                    personal = await self._store.viewer_state(self.bid, conn.vid)
                    conn.voted.update(int(b["poll"]) for b in personal["ballots"])
                pos = client_position(since.pos)
                plan = await self._resume_plan(pos)
                if plan is None:
                    continue  # the ring moved while we read Redis: plan again
                outcome = plan.outcome
                if not outcome.needs_snapshot:
                    self._go_live(conn, outcome, send_welcome, None, plan.missed, pos)
                    return outcome
            snap_pos, snap = await self.snapshots.for_conn(conn)
            if snap_pos < self.ring.base:
                self.snapshots.clear()  # the ring no longer covers it: read again
                continue
            self._go_live(conn, outcome, send_welcome, snap, self.ring.after(snap_pos), snap_pos)
            return outcome
        raise Rejection(
            Code.UNAVAILABLE, "the broadcast is too busy to join; try again", retryable=True
        )

    def _go_live(
        self,
        conn: Conn,
        outcome: ResumeOutcome,
        send_welcome: bool,
        snapshot: bytes | None,
        missed: list[Event],
        pos: StreamId,
    ) -> None:
        """The synchronous step: write welcome + catch-up, set pos, register."""
        if not conn.live:
            return
        self._metrics.resumes_total.inc(outcome=outcome.value)
        if send_welcome:
            welcome = protocol.welcome(
                conn.role.value, self.epoch, outcome.value, heartbeat_s=self._heartbeat_s
            )
            conn.send_text(protocol.encode(welcome).decode())
        if snapshot is not None:
            conn.send_payload(snapshot)
        if missed:
            visible = self.projector.project_for(conn, missed)
            if visible:
                conn.send_frame(self._frame(missed[-1]["pos"], visible))
            pos = max(pos, parse_stream_id(missed[-1]["pos"]))
        conn.pos = max(pos, self.tail)
        if conn.live:
            self.register(conn)

    async def _older(
        self, pos: StreamId, base: StreamId, limit: int
    ) -> tuple[ResumeOutcome, list[Event]]:
        """A position before the ring: its outcome and the events from it up to
        the ring's ``base``, read from Redis (one read for a storm of them)."""
        self._metrics.resume_reads_total.inc(kind="redis")
        store = self._store
        first, last = await store.stream_bounds(self.bid)
        first_sid = parse_stream_id(first) if first else None
        last_sid = parse_stream_id(last) if last else None
        inside = first_sid is not None and last_sid is not None and first_sid < pos < last_sid
        known = not inside or await store.has_event(self.bid, format_stream_id(pos))
        rows = await store.read_events(
            self.bid,
            format_stream_id(pos),
            limit + 1,
            until=format_stream_id(base) if base != ZERO else self.ring.first_pos(),
        )
        outcome = decide_resume(
            client_epoch=self.epoch, client_pos=pos, epoch=self.epoch, first=first_sid,
            last=last_sid, missed=len(rows), limit=limit, known=known,
            trimmed_before=first_sid if first_sid is not None and pos < first_sid else ZERO,
        )  # fmt: skip
        return outcome, [entry(pos_str, event).event for pos_str, event in rows]

    async def _resume_plan(self, pos: StreamId) -> Plan | None:
        """Resume from ``pos`` in this epoch; ``None``: the ring moved, plan again.

        The ring answers when it covers ``pos``; otherwise Redis does, and the
        position must be an entry of the stream there too (``has_event``)."""
        limit = self._settings.resume_max_events
        ring = self.ring
        found = plan_from_ring(ring, pos, limit)
        if found is not None:
            return found
        if pos < ring.base:
            key = (self.epoch, pos, ring.base)
            older = self._older_cache.get(key)
            if older is not None or key in self._older_reads:
                self._metrics.resume_reads_total.inc(kind="shared")
            if older is None:
                older = await self._older_reads.run(key, lambda: self._older(pos, ring.base, limit))
                if len(self._older_cache) >= 64:
                    self._older_cache.clear()
                self._older_cache[key] = older
            outcome, read = older
            if outcome is not ResumeOutcome.RECOVERED:
                return Plan(outcome, [])
            if ring.base > key[2]:
                return None  # the ring moved past what we read: plan again
            events = read + ring.after(key[2])
            if len(events) > limit:
                return Plan(ResumeOutcome.TOO_MANY, [])
            return Plan(outcome, events)
        store = self._store
        first, last = await store.stream_bounds(self.bid)
        first_sid = parse_stream_id(first) if first else None
        last_sid = parse_stream_id(last) if last else None
        # Only a position strictly inside the stream's range can be a hole: one
        # before its first entry is TRIMMED, at its last CURRENT, after it FUTURE.
        inside = first_sid is not None and last_sid is not None and first_sid < pos < last_sid
        known = not inside or await store.has_event(self.bid, format_stream_id(pos))
        if pos > ring.tail:
            # Ahead of this tailer: fine if Redis has it (the tailer lags), else future.
            outcome = decide_resume(
                client_epoch=self.epoch, client_pos=pos, epoch=self.epoch,
                first=first_sid, last=last_sid, missed=0, limit=limit, known=known,
            )  # fmt: skip
            if outcome is ResumeOutcome.RECOVERED:
                outcome = ResumeOutcome.CURRENT  # what it missed comes with the next tick
            return Plan(outcome, [])
        # Older than the ring: read the gap from Redis.
        base = ring.base
        rows = await store.read_events(
            self.bid,
            format_stream_id(pos),
            limit + 1,
            until=format_stream_id(base) if base != ZERO else ring.first_pos(),
        )
        outcome = decide_resume(
            client_epoch=self.epoch, client_pos=pos, epoch=self.epoch, first=first_sid,
            last=last_sid, missed=len(rows), limit=limit, known=known,
            trimmed_before=first_sid if first_sid is not None and pos < first_sid else ZERO,
        )  # fmt: skip
        if outcome is not ResumeOutcome.RECOVERED:
            return Plan(outcome, [])
        if ring.base > base:
            return None  # the ring moved past what we read: plan again
        events = [entry(pos_str, event).event for pos_str, event in rows]
        events += ring.after(base)
        if len(events) > limit:
            return Plan(ResumeOutcome.TOO_MANY, [])
        return Plan(outcome, events)
