"""The viewer page (/b/<bid>) in a real chromium against a real hub process.

Each test creates its own broadcast. Moderator moves go through the HTTP API
(``mod.command``), as the console would send them; some viewers are Python
``HubClient``s where a page adds nothing (seeding many questions). Waits are
Playwright's ``expect`` (polling the DOM), never sleeps.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import posixpath
import random
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    WebSocketRoute,
    expect,
)

from server.client import HubClient
from server.store import keys
from server.web.viewer_pages import qr_svg
from tests.browser.conftest import docs_image, phone
from tests.integration.harness import HubProcess, Moderator, viewer

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = Path("/work/shared/data/xss-payloads.txt")
WAIT_MS = 8000


async def open_viewer(
    browser: Browser, hub: HubProcess, bid: str, dialogs: list[str] | None = None, **extra: Any
) -> Page:
    context = await browser.new_context(**phone(**extra))
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if dialogs is not None:

        async def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", on_dialog)
    await page.goto(f"{hub.base}/b/{bid}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    assert not errors, errors
    return page


async def live_broadcast(mod: Moderator, **body: Any) -> str:
    created = await mod.create_broadcast(**body)
    bid: str = created["id"]
    ack = await mod.command(bid, "bc.state", state="live")
    assert ack["type"] == "ack", ack
    return bid


async def ok(mod: Moderator, bid: str, type: str, **fields: Any) -> dict[str, Any]:
    reply = await mod.command(bid, type, **fields)
    assert reply.get("type") == "ack", reply
    result: dict[str, Any] = reply["result"]
    return result


def item(page: Page, text: str) -> Any:
    return page.locator("#q-list .q-item", has=page.locator(".q-text", has_text=text))


async def show_new(page: Page) -> None:
    """Take in questions held back behind the "N 条新提问" button, if any."""
    button = page.locator("#new-items")
    if await button.is_visible():
        await button.click()


# --- HTTP: page, join code, QR, CSP, weight ---------------------------------------------


async def test_page_routes_headers_and_weight(hub: HubProcess, mod: Moderator) -> None:
    created = await mod.create_broadcast(title="页面检查")
    bid, code = created["id"], created["join"]
    assert re.fullmatch(r"[23456789A-HJKMNP-Z]{6}", code)
    assert created["links"]["join"].endswith(f"/j/{code}")
    async with httpx.AsyncClient(base_url=hub.base) as http:
        page = await http.get(f"/b/{bid}")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "xs_vid=" in page.headers["set-cookie"]
        assert "HttpOnly" in page.headers["set-cookie"]
        html = page.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script"

        again = await http.get(f"/b/{bid}")  # the cookie is now in the client's jar
        assert "set-cookie" not in again.headers

        async with httpx.AsyncClient(base_url=hub.base) as fresh:
            for missing in ("/b/no-such-broadcast", "/b/BAD_ID!"):
                r = await fresh.get(missing)
                assert r.status_code == 404 and "set-cookie" not in r.headers, missing

        join = await http.get(f"/j/{code}")
        assert join.status_code == 302 and join.headers["location"] == f"/b/{bid}"
        assert (await http.get(f"/j/{code.lower()}")).headers["location"] == f"/b/{bid}"
        assert (await http.get("/j/ZZZZZZ")).status_code == 404

        qr = await http.get(f"/qr/{bid}.svg")
        assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
        assert b"<svg" in qr.content and b"<script" not in qr.content.lower()
        assert qr.content == qr_svg(f"{hub.base}/j/{code}"), "the QR encodes the join link"
        assert (await http.get("/qr/no-such-broadcast.svg")).status_code == 404

        # Page weight: the HTML and every stylesheet and module it pulls in, gzipped.
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
        seen: dict[str, int] = {f"/b/{bid}": len(gzip.compress(page.content, 9))}
        queue = list(assets)
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            r = await http.get(url)
            assert r.status_code == 200, url
            assert "content-security-policy" in r.headers
            seen[url] = len(gzip.compress(r.content, 9))
            if url.endswith(".js"):
                base = url.rsplit("/", 1)[0]
                for rel in re.findall(r"""from\s+['"](\.\.?/[\w./-]+)['"]""", r.text):
                    queue.append(posixpath.normpath(f"{base}/{rel}"))
    total = sum(seen.values())
    assert {
        "/static/js/viewer/main.js",
        "/static/js/shared/socket.js",
        "/static/js/shared/state.js",
    } <= set(seen)
    print(f"\nviewer page weight: {total} bytes gzipped over {len(seen)} files")
    assert total < 100 * 1024, seen


