"""The broadcast scripts through ``Store`` and ``Deleter``: bc_create.lua with
bc_index.lua, bc_update.lua, rotate_key.lua, epoch_bump.lua, snapshot.lua,
viewer_state.lua, words_put.lua, rehearsal.lua, bc_delete.lua with bc_unindex.lua."""

from __future__ import annotations

import secrets

import pytest
import redis.asyncio as aioredis

from server.domain import broadcast as bc
from server.domain.errors import Rejection
from server.domain.transitions import allowed_from
from server.store import keys
from server.store.deletion import Deleter
from server.store.store import Result, Store
from tests.store.helpers import (
    SETTINGS,
    applied_once,
    ask,
    audit,
    dump,
    events,
    idem,
    new_broadcast,
    refused,
    state,
)

pytestmark = pytest.mark.anyio
B = bc.BroadcastState


async def set_state(store: Store, bid: str, target: B, cmd: str | None = None) -> Result:
    return await store.update_broadcast(
        bid,
        cmd or idem(),
        state=target.value,
        allowed_from=allowed_from(bc.BROADCAST_TRANSITIONS, target),
        user="mod1",
    )


# --- creation: bc_create.lua, then bc_index.lua ---------------------------------------


async def test_create_broadcast(store: Store, redis: aioredis.Redis, bid: str) -> None:
    created = await new_broadcast(store, bid, user="ana")
    assert created["ok"] and created["bid"] == bid and len(created["epoch"]) == 16
    [event] = await events(redis, bid)
    assert event["type"] == "broadcast" and event["b"]["state"] == "draft"
    assert event["b"]["settings"] == {"moderation": True}
    assert await redis.get(keys.epoch(bid)) == created["epoch"].encode()
    assert await redis.zscore(keys.BROADCASTS, bid) == created["created"]
    [own] = await audit(redis, keys.audit(bid))
    assert (own["user"], own["action"]) == ("ana", "bc.create")
    deployment = [e for e in await audit(redis, keys.AUDIT) if e["target"] == f"broadcast:{bid}"]
    assert [(e["user"], e["action"]) for e in deployment] == [("ana", "bc.create")]
    # A second creation of the id is refused and writes nothing, in either slot.
    before = await dump(redis, bid)
    with pytest.raises(Rejection) as info:
        await new_broadcast(store, bid)
    assert info.value.code == "conflict" and await dump(redis, bid) == before
    # The index script is idempotent by itself (ZADD NX): no second record.
    await store._scripts["bc_index"](keys=[keys.BROADCASTS, keys.AUDIT], args=[bid, 1, "ana", "{}"])
    again = [e for e in await audit(redis, keys.AUDIT) if e["target"] == f"broadcast:{bid}"]
    assert again == deployment
    assert await redis.zscore(keys.BROADCASTS, bid) == created["created"]


# --- bc_update.lua: the domain's table, rehearsal guard, edits ---------------------------


@pytest.mark.parametrize("target", list(B))
@pytest.mark.parametrize("current", list(B))
async def test_state_applies_the_domain_table(
    store: Store, redis: aioredis.Redis, bid: str, current: B, target: B
) -> None:
    await new_broadcast(store, bid)
    if current != B.DRAFT:
        assert (await set_state(store, bid, current))["ok"]
    if target in bc.BROADCAST_TRANSITIONS[current]:
        cmd = idem()
        result, [event] = await applied_once(redis, bid, lambda: set_state(store, bid, target, cmd))
        assert result["state"] == target and event["b"]["state"] == target
        assert (await redis.hget(keys.meta(bid), "ended") is not None) is (target == B.ENDED)
        return
    result = await refused(redis, bid, lambda: set_state(store, bid, target), "conflict")
    if current == target:
        assert result["msg"] == f"the broadcast is already {current}"
    else:
        assert result["msg"] == f"the broadcast is {current}; it cannot become {target}"


