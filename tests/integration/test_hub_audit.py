"""The audit logs against a real hub: one entry per applied moderator write, in
the write's own script; nothing for a replay or a refusal; the JSON pages, the
CSV export and who may read them."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis

from server.settings import Settings
from server.store import keys
from server.store.accounts import Accounts
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import Clients, dump, new_viewer, ok, refused, token

pytestmark = pytest.mark.anyio

Json = dict[str, Any]


async def _audit(redis: aioredis.Redis, key: str) -> list[Json]:
    """Every entry of an audit stream, oldest first, as stored."""
    rows = await redis.xrange(key)
    return [
        {k.decode(): v.decode() for k, v in fields.items()} | {"id": rid.decode()}
        for rid, fields in rows
    ]


async def _mine(redis: aioredis.Redis, target: str) -> list[Json]:
    """The deployment log's entries about one target (other tests share the log)."""
    return [e for e in await _audit(redis, keys.AUDIT) if e["target"] == target]


async def test_every_moderator_write_leaves_exactly_one_entry(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(settings={"moderation": True}))["id"]
    log = keys.audit(bid)
    created = await _audit(redis, log)
    assert [(e["user"], e["action"], e["target"]) for e in created] == [
        (mod.user, "bc.create", "broadcast")
    ]
    deployment = await _mine(redis, f"broadcast:{bid}")
    assert [(e["user"], e["action"]) for e in deployment] == [(mod.user, "bc.create")]

    console = clients.add(mod.client(bid))
    await console.connect()
    viewer = await new_viewer(clients, redis, hub.base, bid)
    q1 = ok(await viewer.command("ask", text="地铁能不能开到机场？"))["qid"]
    q2 = ok(await viewer.command("ask", text="公交专用道什么时候开通？"))["qid"]
    assert await redis.xlen(log) == 1  # viewers' writes are not moderators' acts

    # (command, fields, target, detail as recorded)
    steps: list[tuple[str, Json, str, Json]] = [
        ("q.status", {"qid": q1, "status": "approved", "expect": "pending"}, f"q:{q1}",
         {"from": "pending", "to": "approved"}),
        ("q.status", {"qid": q2, "status": "rejected", "reason": "重复的问题"}, f"q:{q2}",
         {"from": "pending", "to": "rejected", "reason": "重复的问题"}),
        ("q.star", {"qid": q1, "on": True}, f"q:{q1}", {"on": True}),
        ("q.edit", {"qid": q1, "text": "地铁能不能直达机场？"}, f"q:{q1}",
         {"from": "地铁能不能开到机场？", "to": "地铁能不能直达机场？"}),
        ("poll.create", {"question": "哪条线先建？", "options": ["东线", "西线"], "multi": False},
         "poll:1", {"question": "哪条线先建？", "options": ["东线", "西线"], "multi": False,
                    "results": "after_vote", "kind": "choice"}),
        ("poll.state", {"poll": 1, "state": "open"}, "poll:1", {"from": "draft", "to": "open"}),
        ("overlay", {"show": "poll", "poll": 1}, "overlay", {"show": "poll", "poll": 1}),
        ("bc.update", {"title": "地铁规划", "scheduled": 1_900_000_000_000}, "broadcast",
         {"title": "地铁规划", "scheduled": 1_900_000_000_000}),
        ("bc.update", {"settings": {"max_len": 200}}, "broadcast",
         {"settings": {"max_len": 200}}),
        ("q.status", {"qid": q1, "status": "on_air"}, f"q:{q1}",
         {"from": "approved", "to": "on_air"}),
        ("bc.state", {"state": "live"}, "broadcast", {"from": "draft", "to": "live"}),
    ]  # fmt: skip
    for type, fields, target, detail in steps:
        before = await redis.xlen(log)
        cmd_id = token()
        first = ok(await console.command(type, id=cmd_id, **fields))
        entries = await _audit(redis, log)
        assert len(entries) == before + 1, type
        last = entries[-1]
        assert (last["user"], last["action"], last["target"]) == (mod.user, type, target)
        assert orjson.loads(last["detail"]) == detail, type
        # The same id again, on the socket and over HTTP: the original result, no entry.
        assert ok(await console.command(type, id=cmd_id, **fields)) == first
        assert (await mod.command(bid, type, id=cmd_id, **fields))["result"] == first
        assert await redis.xlen(log) == before + 1, type

    # Refusals and writes that change nothing record nothing.
    before = await dump(redis, bid, results=False)
    refused(await console.command("q.status", qid=q1, status="approved", expect="pending"),
            "conflict")  # fmt: skip
    refused(await console.command("q.star", qid=999, on=True), "not_found")
    refused(await console.command("poll.state", poll=7, state="open"), "not_found")
    refused(await console.command("bc.state", state="live"), "conflict")
    refused(await console.command("overlay", show="poll", poll=42), "not_found")
    assert ok(await console.command("q.star", qid=q1, on=True))["changed"] is False
    refused(await console.command("q.edit", qid=q1, text="   "), "empty")  # domain: no write
    assert await dump(redis, bid, results=False) == before

    # Rotating the overlay key is recorded, never the key itself.
    async with mod.http() as http:
        r = await http.post(f"/api/broadcasts/{bid}/overlay-key")
        assert r.status_code == 200
        new_key = r.json()["overlay_key"]
    last = (await _audit(redis, log))[-1]
    assert (last["user"], last["action"], last["target"]) == (mod.user, "overlay.key", "overlay")
    assert new_key not in orjson.dumps(await _audit(redis, log)).decode()

    # The JSON pages: newest first, paged by "before" without gaps or overlaps.
    stored = await _audit(redis, log)
    async with mod.http() as http:
        r = await http.get(f"/api/broadcasts/{bid}/audit")
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        whole = r.json()
        assert whole["next"] is None
        assert [e["id"] for e in whole["entries"]] == [e["id"] for e in reversed(stored)]
        top = whole["entries"][0]
        assert top["user"] == mod.user and top["action"] == "overlay.key"
        assert top["ts"] == int(top["id"].split("-")[0]) and top["detail"] == {}
        paged: list[str] = []
        cursor: str | None = None
        while True:
            params = {"limit": "4"} | ({"before": cursor} if cursor else {})
            page = (await http.get(f"/api/broadcasts/{bid}/audit", params=params)).json()
            assert len(page["entries"]) <= 4
            paged += [e["id"] for e in page["entries"]]
            cursor = page["next"]
            if cursor is None:
                break
        assert paged == [e["id"] for e in reversed(stored)]
        for bad in ({"limit": "0"}, {"limit": "100000"}, {"limit": "x"}, {"before": "nope"}):
            r = await http.get(f"/api/broadcasts/{bid}/audit", params=bad)
            assert (r.status_code, r.json()["error"]) == (400, "invalid"), bad
        assert (await http.get("/api/broadcasts/t-nosuch/audit")).status_code == 404