# --- asking and moderation -------------------------------------------------------------


async def test_ask_approve_shows_for_others(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(
        mod, title="地铁规划", settings={"moderation": True, "tags": ["朝阳区", "海淀区"]}
    )
    asker = await open_viewer(browser, hub, bid, dialogs)
    other = await open_viewer(browser, hub, bid, dialogs)

    text = "5号线南延什么时候开工？"
    await asker.fill("#ask-text", text)
    await expect(asker.locator("#ask-count")).to_have_text(f"{len(text)}/300")
    await asker.fill("#ask-name", "李女士")
    await asker.select_option("#ask-tag", "朝阳区")
    await asker.click("#ask-submit")
    await expect(asker.locator("#ask-feedback")).to_have_text("已提交，等待审核", timeout=WAIT_MS)
    await expect(asker.locator("#ask-text")).to_have_value("")
    mine = asker.locator("#mine-list .mine-item", has_text=text)
    await expect(mine.locator(".badge")).to_have_text("待审核", timeout=WAIT_MS)
    await expect(other.locator("#q-list")).not_to_contain_text(text)

    # The name is remembered on the device.
    await asker.reload()
    await expect(asker.locator("#ask-name")).to_have_value("李女士")

    await ok(mod, bid, "q.status", qid=1, status="approved")
    await expect(item(other, text)).to_have_count(1, timeout=WAIT_MS)
    await expect(item(other, text).locator(".q-meta")).to_contain_text("李女士")
    await expect(item(other, text).locator(".q-meta")).to_contain_text("朝阳区")
    await expect(mine.locator(".badge")).to_have_text("已公开", timeout=WAIT_MS)

    await ok(mod, bid, "q.status", qid=1, status="on_air")
    await expect(other.locator("#onair-text")).to_have_text(text, timeout=WAIT_MS)
    await expect(mine.locator(".badge")).to_have_text("正在回答", timeout=WAIT_MS)
    await ok(mod, bid, "q.status", qid=1, status="answered")
    await expect(other.locator("#onair")).to_be_hidden(timeout=WAIT_MS)
    await expect(item(other, text).locator(".badge")).to_have_text("已回答", timeout=WAIT_MS)
    await expect(mine.locator(".badge")).to_have_text("已回答", timeout=WAIT_MS)

    # A rejected question: its asker sees "not shown" and the reason; nobody else sees it.
    await asker.fill("#ask-text", "这个问题会被拒绝")
    await asker.click("#ask-submit")
    await expect(asker.locator("#ask-feedback")).to_have_text("已提交，等待审核", timeout=WAIT_MS)
    await ok(mod, bid, "q.status", qid=2, status="rejected", reason="与主题无关")
    rejected = asker.locator("#mine-list .mine-item", has_text="这个问题会被拒绝")
    await expect(rejected.locator(".badge")).to_have_text("未展示", timeout=WAIT_MS)
    await expect(rejected).to_contain_text("与主题无关")
    await expect(other.locator("#q-list")).not_to_contain_text("这个问题会被拒绝")

    # Over the limit: the counter says so and the button is off.
    await asker.fill("#ask-text", "长" * 301)
    await expect(asker.locator("#ask-count")).to_have_text("301/300")
    await expect(asker.locator("#ask-submit")).to_be_disabled()


async def test_lost_ack_resends_same_id_and_posts_once(
    browser: Browser, hub: HubProcess, mod: Moderator
) -> None:
    """The hub applied a question but the ack never reached the page: the page
    reconnects, resends the same command id, and the question exists once."""
    bid = await live_broadcast(mod, settings={"moderation": False})
    context = await browser.new_context(**phone())
    page = await context.new_page()
    asks: list[str] = []  # ids of every ask frame the page sent
    dropped: list[str] = []
    closing: list[asyncio.Future[None]] = []

    async def through(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str) and '"type":"ask"' in message:
                asks.append(json.loads(message)["id"])
            server.send(message)

        def from_hub(message: str | bytes) -> None:
            if not dropped and isinstance(message, str) and '"type":"ack"' in message:
                ack = json.loads(message)
                if ack["id"] in asks:  # the ask's ack: lose it, and the connection
                    dropped.append(ack["id"])
                    closing.append(asyncio.ensure_future(ws.close(code=1011, reason="lost")))
                    closing.append(asyncio.ensure_future(server.close()))
                    return
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_hub)

    await page.route_web_socket(re.compile(r"/ws/"), through)
    await page.goto(f"{hub.base}/b/{bid}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    await page.fill("#ask-text", "丢了回执的问题")
    await page.click("#ask-submit")
    await expect(page.locator("#ask-feedback")).to_have_text("已发布", timeout=WAIT_MS)
    assert len(dropped) == 1 and asks.count(dropped[0]) == 2, (asks, dropped)
    await expect(item(page, "丢了回执的问题")).to_have_count(1, timeout=WAIT_MS)
    await expect(page.locator("#mine-list .mine-item")).to_have_count(1)
    await expect(page.locator("#ask-text")).to_have_value("")
    moderator = mod.client(bid)
    await moderator.connect()
    try:
        await moderator.wait_state(lambda s: s.snapshots > 0)
        texts = [q["text"] for q in moderator.state.questions.values()]
    finally:
        await moderator.close()
    assert texts == ["丢了回执的问题"]


async def test_draft_and_unsent_question_survive_a_reload(
    browser: Browser, hub: HubProcess, mod: Moderator
) -> None:
    bid = await live_broadcast(mod, settings={"moderation": True})
    page = await open_viewer(browser, hub, bid)
    await page.fill("#ask-text", "还没写完的草稿")
    await page.reload()
    await expect(page.locator("#ask-text")).to_have_value("还没写完的草稿")
    # A question sent while the hub was unreachable is kept with its id and
    # sent after the reload, once.
    await page.route_web_socket(re.compile(r"/ws/"), lambda ws: None)  # never answers
    await page.reload()
    await page.fill("#ask-text", "断网时提交的问题")
    await page.click("#ask-submit")
    await expect(page.locator("#mine-list .badge")).to_have_text("提交中")
    await page.unroute_all()
    page2 = await page.context.new_page()
    await page.close()
    await page2.goto(f"{hub.base}/b/{bid}")
    await expect(page2.locator("#mine-list .badge")).to_have_text("待审核", timeout=WAIT_MS)
    await expect(page2.locator("#ask-feedback")).to_have_text("已提交，等待审核")
    await expect(page2.locator("#mine-list .mine-item")).to_have_count(1)


# --- upvotes, likes, polls ------------------------------------------------------------------


async def test_upvotes_agree_across_viewers(
    browser: Browser, hub: HubProcess, mod: Moderator
) -> None:
    bid = await live_broadcast(mod, settings={"moderation": False})
    asker = await viewer(hub.base, bid)
    await asker.connect()
    ack = await asker.command("ask", text="换乘站能不能再多一个出口？")
    assert ack["type"] == "ack", ack
    await asker.close()

    a = await open_viewer(browser, hub, bid)
    b = await open_viewer(browser, hub, bid)
    votes_a = item(a, "换乘站").locator(".vote")
    votes_b = item(b, "换乘站").locator(".vote")
    await votes_a.click()
    await expect(votes_a).to_have_attribute("aria-pressed", "true")
    await votes_b.click()
    for v in (votes_a, votes_b):
        await expect(v.locator(".n")).to_have_text("2", timeout=WAIT_MS)
    await votes_a.click()  # tapping again withdraws
    await expect(votes_a).to_have_attribute("aria-pressed", "false")
    for v in (votes_a, votes_b):
        await expect(v.locator(".n")).to_have_text("1", timeout=WAIT_MS)
    await a.reload()
    await expect(item(a, "换乘站").locator(".vote .n")).to_have_text("1", timeout=WAIT_MS)
    await expect(item(a, "换乘站").locator(".vote")).to_have_attribute("aria-pressed", "false")
    await expect(votes_b).to_have_attribute("aria-pressed", "true")


async def test_likes_from_two_viewers_sum_exactly(
    browser: Browser, hub: HubProcess, mod: Moderator
) -> None:
    bid = await live_broadcast(mod)
    a = await open_viewer(browser, hub, bid)
    b = await open_viewer(browser, hub, bid, reduced_motion="reduce")
    # force: no waiting for the button's bump animation to settle between taps.
    for _ in range(7):
        await a.click("#like", force=True)
    for _ in range(4):
        await b.click("#like", force=True)
    await b.focus("#like")
    await b.keyboard.press("Enter")  # a real button: the keyboard taps too
    # Each tap animates at once, unless the reader asked for less motion.
    assert await a.locator("#hearts .heart").count() > 0
    assert await b.locator("#hearts .heart").count() == 0
    for page in (a, b):
        await expect(page.locator("#like-total")).to_have_text("12", timeout=WAIT_MS)
    await asyncio.sleep(0.6)  # nothing more arrives: no batch counted twice
    for page in (a, b):
        await expect(page.locator("#like-total")).to_have_text("12")
    redis = aioredis.Redis.from_url(hub.redis_url)
    try:
        assert int(await redis.get(keys.likes(bid)) or 0) == 12
    finally:
        await redis.aclose()


async def test_poll_vote_tallies_and_one_ballot(
    browser: Browser, hub: HubProcess, mod: Moderator
) -> None:
    bid = await live_broadcast(mod)
    a = await open_viewer(browser, hub, bid)
    b = await open_viewer(browser, hub, bid)
    poll = await ok(
        mod, bid, "poll.create", question="新线路优先经过哪里？",
        options=["大学城", "科技园", "老城区"], multi=False, results="after_vote",
    )  # fmt: skip
    await ok(mod, bid, "poll.state", poll=poll["poll"], state="open")
    card_a = a.locator(f"[data-poll='{poll['poll']}']")
    card_b = b.locator(f"[data-poll='{poll['poll']}']")
    await expect(card_a.locator(".poll-q")).to_have_text("新线路优先经过哪里？", timeout=WAIT_MS)
    await expect(card_a.locator(".result")).to_have_count(0)  # after_vote: hidden until voting

    await card_a.get_by_text("科技园").click()
    await card_a.get_by_role("button", name="投票").click()
    await expect(card_a.locator(".result")).to_have_count(3, timeout=WAIT_MS)
    await expect(card_a.locator(".result[data-mine]")).to_contain_text("100% · 1 票")
    await expect(card_a.locator(".poll-note")).to_contain_text("共 1 人投票")
    await expect(card_a.locator("form")).to_have_count(0)

    await card_b.get_by_text("大学城").click()
    await card_b.get_by_role("button", name="投票").click()
    await expect(card_b.locator(".poll-note")).to_contain_text("共 2 人投票", timeout=WAIT_MS)
    await expect(card_a.locator(".poll-note")).to_contain_text("共 2 人投票", timeout=WAIT_MS)

    # A second ballot from the same viewer (same cookie, another connection) is refused.
    cookies = {c["name"]: c["value"] for c in await a.context.cookies()}
    same = HubClient(hub.base, bid, "viewer", cookies={"xs_vid": cookies["xs_vid"]})
    await same.connect()
    try:
        reply = await same.command("vote", poll=poll["poll"], choices=[0])
    finally:
        await same.close()
    assert reply["type"] == "error" and reply["code"] == "conflict", reply
    await ok(mod, bid, "poll.state", poll=poll["poll"], state="closed")
    for card in (card_a, card_b):
        await expect(card.locator(".pill").nth(1)).to_have_text("已结束", timeout=WAIT_MS)
        await expect(card.locator(".result").first).to_contain_text("50% · 1 票")


async def test_after_close_poll_hides_results_until_closed(
    browser: Browser, hub: HubProcess, mod: Moderator
) -> None:
    bid = await live_broadcast(mod)
    page = await open_viewer(browser, hub, bid)
    poll = await ok(
        mod, bid, "poll.create", question="周末是否加开夜班车？", options=["是", "否"],
        multi=True, results="after_close",
    )  # fmt: skip
    await ok(mod, bid, "poll.state", poll=poll["poll"], state="open")
    card = page.locator(f"[data-poll='{poll['poll']}']")
    await card.get_by_text("是", exact=True).click()
    await card.get_by_text("否", exact=True).click()
    await card.get_by_role("button", name="投票").click()
    await expect(card.locator(".poll-note")).to_have_text(
        "你已投票，结果将在投票结束后公布", timeout=WAIT_MS
    )
    await expect(card.locator(".result")).to_have_count(0)
    await ok(mod, bid, "poll.state", poll=poll["poll"], state="closed")
    await expect(card.locator(".result[data-mine]")).to_have_count(2, timeout=WAIT_MS)


# --- reconnect and resume ---------------------------------------------------------------------


async def test_hub_restart_page_resumes_without_duplicates(
    browser: Browser, hub: HubProcess, mod: Moderator, redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    bid = await live_broadcast(mod, settings={"moderation": False})
    page = await open_viewer(browser, hub, bid)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    await page.fill("#ask-text", "重启前的问题")
    await page.click("#ask-submit")
    await expect(item(page, "重启前的问题")).to_have_count(1, timeout=WAIT_MS)

    # While the page's hub is down, things happen through another hub process.
    other = HubProcess(redis_url, tmp_path_factory.mktemp("hub2")).start()
    try:
        hub.stop()
        await expect(page.locator("#conn")).not_to_have_attribute("data-state", "open")
        client = await viewer(other.base, bid)
        await client.connect()
        for text in ("停机期间的问题一", "停机期间的问题二"):
            assert (await client.command("ask", text=text))["type"] == "ack"
        assert (await client.command("upvote", qid=1, on=True))["type"] == "ack"
        await client.close()
        p = await ok(mod, bid, "poll.create", base=other.base, question="停机期间的投票",
                     options=["好", "不好"], multi=False)  # fmt: skip
        await ok(mod, bid, "poll.state", base=other.base, poll=p["poll"], state="open")
    finally:
        hub.start()
        other.stop()

    await expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=20_000)
    await show_new(page)
    for text in ("重启前的问题", "停机期间的问题一", "停机期间的问题二"):
        await expect(item(page, text)).to_have_count(1, timeout=WAIT_MS)
    await expect(page.locator("#q-list .q-item")).to_have_count(3)
    await expect(item(page, "重启前的问题").locator(".vote .n")).to_have_text("1")
    await expect(page.locator(".poll-q")).to_have_text("停机期间的投票")
    welcomes = [f for f in frames if '"type":"welcome"' in f]
    assert welcomes and '"resume":"recovered"' in welcomes[-1], welcomes
    # Recovered means replayed events, not a fresh snapshot.
    assert sum('"type":"snapshot"' in f for f in frames) == 0, "snapshot after resume"


# --- untrusted text ------------------------------------------------------------------------

REQUIRED = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", '"><svg onload=alert(1)>',
            "javascript:alert(1)", "</script><script>alert(1)</script>"]  # fmt: skip


