"""The fan-out core without sockets: feed events and connection states, assert frames.

In the manner of websockets' protocol tests: a ``Client`` is only the state the
core reads (role, viewer id, position, ballots); ``deliver`` runs one batch
through ``plan_batch`` and applies what a writer would (a member's ``pos``
moves to the batch's end), and ``frames_of`` says what one client received.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from server.domain.question import ANONYMOUS
from server.domain.resume import ZERO, ResumeOutcome, StreamId
from server.live.fanout import (
    Delivery,
    Entry,
    Frame,
    Projector,
    Ring,
    entry,
    plan_batch,
    plan_resume,
)
from server.protocol import Role

V, M, OV = Role.VIEWER, Role.MODERATOR, Role.OVERLAY
ALICE, BOB = "vid-alice-raw", "vid-bob-raw"


@dataclasses.dataclass(eq=False)
class Client:
    role: Role = V
    vid: str | None = None
    pos: StreamId = ZERO
    voted: set[int] = dataclasses.field(default_factory=set)


class Room:
    """Members of one broadcast as the channel keeps them: by role and by viewer."""

    def __init__(self, *clients: Client, show_names: bool = True) -> None:
        self.clients = list(clients)
        self.projector = Projector(lambda vid: f"P({vid[-3:]})")
        self.projector.observe_broadcast({"settings": {"show_names": show_names}})
        self.received: dict[int, list[Frame]] = {id(c): [] for c in clients}
        self.plans: list[list[Delivery]] = []

    def groups(self) -> dict[Role, list[Client]]:
        return {role: [c for c in self.clients if c.role is role] for role in Role}

    def by_vid(self) -> dict[str, list[Client]]:
        out: dict[str, list[Client]] = {}
        for c in self.clients:
            if c.vid is not None:
                out.setdefault(c.vid, []).append(c)
        return out

    def deliver(self, batch: list[Entry]) -> None:
        plan = plan_batch(batch, self.groups(), self.by_vid(), self.projector)
        self.plans.append(plan)
        for d in plan:
            if d.frame is not None:
                self.received[id(d.member)].append(d.frame)
            d.member.pos = batch[-1].sid

    def frames_of(self, client: Client) -> list[list[dict[str, Any]]]:
        return [f.events for f in self.received[id(client)]]


def q(qid: int, status: str, name: str = "小王") -> dict[str, Any]:
    return {"id": qid, "text": f"问题{qid}", "name": name, "tag": None, "status": status,
            "votes": 0, "starred": False, "created": 1, "updated": 1, "edited": False,
            "reason": None, "merged_into": None}  # fmt: skip


def question(pos: str, qid: int, status: str, asker: str, prev: str | None = None) -> Entry:
    return entry(pos, {"type": "question", "q": q(qid, status), "asker": asker, "prev": prev})


def likes(pos: str, total: int) -> Entry:
    return entry(pos, {"type": "likes", "total": total})


def tally(pos: str, pid: int, voter: str, tallies: list[int]) -> Entry:
    return entry(pos, {"type": "tally", "pid": pid, "tallies": tallies,
                       "ballots": sum(tallies), "voter": voter, "choices": [0],
                       "results": "after_vote", "state": "open"})  # fmt: skip


# --- frame planning ----------------------------------------------------------------


def test_one_shared_frame_per_role_coalesced() -> None:
    a, b, mod = Client(V, ALICE), Client(V, BOB), Client(M, "mod")
    room = Room(a, b, mod)
    room.deliver([likes("1-0", 1), likes("1-1", 5), question("1-2", 1, "approved", "other")])
    # Only the newest like total survives; the viewers share one frame object.
    assert room.frames_of(a) == [
        [{"type": "likes", "total": 5, "pos": "1-1"}, room.frames_of(a)[0][1]]
    ]
    assert room.received[id(a)][0] is room.received[id(b)][0]
    assert room.received[id(mod)][0] is not room.received[id(a)][0]
    assert room.received[id(a)][0].pos == "1-2"


def test_role_projection_pending_reaches_moderators_and_its_asker_only() -> None:
    asker, other, overlay, mod = Client(V, ALICE), Client(V, BOB), Client(OV), Client(M, "m")
    room = Room(asker, other, overlay, mod)
    room.deliver([question("2-0", 7, "pending", ALICE)])
    assert room.frames_of(other) == []
    assert room.frames_of(overlay) == []
    assert other.pos == (2, 0)  # nothing visible, but the position moved
    (mine,) = room.frames_of(asker)
    assert mine[0]["mine"] is True and mine[0]["q"]["id"] == 7
    assert "asker" not in mine[0] and mine[0]["q"]["reason"] is None
    (seen,) = room.frames_of(mod)
    assert seen[0]["q"]["asker"] == "P(raw)"  # a pseudonym, never the raw id
    assert ALICE not in repr(room.received)


def test_personal_variant_keeps_the_shared_events() -> None:
    asker, other = Client(V, ALICE), Client(V, BOB)
    room = Room(asker, other)
    room.deliver([likes("3-0", 2), question("3-1", 8, "pending", ALICE), likes("3-2", 9)])
    assert room.frames_of(other) == [[{"type": "likes", "total": 9, "pos": "3-2"}]]
    (frame,) = room.frames_of(asker)
    assert [e["type"] for e in frame] == ["question", "likes"]
    assert frame[1]["total"] == 9


def test_viewers_in_the_same_situation_share_a_variant() -> None:
    v1, v2, v3 = Client(V, "a1", voted={4}), Client(V, "a2", voted={4}), Client(V, "a3")
    room = Room(v1, v2, v3)
    room.deliver([tally("4-0", 4, "someone", [1, 2])])
    # after_vote results: only the voters see the tally, and they share its frame.
    assert room.frames_of(v3) == []
    assert room.received[id(v1)][0] is room.received[id(v2)][0]
    assert room.frames_of(v1)[0][0]["tallies"] == [1, 2]


def test_a_ballot_on_another_socket_makes_tallies_follow() -> None:
    tab1, tab2 = Client(V, ALICE), Client(V, ALICE)
    room = Room(tab1, tab2)
    room.deliver([tally("5-0", 2, ALICE, [1, 0])])
    assert tab1.voted == tab2.voted == {2}
    room.deliver([tally("5-1", 2, BOB, [1, 1])])
    assert room.frames_of(tab2)[-1][0]["tallies"] == [1, 1]


def test_mid_batch_join_gets_only_what_it_has_not_seen() -> None:
    early, late, done = Client(V, BOB), Client(V, BOB, pos=(6, 1)), Client(V, BOB, pos=(6, 2))
    room = Room(early, late, done)
    room.deliver([likes("6-0", 1), question("6-1", 3, "approved", "x"), likes("6-2", 4)])
    assert [e["pos"] for e in room.frames_of(early)[0]] == ["6-1", "6-2"]
    assert room.frames_of(late) == [[{"type": "likes", "total": 4, "pos": "6-2"}]]
    assert room.frames_of(done) == []
    assert {d.member.pos for d in room.plans[0]} == {(6, 2)}


def test_names_hidden_for_viewers_and_overlay_not_moderators_nor_the_asker() -> None:
    viewer, overlay, mod, asker = Client(V, BOB), Client(OV), Client(M, "m"), Client(V, ALICE)
    room = Room(viewer, overlay, mod, asker, show_names=False)
    room.deliver([question("7-0", 1, "approved", ALICE)])
    assert room.frames_of(viewer)[0][0]["q"]["name"] == ANONYMOUS
    assert room.frames_of(overlay)[0][0]["q"]["name"] == ANONYMOUS
    assert room.frames_of(mod)[0][0]["q"]["name"] == "小王"
    assert room.frames_of(asker)[0][0]["q"]["name"] == "小王"


def test_question_leaving_public_view_is_removed_for_viewers() -> None:
    viewer = Client(V, BOB)
    room = Room(viewer)
    ring = Ring(10)
    batch = [question("8-0", 2, "rejected", ALICE, prev="approved")]
    ring.extend(batch)
    room.deliver(batch)
    assert room.frames_of(viewer) == [[{"type": "question_removed", "qid": 2, "pos": "8-0"}]]
    assert ring.hidden_at == (8, 0)


# --- the ring and resume planning --------------------------------------------------


def filled(n: int, limit: int = 100, start: str = "10-0") -> Ring:
    ring = Ring(limit)
    ring.reset(start)
    ring.extend([likes(f"{11 + i}-0", i) for i in range(n)])
    return ring


RESUME_CASES = [
    ("same position", (15, 0), 5, ResumeOutcome.CURRENT, 0),
    ("at the ring's base", (10, 0), 5, ResumeOutcome.RECOVERED, 5),
    ("n missed", (12, 0), 5, ResumeOutcome.RECOVERED, 3),
    ("too many", (10, 0), 2, ResumeOutcome.TOO_MANY, 0),
    ("never an event: <ms>-999", (12, 999), 5, ResumeOutcome.UNKNOWN, 0),
    ("never an event, between entries", (13, 1), 5, ResumeOutcome.UNKNOWN, 0),
]


@pytest.mark.parametrize(
    ("pos", "limit", "outcome", "missed"),
    [c[1:] for c in RESUME_CASES],
    ids=[c[0] for c in RESUME_CASES],
)
def test_plan_resume_from_the_ring(
    pos: StreamId, limit: int, outcome: ResumeOutcome, missed: int
) -> None:
    plan = plan_resume(filled(5), pos, limit)
    assert plan is not None
    assert plan.outcome is outcome
    assert len(plan.missed) == missed
    assert all(e["pos"] > f"{pos[0]}-{pos[1]}" for e in plan.missed)


@pytest.mark.parametrize("pos", [(9, 0), (15, 1), (99, 0)], ids=["older", "ahead", "future"])
def test_plan_resume_outside_the_ring_asks_redis(pos: StreamId) -> None:
    assert plan_resume(filled(5), pos, 10) is None


def test_the_ring_evicts_and_its_base_stays_an_event() -> None:
    ring = filled(8, limit=3)
    assert [e.event["pos"] for e in ring.entries] == ["16-0", "17-0", "18-0"]
    assert ring.base == (15, 0)
    assert ring.first_pos() == "16-0"
    plan = plan_resume(ring, (15, 0), 10)
    assert plan is not None and plan.outcome is ResumeOutcome.RECOVERED
    assert [e["pos"] for e in plan.missed] == ["16-0", "17-0", "18-0"]
    assert plan_resume(ring, (14, 0), 10) is None  # evicted: Redis decides


def test_empty_ring_at_zero_is_current() -> None:
    ring = Ring(5)
    ring.reset("0-0")
    plan = plan_resume(ring, ZERO, 5)
    assert plan is not None and plan.outcome is ResumeOutcome.CURRENT


def test_the_core_does_no_io() -> None:
    path = Path(__file__).resolve().parents[2] / "server" / "live" / "fanout.py"
    tree = ast.parse(path.read_text("utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
             for a in n.names}  # fmt: skip
    names |= {n.module.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module}  # fmt: skip
    assert not names & {"asyncio", "redis", "starlette", "uvicorn", "websockets", "socket"}
    assert not any(isinstance(n, (ast.Await, ast.AsyncFunctionDef)) for n in ast.walk(tree))


@pytest.mark.parametrize("results", ["after_vote", "after_close", "always"])
def test_a_crowd_voting_at_once_gets_what_member_by_member_projection_gives(
    results: str,
) -> None:
    """Personal frames skip superseded tallies (one per poll survives coalesce):
    the frames stay exactly those of projecting the whole batch member by member."""
    import random

    rng = random.Random(results)
    vids = [f"vid-{i:03d}-raw" for i in range(30)]
    clients = [Client(V, vid, voted={1} if i % 3 == 0 else set()) for i, vid in enumerate(vids)]
    clients += [Client(M), Client(OV), Client(V, None)]
    room = Room(*clients)
    for batch_no in range(3):
        batch = []
        for j in range(40):
            pid = rng.choice([1, 2])
            voter = rng.choice(vids)
            event = {"type": "tally", "pid": pid, "tallies": [j, batch_no], "ballots": j,
                     "voter": voter, "choices": [rng.randint(0, 1)], "results": results,
                     "state": "open"}  # fmt: skip
            batch.append(entry(f"{10 + batch_no}-{2 * j}", event))
            if j % 10 == 0:
                batch.append(entry(f"{10 + batch_no}-{2 * j + 1}", {"type": "likes", "total": j}))
        # What each member should get, with the voted sets the batch produces.
        expected = {}
        voted_after = {id(c): set(c.voted) for c in clients}
        for e in batch:
            for c in clients:
                if e.event["type"] == "tally" and c.vid == e.event["voter"]:
                    voted_after[id(c)].add(e.event["pid"])
        for c in clients:
            member = dataclasses.replace(c, voted=voted_after[id(c)])
            expected[id(c)] = room.projector.project_for(member, [e.event for e in batch])
        before = {id(c): len(room.received[id(c)]) for c in clients}
        room.deliver(batch)
        for c in clients:
            got = room.received[id(c)][before[id(c)] :]
            assert [f.events for f in got] == ([expected[id(c)]] if expected[id(c)] else []), c