async def _csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


async def test_csv_export_parses_has_the_bom_and_neutralises_formulas(
    hub: HubProcess, redis_url: str, redis: aioredis.Redis, clients: Clients
) -> None:
    # A legal user name a spreadsheet would compute: "-2-3..." is a formula.
    user, password = "-2-3" + secrets.token_hex(3), secrets.token_urlsafe(16)
    await Accounts(redis, Settings(redis_url=redis_url)).create_moderator(
        user, password, admin=False
    )
    formula = Moderator(hub.base, user, password)
    await formula.login()
    bid = (await formula.create_broadcast(settings={"moderation": False}))["id"]
    viewer = await new_viewer(clients, redis, hub.base, bid)
    qid = ok(await viewer.command("ask", text='票价, 会不会 "上涨"?'))["qid"]
    ok(await formula.command(bid, "q.edit", qid=qid, text='=HYPERLINK("http://evil.example")'))
    ok(await formula.command(bid, "poll.create", question="@SUM(1+1)", options=["+1", "-1"],
                             multi=False))  # fmt: skip

    async with formula.http() as http:
        rows = await _csv_rows(await http.get(f"/api/broadcasts/{bid}/audit.csv"))
    assert rows[0] == ["time", "user", "action", "target", "detail"]
    body = rows[1:]
    assert [r[2] for r in body] == ["bc.create", "q.edit", "poll.create"]  # oldest first
    assert all(r[1] == "'" + user for r in body)  # shown as text, never computed
    for r in body:
        for cell in r:
            assert cell[:1] not in ("=", "+", "-", "@"), r
    edit = orjson.loads(body[1][4])
    assert edit == {"from": '票价, 会不会 "上涨"?', "to": '=HYPERLINK("http://evil.example")'}
    # ISO 8601 with the offset of settings.timezone (Asia/Shanghai by default).
    stamp = datetime.fromisoformat(body[0][0])
    assert stamp.utcoffset() == timedelta(hours=8)
    first_id = (await redis.xrange(keys.audit(bid), count=1))[0][0].decode()
    assert round(stamp.timestamp() * 1000) == int(first_id.split("-")[0])


