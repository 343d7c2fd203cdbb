"""The whole road after the show, on a real hub (uvicorn) and a real redis-server:
ask live -> triage -> 转办 -> accept -> reply -> review -> publish -> the asker
sees it (viewer socket, /mine, /q/<code>) -> rates 不满意 -> reopened -> replied
again -> closed; the public figures; send back and extension; an official
outside their department reads and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from server.domain.workdays import QuestionType, WorkCalendar, due_date
from server.timezones import resolve_timezone
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import (
    Clients,
    caught_up,
    dump,
    new_viewer,
    ok,
    refused,
    running_hub,
)

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"
TODAY = dt.datetime.now(resolve_timezone("Asia/Shanghai")).date()
# The operator's own days off: the next two weekdays, so the due date visibly skips them.
DAYS_OFF = [d for d in (TODAY + dt.timedelta(days=i) for i in range(1, 8)) if d.weekday() < 5][:2]
ENV = {
    "QCODE_LOOKUPS_PER_MIN": "30",
    "FU_EXTRA_HOLIDAYS": ",".join(d.isoformat() for d in DAYS_OFF),
    "FU_INDEX_INTERVAL_S": "0.2",
}


@pytest.fixture(scope="module")
def fu_hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with running_hub(redis_url, tmp_path_factory.mktemp("fuhub"), **ENV) as process:
        yield process


@pytest.fixture
async def admin(fu_hub: HubProcess, redis_url: str) -> Moderator:
    return await new_moderator(redis_url, fu_hub.base)


async def official(base: str, admin: Moderator, dept: str) -> httpx.AsyncClient:
    """A department with one official account, signed in."""
    name = "o" + secrets.token_hex(4)
    async with admin.http() as http:
        r = await http.post(
            "/api/departments", json={"id": dept, "name": f"区{dept}局", "short": dept}
        )
        assert r.status_code in (200, 201), r.text
        r = await http.post(
            "/api/officials", json={"username": name, "password": PASSWORD, "dept": dept}
        )
        assert r.status_code == 201, r.text
    client = httpx.AsyncClient(base_url=base, timeout=10)
    r = await client.post("/api/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200 and r.json()["role"] == "official", r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf"]
    return client


async def office(client: httpx.AsyncClient, bid: str, type: str, **fields: Any) -> httpx.Response:
    body = {"type": type, "id": secrets.token_hex(6), **fields}
    return await client.post(f"/api/office/broadcasts/{bid}/command", json=body)


@pytest.fixture
async def clients() -> AsyncIterator[Clients]:
    async with Clients() as opened:
        yield opened


async def test_the_whole_road(
    fu_hub: HubProcess, admin: Moderator, redis_url: str, clients: Clients
) -> None:
    base = fu_hub.base
    roads, schools = "r" + secrets.token_hex(3), "s" + secrets.token_hex(3)
    li = await official(base, admin, roads)
    wang = await official(base, admin, schools)
    bid = (await admin.create_broadcast(settings={"moderation": False}))["id"]
    console = clients.add(admin.client(bid))
    await console.connect()
    async with aioredis.Redis.from_url(redis_url) as redis:
        ok(await console.command("bc.state", state="live"))
        asker = await new_viewer(clients, redis, base, bid)
        other = await new_viewer(clients, redis, base, bid)
        asked = ok(await asker.command("ask", text="地铁16号线什么时候通车？"))
        code = asked["code"]
        live = ok(await other.command("ask", text="主持人现场回答的问题"))
        no = ok(await other.command("ask", text="与本期无关的问题"))
        ok(await console.command("bc.state", state="ended"))

        async with admin.http() as http:
            view = (await http.get(f"/api/broadcasts/{bid}/followup")).json()
        assert view["left"] == 3
        ok(await console.command("fu.triage", qid=live["qid"], action="answer_live",
                                 text="现场答复：年内通车"))  # fmt: skip
        ok(
            await console.command(
                "fu.triage", qid=no["qid"], action="not_adopt", text="与本期主题无关"
            )
        )
        assigned = ok(await console.command("fu.assign", qid=asked["qid"], dept=roads,
                                            qtype="consult", expect="none"))  # fmt: skip
        assert assigned["state"] == "assigned"
        async with admin.http() as http:
            view = (await http.get(f"/api/broadcasts/{bid}/followup")).json()
        assert view["left"] == 0
        row = next(i for i in view["items"] if i["q"]["id"] == asked["qid"])
        cal = WorkCalendar.from_strings([d.isoformat() for d in DAYS_OFF], [])
        assert row["fu"]["due"] == due_date(cal, TODAY, QuestionType.CONSULT).isoformat()
        assert dt.date.fromisoformat(row["fu"]["due"]) > DAYS_OFF[-1]

        # The other department neither sees nor touches it; Redis stays as it was.
        assert (await wang.get("/api/office/items")).json()["items"] == []
        before = await dump(redis, bid)
        for type_, fields in [("fu.accept", {}), ("fu.send_back", {"reason": "x"}),
                              ("fu.reply", {"text": "y"})]:  # fmt: skip
            r = await office(wang, bid, type_, qid=asked["qid"], **fields)
            assert r.status_code == 403 and r.json()["error"] == "forbidden", r.text
        assert await dump(redis, bid) == before
        # Nor can an official use the moderators' API, or a moderator the office's.
        assert (await wang.get(f"/api/broadcasts/{bid}/followup")).status_code == 401
        async with admin.http() as http:
            assert (await http.get("/api/office/items")).status_code == 401

        # The department's queue, across broadcasts, by due date.
        items = await _eventually(li, lambda got: [i["qid"] for i in got] == [asked["qid"]])
        assert items[0]["q"]["text"] == "地铁16号线什么时候通车？"
        assert "asker" not in items[0]["q"] and "name" not in items[0]["q"]
        mark = asker.mark()
        assert (await office(li, bid, "fu.accept", qid=asked["qid"])).status_code == 200
        r = await office(
            li, bid, "fu.reply", qid=asked["qid"], text="预计年底通车", link="https://example.cn/a"
        )
        assert r.status_code == 200, r.text
        ok(
            await console.command(
                "fu.review", qid=asked["qid"], action="publish", text="预计今年年底通车。"
            )
        )
        seen = await asker.wait_for(
            lambda e: e.get("type") == "followup" and e["fu"]["state"] == "published", since=mark
        )
        assert seen["mine"] is True and seen["fu"]["reply"] == "预计今年年底通车。"
        assert "draft" not in seen["fu"] and "reply_orig" not in seen["fu"]
        # Every other viewer sees the published reply, never the asker's identity.
        public_seen = await other.wait_for(
            lambda e: e.get("type") == "followup" and e["qid"] == asked["qid"]
        )
        assert "mine" not in public_seen and "asker" not in str(public_seen)

        async with httpx.AsyncClient(base_url=base, cookies=asker.cookies) as http:
            mine = (await http.get(f"/api/broadcasts/{bid}/mine/followup")).json()["mine"]
        assert [m["fu"]["state"] for m in mine if m["qid"] == asked["qid"]] == ["published"]
        async with httpx.AsyncClient(base_url=base) as http:
            found = (await http.get(f"/api/public/q/{code.lower()[:3]}-{code[3:]}")).json()
            assert found["fu"]["reply"] == "预计今年年底通车。" and found["q"]["text"].startswith(
                "地铁"
            )
            wrong = await http.get("/api/public/q/ZZZZZZZZ")
            assert wrong.status_code == 404 and wrong.json()["message"] == "没有找到"

        # Only the asker rates, once; dissatisfied -> reopened once -> replied again -> closed.
        refused(await other.command("fu.rate", qid=asked["qid"], rating="satisfied"), "forbidden")
        ok(
            await asker.command(
                "fu.rate", qid=asked["qid"], rating="dissatisfied", comment="太慢了"
            )
        )
        refused(await asker.command("fu.rate", qid=asked["qid"], rating="satisfied"), "conflict")
        ok(await console.command("fu.reopen", qid=asked["qid"], reason="请给出具体日期"))
        assert (await office(li, bid, "fu.accept", qid=asked["qid"])).status_code == 200
        assert (
            await office(li, bid, "fu.reply", qid=asked["qid"], text="12月28日通车")
        ).status_code == 200
        ok(await console.command("fu.review", qid=asked["qid"], action="publish"))
        closed = ok(await asker.command("fu.rate", qid=asked["qid"], rating="satisfied"))
        assert closed["state"] == "closed"
        refused(await console.command("fu.reopen", qid=asked["qid"]), "conflict")

        async with httpx.AsyncClient(base_url=base) as http:
            page = (await http.get(f"/api/public/broadcasts/{bid}/replies")).json()
            html = await http.get(f"/r/{bid}")
        assert (
            html.status_code == 200
            and "script-src 'self'" in html.headers["content-security-policy"]
        )
        total = page["figures"]["total"]
        assert (total["received"], total["answered_live"], total["not_adopted"]) == (3, 1, 1)
        assert (total["forwarded"], total["replied"], total["closed"]) == (1, 1, 1)
        assert (total["reply_rate"], total["close_rate"], total["satisfaction"]) == (1.0, 1.0, 1.0)
        assert page["figures"]["by_dept"][roads]["closed"] == 1
        assert [i["qid"] for i in page["items"]] == [asked["qid"]]
        assert page["items"][0]["reply"] == "12月28日通车"
        text = str(page)
        for private in ("asker", "draft", "reply_orig", "请给出具体日期", "太慢了", "contact"):
            assert private not in text, private
    await li.aclose()
    await wang.aclose()


async def test_send_back_and_extension(
    fu_hub: HubProcess, admin: Moderator, redis_url: str, clients: Clients
) -> None:
    base = fu_hub.base
    parks, water = "p" + secrets.token_hex(3), "w" + secrets.token_hex(3)
    zhao, qian = await official(base, admin, parks), await official(base, admin, water)
    bid = (await admin.create_broadcast(settings={"moderation": False}))["id"]
    console = clients.add(admin.client(bid))
    await console.connect()
    async with aioredis.Redis.from_url(redis_url) as redis:
        viewer = await new_viewer(clients, redis, base, bid)
        qid = ok(await viewer.command("ask", text="河道有异味"))["qid"]
    ok(await console.command("fu.assign", qid=qid, dept=parks, qtype="complain"))
    r = await office(zhao, bid, "fu.send_back", qid=qid, reason="属水务局职责")
    assert r.status_code == 200, r.text
    refused(await console.command("fu.assign", qid=qid, dept="no-such-dept"), "not_found")
    ok(await console.command("fu.assign", qid=qid, dept=water, qtype="complain"))
    assert (await office(zhao, bid, "fu.accept", qid=qid)).status_code == 403
    assert (await office(qian, bid, "fu.accept", qid=qid)).status_code == 200
    async with admin.http() as http:
        row = next(i for i in (await http.get(f"/api/broadcasts/{bid}/followup")).json()["items"]
                   if i["q"]["id"] == qid)  # fmt: skip
    due = dt.date.fromisoformat(row["fu"]["due"])
    later = (due + dt.timedelta(days=14)).isoformat()
    r = await office(qian, bid, "fu.ext_request", qid=qid, due=later, reason="需要现场勘查")
    assert r.status_code == 200, r.text
    again = await office(qian, bid, "fu.ext_request", qid=qid, due=later, reason="再延")
    assert again.status_code == 409
    ok(await console.command("fu.ext", qid=qid, action="grant"))
    async with admin.http() as http:
        row = next(i for i in (await http.get(f"/api/broadcasts/{bid}/followup")).json()["items"]
                   if i["q"]["id"] == qid)  # fmt: skip
    assert (row["fu"]["due"], row["fu"]["ext_state"], row["fu"]["last_dept"]) == (
        later,
        "granted",
        parks,
    )
    history = await _eventually(zhao, lambda got: [i["qid"] for i in got] == [qid], view="history")
    assert history[0]["fu"]["dept"] == water
    # Bad input: typed errors, nothing written.
    for fields in ({"due": "2024-02-30", "reason": "x"}, {"due": later, "reason": ""}):
        r = await office(qian, bid, "fu.ext_request", qid=qid, **fields)
        assert r.status_code in (400, 409), r.text
    bad = await office(qian, bid, "fu.reply", qid=qid, text="答复", link="javascript:alert(1)")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid"
    await zhao.aclose()
    await qian.aclose()


async def test_code_lookups_are_rate_limited(embedded_redis: Any, tmp_path: Path) -> None:
    # Counted per address per clock minute (30 here), in Redis: on a Redis of
    # its own, so that no other test's lookups from 127.0.0.1 share the minute.
    import asyncio
    import time

    if time.time() % 60 > 50:
        await asyncio.sleep(61 - time.time() % 60)
    with running_hub(embedded_redis.url, tmp_path, **ENV) as hub:
        async with httpx.AsyncClient(base_url=hub.base) as http:
            codes = [(await http.get("/api/public/q/ABCDEFGH")).status_code for _ in range(40)]
            limited = await http.get("/api/public/q/ABCDEFGH")
    first = codes.index(429)
    assert first == 30 and set(codes[:first]) == {404} and set(codes[first:]) == {429}
    assert limited.json()["error"] == "rate_limited"


async def _eventually(client: httpx.AsyncClient, ok_: Any, *, view: str = "") -> list[Any]:
    """The office's list once the indexer caught up (it follows the streams).

    Up to 15 s: a process of another test killed while it held the index
    lock keeps it until it expires (FU_INDEX_LOCK_MS, 1.5 s for test hubs)."""
    import asyncio

    for _ in range(150):
        got = (await client.get("/api/office/items" + (f"?view={view}" if view else ""))).json()[
            "items"
        ]
        if ok_(got):
            return list(got)
        await asyncio.sleep(0.1)
    raise AssertionError(f"office list never matched: {got}")


async def test_entered_questions_seasons_and_carrying(
    fu_hub: HubProcess, admin: Moderator, redis_url: str, clients: Clients
) -> None:
    base = fu_hub.base
    sid = "s" + secrets.token_hex(4)
    first = (await admin.create_broadcast(settings={"moderation": False}))["id"]
    later = (await admin.create_broadcast(settings={"moderation": False}))["id"]
    async with admin.http() as http:
        assert (
            await http.post("/api/seasons", json={"id": sid, "name": "2024 协商在线", "year": 2024})
        ).status_code == 201
        for bid in (first, later):
            r = await http.post(f"/api/seasons/{sid}/broadcasts", json={"bid": bid})
            assert r.status_code == 200, r.text
    console = clients.add(admin.client(first))
    await console.connect()
    entered = ok(await console.command("q.enter", text="热线来电：小区停车难", source="hotline",
                                       name="王女士", contact="138 0000 0000"))  # fmt: skip
    assert entered["status"] == "approved" and len(entered["code"]) == 8
    refused(await console.command("q.enter", text="x", source="phone"), "invalid")
    # A console opened now gets a snapshot holding a question without an asker.
    late = clients.add(admin.client(first))
    await late.connect()
    # The welcome comes first; the snapshot (maybe a shared one, with the entry
    # in the catch-up after it) follows.
    await caught_up(late, entered["pos"])
    assert entered["qid"] in late.state.questions
    refused(await console.command("q.enter", text="   ", source="letter"), "empty")
    async with aioredis.Redis.from_url(redis_url) as redis:
        viewer = await new_viewer(clients, redis, base, first)
        asked = ok(await viewer.command("ask", text="学位不够怎么办？"))
        fan = await new_viewer(clients, redis, base, first)
        ok(await fan.command("upvote", qid=asked["qid"], on=True))
        # Bad follow-up input: typed errors, nothing written.
        before = await dump(redis, first)
        refused(
            await console.command("fu.triage", qid=asked["qid"], action="not_adopt", text=" "),
            "empty",
        )
        refused(await console.command("fu.assign", qid=asked["qid"], dept="NO SUCH"), "invalid")
        refused(
            await console.command("fu.assign", qid=asked["qid"], dept="zz", due="2020-01-01"),
            "invalid",
        )
        bad = await console.command("fu.triage", qid=asked["qid"], action="maybe")
        assert bad["type"] == "error" and bad["code"] == "bad_field"
        refused(await viewer.command("fu.triage", qid=asked["qid"], action="hold"), "forbidden")
        refused(await viewer.command("fu.rate", qid=asked["qid"], rating="satisfied"), "conflict")
        refused(await console.command("fu.rate", qid=asked["qid"], rating="satisfied"), "forbidden")
        after = await dump(redis, first)
        changed = {k for k in after if after.get(k) != before.get(k)}
        # Only remembered refusals (idempotency keys) may appear.
        assert all(":idem:" in k for k in changed), changed
    moved = ok(await console.command("q.carry", qid=asked["qid"], to=later))
    async with admin.http() as http:
        first_view = (await http.get(f"/api/broadcasts/{first}/followup")).json()
        later_view = (await http.get(f"/api/broadcasts/{later}/followup")).json()
        contact = (
            await http.get(f"/api/broadcasts/{first}/questions/{entered['qid']}/contact")
        ).json()
    assert contact == {"contact": "138 0000 0000"}
    old = next(i for i in first_view["items"] if i["q"]["id"] == asked["qid"])
    new = next(i for i in later_view["items"] if i["q"]["id"] == moved["qid"])
    assert old["q"]["carried_to"] == f"{later}:{moved['qid']}" and not old["needs_triage"]
    assert new["q"]["carried_from"] == f"{first}:{asked['qid']}" and new["q"]["votes"] == 1
    assert first_view["left"] == 1  # the entered question; the carried one is settled here
    assert first_view["figures"]["by_source"]["hotline"]["received"] == 1
    assert "138 0000 0000" not in str(first_view)  # the contact, whole: a timestamp may hold 138
    async with httpx.AsyncClient(base_url=base) as http:
        season = (await http.get(f"/api/public/seasons/{sid}/replies")).json()
        one = (await http.get(f"/api/public/broadcasts/{first}/replies")).json()
        two = (await http.get(f"/api/public/broadcasts/{later}/replies")).json()
        assert (await http.get(f"/r/s/{sid}")).status_code == 200
    assert [e["id"] for e in season["episodes"]] == [first, later]
    for name in ("received", "forwarded", "replied", "pending"):
        assert season["figures"]["total"][name] == (
            one["figures"]["total"][name] + two["figures"]["total"][name]
        )
    assert season["figures"]["total"]["received"] == 2  # counted once, in the later episode
