"""The poll kinds' scripts through ``Store``: a rating and a ranking in
``ballot.lua`` (Borda points, full rankings only), a word cloud in
``poll_answer.lua`` (counted, held or blocked; one answer per viewer),
``poll_review.lua`` and ``poll_word.lua`` (hidden everywhere, audited)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from server.domain import poll as pl
from server.domain import poll_kinds as pk
from server.domain.wordcloud import shared_segmenter
from server.store import keys
from server.store.store import Result, Store
from tests.store.helpers import applied_once, audit, events, idem, new_broadcast, refused
from tests.store.test_polls import set_state, vote

pytestmark = pytest.mark.anyio
P = pl.PollState


async def new_kind(store: Store, bid: str, kind: str, **kw: Any) -> int:
    spec = pk.validate_poll_spec(
        kw.pop("question", "你怎么看？"), kw.pop("options", None), False, kw.pop("results", None),
        kind=kind, **kw,
    )  # fmt: skip
    result = await store.create_poll(
        bid, idem(), user="mod1", question=spec.base.question, options=spec.base.options,
        multi=False, results=spec.base.results.value, kind=spec.kind.value, labels=spec.labels,
        max_len=spec.max_len if spec.kind is pk.PollKind.WORDS else None,
        moderated=spec.moderated,
    )  # fmt: skip
    pid = int(result["poll"])
    assert (await set_state(store, bid, pid, P.OPEN))["ok"]
    return pid


async def answer(
    store: Store, bid: str, pid: int, raw: str, vid: str = "v1", cmd: str | None = None,
    screen: str = "",
) -> Result:  # fmt: skip
    text, words = shared_segmenter().answer(raw, pk.ANSWER_LEN_RANGE[1])
    flags = {"action": screen, "words": ["骗子"], "spans": [[0, 2]]} if screen else None
    return await store.answer_poll(
        bid, cmd or f"v:{vid}:{secrets.token_hex(4)}", vid=vid, pid=pid, text=text, words=words,
        screen=screen, flags=flags,
    )  # fmt: skip


async def cloud(redis: aioredis.Redis, bid: str, pid: int) -> dict[str, int]:
    raw = await redis.zrange(keys.cloud_words(bid, pid), 0, -1, withscores=True)
    return {w.decode(): int(s) for w, s in raw}


async def test_a_rating_counts_points_and_keeps_its_labels(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = await new_kind(store, bid, "rating", scale=5, labels=["很差", "很好"])
    created = next(e for e in await events(redis, bid) if e["type"] == "poll")["poll"]
    assert created["kind"] == "rating" and created["options"] == ["1", "2", "3", "4", "5"]
    assert created["labels"] == ["很差", "很好"] and not created["multi"]
    for vid, point in (("v1", 4), ("v2", 4), ("v3", 0)):
        assert (await vote(store, bid, pid, [point], vid=vid))["ok"]
    result = await refused(redis, bid, lambda: vote(store, bid, pid, [1, 2], vid="v4"), "invalid")
    assert result["msg"] == "wrong number of choices"
    await refused(redis, bid, lambda: vote(store, bid, pid, [5], vid="v4"), "invalid")
    last = (await events(redis, bid))[-1]
    assert last["tallies"] == [1, 0, 0, 0, 2] and last["ballots"] == 3


async def test_a_ranking_hands_out_borda_points_and_takes_only_full_rankings(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = await new_kind(store, bid, "ranking", options=["地铁", "公交", "骑行"])
    cmd = f"v:v1:{secrets.token_hex(4)}"
    result, [event] = await applied_once(
        redis, bid, lambda: vote(store, bid, pid, [2, 0, 1], vid="v1", cmd=cmd)
    )
    # First 2 points, second 1, last 0; the order is the ballot (not sorted).
    assert event["tallies"] == [1, 0, 2] and event["choices"] == [2, 0, 1]
    assert result["mine"] == [2, 0, 1]
    assert orjson.loads(await redis.hget(keys.ballots(bid, pid), "v1")) == [2, 0, 1]
    assert (await vote(store, bid, pid, [0, 1, 2], vid="v2"))["ok"]
    assert (await events(redis, bid))[-1]["tallies"] == [3, 1, 2]
    for bad, msg in (([0, 1], "rank all 3 options"), ([0, 0, 1], "an option is repeated"),
                     ([0, 1, 3], "no such option")):  # fmt: skip
        result = await refused(redis, bid, lambda b=bad: vote(store, bid, pid, b, vid="v3"),
                               "invalid")  # fmt: skip
        assert result["msg"] == msg


async def test_a_word_cloud_counts_each_answer_once_per_word_and_once_per_viewer(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = await new_kind(store, bid, "words", max_len=10)
    cmd = f"v:v1:{secrets.token_hex(4)}"
    result, [event] = await applied_once(
        redis, bid, lambda: answer(store, bid, pid, "地铁太挤", cmd=cmd)
    )
    assert result["status"] == "counted" and result["mine"] == ["地铁太挤"]
    assert event["type"] == "tally" and event["voter"] == "v1" and event["ballots"] == 1
    assert sorted(event["tallies"]) == [["地铁", 1], ["太挤", 1]]
    assert (await answer(store, bid, pid, "太挤了！", vid="v2"))["ok"]
    assert await cloud(redis, bid, pid) == {"地铁": 1, "太挤": 2}
    assert (await events(redis, bid))[-1]["tallies"][0] == ["太挤", 2]
    # The same viewer again (another command): refused, their answer named, nothing written.
    again = await refused(redis, bid, lambda: answer(store, bid, pid, "很方便"), "conflict")
    assert again["mine"] == ["地铁太挤"]
    # Over this poll's own limit (10): too_long, nothing written.
    long = await refused(redis, bid, lambda: answer(store, bid, pid, "地铁" * 6, vid="v3"),
                         "too_long")  # fmt: skip
    assert "limit is 10" in long["msg"]


async def test_a_word_cloud_refuses_ballots_and_a_choice_poll_refuses_answers(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    words = await new_kind(store, bid, "words")
    choice = await new_kind(store, bid, "choice", options=["是", "否"])
    await refused(redis, bid, lambda: vote(store, bid, words, [0]), "invalid")
    await refused(redis, bid, lambda: answer(store, bid, choice, "太挤"), "invalid")
    assert (await set_state(store, bid, words, P.CLOSED))["ok"]
    await refused(redis, bid, lambda: answer(store, bid, words, "太挤"), "closed")
    await refused(redis, bid, lambda: answer(store, bid, 99, "太挤"), "not_found")


async def test_a_moderated_cloud_holds_answers_until_reviewed(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = await new_kind(store, bid, "words", moderated=True)
    held = await answer(store, bid, pid, "地铁太挤")
    assert held["status"] == "pending" and "tallies" not in held
    event = (await events(redis, bid))[-1]
    assert event["type"] == "answer" and event["answer"]["text"] == "地铁太挤"
    assert event["pending"] == 1 and "voter" not in event and await cloud(redis, bid, pid) == {}
    aid = event["answer"]["id"]
    assert (await answer(store, bid, pid, "换乘太远", vid="v2"))["status"] == "pending"
    review_cmd = idem()
    result, [approved] = await applied_once(
        redis,
        bid,
        lambda: store.review_answer(
            bid, review_cmd, user="mod1", pid=pid, answer=aid, approve=True
        ),
    )
    assert result["status"] == "counted" and approved["type"] == "tally"
    assert approved["answer"] == {"id": aid, "text": "地铁太挤"} and approved["voter"] == "v1"
    assert approved["pending"] == 1 and approved["ballots"] == 1
    assert await cloud(redis, bid, pid) == {"地铁": 1, "太挤": 1}
    # Reviewed once: a second review (another command) is a conflict, nothing written.
    again = await refused(
        redis, bid,
        lambda: store.review_answer(bid, idem(), user="mod1", pid=pid, answer=aid, approve=False),
        "conflict",
    )  # fmt: skip
    assert again["current"] == "counted"
    rejected = await store.review_answer(bid, idem(), user="mod1", pid=pid, answer=aid + 1,
                                         approve=False)  # fmt: skip
    assert rejected["status"] == "rejected"
    assert (await events(redis, bid))[-1]["type"] == "answer"
    assert await cloud(redis, bid, pid) == {"地铁": 1, "太挤": 1}
    entries = [e for e in await audit(redis, keys.audit(bid)) if e["action"] == "poll.review"]
    assert [orjson.loads(e["detail"])["status"] for e in entries] == ["counted", "rejected"]
    await refused(
        redis, bid,
        lambda: store.review_answer(bid, idem(), user="mod1", pid=pid, answer=77, approve=True),
        "not_found",
    )  # fmt: skip


async def test_the_word_filter_holds_or_blocks_an_answer(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = await new_kind(store, bid, "words")
    assert (await answer(store, bid, pid, "骗子地铁", screen="hold"))["status"] == "pending"
    blocked = await answer(store, bid, pid, "骗子太挤", vid="v2", screen="block")
    assert blocked["status"] == "blocked" and blocked["pos"] is None
    assert await cloud(redis, bid, pid) == {}
    assert int(await redis.hget(keys.poll(bid, pid), "ballots")) == 0
    stored = orjson.loads(await redis.hget(keys.cloud_answers(bid, pid), "2"))
    assert stored["status"] == "blocked" and stored["flags"]["action"] == "block"


async def test_a_hidden_word_leaves_the_cloud_at_once_and_comes_back(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = await new_kind(store, bid, "words")
    for vid, text in (("v1", "地铁太挤"), ("v2", "太挤了"), ("v3", "地铁方便")):
        assert (await answer(store, bid, pid, text, vid=vid))["ok"]
    cmd = idem()
    result, [event] = await applied_once(
        redis, bid, lambda: store.hide_word(bid, cmd, user="mod1", pid=pid, word="太挤", hide=True)
    )
    assert result["changed"] and event["type"] == "tally" and event["hidden"] == ["太挤"]
    assert dict(map(tuple, event["tallies"])) == {"地铁": 2, "方便": 1}
    assert "voter" not in event
    entry = (await audit(redis, keys.audit(bid)))[-1]
    assert (entry["action"], orjson.loads(entry["detail"])) == (
        "poll.word",
        {"word": "太挤", "hidden": True},
    )
    # Already hidden: no event, no audit entry.
    before = len(await events(redis, bid))
    assert not (await store.hide_word(bid, idem(), user="mod1", pid=pid, word="太挤",
                                      hide=True))["changed"]  # fmt: skip
    assert len(await events(redis, bid)) == before
    # Counting goes on under the hidden word; shown again, it has every answer.
    assert (await answer(store, bid, pid, "太挤", vid="v4"))["ok"]
    assert "太挤" not in dict(map(tuple, (await events(redis, bid))[-1]["tallies"]))
    await store.hide_word(bid, idem(), user="mod1", pid=pid, word="太挤", hide=False)
    assert dict(map(tuple, (await events(redis, bid))[-1]["tallies"]))["太挤"] == 3
    choice = await new_kind(store, bid, "choice", options=["是", "否"])
    await refused(
        redis, bid,
        lambda: store.hide_word(bid, idem(), user="mod1", pid=choice, word="是", hide=True),
        "invalid",
    )  # fmt: skip


async def test_the_cloud_carries_the_top_words_only(
    store: Store, redis: aioredis.Redis, bid: str
) -> None:
    await new_broadcast(store, bid)
    pid = await new_kind(store, bid, "words", max_len=30)
    # More distinct words than the cloud shows, written directly (the counts are what matter).
    await redis.zadd(keys.cloud_words(bid, pid), {f"词{i:03d}": i for i in range(1, 80)})
    assert (await answer(store, bid, pid, "最多"))["ok"]
    words = (await events(redis, bid))[-1]["tallies"]
    assert len(words) == pk.CLOUD_TOP_N and words[0] == ["词079", 79]
    assert words[-1] == [f"词{80 - pk.CLOUD_TOP_N:03d}", 80 - pk.CLOUD_TOP_N]


async def test_the_lua_cloud_size_is_the_domain_one() -> None:
    source = (Path(keys.__file__).parent / "lua" / "_prelude.lua").read_text("utf-8")
    assert f"local CLOUD_TOP_N = {pk.CLOUD_TOP_N}\n" in source
    assert f"local REVIEW_QUEUE_MAX = {pk.REVIEW_QUEUE_MAX}\n" in source


async def test_the_viewer_state_names_an_answer_as_a_ballot(store: Store, bid: str) -> None:
    await new_broadcast(store, bid)
    pid = await new_kind(store, bid, "words")
    assert (await answer(store, bid, pid, "地铁太挤"))["ok"]
    mine = await store.viewer_state(bid, "v1")
    assert {"poll": pid, "mine": ["地铁太挤"]} in mine["ballots"]