async def test_deployment_log_records_accounts_and_only_admins_read_it(
    hub: HubProcess, mod: Moderator, redis_url: str, redis: aioredis.Redis
) -> None:
    name = "t" + secrets.token_hex(5)
    target = f"moderator:{name}"
    async with mod.http() as http:
        body = {"username": name, "password": secrets.token_urlsafe(12)}
        assert (await http.post("/api/moderators", json=body)).status_code == 201
        assert (await http.post("/api/moderators", json=body)).status_code == 409  # no entry
        r = await http.post(f"/api/moderators/{name}", json={"password": "a new long password"})
        assert r.status_code == 200
        assert (await http.post(f"/api/moderators/{name}", json={"admin": True})).status_code == 200
        # Already an admin: nothing changed, nothing recorded.
        assert (await http.post(f"/api/moderators/{name}", json={"admin": True})).status_code == 200
        r = await http.post(f"/api/moderators/{mod.user}", json={"admin": False})
        assert (r.status_code, r.json()["error"]) == (400, "invalid")  # no self-demotion
        assert (await http.delete(f"/api/moderators/{name}")).status_code == 200
        assert (await http.delete(f"/api/moderators/{name}")).status_code == 404  # no entry

        expected = [
            ("moderator.add", {"admin": False}),
            ("moderator.password", {"sessions": 0}),
            ("moderator.admin", {"admin": True}),
            ("moderator.remove", {"sessions": 0}),
        ]
        stored = await _mine(redis, target)
        assert [(e["user"], e["action"], orjson.loads(e["detail"])) for e in stored] == [
            (mod.user, action, detail) for action, detail in expected
        ]
        page = (await http.get("/api/audit", params={"limit": "1000"})).json()["entries"]
        assert [e["action"] for e in page if e["target"] == target] == [
            action for action, _ in reversed(expected)
        ]
        rows = await _csv_rows(await http.get("/api/audit.csv"))
        assert [r[2] for r in rows[1:] if r[3] == target] == [a for a, _ in expected]

    plain = await new_moderator(redis_url, hub.base, admin=False)
    async with plain.http() as http:
        for path in ("/api/audit", "/api/audit.csv"):
            r = await http.get(path)
            assert (r.status_code, r.json()["error"]) == (403, "forbidden"), path


