"""ov_scene.lua, ov_cue.lua, ov_take.lua, rundown.lua and the overlay state that
overlay.lua, set_status.lua and snapshot.lua share with them (_overlay.lua)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import redis.asyncio as aioredis

from server.domain import production as prod
from server.domain import question as qn
from server.store import keys
from server.store.store import Result, Store
from tests.store.helpers import applied_once, ask, audit, events, idem, new_broadcast, refused
from tests.store.test_polls import new_poll, set_state
from tests.store.test_questions import move

pytestmark = pytest.mark.anyio
S = qn.QuestionStatus
DEFAULTS = [("ask", "提问", ["question", "likes"]), ("vote", "投票", ["poll", "qr"]),
            ("intro", "片头", ["title", "qr"]), ("empty", "空", [])]  # fmt: skip


async def overlay(store: Store, bid: str) -> dict[str, Any]:
    snap = await store.snapshot(bid, "viewer")
    assert snap is not None
    return prod.overlay_view(snap["overlay"])


async def approved(store: Store, bid: str, n: int) -> list[int]:
    qids = []
    for _ in range(n):
        vid = "v" + secrets.token_hex(3)
        qid = (await ask(store, bid, f"{vid}的问题：公交线路怎么调整？", vid=vid))["qid"]
        assert (await move(store, bid, qid, S.APPROVED))["ok"]
        qids.append(qid)
    return qids


def rd(store: Store, bid: str, op: str, cmd: str | None = None, **kw: Any) -> Any:
    return store.rundown(bid, cmd or idem(), user="mod1", op=op, max_items=3, **kw)


async def items(redis: aioredis.Redis, bid: str) -> list[int]:
    return [int(x) for x in await redis.lrange(keys.rundown(bid), 0, -1)]


async def test_a_new_broadcast_starts_in_the_question_scene(store: Store, bid: str) -> None:
    """Nothing written yet: the default scenes, the first one on air (so 上屏 alone shows)."""
    await new_broadcast(store, bid)
    ov = await overlay(store, bid)
    assert [(s["id"], s["name"], s["widgets"]) for s in ov["scenes"]] == DEFAULTS
    assert (ov["scene"], ov["layers"], ov["show"], ov["cue"]) == ("ask", ["question", "likes"],
                                                                 "question", None)  # fmt: skip


async def test_switching_scenes_puts_their_widgets_on_air(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = (await new_poll(store, bid))["poll"]
    cmd = idem()
    result, [event] = await applied_once(
        redis, bid, lambda: store.scene(bid, cmd, user="mod1", op="switch", scene="vote", pid=pid)
    )
    assert result["ok"] and event["type"] == "overlay"
    assert (event["scene"], event["layers"], event["poll"], event["show"]) == (
        "vote",
        ["poll", "qr"],
        pid,
        "poll",
    )
    assert await redis.hget(keys.poll(bid, pid), "shown") == b"1"
    # The empty scene: cjson writes [] as {}; projection gives the list back.
    cmd = idem()
    _, [event] = await applied_once(
        redis, bid, lambda: store.scene(bid, cmd, user="mod1", op="switch", scene="empty")
    )
    assert prod.overlay_view(event)["layers"] == [] and event["show"] is None
    assert event["poll"] == pid  # the poll stays chosen for the next scene that shows one
    [entry] = [e for e in await audit(redis, keys.audit(bid)) if e["action"] == "scene.switch"][:1]
    assert entry["user"] == "mod1" and entry["target"] == "scene:vote"
    for scene, poll, code in [("nope", None, "not_found"), ("ask", 99, "not_found")]:
        await refused(redis, bid, lambda s=scene, p=poll: store.scene(
            bid, idem(), user="mod1", op="switch", scene=s, pid=p), code)  # fmt: skip


async def test_editing_scenes(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    put = lambda cmd, scene, name, widgets: store.scene(  # noqa: E731
        bid, cmd, user="mod1", op="put", scene=scene, name=name, widgets=widgets, max_scenes=5
    )
    # Changing the scene on air changes the air with it.
    cmd = idem()
    _, [event] = await applied_once(
        redis, bid, lambda: put(cmd, "ask", "提问", ["question", "ticker"])
    )
    assert (event["scene"], event["layers"]) == ("ask", ["question", "ticker"])
    # A new scene is appended; past the limit, refused.
    assert (await put(idem(), "full", "全部", ["question", "poll", "likes", "viewers"]))["ok"]
    await refused(redis, bid, lambda: put(idem(), "more", "再来", ["qr"]), "invalid")
    ov = await overlay(store, bid)
    assert [s["id"] for s in ov["scenes"]] == ["ask", "vote", "intro", "empty", "full"]
    # Deleting the scene on air leaves the air as it is, outside any scene.
    _, [event] = await applied_once(redis, bid, lambda: store.scene(
        bid, cmd + "d", user="mod1", op="delete", scene="ask"))  # fmt: skip
    assert event["scene"] is None and event["layers"] == ["question", "ticker"]
    await refused(redis, bid, lambda: store.scene(
        bid, idem(), user="mod1", op="delete", scene="ask"), "not_found")  # fmt: skip
    actions = [e["action"] for e in await audit(redis, keys.audit(bid))]
    assert actions.count("scene.put") == 2 and actions.count("scene.delete") == 1


async def test_the_old_overlay_command_shows_one_widget(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    await store.show_overlay(bid, idem(), user="mod1", show="likes", pid=None)
    ov = await overlay(store, bid)
    assert (ov["scene"], ov["layers"], ov["show"]) == (None, ["likes", "viewers"], "likes")
    await store.show_overlay(bid, idem(), user="mod1", show=None, pid=None)
    ov = await overlay(store, bid)
    assert (ov["layers"], ov["show"]) == ([], None)


async def test_cue_then_take(store: Store, redis: aioredis.Redis, bid: str) -> None:
    """A cue changes nothing on air; the take puts scene, poll and question on air at once."""
    await new_broadcast(store, bid)
    first, second = await approved(store, bid, 2)
    assert (await move(store, bid, first, S.ON_AIR))["ok"]
    pid = (await new_poll(store, bid))["poll"]
    await refused(redis, bid, lambda: store.cue(bid, idem(), user="mod1", clear=False, pid=pid),
                  "conflict")  # a draft  # fmt: skip
    assert (await set_state(store, bid, pid, set_state.__globals__["P"].OPEN))["ok"]
    cmd = idem()
    _, [event] = await applied_once(redis, bid, lambda: store.cue(
        bid, cmd, user="mod1", clear=False, scene="vote", qid=second, pid=pid))  # fmt: skip
    assert event["cue"] == {"scene": "vote", "layers": ["poll", "qr"], "poll": pid, "qid": second}
    assert (event["scene"], event["layers"]) == ("ask", ["question", "likes"])  # air unchanged
    assert await redis.get(keys.on_air(bid)) == str(first).encode()
    # Take: one script, every change in it.
    cmd = idem()
    result, appended = await applied_once(redis, bid, lambda: store.take(bid, cmd, user="mod1"))
    assert result["qid"] == second and result["answered"] == first
    kinds = [(e["type"], e.get("q", {}).get("id")) for e in appended]
    assert kinds == [("question", first), ("question", second), ("overlay", None)]
    ov = prod.overlay_view(appended[-1])
    assert (ov["scene"], ov["layers"], ov["poll"], ov["cue"]) == ("vote", ["poll", "qr"], pid, None)
    await refused(redis, bid, lambda: store.take(bid, idem(), user="mod1"), "conflict")
    # A cued question that changed meanwhile: nothing goes on air.
    third = (await approved(store, bid, 1))[0]
    assert (await store.cue(bid, idem(), user="mod1", clear=False, qid=third))["ok"]
    assert (await move(store, bid, third, S.REJECTED))["ok"]
    result = await refused(redis, bid, lambda: store.take(bid, idem(), user="mod1"), "conflict")
    assert result["current"] == "rejected"
    # A cue is built up: a scene cued after the question keeps the question.
    assert (await store.cue(bid, idem(), user="mod1", clear=True))["ok"]
    fourth = (await approved(store, bid, 1))[0]
    await store.cue(bid, idem(), user="mod1", clear=False, qid=fourth)
    await store.cue(bid, idem(), user="mod1", clear=False, scene="empty")
    assert (await overlay(store, bid))["cue"] == {"scene": "empty", "layers": [], "poll": pid,
                                                  "qid": fourth}  # fmt: skip
    # Clearing the cue; a clear of nothing is a no-op without an event.
    before = len(await events(redis, bid))
    assert (await store.cue(bid, idem(), user="mod1", clear=True))["ok"]
    assert (await overlay(store, bid))["cue"] is None
    assert (await store.cue(bid, idem(), user="mod1", clear=True))["ok"]
    assert len(await events(redis, bid)) == before + 1
    pending = (await ask(store, bid, "还没审核的问题", vid="vp"))["qid"]
    await refused(redis, bid, lambda: store.cue(bid, idem(), user="mod1", clear=False,
                                                qid=pending), "conflict")  # fmt: skip
    assert [e["action"] for e in await audit(redis, keys.audit(bid))].count("take") == 1


async def test_the_rundown_converges(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    a, b, c, d = await approved(store, bid, 4)
    cmd = idem()
    result, [event] = await applied_once(redis, bid, lambda: rd(store, bid, "add", cmd, qid=a))
    assert event == {"type": "rundown", "items": [a], "ver": 1, "pos": event["pos"]}
    assert result["ver"] == 1
    await rd(store, bid, "add", qid=b)
    await rd(store, bid, "add", qid=c, after=0)  # at the top
    assert await items(redis, bid) == [c, a, b]
    await refused(redis, bid, lambda: rd(store, bid, "add", qid=d), "invalid")  # full (3)
    await refused(redis, bid, lambda: rd(store, bid, "add", qid=a), "conflict")  # already in
    # Two consoles move at once, each relative to a neighbour: both apply, in
    # Redis's order, and every console ends with the same list.
    r1, r2 = await rd(store, bid, "move", qid=c, after=b, at_end=False), await rd(
        store, bid, "move", qid=a, after=0, at_end=False)  # fmt: skip
    assert r1["ok"] and r2["ok"] and await items(redis, bid) == [a, b, c]
    # A move after a neighbour another console removed is refused, not misplaced.
    await rd(store, bid, "remove", qid=b)
    result = await refused(redis, bid, lambda: rd(store, bid, "move", qid=c, after=b,
                                                  at_end=False), "conflict")  # fmt: skip
    # A change made on an older version is refused when the version is sent.
    await refused(redis, bid, lambda: rd(store, bid, "remove", qid=c, ver=result["ver"] - 1),
                  "conflict")  # fmt: skip
    assert (await rd(store, bid, "remove", qid=c, ver=result["ver"]))["ok"]
    assert await items(redis, bid) == [a]
    actions = [e["action"] for e in await audit(redis, keys.audit(bid))]
    assert actions.count("rundown.add") == 3 and actions.count("rundown.move") == 2


async def test_next_puts_the_first_approved_question_on_air(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    a, b, c = await approved(store, bid, 3)
    for qid in (a, b, c):
        await rd(store, bid, "add", qid=qid)
    assert (await move(store, bid, a, S.REJECTED))["ok"]  # leaves the run-down by itself
    assert await items(redis, bid) == [b, c]
    cmd = idem()
    result, appended = await applied_once(redis, bid, lambda: rd(store, bid, "next", cmd))
    assert result["qid"] == b and result["answered"] is None
    assert [e["type"] for e in appended] == ["question", "rundown"]
    assert appended[0]["q"]["status"] == "on_air" and appended[1]["items"] == [c]
    result = await rd(store, bid, "next")
    assert (result["qid"], result["answered"]) == (c, b)
    await refused(redis, bid, lambda: rd(store, bid, "next"), "conflict")  # empty
    # Putting a question of the list on air by hand takes it out of the list too.
    d = (await approved(store, bid, 1))[0]
    await rd(store, bid, "add", qid=d)
    assert (await move(store, bid, d, S.ON_AIR))["ok"]
    assert await items(redis, bid) == []


async def test_the_snapshot_holds_the_rundown(store: Store, bid: str) -> None:
    await new_broadcast(store, bid)
    a, b = await approved(store, bid, 2)
    await rd(store, bid, "add", qid=b)
    await rd(store, bid, "add", qid=a, after=0)
    snap: Result | None = await store.snapshot(bid, "viewer")
    assert snap is not None and snap["rundown"] == {"items": [a, b], "ver": 2}


async def test_a_rehearsal_clear_keeps_the_scenes_and_empties_the_rundown(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    """Scenes are set-up (made for the show); the run-down holds rehearsal questions."""
    await new_broadcast(store, bid)
    await store.rehearsal_on(bid, user="mod1", detail={"questions": 1})
    (qid,) = await approved(store, bid, 1)
    await rd(store, bid, "add", qid=qid)
    await store.scene(bid, idem(), user="mod1", op="put", scene="qa", name="问答",
                      widgets=["question", "ticker"], max_scenes=12)  # fmt: skip
    found = [k async for k in store.scan_keys(bid)]
    await store.rehearsal_sweep(bid, [k for batch in found for k in batch])
    await store.rehearsal_reset(bid, user="mod1", detail={})
    ov = await overlay(store, bid)
    assert [s["id"] for s in ov["scenes"]] == ["ask", "vote", "intro", "empty", "qa"]
    assert await items(redis, bid) == []
    assert (ov["scene"], ov["layers"]) == ("ask", ["question", "likes"])  # as a new broadcast
