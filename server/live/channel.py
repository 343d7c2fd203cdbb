"""One broadcast inside one hub process: its tailer, its recent events, its sockets.

A ``Channel`` exists while the process has clients of that broadcast. It:

* tails the broadcast's Redis Stream with XREAD from the last id it saw (a
  blocking client of its own), so an event reaches every process, in order,
  across Redis restarts (docs/reliability.md 4);
* keeps the last ``ring_size`` events in memory (the ring), which serves joins
  and resumes without touching Redis;
* batches what arrived in one tick (``fanout_tick_ms``) into one frame per
  client, projected once per role (``server.domain.projection``), encoded once,
  written to every socket without awaiting;
* shares snapshot reads: concurrent joins wait for one Redis read, and a
  cached snapshot stays usable as long as the ring still holds every event
  after it (docs/reliability.md 8).

Ordering contract: a connection's ``pos`` is the last stream id written to it.
Registration, the catch-up write and ``pos`` are set in one synchronous step
(no await in between), so a tick can neither be missed nor written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from server import protocol
from server.domain.errors import Code, Rejection
from server.domain.projection import (
    PUBLIC_Q_FIELDS,
    coalesce,
    hide_names,
    private_id,
    project,
    project_for_owner,
    project_for_voter,
)
from server.domain.resume import (
    ZERO,
    ResumeOutcome,
    StreamId,
    client_position,
    decide_resume,
    parse_stream_id,
)
from server.live.conn import Conn, ConnState, OutFrame
from server.protocol import PUBLIC_STATUSES, Role, Since
from server.store import keys
from server.store.redis_client import REDIS_DOWN
from server.store.store import as_list

if TYPE_CHECKING:
    from server.live.hub import Hub

log = logging.getLogger("xs.channel")

Event = dict[str, Any]


class Entry(NamedTuple):
    sid: StreamId
    event: Event  # as stored, private fields included, plus "pos"


def _sid(event: Event) -> StreamId:
    return parse_stream_id(event["pos"])


class Channel:
    def __init__(self, bid: str, hub: Hub) -> None:
        self.bid = bid
        self.hub = hub
        self._settings = hub.settings
        self._metrics = hub.metrics
        self.epoch = ""
        self.tail: StreamId = ZERO  # last stream id read by the tailer
        self.tail_pos = "0-0"
        self.ring: deque[Entry] = deque()
        self.ring_base: StreamId = ZERO  # every event with id > ring_base is in the ring
        self.conns: dict[Role, set[Conn]] = {role: set() for role in Role}
        self.by_vid: dict[str, set[Conn]] = {}
        self.broadcast: dict[str, Any] = {}
        self.overlay_key = ""
        self.seen_vids: set[str] = set()  # viewers seen since the last presence report
        # Position of the last event that took a question out of public view: a
        # cached viewer snapshot older than it would still show that question's
        # text (then removed by the catch-up), so it is not reused.
        self._hidden_at: StreamId = ZERO
        self.healthy = False  # the tailer's last Redis call succeeded
        self._snap: dict[str, tuple[StreamId, dict[str, Any]]] = {}
        self._snap_flight: dict[str, asyncio.Future[tuple[StreamId, dict[str, Any]]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._idle_since: float | None = None
        self._pseudonyms: dict[str, str] = {}
        # Viewer ids banned from this broadcast: loaded at start, then kept by
        # the stream's ban events (which also close their sockets here).
        self.banned: set[str] = set()

    # --- life ---------------------------------------------------------------------

    async def start(self) -> None:
        """Load the broadcast and position the tailer at the stream's end."""
        store = self.hub.store
        meta = await store.broadcast_meta(self.bid)
        if meta is None:
            raise Rejection(Code.NOT_FOUND, "no such broadcast")
        self.epoch = await store.epoch(self.bid) or ""
        self.overlay_key = meta.get("okey", "")
        self.banned = await store.banned_ids(self.bid)
        _, last = await store.stream_bounds(self.bid)
        self.tail_pos = last or "0-0"
        self.tail = parse_stream_id(self.tail_pos)
        self.ring_base = self.tail
        self.healthy = True
        self._task = asyncio.create_task(self._tail_forever(), name=f"tail:{self.bid}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def tailer_alive(self) -> bool:
        return self._task is not None and not self._task.done() and self.healthy

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
            found = self._pseudonyms[vid] = self.hub.pseudonym(vid, self.bid)
        return found

    # --- tailing ------------------------------------------------------------------

    async def _tail_forever(self) -> None:
        client = self.hub.blocking_redis
        stream = keys.events(self.bid)
        tick = self._settings.fanout_tick_ms / 1000
        backoff = 0.1
        while True:
            try:
                rows: Any = await client.xread(
                    {stream: self.tail_pos},
                    count=self._settings.tail_batch,
                    block=self._settings.tail_block_ms,
                )
                if not self.healthy and await self._revalidate():
                    self.healthy = True
                    continue  # reset: the clients' fresh snapshots cover what was read
                self.healthy = True
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except REDIS_DOWN:
                self.healthy = False
                self._metrics.redis_errors_total.inc(op="xread")
                self._metrics.tailer_restarts_total.inc()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            except Exception:
                log.exception("tailer of a broadcast failed; restarting it")
                self._metrics.tailer_restarts_total.inc()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            if not rows:
                continue
            started = time.monotonic()
            entries = []
            for rid, fields in rows[0][1]:
                pos = rid.decode()
                event = orjson.loads(fields[b"e"])
                event["pos"] = pos
                entries.append(Entry(parse_stream_id(pos), event))
            self.ingest(entries)
            # Let the next tick's events accumulate: one frame per client per tick.
            spent = time.monotonic() - started
            if spent < tick:
                await asyncio.sleep(tick - spent)

    async def _revalidate(self) -> bool:
        """After a Redis outage: detect a lost or rolled-back stream (docs/reliability.md 2).

        Returns True when the channel was reset (clients resynchronised)."""
        store = self.hub.store
        epoch = await store.epoch(self.bid) or ""
        _, last = await store.stream_bounds(self.bid)
        last_sid = parse_stream_id(last) if last else ZERO
        same = epoch == self.epoch and last_sid >= self.tail
        if same and (self.tail == ZERO or await store.has_event(self.bid, self.tail_pos)):
            return False  # the event we saw last is still there: nothing was lost
        if epoch == self.epoch:
            # Redis came back with an older copy of the data: a new epoch makes
            # every client on every hub process take a full snapshot.
            epoch = await store.bump_epoch(self.bid, self.epoch)
        log.warning("event stream of a broadcast went back in time; resetting its clients")
        self._reset(epoch, last or "0-0")
        return True

    def _reset(self, epoch: str, last_pos: str) -> None:
        self.epoch = epoch
        self.tail_pos = last_pos
        self.tail = parse_stream_id(last_pos)
        self.ring.clear()
        self.ring_base = self.tail
        self._snap.clear()
        # The stream went back in time or was cleared (rehearsal): bans may
        # have changed without ban events.
        self.hub.spawn(self._reload_banned())
        for conn in [c for group in self.conns.values() for c in group]:
            self._unregister(conn)
            conn.state = ConnState.JOINING
            conn.voted.clear()  # the new snapshot says which polls it voted in
            self.hub.spawn(self._resync(conn))

    async def _reload_banned(self) -> None:
        self.banned = await self.hub.store.banned_ids(self.bid)

    async def _resync(self, conn: Conn) -> None:
        try:
            await self.join(conn, None, send_welcome=False)
        except Exception:
            # Left unregistered it would hear nothing: make it reconnect instead.
            conn.close(protocol.Close.TRY_AGAIN, "resynchronisation failed")

    def ingest(self, entries: list[Entry]) -> None:
        """Append a batch to the ring, update local caches and fan it out."""
        for i, entry in enumerate(entries):
            if entry.event.get("type") == "reset":
                # The broadcast's content was cleared (rehearsal.lua) under a new
                # epoch: what came before goes out as usual, then every client
                # is resynchronised with a fresh snapshot, as after a rollback.
                if i:
                    self.ingest(entries[:i])
                self.banned.clear()
                self._reset(entry.event["epoch"], entry.event["pos"])
                if i + 1 < len(entries):
                    self.ingest(entries[i + 1 :])
                return
        ring, limit = self.ring, self._settings.ring_size
        for entry in entries:
            if len(ring) >= limit:
                self.ring_base = ring.popleft().sid
            ring.append(entry)
            self._observe(entry.event)
        self.tail = entries[-1].sid
        self.tail_pos = entries[-1].event["pos"]
        self._dispatch(entries)

    def _observe(self, event: Event) -> None:
        kind = event.get("type")
        if kind == "question":
            if event["q"]["status"] not in PUBLIC_STATUSES and event.get("prev") in PUBLIC_STATUSES:
                self._hidden_at = _sid(event)
        elif kind == "broadcast":
            self.broadcast = event["b"]
        elif kind == "key_rotated":
            self.hub.spawn(self._refresh_overlay_key())
        elif kind == "ban":
            self._observe_ban(event["asker"], bool(event["on"]))
        elif kind == "deleted":
            # server/store/deletion.py: the broadcast is gone for everyone.
            for conn in [c for group in self.conns.values() for c in group]:
                conn.close(protocol.Close.NOT_FOUND, "the broadcast was deleted")

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
        meta = await self.hub.store.broadcast_meta(self.bid)
        self.overlay_key = (meta or {}).get("okey", "")
        for conn in list(self.conns[Role.OVERLAY]):
            if conn.key != self.overlay_key:
                conn.close(protocol.Close.UNAUTHORIZED, "overlay key rotated")

    # --- fan-out ------------------------------------------------------------------

    def _frame(self, last_pos: str, events: list[Event]) -> OutFrame:
        return OutFrame(protocol.encode(protocol.events_frame(self.epoch, last_pos, events)))

    def _names_hidden(self, role: Role) -> bool:
        settings: dict[str, Any] = self.broadcast.get("settings") or {}
        return role is not Role.MODERATOR and settings.get("show_names", True) is False

    def _project(self, event: Event, role: Role) -> Event | None:
        """The role-wide projection, with names hidden where the broadcast says so."""
        item = project(event, role, pseudonym=self.pseudonym)
        if item is not None and self._names_hidden(role):
            item = hide_names(item)
        return item

    def _project_for(
        self, conn: Conn, events: Iterable[Event], projected: list[Event | None] | None = None
    ) -> list[Event]:
        """Events as this one connection may see them (personal variants included).

        ``projected``: the role-wide projections of ``events``, when the caller
        has them already (the fan-out reuses them for every personal frame)."""
        out: list[Event] = []
        role, vid = conn.role, conn.vid
        events = list(events)
        if projected is None:
            projected = [self._project(event, role) for event in events]
        for event, item in zip(events, projected, strict=True):
            if role is Role.VIEWER:
                if vid is not None and private_id(event) == vid:
                    item = project_for_owner(event, item)
                elif event.get("type") == "tally" and event["pid"] in conn.voted:
                    item = project_for_voter(event)
            if item is not None:
                out.append(item)
        return coalesce(out)

    def _dispatch(self, entries: list[Entry]) -> None:
        first, last = entries[0].sid, entries[-1].sid
        last_pos = entries[-1].event["pos"]
        events = [e.event for e in entries]
        # Indexes of the batch, built once: which events are personal to whom and
        # which are tallies of which poll. A personal frame then visits only the
        # events that can differ for its viewer, not the whole batch per owner
        # (that was quadratic in the batch size when many viewers ask at once).
        by_owner: dict[str, list[int]] = {}
        by_poll: dict[int, list[int]] = {}
        for i, event in enumerate(events):
            vid = private_id(event)
            if vid is not None and vid in self.by_vid:
                by_owner.setdefault(vid, []).append(i)
            if event.get("type") == "tally":
                by_poll.setdefault(event["pid"], []).append(i)
                for conn in self.by_vid.get(vid or "", ()):
                    conn.voted.add(event["pid"])  # a ballot cast on another socket
        owners = by_owner.keys()
        tally_polls = by_poll.keys()
        # Who gets a frame of their own this tick: owners of personal events and
        # voters of polls whose tally moved. Everyone else shares one frame per role.
        frames_out = events_out = 0
        for role, group in self.conns.items():
            if not group:
                continue
            projected = [self._project(e, role) for e in events]
            visible = [i for i, p in enumerate(projected) if p is not None]
            shared_events = coalesce([p for p in projected if p is not None])
            shared = self._frame(last_pos, shared_events) if shared_events else None
            variants: dict[Any, tuple[OutFrame | None, int]] = {}
            for conn in list(group):
                if conn.pos >= last:
                    continue
                if conn.pos >= first:  # joined mid-batch: only what it has not seen
                    mine = self._project_for(conn, [e for e in events if _sid(e) > conn.pos])
                    frame, count = (self._frame(last_pos, mine), len(mine)) if mine else (None, 0)
                elif role is Role.VIEWER and (
                    conn.vid in owners or (tally_polls and conn.voted & tally_polls)
                ):
                    owner = conn.vid if conn.vid in owners else None
                    polls = frozenset(conn.voted & tally_polls)
                    vkey = (owner, polls)
                    if vkey not in variants:
                        wanted = set(visible)
                        wanted.update(by_owner.get(owner or "", ()))
                        for pid in polls:
                            wanted.update(by_poll[pid])
                        order = sorted(wanted)
                        mine = self._project_for(
                            conn, [events[i] for i in order], [projected[i] for i in order]
                        )
                        variants[vkey] = (
                            (self._frame(last_pos, mine), len(mine)) if mine else (None, 0)
                        )
                    frame, count = variants[vkey]
                else:
                    frame, count = shared, len(shared_events)
                if frame is None:
                    conn.pos = last
                elif conn.send_frame(frame):
                    conn.pos = last
                    frames_out += 1
                    events_out += count
        self._metrics.frames_out_total.inc(frames_out)
        self._metrics.events_out_total.inc(events_out)

    # --- joining ------------------------------------------------------------------

    def register(self, conn: Conn) -> None:
        self.conns[conn.role].add(conn)
        if conn.vid is not None:
            self.by_vid.setdefault(conn.vid, set()).add(conn)
            if conn.role is Role.VIEWER:
                self.seen_vids.add(conn.vid)
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
                    personal = await self.hub.store.viewer_state(self.bid, conn.vid)
                    conn.voted.update(int(b["poll"]) for b in personal["ballots"])
                pos = client_position(since.pos)
                outcome, missed = await self._resume_plan(pos)
                if outcome is ResumeOutcome.RECOVERED or outcome is ResumeOutcome.CURRENT:
                    if missed is None:
                        continue  # the ring moved while we read Redis: plan again
                    self._go_live(conn, outcome, send_welcome, None, missed, pos)
                    return outcome
            snap_pos, snap = await self._snapshot_for(conn)
            if snap_pos < self.ring_base:
                self._snap.clear()  # the ring no longer covers it: read again
                continue
            after = [e.event for e in self.ring if e.sid > snap_pos]
            self._go_live(conn, outcome, send_welcome, snap, after, snap_pos)
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
                conn.role.value, self.epoch, outcome.value, heartbeat_s=self.hub.heartbeat_s
            )
            conn.send_text(protocol.encode(welcome).decode())
        if snapshot is not None:
            conn.send_text(snapshot.decode())
        if missed:
            visible = self._project_for(conn, missed)
            if visible:
                conn.send_frame(self._frame(missed[-1]["pos"], visible))
            pos = max(pos, _sid(missed[-1]))
        conn.pos = max(pos, self.tail) if not missed else pos
        if conn.pos < self.tail:
            conn.pos = self.tail
        if conn.live:
            self.register(conn)

    async def _resume_plan(self, pos: StreamId) -> tuple[ResumeOutcome, list[Event] | None]:
        """Resume from ``pos`` in this epoch: the outcome and the missed events."""
        limit = self._settings.resume_max_events
        if self.ring_base <= pos <= self.tail:
            missed = [e.event for e in self.ring if e.sid > pos]
            if len(missed) > limit:
                return ResumeOutcome.TOO_MANY, []
            return (ResumeOutcome.RECOVERED if missed else ResumeOutcome.CURRENT), missed
        store = self.hub.store
        first, last = await store.stream_bounds(self.bid)
        first_sid = parse_stream_id(first) if first else None
        last_sid = parse_stream_id(last) if last else None
        if pos > self.tail:
            # Ahead of this tailer: fine if Redis has it (the tailer lags), else future.
            if last_sid is not None and pos <= last_sid:
                if pos <= self.tail:
                    return ResumeOutcome.CURRENT, None
                return ResumeOutcome.CURRENT, []
            outcome = decide_resume(
                client_epoch=self.epoch, client_pos=pos, epoch=self.epoch,
                first=first_sid, last=last_sid, missed=0, limit=limit,
            )  # fmt: skip
            return outcome, []
        # Older than the ring: read the gap from Redis.
        base, base_pos = self.ring_base, self.ring[0].event["pos"] if self.ring else self.tail_pos
        rows = await store.read_events(
            self.bid, _pos_str(pos), limit + 1, until=_pos_str(base) if base != ZERO else base_pos
        )
        outcome = decide_resume(
            client_epoch=self.epoch, client_pos=pos, epoch=self.epoch, first=first_sid,
            last=last_sid, missed=len(rows), limit=limit,
            trimmed_before=first_sid if first_sid is not None and pos < first_sid else ZERO,
        )  # fmt: skip
        if outcome is not ResumeOutcome.RECOVERED:
            return outcome, []
        if self.ring_base > base:
            return outcome, None  # the ring moved past what we read: plan again
        events = []
        for pos_str, event in rows:
            event["pos"] = pos_str
            events.append(event)
        events += [e.event for e in self.ring if e.sid > base]
        if len(events) > limit:
            return ResumeOutcome.TOO_MANY, []
        return outcome, events

    async def _snapshot_for(self, conn: Conn) -> tuple[StreamId, bytes]:
        """The encoded snapshot message for one connection (shared part cached)."""
        mode = "moderator" if conn.role is Role.MODERATOR else "viewer"
        pos, shared = await self._shared_snapshot(mode)
        view = self._project_snapshot(shared, conn.role)
        if conn.role is Role.VIEWER and conn.vid is not None:
            personal = await self.hub.store.viewer_state(self.bid, conn.vid)
            view = self._add_personal(view, personal, conn)
        message = protocol.snapshot(self.epoch, shared["pos"], view)
        return pos, protocol.encode(message)

    async def _shared_snapshot(self, mode: str) -> tuple[StreamId, dict[str, Any]]:
        cached = self._snap.get(mode)
        fresh_enough = mode == "moderator" or (cached is not None and cached[0] >= self._hidden_at)
        if cached is not None and cached[0] >= self.ring_base and fresh_enough:
            self._metrics.snapshot_reads_total.inc(kind="shared")
            return cached
        flight = self._snap_flight.get(mode)
        if flight is not None:
            self._metrics.snapshot_reads_total.inc(kind="shared")
            return await asyncio.shield(flight)
        flight = asyncio.get_running_loop().create_future()
        self._snap_flight[mode] = flight
        try:
            self._metrics.snapshot_reads_total.inc(kind="redis")
            snap = await self.hub.store.snapshot(self.bid, mode)
            if snap is None:
                raise Rejection(Code.NOT_FOUND, "no such broadcast")
            if snap["epoch"] != self.epoch:
                raise Rejection(
                    Code.UNAVAILABLE, "the broadcast was reset; reconnect", retryable=True
                )
            result = (parse_stream_id(snap["pos"]), snap)
            self.broadcast = snap["broadcast"]
            self._snap[mode] = result
            flight.set_result(result)
            return result
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                flight.cancel()
            else:
                flight.set_exception(exc)
                flight.exception()  # mark retrieved: waiters get it through shield
            raise
        finally:
            del self._snap_flight[mode]

    def _project_snapshot(self, snap: dict[str, Any], role: Role) -> dict[str, Any]:
        on_air = snap["on_air"]
        polls = [
            p["poll"]
            for poll in snap["polls"]
            if (p := project({"type": "poll", "poll": poll}, role, pseudonym=self.pseudonym))
        ]
        view: dict[str, Any] = {
            "broadcast": snap["broadcast"],
            "polls": polls,
            "likes": snap["likes"],
            "presence": snap["presence"],
            "on_air": _public(on_air) if on_air else None,
        }
        if role is Role.MODERATOR:
            view["questions"] = [
                {**_strip(item["q"]), "asker": self.pseudonym(item["asker"])}
                for item in snap["questions"]
            ]
            view["banned"] = [
                {"asker": self.pseudonym(b["vid"]), "qid": b["qid"]}
                for b in as_list(snap.get("banned"))
            ]
        else:
            # Viewers and the overlay (its ticker): the "viewer" snapshot holds
            # public statuses only, never a pending or rejected question.
            view["questions"] = [_public(item["q"]) for item in snap["questions"]]
            if self._names_hidden(role):
                view["questions"] = [hide_names({"q": q})["q"] for q in view["questions"]]
                if view["on_air"] is not None:
                    view["on_air"] = hide_names({"q": view["on_air"]})["q"]
        if role is not Role.VIEWER:
            view["overlay"] = snap["overlay"]
        return view

    def _add_personal(
        self, view: dict[str, Any], personal: dict[str, Any], conn: Conn
    ) -> dict[str, Any]:
        view = dict(view)
        view["mine"] = [{**_own(q), "mine": True} for q in personal["mine"]]
        view["myvotes"] = personal["myvotes"]
        ballots = {int(b["poll"]): as_list(b["mine"]) for b in personal["ballots"]}
        conn.voted.update(ballots)
        if ballots:
            polls = []
            for poll in view["polls"]:
                mine = ballots.get(int(poll["id"]))
                if mine is not None:
                    poll = dict(poll, mine=mine)
                    full = self._poll_tallies(int(poll["id"]))
                    if full is not None and poll.get("tallies") is None and _voter_sees(poll):
                        poll["tallies"], poll["ballots"] = full
                polls.append(poll)
            view["polls"] = polls
        return view

    def _poll_tallies(self, pid: int) -> tuple[list[int], int] | None:
        for mode in ("viewer", "moderator"):
            cached = self._snap.get(mode)
            if cached is None:
                continue
            for poll in cached[1]["polls"]:
                if int(poll["id"]) == pid:
                    return poll["tallies"], poll["ballots"]
        return None


def _voter_sees(poll: dict[str, Any]) -> bool:
    return poll.get("results") in ("after_vote", "always") or poll.get("state") == "closed"


def _strip(q: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in q.items() if k not in ("asker", "voter")}


def _public(q: dict[str, Any]) -> dict[str, Any]:
    # An allow-list, as in projection: fields the store adds later (flags...)
    # stay private until listed there.
    return {k: q[k] for k in PUBLIC_Q_FIELDS if k in q}


def _own(q: dict[str, Any]) -> dict[str, Any]:
    """A viewer's own question: public fields plus the reason it was refused."""
    return {**_public(q), "reason": q.get("reason")}


def _pos_str(sid: StreamId) -> str:
    return f"{sid[0]}-{sid[1]}"