async def test_new_routes_refuse_without_session_csrf_or_admin(
    hub: HubProcess, mod: Moderator, redis_url: str, redis: aioredis.Redis
) -> None:
    bid = (await mod.create_broadcast())["id"]
    reads = [f"/api/broadcasts/{bid}/audit", f"/api/broadcasts/{bid}/audit.csv",
             f"/api/broadcasts/{bid}/polls", "/api/audit", "/api/audit.csv"]  # fmt: skip
    write = f"/api/broadcasts/{bid}/rehearsal"
    plain = await new_moderator(redis_url, hub.base, admin=False)
    before = await dump(redis, bid)
    deployment = await redis.xlen(keys.AUDIT)

    async with httpx.AsyncClient(base_url=hub.base, timeout=10) as anonymous:
        for path in reads:
            assert (await anonymous.get(path)).status_code == 401, path
        for action in ("fill", "clear"):
            r = await anonymous.post(write, json={"action": action},
                                     headers={"X-CSRF-Token": mod.csrf})  # fmt: skip
            assert r.status_code == 401
    async with httpx.AsyncClient(base_url=hub.base, cookies=mod.cookies, timeout=10) as no_csrf:
        for action in ("fill", "clear"):
            for headers in ({}, {"X-CSRF-Token": "wrong"}):
                r = await no_csrf.post(write, json={"action": action}, headers=headers)
                assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    async with mod.http() as session:
        r = await session.post(
            write, json={"action": "fill"}, headers={"Origin": "http://evil.example"}
        )
        assert r.status_code == 403
        r = await session.post(write, json={"action": "wipe"})
        assert (r.status_code, r.json()["error"]) == (400, "invalid")
    async with plain.http() as http:
        for path in reads[:3]:  # any moderator reads a broadcast's record
            assert (await http.get(path)).status_code == 200, path
    assert await dump(redis, bid) == before
    assert await redis.xlen(keys.AUDIT) == deployment


async def test_poll_list_for_copying(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis
) -> None:
    bid = (await mod.create_broadcast())["id"]
    async with mod.http() as http:
        assert (await http.get(f"/api/broadcasts/{bid}/polls")).json() == {"polls": []}
    ok(await mod.command(bid, "poll.create", question="哪天开会？", options=["周一", "周二"],
                         multi=False))  # fmt: skip
    ok(await mod.command(bid, "poll.create", question="关心哪些议题？", multi=True,
                         options=["交通", "教育", "医疗"], results="always"))  # fmt: skip
    ok(await mod.command(bid, "poll.state", poll=1, state="open"))
    ok(await mod.command(bid, "poll.state", poll=1, state="closed"))
    async with mod.http() as http:
        polls = (await http.get(f"/api/broadcasts/{bid}/polls")).json()["polls"]
        assert (await http.get("/api/broadcasts/t-nosuch/polls")).status_code == 404
    assert [{k: v for k, v in p.items() if k != "created"} for p in polls] == [
        {"id": 1, "question": "哪天开会？", "options": ["周一", "周二"], "multi": False,
         "results": "after_vote", "state": "closed"},
        {"id": 2, "question": "关心哪些议题？", "options": ["交通", "教育", "医疗"], "multi": True,
         "results": "always", "state": "draft"},
    ]  # fmt: skip
    assert all(isinstance(p["created"], int) for p in polls)


async def test_scheduled_is_editable_and_clearable(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid = (await mod.create_broadcast(scheduled=1_800_000_000_000))["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    await console.wait_state(lambda s: s.broadcast.get("scheduled") == 1_800_000_000_000)

    ok(await console.command("bc.update", scheduled=1_900_000_000_000))
    await console.wait_state(lambda s: s.broadcast["scheduled"] == 1_900_000_000_000)
    ok(await console.command("bc.update", title="不改时间"))  # absent: unchanged
    await console.wait_state(lambda s: s.broadcast["title"] == "不改时间")
    assert console.state.broadcast["scheduled"] == 1_900_000_000_000
    ok(await console.command("bc.update", scheduled=None))
    await console.wait_state(lambda s: s.broadcast["scheduled"] is None)
    assert await redis.hget(keys.meta(bid), "scheduled") is None
    async with mod.http() as http:
        assert (await http.get(f"/api/broadcasts/{bid}")).json()["scheduled"] is None

    before = await dump(redis, bid, results=False)
    refused(await console.command("bc.update", scheduled="明天"), "bad_field")
    refused(await console.command("bc.update", scheduled=10**15), "invalid")  # year > 3000
    assert await dump(redis, bid, results=False) == before