async def test_edit_broadcast(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    cmd = idem()
    result, [event] = await applied_once(
        redis, bid,
        lambda: store.update_broadcast(
            bid, cmd, title="新标题", topic="议题", settings={"moderation": False, "tags": []},
            scheduled=1_900_000_000_000, user="mod1", detail={"title": "新标题"},
        ),
    )  # fmt: skip
    assert result["ok"] and event["b"]["title"] == "新标题" and event["b"]["topic"] == "议题"
    assert event["b"]["settings"] == {"moderation": False, "tags": []}  # [] stays a list
    assert event["b"]["scheduled"] == 1_900_000_000_000
    [*_, entry] = await audit(redis, keys.audit(bid))
    assert entry["action"] == "bc.update" and entry["detail"] == '{"title":"新标题"}'
    await refused(
        redis, "s-none-" + bid,
        lambda: store.update_broadcast("s-none-" + bid, idem(), title="x", user="mod1"),
        "not_found",
    )  # fmt: skip


# --- rotate_key.lua, epoch_bump.lua ---------------------------------------------------


async def test_rotate_overlay_key(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    result = await store.rotate_overlay_key(bid, "new-key", user="mod1")
    [*_, event] = await events(redis, bid)
    assert event == {"type": "key_rotated", "pos": result["pos"]}
    assert await redis.hget(keys.meta(bid), "okey") == b"new-key"
    entry = (await audit(redis, keys.audit(bid)))[-1]
    assert entry["action"] == "overlay.key" and "new-key" not in str(entry)
    with pytest.raises(Rejection):
        await store.rotate_overlay_key("s-none-" + bid, "k", user="mod1")
    assert await dump(redis, "s-none-" + bid) == {}


async def test_bump_epoch_only_from_the_expected_one(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    old = (await new_broadcast(store, bid))["epoch"]
    new = await store.bump_epoch(bid, old)
    assert new != old and await store.epoch(bid) == new
    # A second process that saw the same rollback: the first bump wins.
    before = await dump(redis, bid)
    assert await store.bump_epoch(bid, old) == new
    assert await dump(redis, bid) == before


# --- the reads: snapshot.lua, viewer_state.lua ---------------------------------------


async def test_snapshot_per_mode(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    texts = {status: f"问题{status}" for status in ("pending", "approved", "rejected")}
    qids = {status: (await ask(store, bid, text))["qid"] for status, text in texts.items()}
    for status in ("approved", "rejected"):
        await store.set_status(
            bid, idem(), user="mod1", qid=qids[status], target=status,
            allowed_from=["pending"], expect=None, reason="",
        )  # fmt: skip
    before = await dump(redis, bid)
    viewer = await store.snapshot(bid, "viewer")
    moderator = await store.snapshot(bid, "moderator")
    assert await dump(redis, bid) == before  # read-only
    assert viewer is not None and moderator is not None
    assert [e["q"]["id"] for e in viewer["questions"]] == [qids["approved"]]
    assert sorted(e["q"]["id"] for e in moderator["questions"]) == sorted(qids.values())
    [*_, last] = await events(redis, bid)
    assert viewer["pos"] == moderator["pos"] == last["pos"]
    assert viewer["epoch"] == await store.epoch(bid)
    assert await store.snapshot("s-none-" + bid, "viewer") is None


async def test_viewer_state(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid, moderation=False)
    mine = (await ask(store, bid, "我的问题", vid="me"))["qid"]
    other = (await ask(store, bid, "别人的问题", vid="you"))["qid"]
    await store.upvote(bid, "v:me:u", vid="me", qid=other, on=True)
    found = await store.viewer_state(bid, "me")
    assert [q["id"] for q in found["mine"]] == [mine]
    assert found["myvotes"] == [other] and found["ballots"] == [] and found["banned"] is False


# --- words_put.lua ----------------------------------------------------------------------


async def test_put_words_of_a_broadcast(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    entries = [("敏感", "hold"), ("违禁品", "block")]
    _, epoch = await store.words_epoch()
    result = await store.put_words(bid, user="mod1", entries=entries)
    assert result == {"ok": True, "count": 2, "changed": True, "version": 1}
    # Processes poll the epoch, not every broadcast's counter: it moved after.
    assert (await store.words_epoch())[1] > epoch
    assert await store.words(bid) == {"敏感": "hold", "违禁品": "block"}
    entry = (await audit(redis, keys.audit(bid)))[-1]
    assert entry["action"] == "words.put" and '"added":2' in entry["detail"]
    # The same list again (a resend): nothing changes, nothing is recorded.
    before = await dump(redis, bid)
    assert (await store.put_words(bid, user="mod1", entries=entries))["changed"] is False
    assert await dump(redis, bid) == before
    with pytest.raises(Rejection):
        await store.put_words("s-none-" + bid, user="mod1", entries=entries)
    assert await dump(redis, "s-none-" + bid) == {}


async def test_put_the_deployment_words(store: Store, redis: aioredis.Redis) -> None:
    # The deployment list is shared by the suite: put it back as it was.
    kept = await store.words(None)
    word = "词" + secrets.token_hex(3)
    try:
        result = await store.put_words(None, user="ana", entries=[(word, "hold")])
        assert result["changed"] is True and await store.words(None) == {word: "hold"}
        entry = (await audit(redis, keys.AUDIT))[-1]
        assert (entry["user"], entry["action"]) == ("ana", "words.put")
    finally:
        await store.put_words(None, user="ana", entries=sorted(kept.items()))


# --- rehearsal.lua ------------------------------------------------------------------


async def test_rehearsal_steps(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid, moderation=False)
    epoch = await store.epoch(bid)
    await store.rehearsal_on(bid, user="mod1", detail={"questions": 1})
    assert await redis.hget(keys.meta(bid), "rehearsal") == b"1"
    refusal = await refused(redis, bid, lambda: set_state(store, bid, B.LIVE), "conflict")
    assert refusal.get("rehearsal") is True
    await ask(store, bid, "样例问题")
    found = [k async for k in store.scan_keys(bid)]
    deleted = await store.rehearsal_sweep(bid, [k for batch in found for k in batch])
    assert deleted > 0 and await redis.exists(keys.question(bid, 1)) == 0
    assert await redis.exists(keys.meta(bid), keys.audit(bid), keys.question_seq(bid)) == 3
    qcut, pcut = await store.rehearsal_reset(bid, user="mod1", detail={})
    assert (qcut, pcut) == (1, 0) and await store.epoch(bid) != epoch
    assert [e["type"] for e in await events(redis, bid)] == ["reset", "broadcast"]
    assert await redis.hget(keys.meta(bid), "rehearsal") == b"0"
    # A stray of a racing write, at or below the cut, goes; a later one stays.
    await redis.hset(keys.question(bid, 1), "text", "stray")
    await redis.hset(keys.question(bid, 2), "text", "new")
    assert (
        await store.rehearsal_strays(
            bid, [keys.question(bid, 1), keys.question(bid, 2)], qcut=qcut, pcut=pcut
        )
        == 1
    )
    assert await redis.exists(keys.question(bid, 2)) == 1
    actions = [e["action"] for e in await audit(redis, keys.audit(bid))]
    assert actions[-2:] == ["rehearsal.fill", "rehearsal.clear"]
    # Refused once live: nothing written.
    assert (await set_state(store, bid, B.LIVE))["ok"]
    before = await state(redis, bid)
    with pytest.raises(Rejection):
        await store.rehearsal_on(bid, user="mod1", detail=None)
    assert await state(redis, bid) == before


# --- deletion: bc_delete.lua, bc_unindex.lua ---------------------------------------------


async def test_delete_broadcast(store: Store, redis: aioredis.Redis, bid: str) -> None:
    await new_broadcast(store, bid)
    join = await store.join_code(bid)
    await ask(store, bid, "问题")
    deleter = Deleter(store, SETTINGS)
    done = await deleter.delete(bid, user="ana")
    assert done["deleted"] == bid and done["keys"] > 3
    assert await dump(redis, bid) == {}
    assert await redis.get(keys.join(join)) is None
    assert await redis.zscore(keys.BROADCASTS, bid) is None
    record = [e for e in await audit(redis, keys.AUDIT) if e["target"] == f"broadcast:{bid}"]
    assert [(e["user"], e["action"]) for e in record] == [
        ("mod1", "bc.create"),
        ("ana", "bc.delete"),
    ]
    with pytest.raises(Rejection) as info:
        await deleter.delete(bid, user="ana")
    assert info.value.code == "not_found"
    # The unindex step again (a retry after a crash): no second record.
    await deleter._unindex(keys=[keys.BROADCASTS, keys.BROADCASTS, keys.AUDIT],
                           args=[bid, "ana", "{}"])  # fmt: skip
    assert [
        e for e in await audit(redis, keys.AUDIT) if e["target"] == f"broadcast:{bid}"
    ] == record


async def test_a_live_broadcast_is_not_deleted(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    await set_state(store, bid, B.LIVE)
    before = await dump(redis, bid)
    with pytest.raises(Rejection) as info:
        await Deleter(store, SETTINGS).delete(bid, user="ana")
    assert info.value.code == "conflict" and await dump(redis, bid) == before
    assert await redis.zscore(keys.BROADCASTS, bid) is not None
    # The retention sweep (force) deletes whatever it picked.
    await Deleter(store, SETTINGS).delete(bid, user="retention", force=True)
    assert await dump(redis, bid) == {}