def sample_payloads(n: int = 200) -> list[str]:
    lines = [ln for ln in PAYLOADS.read_text(encoding="utf-8").splitlines() if ln.strip()]
    picked = random.Random(20250314).sample(lines, min(n, len(lines)))
    return [p[:300] for p in REQUIRED + picked]


async def test_typed_markup_shows_literally(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, settings={"moderation": True})
    asker = await open_viewer(browser, hub, bid, dialogs)
    other = await open_viewer(browser, hub, bid, dialogs)
    payload = "<img src=x onerror=alert(1)>"
    await asker.fill("#ask-text", payload)
    await asker.fill("#ask-name", "<b>名字</b>")
    await asker.click("#ask-submit")
    await expect(asker.locator("#ask-feedback")).to_have_text("已提交，等待审核", timeout=WAIT_MS)
    await expect(asker.locator("#mine-list .mine-text")).to_have_text(payload)
    await ok(mod, bid, "q.status", qid=1, status="approved")
    for page in (asker, other):
        await show_new(page)
        text = page.locator("#q-list .q-text").first
        await expect(text).to_have_text(payload, timeout=WAIT_MS)
        assert await text.evaluate("n => n.childElementCount") == 0
        await expect(page.locator("#q-list .name")).to_have_text("<b>名字</b>")
        assert await page.locator("main img, main script, #q-list b").count() == 0


