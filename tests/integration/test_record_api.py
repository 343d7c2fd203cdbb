"""The record's APIs for other systems, on real hubs: the public read API (ETag,
rate limit), webhooks configured over HTTP and delivered to a local receiver
that fails the first two deliveries, the SSRF guard, and a season's report."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from server.domain import webhooks as wh
from server.settings import Settings
from server.store.seasons import Seasons
from server.store.store import Store
from server.store.webhooks import Webhooks
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import Clients, new_viewer, ok, open_redis, running_hub
from tests.integration.record_helpers import Receiver

pytestmark = pytest.mark.anyio

Json = dict[str, Any]
DELIVERING = {"WEBHOOKS_DELIVER": "1", "WEBHOOKS_ALLOW_PRIVATE": "1", "WEBHOOK_POLL_S": "0.1",
              "WEBHOOK_RETRY_BASE_S": "0.2", "WEBHOOK_TIMEOUT_S": "30",
              "QUESTIONS_BURST": "1000", "QUESTIONS_PER_MIN": "100000"}  # fmt: skip


@pytest.fixture
async def redis(redis_url: str) -> Any:
    async with open_redis(redis_url) as client:
        yield client


@pytest.fixture(scope="module")
def delivering_hub(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    with running_hub(redis_url, tmp_path_factory.mktemp("hooks"), **DELIVERING) as hub:
        yield hub


async def wait_until(probe: Any, within_s: float = 15) -> Any:
    for _ in range(int(within_s / 0.05)):
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("never happened")


# --- public read API ------------------------------------------------------------------------


async def test_public_document_etag_and_404(hub: HubProcess, mod: Moderator, redis: Any) -> None:
    settings = {"moderation": True, "show_names": False}
    bid = (await mod.create_broadcast(title="公开接口", settings=settings))["id"]
    ok(await mod.command(bid, "bc.state", state="live"))
    async with Clients() as clients:
        v = await new_viewer(clients, redis, hub.base, bid)
        shown = ok(await v.command("ask", text="公开的问题", name="王五"))["qid"]
        ok(await v.command("ask", text="待审核的问题", name="王五"))
        ok(await mod.command(bid, "q.status", qid=shown, status="on_air"))
        ok(await v.command("like", n=9))
    async with httpx.AsyncClient(base_url=hub.base) as http:  # no cookie at all

        async def settled() -> httpx.Response | None:
            r = await http.get(f"/api/public/broadcasts/{bid}")
            return r if r.status_code == 200 and r.json()["likes"] == 9 else None

        r = await wait_until(settled)
        doc = r.json()
        assert (doc["title"], doc["state"], doc["likes"]) == ("公开接口", "live", 9)
        assert [q["text"] for q in doc["questions"]] == ["公开的问题"]  # pending: not public
        assert doc["on_air"]["id"] == shown and doc["on_air"]["name"] == "匿名"
        assert r.headers["access-control-allow-origin"] == "*"
        assert "max-age" in r.headers["cache-control"]
        tag = r.headers["etag"]
        again = await http.get(f"/api/public/broadcasts/{bid}", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        other = await http.get(f"/api/public/broadcasts/{bid}", headers={"If-None-Match": '"x"'})
        assert other.status_code == 200 and other.headers["etag"] == tag
        missing = await http.get("/api/public/broadcasts/t-nosuch00")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
        bad = await http.get("/api/public/broadcasts/NOT..valid")
        assert bad.status_code == 400


async def test_public_api_is_rate_limited(redis_url: str, tmp_path: Any) -> None:
    env = {"PUBLIC_RATE_PER_S": "0.01", "PUBLIC_BURST": "3"}
    with running_hub(redis_url, tmp_path, **env) as hub:
        mod = await new_moderator(redis_url, hub.base)
        bid = (await mod.create_broadcast(title="限流"))["id"]
        async with httpx.AsyncClient(base_url=hub.base) as http:
            codes = [(await http.get(f"/api/public/broadcasts/{bid}")).status_code
                     for _ in range(5)]  # fmt: skip
            assert codes == [200, 200, 200, 429, 429]
            r = await http.get(f"/api/public/broadcasts/{bid}")
            assert r.json()["error"] == "rate_limited" and int(r.headers["retry-after"]) >= 1


# --- webhooks -----------------------------------------------------------------------------


async def add_hook(mod: Moderator, **body: Any) -> httpx.Response:
    async with mod.http() as http:
        return await http.post("/api/webhooks", json=body)


async def test_webhook_urls_are_checked_and_admins_only(
    hub: HubProcess, mod: Moderator, redis_url: str
) -> None:
    """The default hub (no allowance): private, loopback, link-local and odd
    schemes are refused, nothing is saved; an ordinary moderator may not add one."""
    refused = ["http://127.0.0.1:9/x", "http://localhost/", "http://169.254.169.254/latest",
               "http://10.0.0.8/", "http://[::1]/", "ftp://example.com/", "file:///etc/passwd",
               "http://user:pw@example.com/", "javascript:alert(1)"]  # fmt: skip
    for url in refused:
        r = await add_hook(mod, url=url, events=["poll.closed"])
        assert r.status_code == 400 and r.json()["error"] == "invalid", (url, r.text)
    r = await add_hook(mod, url="https://example.com/", events=["nope"])
    assert r.status_code == 400
    async with mod.http() as http:
        listed = (await http.get("/api/webhooks")).json()["webhooks"]
    assert not [h for h in listed if h["url"] in refused]
    plain = await new_moderator(redis_url, hub.base, admin=False)
    r = await add_hook(plain, url="http://127.0.0.1:9/", events=["poll.closed"])
    assert r.status_code == 403
    async with httpx.AsyncClient(base_url=hub.base) as http:
        assert (await http.get("/api/webhooks")).status_code == 401
        assert (await http.get("/api/webhooks/log")).status_code == 401


async def test_webhook_delivered_after_two_failures(
    delivering_hub: HubProcess, redis_url: str, redis: aioredis.Redis
) -> None:
    hub = delivering_hub
    mod = await new_moderator(redis_url, hub.base)
    bid = (await mod.create_broadcast(title="推送"))["id"]
    async with Receiver(fail=2) as receiver:
        r = await add_hook(mod, url=receiver.url, events=["broadcast.started"], bid=bid)
        assert r.status_code == 201, r.text
        hook, secret = r.json()["webhook"], r.json()["secret"]
        assert "secret" not in hook and len(secret) >= wh.SECRET_MIN_LEN
        await asyncio.sleep(0.3)  # the worker sees the draft first (its events are not sent)
        ok(await mod.command(bid, "bc.state", state="live"))

        async def three() -> bool:
            return len(receiver.requests) >= 3

        await wait_until(three)
        await asyncio.sleep(0.5)  # a fourth (a duplicate) would arrive now
    assert len(receiver.requests) == 3
    ids = {r["headers"]["x-xieshang-delivery"] for r in receiver.requests}
    assert len(ids) == 1
    for req in receiver.requests:
        assert wh.verify(secret, req["headers"]["x-xieshang-signature"], req["body"],
                         int(time.time()))  # fmt: skip
        assert req["headers"]["x-xieshang-event"] == "broadcast.started"
    async with mod.http() as http:
        log = (await http.get("/api/webhooks/log", params={"hook": hook["id"]})).json()
        entries = log["entries"]
        assert [e["outcome"] for e in reversed(entries)] == ["retry", "retry", "ok"]
        assert [e["status"] for e in reversed(entries)] == [503, 503, 200]
        assert all(e["broadcast"] == bid and e["event"] == "broadcast.started" for e in entries)
        assert (await http.delete(f"/api/webhooks/{hook['id']}")).json() == {"ok": True}
        assert (await http.delete(f"/api/webhooks/{hook['id']}")).status_code == 404


async def test_a_hanging_endpoint_never_slows_the_live_path(
    delivering_hub: HubProcess, redis_url: str, redis: aioredis.Redis
) -> None:
    """A receiver that accepts and never answers holds its deliveries for the
    attempt timeout (30 s here); meanwhile every command is acknowledged."""
    hub = delivering_hub
    mod = await new_moderator(redis_url, hub.base)
    bid = (await mod.create_broadcast(title="慢端点", settings={"moderation": False}))["id"]
    held: list[asyncio.StreamWriter] = []

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read(1)

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        r = await add_hook(mod, url=f"http://127.0.0.1:{port}/", bid=bid,
                           events=["question.approved"])  # fmt: skip
        hook = r.json()["webhook"]
        await asyncio.sleep(0.3)
        ok(await mod.command(bid, "bc.state", state="live"))
        async with Clients() as clients:
            v = await new_viewer(clients, redis, hub.base, bid)
            for i in range(20):
                ok(await v.command("ask", text=f"第{i}个问题", name="", timeout=5))

            async def holding() -> bool:
                return bool(held)

            await wait_until(holding)
            for i in range(20, 40):  # deliveries are hanging now
                ok(await v.command("ask", text=f"第{i}个问题", name="", timeout=5))
        await Webhooks(redis).remove(hook["id"], user="test")
    finally:
        for w in held:
            w.close()
        server.close()
        await server.wait_closed()


# --- a season -------------------------------------------------------------------------------


async def test_season_report_sums_its_broadcasts(
    hub: HubProcess, mod: Moderator, redis_url: str, redis: aioredis.Redis
) -> None:
    store = Store(redis, Settings())
    sid = "s" + secrets.token_hex(4)
    seasons = Seasons(redis, Settings())
    await seasons.create(sid, name="2025 协商在线", year=2025, user="t")
    likes, views = [40, 2], [3, 1]
    bids = []
    for n, (like, view) in enumerate(zip(likes, views, strict=True)):
        bid = (await mod.create_broadcast(title=f"第{n + 1}期"))["id"]
        await store.flush_likes(bid, proc="p", seq=1, delta=like, last_ids={})
        await store.report_presence(bid, proc="p", count=view, ttl_ms=60_000,
                                    visits=[f"+dev{n}-{i}" for i in range(view)])  # fmt: skip
        await seasons.add_broadcast(sid, bid, user="t")
        bids.append(bid)
    async with mod.http() as http:
        r = await http.get(f"/api/seasons/{sid}/report")
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["line"] == "2期节目，4人次观看，42次点赞"
        assert (report["broadcasts"], report["views"], report["likes"]) == (2, 4, 42)
        assert report["viewers_peak"] == 3 and report["viewers_unique_sum"] == 4
        assert [i["id"] for i in report["items"]] == bids
        assert (await http.get("/api/seasons/nosuch/report")).status_code == 404
        page = await http.get(f"/report/s/{sid}")
        assert page.status_code == 200 and "report/main.js" in page.text
        assert (await http.get("/report/s/nosuch")).status_code == 404
    async with httpx.AsyncClient(base_url=hub.base) as anon:
        assert (await anon.get(f"/api/seasons/{sid}/report")).status_code == 401
