"""Sensitive words against real hubs: the HTTP lists, hold and block on ``ask``,
changes reaching every hub process, and who may read and write the lists."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis

from server.client import HubClient
from server.store import keys
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import (
    Clients,
    new_viewer,
    ok,
    raw,
    running_hub,
    words_applied,
)

pytestmark = pytest.mark.anyio

Json = dict[str, Any]


@pytest.fixture(scope="module")
def other_hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A second hub process on the same Redis."""
    with running_hub(redis_url, Path(tmp_path_factory.mktemp("other"))) as process:
        yield process


@pytest.fixture
async def global_list(mod: Moderator, hub: HubProcess, redis_url: str) -> AsyncIterator[str]:
    """A word of the deployment-wide list no other test types; the list as it
    was is put back afterwards (it applies to every broadcast of the session)."""
    word = "全局" + secrets.token_hex(3)
    async with mod.http() as http:
        before = (await http.get("/api/words")).json()["words"]
        r = await http.put("/api/words", json={"words": [*before, {"word": word}]})
        assert r.status_code == 200, r.text
        # This module's hub may have compiled the list already (random order).
        await words_applied(None, None, hub, redis_url=redis_url)
        try:
            yield word
        finally:
            await http.put("/api/words", json={"words": before})


async def _put_text(mod: Moderator, bid: str, text: str) -> httpx.Response:
    async with mod.http() as http:
        return await http.put(
            f"/api/broadcasts/{bid}/words",
            content=text.encode(),
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )


def _question_events(client: HubClient) -> list[Json]:
    return [
        ev
        for m in client.received
        if m["type"] == "events"
        for ev in m["events"]
        if ev["type"] == "question"
    ]


async def test_held_and_blocked_questions(
    hub: HubProcess,
    mod: Moderator,
    redis: aioredis.Redis,
    clients: Clients,
    global_list: str,
) -> None:
    created = await mod.create_broadcast(settings={"moderation": False})
    bid = created["id"]
    r = await _put_text(mod, bid, "# 本场\n敏感词\n违禁品\tblock\n")
    assert (r.status_code, r.json()) == (200, {"count": 2})
    async with mod.http() as http:
        listed = (await http.get(f"/api/broadcasts/{bid}/words")).json()
    assert listed == {
        "words": [{"word": "敏感词", "action": "hold"}, {"word": "违禁品", "action": "block"}],
        "count": 2,
    }
    console = clients.add(mod.client(bid))
    await console.connect()
    overlay = clients.add(HubClient(hub.base, bid, "overlay", key=created["overlay_key"],
                                    record=True))  # fmt: skip
    await overlay.connect()
    asker = await new_viewer(clients, redis, hub.base, bid)
    watcher = await new_viewer(clients, redis, hub.base, bid)

    clean = ok(await asker.command("ask", text="公交什么时候加班次？"))
    assert clean["status"] == "approved"  # no moderation, nothing matched
    held = ok(await asker.command("ask", text="这个敏 感 词能说吗"))
    assert held["status"] == "pending"  # held although the broadcast is unmoderated
    held_global = ok(await asker.command("ask", text=f"提到{global_list}了"))
    assert held_global["status"] == "pending"
    blocked_text = "我要卖违-禁-品"
    blocked = ok(await asker.command("ask", text=blocked_text))
    assert blocked["status"] == "rejected"
    p = keys.prefix(bid)
    assert await redis.hget(f"{p}q:{blocked['qid']}", "reason") == b"blocked"

    ok(await console.command("bc.update", title="检查"))
    for client in (console, overlay, asker, watcher):
        await client.wait_state(lambda s: s.broadcast.get("title") == "检查")
    # Moderators see what matched and where.
    flags = {q["id"]: q.get("flags") for q in console.state.questions.values()}
    assert flags[clean["qid"]] is None
    assert flags[held["qid"]] == {"action": "hold", "words": ["敏感词"], "spans": [[2, 7]]}
    assert flags[held_global["qid"]]["words"] == [global_list]
    assert flags[blocked["qid"]] == {"action": "block", "words": ["违禁品"], "spans": [[3, 8]]}
    held_text = console.state.questions[held["qid"]]["text"]
    assert held_text[2:7] == "敏 感 词"
    # The asker sees its blocked question as refused; nobody else ever sees it,
    # and no viewer or overlay ever receives flags.
    mine = asker.state.mine[blocked["qid"]]
    assert (mine["status"], mine["reason"]) == ("rejected", "blocked")
    for client in (watcher, overlay):
        assert blocked_text not in raw(client.received)
        assert "敏 感 词" not in raw(client.received)
        assert held["qid"] not in client.state.questions
    for client in (watcher, overlay, asker):
        assert '"flags"' not in raw(client.received)
    # A fresh console's snapshot carries the flags too; a fresh viewer's none.
    fresh = clients.add(mod.client(bid))
    await fresh.connect()
    await fresh.wait_state(lambda s: blocked["qid"] in s.questions)
    assert fresh.state.questions[blocked["qid"]]["flags"]["action"] == "block"
    page = clients.add(HubClient(hub.base, bid, "viewer", cookies=asker.cookies, record=True))
    await page.connect()
    await page.wait_state(lambda s: blocked["qid"] in s.mine)
    assert '"flags"' not in raw(page.received)

    # The audit log holds the list change, by whom.
    rows = await redis.xrange(keys.audit(bid))
    puts = [{k.decode(): v.decode() for k, v in f.items()} for _, f in rows]
    puts = [x for x in puts if x["action"] == "words.put"]
    assert [(x["user"], x["target"]) for x in puts] == [(mod.user, "words")]
    assert orjson.loads(puts[0]["detail"])["count"] == 2