async def test_xss_payloads_render_as_text(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    payloads = sample_payloads()
    tags = sorted({p[:20] for p in payloads[:30]})  # tags are at most 20 characters
    bid = await live_broadcast(
        mod, title=payloads[1][:400], topic=payloads[0],
        settings={"moderation": False, "tags": tags},
    )  # fmt: skip
    async with mod.http() as http:
        tags = (await http.get(f"/api/broadcasts/{bid}")).json()["settings"]["tags"]
    assert tags
    poll = await ok(mod, bid, "poll.create", question=payloads[2][:200], multi=True,
                    options=[p[:80] for p in payloads[3:13]], results="always")  # fmt: skip
    await ok(mod, bid, "poll.state", poll=poll["poll"], state="open")

    # Five questions per viewer (the question rate limit's burst).
    async def ask_batch(batch: list[str], index: int) -> None:
        client = await viewer(hub.base, bid)
        await client.connect()
        try:
            for n, text in enumerate(batch):
                tag = tags[(index + n) % len(tags)]
                reply = await client.command("ask", text=text, name=batch[-1 - n][:24], tag=tag)
                assert reply["type"] == "ack" or reply["code"] in ("duplicate", "empty"), reply
        finally:
            await client.close()

    batches = [payloads[i : i + 5] for i in range(0, len(payloads), 5)]
    await asyncio.gather(*(ask_batch(b, i) for i, b in enumerate(batches)))

    # What the hub stored (normalised) is what every viewer must see, to the character.
    moderator = mod.client(bid)
    await moderator.connect()
    try:
        await moderator.wait_state(lambda s: s.snapshots > 0, timeout=5)
        # The snapshot is the first screen: the rest a page at a time (docs/protocol.md).
        for key in list(moderator.state.more):
            while moderator.state.more.get(key) is not None:
                list_name, order = key.split(".")
                assert (await moderator.page(list_name, order, limit=200))["type"] == "ack"
        stored = {q["id"]: q for q in moderator.state.questions.values()}
    finally:
        await moderator.close()
    assert len(stored) >= len(payloads) * 0.9, len(stored)

    page = await open_viewer(browser, hub, bid, dialogs)
    items = page.locator("#q-list .q-item")
    await expect(items).not_to_have_count(0, timeout=WAIT_MS)
    seen = await items.count()
    while seen < len(stored):  # the page loads the rest as the list is scrolled
        await page.locator("#q-end").scroll_into_view_if_needed()
        await expect(items).not_to_have_count(seen, timeout=WAIT_MS)
        seen = await items.count()
    await expect(items).to_have_count(len(stored), timeout=WAIT_MS)
    shown = await page.evaluate(
        """() => [...document.querySelectorAll('#q-list .q-item')].map(li => ({
            id: Number(li.dataset.qid),
            text: li.querySelector('.q-text').textContent,
            name: li.querySelector('.name')?.textContent ?? null,
            tag: li.querySelector('.tag')?.textContent ?? null,
            elements: li.querySelector('.q-text').childElementCount
                + (li.querySelector('.name')?.childElementCount ?? 0)
                + (li.querySelector('.tag')?.childElementCount ?? 0),
        }))"""
    )
    for row in shown:
        q = stored[row["id"]]
        assert row["text"] == q["text"], row
        assert row["name"] == q["name"] or q["name"] == "匿名", row
        assert row["tag"] == q["tag"], row
        assert row["elements"] == 0, row
    card = page.locator(f"[data-poll='{poll['poll']}']")
    options = await card.locator(".option-text").all_text_contents()
    assert len(options) == 10
    assert await page.locator("#title").text_content() == payloads[1][:400].strip()
    # Nothing the payloads describe exists in the document: no image, frame, object,
    # script besides the page's own module, no element with an inline handler.
    counts = await page.evaluate(
        """() => ({
            injected: document.querySelectorAll(
                'img, iframe, object, embed, video, audio, math, form[action], base,'
                + 'a[href]:not(.skip)'
            ).length,
            scripts: document.scripts.length,
            handlers: [...document.querySelectorAll('*')].filter(e =>
                [...e.attributes].some(a => a.name.startsWith('on'))).length,
        })"""
    )
    assert counts == {"injected": 0, "scripts": 1, "handlers": 0}, counts
    await page.wait_for_timeout(300)  # a delayed onerror/onload would fire by now


# --- the picture -----------------------------------------------------------------------------


@pytest.mark.docs_image
async def test_screenshot_with_chinese_content(
    browser: Browser, hub: HubProcess, mod: Moderator
) -> None:
    bid = await live_broadcast(
        mod, title="城市轨道交通第三期建设规划 · 市民协商会",
        topic="委员、专家与市民一起讨论地铁新线的走向、换乘与票价",
        settings={"moderation": True, "tags": ["朝阳区", "海淀区", "东城区", "交通", "教育"]},
    )  # fmt: skip
    questions = [
        ("地铁5号线南延段会经过天通苑北吗？每天早高峰实在太挤了。", "王先生", "朝阳区", 36),
        ("新线票价会不会按里程分段计价？学生能否有优惠？", "小林", "教育", 21),
        ("换乘站能不能多设几个无障碍电梯？老人推婴儿车都很不方便。", "", "交通", 14),
        ("夜间末班车能否延长到24点？", "赵女士", "海淀区", 9),
    ]
    ids = []
    for text, name, tag, _ in questions:
        asker = await viewer(hub.base, bid)
        await asker.connect()
        reply = await asker.command("ask", text=text, name=name or None, tag=tag)
        ids.append(reply["result"]["qid"])
        await asker.close()
    for qid in ids:
        await ok(mod, bid, "q.status", qid=qid, status="approved")
    await ok(mod, bid, "q.status", qid=ids[3], status="on_air")
    await ok(mod, bid, "q.status", qid=ids[3], status="answered")
    await ok(mod, bid, "q.status", qid=ids[0], status="on_air")
    # Upvotes from a crowd of viewers (each may upvote once).
    voters = await asyncio.gather(*(viewer(hub.base, bid) for _ in range(36)))
    await asyncio.gather(*(c.connect() for c in voters))
    for (*_, votes), qid in zip(questions, ids, strict=True):
        await asyncio.gather(*(c.command("upvote", qid=qid, on=True) for c in voters[:votes]))
    poll = await ok(
        mod, bid, "poll.create", question="您最希望新线优先解决哪个问题？",
        options=["早高峰拥挤", "换乘距离太长", "末班车太早"], multi=False, results="always",
    )  # fmt: skip
    await ok(mod, bid, "poll.state", poll=poll["poll"], state="open")
    ballots = [0] * 7 + [1] * 4 + [2] * 2
    for c, choice in zip(voters, ballots, strict=False):
        assert (await c.command("vote", poll=poll["poll"], choices=[choice]))["type"] == "ack"
    await asyncio.gather(*(c.close() for c in voters))
    # A like total worth formatting: most of it written straight into Redis
    # (the like budget of real viewers would take minutes to reach it), then a
    # real like whose flush publishes the total.
    redis = aioredis.Redis.from_url(hub.redis_url)
    try:
        await redis.set(keys.likes(bid), 123_450)
    finally:
        await redis.aclose()
    liker = await viewer(hub.base, bid)
    await liker.connect()
    assert (await liker.command("like", n=6))["result"]["total"] == 123_456
    await liker.close()

    page = await open_viewer(browser, hub, bid)
    await page.fill("#ask-text", "票价调整会提前公示吗？")
    await page.fill("#ask-name", "陈同学")
    await page.click("#ask-submit")
    await expect(page.locator("#ask-feedback")).to_have_text("已提交，等待审核", timeout=WAIT_MS)
    await expect(page.locator("#like-total")).to_have_text("12.3万")
    await expect(page.locator("#onair-text")).to_contain_text("5号线南延")
    await expect(page.locator("#q-list .q-item")).to_have_count(4)
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=docs_image("viewer.png"))
    await page.locator("#questions").scroll_into_view_if_needed()
    await page.evaluate("document.getElementById('questions').scrollIntoView()")
    await page.screenshot(path=docs_image("viewer-questions.png"))
    assert docs_image("viewer.png").stat().st_size > 10_000


async def test_terminal_close_says_why(browser: Browser, hub: HubProcess) -> None:
    context: BrowserContext = await browser.new_context(**phone())
    page = await context.new_page()
    # An unknown broadcast gets the page (with 404); its socket is closed with
    # 4404, a terminal code: the page stops and says why.
    response = await page.goto(f"{hub.base}/b/ghost-{random.randrange(10**9)}")
    assert response is not None and response.status == 404
    await expect(page.locator("#conn")).to_have_attribute("data-state", "closed", timeout=WAIT_MS)
    await expect(page.locator("#banner-text")).to_have_text("这场直播不存在或已被删除。")
    await expect(page.locator("#ask-submit")).to_be_disabled()
    frames: list[str] = []
    page.on("websocket", lambda ws: frames.append(ws.url))
    await page.wait_for_timeout(1000)  # attempt 0 of a backoff would have run by now
    assert frames == [], "no reconnect after a terminal close"
