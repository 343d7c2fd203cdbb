"""Snapshots of one broadcast in one process: read once, shared, encoded once.

A snapshot is read from Redis once per mode ("viewer": public statuses only;
"moderator": everything) and shared by every join of the process: concurrent
joins wait for the one read in flight, and a cached snapshot stays usable as
long as the ring still holds every event after it (and, for viewers, no
question left public view since; its text would show until the catch-up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server import protocol
from server.domain.errors import Code, Rejection
from server.domain.projection import add_personal
from server.domain.resume import StreamId, parse_stream_id
from server.live.conn import Conn
from server.live.deps import LiveDeps
from server.live.fanout import Projector, Ring
from server.live.flight import Flights
from server.protocol import Role

Snapshot = tuple[StreamId, dict[str, Any]]


class Snapshots:
    def __init__(
        self,
        bid: str,
        deps: LiveDeps,
        projector: Projector,
        ring: Ring,
        *,
        epoch: Callable[[], str],
        on_broadcast: Callable[[dict[str, Any]], None],
    ) -> None:
        self.bid = bid
        self._store = deps.store
        self._metrics = deps.metrics
        self._projector = projector
        self._ring = ring
        self._epoch = epoch  # the channel's current epoch
        self._on_broadcast = on_broadcast  # a snapshot carries the broadcast's settings
        self._snap: dict[str, Snapshot] = {}
        self._flights: Flights[str, Snapshot] = Flights()  # one Redis read per mode at a time
        # role -> (the shared snapshot it was built from, names hidden, its
        # encoded message without the closing brace): see for_conn.
        self._heads: dict[Role, tuple[dict[str, Any], bool, bytes]] = {}

    def clear(self) -> None:
        self._snap.clear()
        self._heads.clear()

    async def for_conn(self, conn: Conn) -> tuple[StreamId, bytes]:
        """The encoded snapshot message for one connection (shared part cached).

        The role's part is projected and encoded once per shared snapshot; a
        viewer's own questions and upvotes are appended to those bytes. Only a
        viewer with a ballot (whose polls differ) is encoded whole: in a
        reconnect storm, 1,000 viewers of a 2,000-question broadcast must not
        cost 1,000 projections and encodings of ~700 KB."""
        mode = "moderator" if conn.role is Role.MODERATOR else "viewer"
        pos, shared = await self.shared(mode)
        head = self._head(shared, conn.role)
        if conn.role is not Role.VIEWER or conn.vid is None:
            return pos, head + b"}"
        personal = await self._store.viewer_state(self.bid, conn.vid)
        if not personal["ballots"]:
            mine = add_personal({"polls": []}, personal, self.poll_tallies)[0]
            extra = protocol.encode({"mine": mine["mine"], "myvotes": mine["myvotes"]})
            return pos, head + b"," + extra[1:]
        view, voted = add_personal(self._projector.snapshot(shared, conn.role), personal,
                                   self.poll_tallies)  # fmt: skip
        conn.voted.update(voted)
        return pos, protocol.encode(protocol.snapshot(self._epoch(), shared["pos"], view))

    def _head(self, shared: dict[str, Any], role: Role) -> bytes:
        """The role's snapshot message, encoded, without its closing brace."""
        hidden = self._projector.names_hidden(role)  # may change with a broadcast event
        cached = self._heads.get(role)
        if cached is not None and cached[0] is shared and cached[1] == hidden:
            return cached[2]
        view = self._projector.snapshot(shared, role)
        head = protocol.encode(protocol.snapshot(self._epoch(), shared["pos"], view))[:-1]
        self._heads[role] = (shared, hidden, head)
        return head

    async def shared(self, mode: str) -> Snapshot:
        cached = self._snap.get(mode)
        fresh_enough = mode == "moderator" or (
            cached is not None and cached[0] >= self._ring.hidden_at
        )
        if cached is not None and cached[0] >= self._ring.base and fresh_enough:
            self._metrics.snapshot_reads_total.inc(kind="shared")
            return cached
        if mode in self._flights:
            self._metrics.snapshot_reads_total.inc(kind="shared")
        return await self._flights.run(mode, lambda: self._read(mode))

    async def _read(self, mode: str) -> Snapshot:
        self._metrics.snapshot_reads_total.inc(kind="redis")
        snap = await self._store.snapshot(self.bid, mode)
        if snap is None:
            raise Rejection(Code.NOT_FOUND, "no such broadcast")
        if snap["epoch"] != self._epoch():
            raise Rejection(Code.UNAVAILABLE, "the broadcast was reset; reconnect", retryable=True)
        result = (parse_stream_id(snap["pos"]), snap)
        self._on_broadcast(snap["broadcast"])
        self._snap[mode] = result
        return result

    def poll_tallies(self, pid: int) -> tuple[list[int], int] | None:
        for mode in ("viewer", "moderator"):
            cached = self._snap.get(mode)
            if cached is None:
                continue
            for poll in cached[1]["polls"]:
                if int(poll["id"]) == pid:
                    return poll["tallies"], poll["ballots"]
        return None