async def test_a_change_reaches_every_process_within_a_second(
    hub: HubProcess,
    other_hub: HubProcess,
    mod: Moderator,
    redis: aioredis.Redis,
    clients: Clients,
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    here = await new_viewer(clients, redis, hub.base, bid)
    there = await new_viewer(clients, redis, other_hub.base, bid)
    # Both processes have compiled the (empty) list by now.
    assert ok(await here.command("ask", text="新词还没加：暗号"))["status"] == "approved"
    assert ok(await there.command("ask", text="新词还没加：口令"))["status"] == "approved"
    version = int(await redis.get(keys.words_version(bid)) or 0)
    r = await _put_text(mod, bid, "暗号\tblock\n口令\n")
    assert r.json() == {"count": 2}
    assert int(await redis.get(keys.words_version(bid))) == version + 1
    await words_applied(bid, version + 1, hub, other_hub)
    assert ok(await here.command("ask", text="现在说暗号"))["status"] == "rejected"
    assert ok(await there.command("ask", text="现在说口令"))["status"] == "pending"
    # The same list again changes nothing: no new version, no audit entry.
    audit_len = await redis.xlen(keys.audit(bid))
    assert (await _put_text(mod, bid, "口令\thold\n暗号\tblock\n")).json() == {"count": 2}
    assert int(await redis.get(keys.words_version(bid))) == version + 1
    assert await redis.xlen(keys.audit(bid)) == audit_len
    # Emptied: questions pass again, everywhere.
    async with mod.http() as http:
        assert (await http.put(f"/api/broadcasts/{bid}/words", json={"words": []})).json() == {
            "count": 0
        }
    await words_applied(bid, version + 2, hub, other_hub)
    assert ok(await there.command("ask", text="又可以说暗号了"))["status"] == "approved"


async def test_invalid_lists_are_refused_whole(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis
) -> None:
    bid = (await mod.create_broadcast())["id"]
    assert (await _put_text(mod, bid, "好词\n")).status_code == 200
    before = await redis.hgetall(keys.words(bid))
    async with mod.http() as http:
        cases = [
            ({"words": [{"word": "词", "action": "delete"}]}, 400, "invalid"),
            ({"words": [{"word": "。。。"}]}, 400, "invalid"),
            ({"words": "词"}, 400, "bad_json"),
            ({"words": [{"word": "长短" * 26}]}, 400, "invalid"),
        ]
        for body, status, code in cases:
            r = await http.put(f"/api/broadcasts/{bid}/words", json=body)
            assert (r.status_code, r.json()["error"]) == (status, code), body
        r = await http.put("/api/broadcasts/no-such-bc/words", json={"words": [{"word": "词"}]})
        assert (r.status_code, r.json()["error"]) == (404, "not_found")
        assert (await http.get("/api/broadcasts/no-such-bc/words")).status_code == 404
    r = await _put_text(mod, bid, "词一\n词二\tdelete\n")
    assert (r.status_code, r.json()["error"]) == (400, "invalid")
    assert "line 2" in r.json()["message"]
    assert await redis.hgetall(keys.words(bid)) == before  # nothing of a refused list
    # GB18030, as a Chinese Windows editor saves it.
    async with mod.http() as http:
        r = await http.put(
            f"/api/broadcasts/{bid}/words",
            content="国标词\tblock\n".encode("gb18030"),
            headers={"Content-Type": "text/plain"},
        )
        assert r.json() == {"count": 1}
        assert (await http.get(f"/api/broadcasts/{bid}/words")).json()["words"] == [
            {"word": "国标词", "action": "block"}
        ]


async def test_word_lists_need_a_session_csrf_and_for_the_global_list_an_admin(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, redis_url: str, clients: Clients
) -> None:
    bid = (await mod.create_broadcast())["id"]
    assert (await _put_text(mod, bid, "原有的词\n")).status_code == 200
    viewer = await new_viewer(clients, redis, hub.base, bid)
    plain = await new_moderator(redis_url, hub.base, admin=False)  # (accounts are audited too)
    state = [
        await redis.hgetall(keys.WORDS),
        await redis.get(keys.WORDS_VERSION),
        await redis.hgetall(keys.words(bid)),
        await redis.get(keys.words_version(bid)),
        await redis.xlen(keys.audit(bid)),
        await redis.xlen(keys.AUDIT),
    ]
    body = {"words": [{"word": "篡改", "action": "block"}]}
    paths = ["/api/words", f"/api/broadcasts/{bid}/words"]
    # No session, and a viewer's cookie (which is no session): 401 for reads and writes.
    for cookies in ({}, viewer.cookies):
        async with httpx.AsyncClient(base_url=hub.base, cookies=cookies, timeout=10) as http:
            for path in paths:
                assert (await http.get(path)).status_code == 401, path
                assert (await http.put(path, json=body)).status_code == 401, path
    # A session without the CSRF token: reads only.
    async with httpx.AsyncClient(base_url=hub.base, cookies=mod.cookies, timeout=10) as http:
        for path in paths:
            assert (await http.get(path)).status_code == 200, path
            r = await http.put(path, json=body, headers={"X-CSRF-Token": "wrong"})
            assert (r.status_code, r.json()["error"]) == (403, "forbidden"), path
    # A moderator who is not an administrator: the broadcast's list yes, the global no.
    async with plain.http() as http:
        assert (await http.get("/api/words")).status_code == 200
        r = await http.put("/api/words", json=body)
        assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    assert state == [
        await redis.hgetall(keys.WORDS),
        await redis.get(keys.WORDS_VERSION),
        await redis.hgetall(keys.words(bid)),
        await redis.get(keys.words_version(bid)),
        await redis.xlen(keys.audit(bid)),
        await redis.xlen(keys.AUDIT),
    ]
    async with plain.http() as http:
        r = await http.put(f"/api/broadcasts/{bid}/words", json=body)
        assert r.json() == {"count": 1}


async def test_global_list_changes_are_audited_deployment_wide(
    mod: Moderator, redis: aioredis.Redis, global_list: str
) -> None:
    rows = await redis.xrevrange(keys.AUDIT, count=20)
    entries = [{k.decode(): v.decode() for k, v in f.items()} for _, f in rows]
    puts = [x for x in entries if x["action"] == "words.put"]
    assert puts and (puts[0]["user"], puts[0]["target"]) == (mod.user, "words")
    assert global_list in {w.decode() for w in await redis.hkeys(keys.WORDS)}


async def test_chinese_forms_and_the_pinyin_mark_end_to_end(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    async with mod.http() as http:
        body = {
            "words": [
                {"word": "骗子", "action": "block", "pinyin": True},
                {"word": "傻瓜", "pinyin": True},
                {"word": "软件"},
            ]
        }
        r = await http.put(f"/api/broadcasts/{bid}/words", json=body)
        assert r.json() == {"count": 3}, r.text
        # GET returns the mark where it is set, and a GET can be PUT back as it is.
        listed = (await http.get(f"/api/broadcasts/{bid}/words")).json()
        assert listed == {
            "words": [
                {"word": "傻瓜", "action": "hold", "pinyin": True},
                {"word": "软件", "action": "hold"},
                {"word": "骗子", "action": "block", "pinyin": True},
            ],
            "count": 3,
        }
        assert (await http.put(f"/api/broadcasts/{bid}/words", json=listed)).json() == {"count": 3}
        bad = {"words": [{"word": "骗子", "pinyin": "yes"}]}
        r = await http.put(f"/api/broadcasts/{bid}/words", json=bad)
        assert (r.status_code, r.json()["error"]) == (400, "invalid")
    assert await redis.hget(keys.words(bid), "骗子") == b"block+pinyin"
    rows = await redis.xrange(keys.audit(bid))
    details = [orjson.loads(f[b"detail"]) for _, f in rows if f[b"action"] == b"words.put"]
    assert details[-1]["pinyin"] == 2

    expected = {
        "他是騙子": "rejected",
        "別信ＰＩＡＮ ＺＩ": "rejected",
        "你这个儍瓜": "pending",
        "他就是个骗zi": "rejected",
        "这个軟體好用吗": "pending",
        "Shanghai Metro App 什么时候更新": "approved",
        "shaguang 公司在招聘吗": "approved",
    }
    for text, status in expected.items():  # a viewer each: the question budget is per viewer
        asker = await new_viewer(clients, redis, hub.base, bid)
        assert ok(await asker.command("ask", text=text))["status"] == status, text

    # The text import's pinyin column, and the listing it gives.
    r = await _put_text(mod, bid, "骗子\tblock\tpinyin\n笨蛋\tpinyin\n敏感\n")
    assert r.json() == {"count": 3}
    async with mod.http() as http:
        words = (await http.get(f"/api/broadcasts/{bid}/words")).json()["words"]
    assert words == [
        {"word": "敏感", "action": "hold"},
        {"word": "笨蛋", "action": "hold", "pinyin": True},
        {"word": "骗子", "action": "block", "pinyin": True},
    ]
    r = await _put_text(mod, bid, "好\nabc\tpinyin\n")
    assert (r.status_code, r.json()["error"]) == (400, "invalid")
    assert "line 2" in r.json()["message"]


async def test_readyz_reports_the_list_versions_it_applies(hub: HubProcess, mod: Moderator) -> None:
    bid = (await mod.create_broadcast())["id"]
    async with httpx.AsyncClient(base_url=hub.base, timeout=5) as http:
        r = await http.get("/readyz")
        assert r.status_code == 200 and set(r.json()["words"]) == {"global"}
        # Not loaded until a question of that broadcast is screened here.
        assert (await http.get("/readyz", params={"words": bid})).json()["words"][
            "broadcast"
        ] is None
        bad = await http.get("/readyz", params={"words": "../Nope"})
        assert (bad.status_code, bad.json()["error"]) == (400, "invalid")
