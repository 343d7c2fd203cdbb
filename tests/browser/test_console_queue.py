"""The live console's queue (/console/<bid>) in a real chromium against a real hub.

Two moderators work at once in two browser contexts (two sessions, two
sockets); viewers are Python ``HubClient``s or a viewer page where the page is
what is tested. Waits are Playwright's ``expect`` (polling the DOM), never sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute, expect
from websockets.exceptions import ConnectionClosed

from server.client import Disconnected, HubClient
from tests.browser.conftest import docs_image
from tests.integration.harness import HubProcess, Moderator, new_moderator, viewer
from tests.integration.hub_helpers import words_applied

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

WAIT_MS = 8000
LAPTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}
HELD_WORD = {"words": [{"word": "内部消息", "action": "hold"}]}


@pytest.fixture(scope="module")
async def mod2(hub: HubProcess, redis_url: str) -> AsyncIterator[Moderator]:
    """A second moderator account: the other person at the other laptop."""
    yield await new_moderator(redis_url, hub.base, admin=False)


class Console:
    """One moderator's console page and the things a moderator does on it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []

    def row(self, text: str) -> Any:
        return self.page.locator("#q-list .q-row", has=self.page.locator(".q-text", has_text=text))

    def view(self, name: str) -> Any:
        return self.page.locator(f".q-view[data-view='{name}']")

    async def show(self, name: str) -> None:
        await self.view(name).click()
        await expect(self.view(name)).to_have_attribute("aria-pressed", "true")

    async def count(self, name: str, n: int) -> None:
        await expect(self.view(name).locator(".q-view-n")).to_have_text(str(n), timeout=WAIT_MS)

    async def select(self, text: str) -> None:
        await self.row(text).locator(".q-text").click()
        await expect(self.row(text)).to_have_attribute("aria-current", "true")

    def toast(self, pattern: str) -> Any:
        return self.page.locator(".c-toast", has_text=re.compile(pattern))


async def open_console(
    browser: Browser, hub: HubProcess, mod: Moderator, bid: str, dialogs: list[str] | None = None
) -> Console:
    context = await browser.new_context(**LAPTOP)
    await context.add_cookies(
        [{"name": "xs_sess", "value": mod.cookies["xs_sess"], "url": hub.base}]
    )
    page = await context.new_page()
    console = Console(page)
    page.on("pageerror", lambda exc: console.errors.append(str(exc)))
    if dialogs is not None:

        async def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", on_dialog)
    await page.goto(f"{hub.base}/console/{bid}")
    await expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    await expect(page.locator("#title")).not_to_have_text("正在加载…", timeout=WAIT_MS)
    assert not console.errors, console.errors
    return console


async def live_broadcast(mod: Moderator, **body: Any) -> str:
    body.setdefault("settings", {"moderation": True})
    created = await mod.create_broadcast(**body)
    bid: str = created["id"]
    assert (await mod.command(bid, "bc.state", state="live"))["type"] == "ack"
    return bid


async def ok(mod: Moderator, bid: str, type: str, **fields: Any) -> dict[str, Any]:
    reply = await mod.command(bid, type, **fields)
    assert reply.get("type") == "ack", reply
    result: dict[str, Any] = reply["result"]
    return result


async def ask(hub: HubProcess, bid: str, text: str, **fields: Any) -> int:
    """One question from a new viewer; returns its id."""
    client = await viewer(hub.base, bid)
    await client.connect()
    try:
        reply = await client.command("ask", text=text, **fields)
        assert reply["type"] == "ack", reply
        qid: int = reply["result"]["qid"]
        return qid
    finally:
        await client.close()


async def hub_questions(
    mod: Moderator, bid: str, until: Callable[[dict[int, dict[str, Any]]], bool] = lambda qs: True
) -> dict[int, dict[str, Any]]:
    """What the hub holds, as a new moderator connection sees it once ``until``
    holds (a snapshot may be a cached one followed by the events since)."""
    client = mod.client(bid)
    await client.connect()

    def seen(state: Any) -> bool:
        return state.snapshots > 0 and until({q["id"]: q for q in state.questions.values()})

    try:
        await client.wait_state(seen)
        return {q["id"]: q for q in client.state.questions.values()}
    finally:
        await client.close()


# --- access ------------------------------------------------------------------------------


async def test_without_session_redirects_to_login(browser: Browser, hub: HubProcess) -> None:
    context = await browser.new_context(**LAPTOP)
    page = await context.new_page()
    await page.goto(f"{hub.base}/console/some-broadcast")
    assert re.search(r"/login\?next=/console/some-broadcast$", page.url), page.url
    await context.close()


async def test_logout_ends_the_session(
    browser: Browser, hub: HubProcess, mod: Moderator, redis_url: str
) -> None:
    bid = await live_broadcast(mod, title="退出")
    leaving = await new_moderator(redis_url, hub.base, admin=False)
    c = await open_console(browser, hub, leaving, bid)
    await expect(c.page.locator("#me-user")).to_have_text(leaving.user)
    await c.page.click("#logout")
    await c.page.wait_for_url(re.compile(r"/login"))
    await c.page.goto(f"{hub.base}/console/{bid}")
    assert re.search(r"/login\?next=", c.page.url), c.page.url


async def test_unknown_broadcast_says_so(browser: Browser, hub: HubProcess, mod: Moderator) -> None:
    context = await browser.new_context(**LAPTOP)
    await context.add_cookies(
        [{"name": "xs_sess", "value": mod.cookies["xs_sess"], "url": hub.base}]
    )
    page = await context.new_page()
    response = await page.goto(f"{hub.base}/console/no-such-broadcast")
    assert response is not None and response.status == 404
    await expect(page.locator("#conn")).to_have_attribute("data-state", "closed", timeout=WAIT_MS)
    await expect(page.locator("#banner-text")).to_have_text("这场直播不存在或已被删除。")
    await context.close()


async def test_a_missing_panel_fails_in_its_own_tab(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="面板")
    context = await browser.new_context(**LAPTOP)
    await context.add_cookies(
        [{"name": "xs_sess", "value": mod.cookies["xs_sess"], "url": hub.base}]
    )
    page = await context.new_page()
    await page.route(
        re.compile(r"/static/js/console/audit\.js"), lambda route: route.fulfill(status=404)
    )
    await page.goto(f"{hub.base}/console/{bid}")
    c = Console(page)
    await expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    await ask(hub, bid, "面板坏了，队列照常工作吗？")
    await c.count("pending", 1)
    await page.click("#tab-audit")
    await expect(page.locator("#panel-audit .c-panel-failed")).to_have_text(
        "这一栏加载失败，请刷新页面重试。"
    )
    await page.click("#tab-queue")
    await page.keyboard.press("a")
    await c.count("approved", 1)
    # The language switch redraws the shell and the queue.
    await page.click("#lang")
    await expect(page.locator("#tab-queue")).to_contain_text("Questions")
    await expect(c.view("approved")).to_contain_text("Approved")
    await expect(page.locator("#panel-audit .c-panel-failed")).to_have_text(
        "This tab failed to load. Please reload the page."
    )
    await page.click("#lang")
    await expect(page.locator("#tab-queue")).to_contain_text("问题")
    await context.close()


# --- two moderators at once --------------------------------------------------------------


async def test_approval_in_one_console_shows_in_the_other(
    browser: Browser, hub: HubProcess, mod: Moderator, mod2: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="两位主持人")
    a = await open_console(browser, hub, mod, bid, dialogs)
    b = await open_console(browser, hub, mod2, bid, dialogs)
    text = "社区医院能否延长周末门诊时间？"
    await ask(hub, bid, text, name="刘阿姨")
    for c in (a, b):
        await expect(c.row(text)).to_have_count(1, timeout=WAIT_MS)
        await c.count("pending", 1)
    await expect(a.page.locator("#stat-pending")).to_have_text("1")
    clicked = asyncio.get_running_loop().time()
    await a.row(text).locator("button[data-act='approve']").click()
    # The other console follows from the event (the issue: within a second).
    await b.count("approved", 1)
    seen = asyncio.get_running_loop().time() - clicked
    print(f"\napproval seen in the other console after {seen:.2f} s")
    await b.count("pending", 0)
    await expect(b.row(text)).to_have_count(0)
    await b.show("approved")
    await expect(b.row(text)).to_have_count(1)
    await expect(b.row(text).locator(".q-meta")).to_contain_text("刘阿姨")
    await expect(b.page.locator("#stat-pending")).to_have_text("0")
    assert not a.errors and not b.errors


async def _hold_events(page: Page) -> dict[str, Any]:
    """Route the page's websocket through a gate: while ``hold`` is set, the
    hub's event frames wait (acks and errors pass), so the page acts on what it
    saw before another moderator's change reached it."""
    gate: dict[str, Any] = {"hold": False, "held": [], "ws": None}

    async def through(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        gate["ws"] = ws

        def from_hub(message: str | bytes) -> None:
            if gate["hold"] and isinstance(message, str) and '"type":"events"' in message:
                gate["held"].append(message)
                return
            ws.send(message)

        server.on_message(from_hub)
        ws.on_message(lambda message: server.send(message))

    await page.route_web_socket(re.compile(r"/ws/"), through)
    return gate


def _release(gate: dict[str, Any]) -> None:
    gate["hold"] = False
    for message in gate["held"]:
        gate["ws"].send(message)
    gate["held"].clear()


async def test_conflicting_reject_and_on_air_end_consistent(
    browser: Browser, hub: HubProcess, mod: Moderator, mod2: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="冲突")
    first = "地铁末班车能否延长到24点？"
    second = "公交专用道的执法时间能否公开？"
    q1 = await ask(hub, bid, first)
    q2 = await ask(hub, bid, second)
    await ok(mod, bid, "q.status", qid=q1, status="approved")
    await ok(mod, bid, "q.status", qid=q2, status="approved")

    # 1. Deterministic: B cannot have seen A's reject when it puts the question on air.
    context = await browser.new_context(**LAPTOP)
    await context.add_cookies(
        [{"name": "xs_sess", "value": mod2.cookies["xs_sess"], "url": hub.base}]
    )
    b_page = await context.new_page()
    gate = await _hold_events(b_page)
    await b_page.goto(f"{hub.base}/console/{bid}")
    b = Console(b_page)
    a = await open_console(browser, hub, mod, bid, dialogs)
    for c in (a, b):
        await c.show("approved")
        await expect(c.row(first)).to_have_count(1, timeout=WAIT_MS)
        await c.select(first)
    gate["hold"] = True
    await a.page.keyboard.press("r")
    await expect(a.page.locator("#reject-dialog")).to_be_visible()
    await a.page.fill("#reject-dialog input", "与主题无关")
    await a.page.keyboard.press("Enter")
    await a.count("rejected", 1)
    await b.page.keyboard.press("Enter")  # on air, expecting "approved"
    await asyncio.sleep(0.3)  # let the refusal reach the page while events are held
    _release(gate)
    await expect(b.toast("已被其他主持人处理：现在是 未采用")).to_have_count(1, timeout=WAIT_MS)
    for c in (a, b):
        await c.count("rejected", 1)
        await c.count("on_air", 0)
        await c.show("rejected")
        await expect(c.row(first).locator(".q-badge-reason")).to_have_text("原因：与主题无关")
    await hub_questions(mod, bid, lambda qs: qs[q1]["status"] == "rejected")

    # 2. A real race: both fire at once; the hub applies one, both consoles agree.
    for c in (a, b):
        await c.show("approved")
        await c.select(second)
    await b.page.keyboard.press("r")
    await expect(b.page.locator("#reject-dialog")).to_be_visible()
    await asyncio.gather(a.page.keyboard.press("Enter"), b.page.keyboard.press("Enter"))
    settled = await hub_questions(mod, bid, lambda qs: qs[q2]["status"] != "approved")
    status = settled[q2]["status"]
    assert status in ("on_air", "rejected"), status
    view = "on_air" if status == "on_air" else "rejected"
    for c in (a, b):
        await c.show(view)
        await expect(c.row(second)).to_have_count(1, timeout=WAIT_MS)
        await c.count("approved", 0)
    if status == "on_air":
        # B's reject carried expect=approved: refused, and B is told who won.
        await expect(b.toast("已被其他主持人处理：现在是 直播中")).to_have_count(1, timeout=WAIT_MS)
    assert not a.errors and not b.errors


# --- the keyboard ------------------------------------------------------------------------


async def test_keyboard_flow_approve_on_air_answered(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="键盘")
    texts = [
        "第一个问题：停车难怎么解决？",
        "第二个问题：垃圾分类点太少",
        "第三个问题：学校门口的交通安全",
    ]
    ids = [await ask(hub, bid, text) for text in texts]
    c = await open_console(browser, hub, mod, bid, dialogs)
    page = c.page
    await c.count("pending", 3)
    # The first one is selected on arrival; j moves down, k back up.
    await expect(c.row(texts[0])).to_have_attribute("aria-current", "true")
    await page.keyboard.press("j")
    await expect(c.row(texts[1])).to_have_attribute("aria-current", "true")
    await page.keyboard.press("k")
    await expect(c.row(texts[0])).to_have_attribute("aria-current", "true")
    await page.keyboard.press("a")  # approve; the next pending one takes its place
    await c.count("approved", 1)
    await expect(c.row(texts[1])).to_have_attribute("aria-current", "true")
    await page.keyboard.press("2")  # the approved view
    await expect(c.view("approved")).to_have_attribute("aria-pressed", "true")
    await expect(c.row(texts[0])).to_have_attribute("aria-current", "true")
    await page.keyboard.press("Enter")  # on air
    await c.count("on_air", 1)
    await expect(page.locator(".qs-onair .qs-onair-text")).to_have_text(texts[0])
    await page.keyboard.press("s")  # the selection moved on: nothing left in approved
    await page.keyboard.press("d")  # the host is done
    await c.count("answered", 1)
    await c.count("on_air", 0)
    await page.keyboard.press("4")
    await expect(c.row(texts[0])).to_have_attribute("aria-current", "true")
    await page.keyboard.press("b")  # reopen: back to approved
    await c.count("approved", 1)
    await hub_questions(
        mod, bid, lambda qs: [qs[i]["status"] for i in ids] == ["approved", "pending", "pending"]
    )

    # Typing in the filter is typing, not shortcuts.
    await page.keyboard.press("1")
    await page.keyboard.press("/")
    await expect(page.locator("#q-filter")).to_be_focused()
    await page.keyboard.type("垃圾a")
    await expect(page.locator("#q-filter")).to_have_value("垃圾a")
    await c.count("pending", 2)
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await expect(page.locator("#q-filter")).not_to_be_focused()

    # ? lists every key, the panels' too.
    await page.keyboard.press("?")
    help_box = page.locator("#help")
    await expect(help_box).to_be_visible()
    for label in ("清空大屏（紧急）", "通过", "上屏（开始回答）", "合并到最相似的一条", "下一条"):
        await expect(help_box).to_contain_text(label)
    await page.keyboard.press("Escape")
    await expect(help_box).to_be_hidden()
    assert not c.errors


async def test_kill_switch_clears_the_overlay_from_any_tab(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="清屏")
    await ok(mod, bid, "overlay", show="likes")
    c = await open_console(browser, hub, mod, bid, dialogs)
    await expect(c.page.locator("#overlay-now")).to_have_text("大屏：点赞数", timeout=WAIT_MS)
    await c.page.click("#tab-audit")
    await expect(c.page.locator("#panel-audit")).to_be_visible()
    await c.page.keyboard.press("x")
    await expect(c.page.locator("#overlay-now")).to_have_text("大屏：无内容", timeout=WAIT_MS)
    await expect(c.toast("大屏已清空")).to_have_count(1)
    assert not c.errors


# --- bulk, edit, filter --------------------------------------------------------------------


async def test_bulk_approve_and_reject(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="批量")
    texts = [f"批量问题 {i}：菜市场改造后摊位费会涨吗？" for i in range(5)]
    for text in texts:
        await ask(hub, bid, text)
    c = await open_console(browser, hub, mod, bid, dialogs)
    await c.count("pending", 5)
    await c.page.check("#q-all")
    await c.row(texts[4]).locator(".q-check").uncheck()
    await expect(c.page.locator(".q-bulk-n")).to_have_text("已选 4 条")
    await c.page.click("#q-bulk-approve")
    await c.count("approved", 4)
    await c.count("pending", 1)
    await expect(c.toast("已通过 4 条")).to_have_count(1)
    await c.show("approved")
    await c.page.check("#q-all")
    await c.page.click("#q-bulk-reject")
    await c.page.fill("#reject-dialog input", "重复提问")
    await c.page.click("#reject-dialog .c-btn-danger")
    await c.count("rejected", 4)

    def reasons(qs: dict[int, dict[str, Any]]) -> list[str]:
        return [q["reason"] for q in qs.values() if q["status"] == "rejected"]

    await hub_questions(mod, bid, lambda qs: reasons(qs) == ["重复提问"] * 4)
    assert not c.errors


async def test_edit_marks_edited(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="修改")
    qid = await ask(hub, bid, "地铁站的电梯经常坏，什么时侯能修好")
    c = await open_console(browser, hub, mod, bid, dialogs)
    await c.select("地铁站的电梯")
    await c.page.keyboard.press("e")
    box = c.page.locator("#edit-dialog textarea")
    await expect(box).to_have_value("地铁站的电梯经常坏，什么时侯能修好")
    await box.fill("地铁站的电梯经常坏，什么时候能修好？")
    await c.page.keyboard.press("Control+Enter")
    row = c.row("什么时候能修好？")
    await expect(row).to_have_count(1, timeout=WAIT_MS)
    await expect(row.locator(".q-badge-edited")).to_have_text("已编辑")
    fixed = "地铁站的电梯经常坏，什么时候能修好？"
    await hub_questions(mod, bid, lambda qs: qs[qid]["edited"] and qs[qid]["text"] == fixed)
    assert not c.errors


async def test_filter_by_text_and_tag(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(
        mod, title="筛选", settings={"moderation": True, "tags": ["朝阳区", "海淀区"]}
    )
    await ask(hub, bid, "朝阳公园的停车场太小", tag="朝阳区", name="张先生")
    await ask(hub, bid, "海淀的学校划片政策", tag="海淀区")
    await ask(hub, bid, "停车费能不能便宜点", tag="海淀区")
    c = await open_console(browser, hub, mod, bid, dialogs)
    await c.count("pending", 3)
    await c.page.fill("#q-filter", "停车")
    await expect(c.page.locator("#q-list .q-row")).to_have_count(2)
    await c.page.select_option("#q-tag", "海淀区")
    await expect(c.page.locator("#q-list .q-row")).to_have_count(1)
    await expect(c.row("停车费能不能便宜点")).to_have_count(1)
    await c.page.fill("#q-filter", "张先生")
    await expect(c.page.locator(".q-empty")).to_have_text("没有符合筛选条件的问题")
    await c.page.select_option("#q-tag", "")
    await expect(c.row("朝阳公园的停车场太小")).to_have_count(1)
    assert not c.errors


async def test_merge_by_key(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="按键合并")
    q1 = await ask(hub, bid, "社区食堂能不能给老人打折？")
    q2 = await ask(hub, bid, "社区食堂能不能给老年人打折")
    c = await open_console(browser, hub, mod, bid, dialogs)
    await c.select("社区食堂能不能给老年人打折")
    await c.page.keyboard.press("m")
    await expect(c.page.locator("#merge-dialog")).to_contain_text(f"#{q2} 合并到 #{q1}")
    await c.page.keyboard.press("Enter")
    await c.count("pending", 1)
    await expect(c.toast(f"#{q2} 已合并到 #{q1}，现在共 1 票")).to_have_count(1, timeout=WAIT_MS)
    assert not c.errors


async def test_two_thousand_questions_stay_quick(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    """The hub's snapshot is swapped for one of 2,000 questions (writing that
    many through the hub would take the test minutes): the queue draws them,
    finds similar ones, and a key press still answers at once."""
    bid = await live_broadcast(mod, title="两千条")
    subjects = [
        "地铁",
        "公交",
        "学校",
        "医院",
        "公园",
        "菜市场",
        "停车场",
        "小区",
        "电梯",
        "垃圾站",
    ]
    asks = [
        "什么时候改造",
        "能否延长开放时间",
        "收费能否降低",
        "有没有扩建计划",
        "能否增加无障碍设施",
    ]
    now = 1_765_000_000_000
    questions = [
        {
            "id": i, "text": f"{subjects[i % 10]}{asks[(i // 10) % 5]}？编号{i // 50}",
            "name": "匿名", "tag": None, "status": "pending" if i % 4 else "approved",
            "votes": i % 17, "starred": False, "created": now + i, "updated": now + i,
            "edited": False, "reason": None, "merged_into": None, "asker": f"p{i % 700:04d}",
        }
        for i in range(1, 2001)
    ]  # fmt: skip
    context = await browser.new_context(**LAPTOP)
    await context.add_cookies(
        [{"name": "xs_sess", "value": mod.cookies["xs_sess"], "url": hub.base}]
    )
    page = await context.new_page()

    async def through(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_hub(message: str | bytes) -> None:
            if isinstance(message, str) and message.startswith('{"type":"snapshot"'):
                snap = json.loads(message)
                snap["questions"] = questions
                # A hub holding these would count them in the snapshot (docs/protocol.md, "Paging").
                snap["total"] = {"pending": 1500, "approved": 500}
                snap["more"] = {}
                message = json.dumps(snap, ensure_ascii=False)
            ws.send(message)

        server.on_message(from_hub)
        ws.on_message(lambda message: server.send(message))

    await page.route_web_socket(re.compile(r"/ws/"), through)
    c = Console(page)
    page.on("pageerror", lambda exc: c.errors.append(str(exc)))
    page.on("console", lambda msg: c.errors.append(msg.text) if msg.type == "error" else None)
    started = asyncio.get_running_loop().time()
    await page.goto(f"{hub.base}/console/{bid}")
    await c.count("pending", 1500)
    rows = page.locator("#q-list .q-row")
    await expect(rows).to_have_count(200, timeout=WAIT_MS)  # the rest behind "show more"
    await expect(page.locator("#q-more")).to_have_text("显示更多（还有 1300 条）")
    loaded = asyncio.get_running_loop().time() - started
    await expect(rows.first).to_have_attribute("aria-current", "true")
    # The similarity badges are computed in slices after the first paint.
    await expect(rows.last.locator(".q-badge-similar")).to_be_visible(timeout=20_000)
    settled = asyncio.get_running_loop().time() - started
    took = await page.evaluate(
        """() => new Promise((resolve) => {
            const t0 = performance.now();
            document.dispatchEvent(new KeyboardEvent('keydown', {key: 'j', bubbles: true}));
            const done = () => resolve(performance.now() - t0);
            requestAnimationFrame(() => requestAnimationFrame(done));
        })"""
    )
    await expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    await page.click("#q-more")
    await expect(rows).to_have_count(400)
    await rows.last.locator(".q-text").click()
    await expect(page.locator(".qs-similar .qs-item")).to_have_count(5)
    print(
        f"\n2,000 questions: drawn {loaded:.2f} s after the page load started, badges"
        f" {settled:.2f} s, a key press drawn in {took:.0f} ms"
    )
    assert took < 500, took
    await context.close()


# --- untrusted text ------------------------------------------------------------------------


async def test_markup_in_a_question_renders_as_text(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(
        mod, title="<b>标题</b>", settings={"moderation": True, "tags": ["<i>t</i>"]}
    )
    payload = "<img src=x onerror=alert(1)>"
    await ask(hub, bid, payload, name="<b>名字</b>", tag="<i>t</i>")
    c = await open_console(browser, hub, mod, bid, dialogs)
    text = c.page.locator("#q-list .q-text").first
    await expect(text).to_have_text(payload, timeout=WAIT_MS)
    assert await text.evaluate("n => n.childElementCount") == 0
    await expect(c.page.locator("#q-list .q-name")).to_have_text("<b>名字</b>")
    await expect(c.page.locator("#q-list .q-tag")).to_have_text("<i>t</i>")
    await expect(c.page.locator("#title")).to_have_text("<b>标题</b>")
    await c.select(payload)
    await expect(c.page.locator(".qs-text")).to_have_text(payload)
    counts = await c.page.evaluate(
        """() => ({
            injected: document.querySelectorAll(
                ['img', 'b', 'i', 'script', 'iframe'].flatMap(
                    (tag) => [`#panel-queue ${tag}`, `header ${tag}`]).join(',')).length,
            handlers: [...document.querySelectorAll('*')].filter(e =>
                [...e.attributes].some(a => a.name.startsWith('on'))).length,
        })"""
    )
    assert counts == {"injected": 0, "handlers": 0}, counts
    await c.page.wait_for_timeout(300)  # a delayed onerror would fire by now
    assert not c.errors


# --- merge, ban, flags ----------------------------------------------------------------------------


async def test_merge_from_the_ui_unites_supporters(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    from tests.browser.test_viewer import open_viewer

    bid = await live_broadcast(mod, title="合并")
    earlier = "5号线南延段什么时候开工？"
    later = "地铁5号线南延到底什么时候开工"
    q1 = await ask(hub, bid, earlier)
    asker2 = await viewer(hub.base, bid)
    await asker2.connect()
    q2 = (await asker2.command("ask", text=later))["result"]["qid"]
    for qid in (q1, q2):
        await ok(mod, bid, "q.status", qid=qid, status="approved")
    both = await viewer(hub.base, bid)  # upvotes both: must count once
    only2 = await viewer(hub.base, bid)
    await both.connect()
    await only2.connect()
    for client, qids in ((both, (q1, q2)), (only2, (q2,))):
        for qid in qids:
            assert (await client.command("upvote", qid=qid, on=True))["type"] == "ack"
    watcher = await open_viewer(browser, hub, bid)
    await expect(watcher.locator("#q-list .q-item")).to_have_count(2, timeout=WAIT_MS)

    c = await open_console(browser, hub, mod, bid, dialogs)
    await c.show("approved")
    await expect(c.row(later).locator(".q-badge-similar")).to_have_text("相似 1")
    await c.select(later)
    similar = c.page.locator(".qs-similar .qs-item")
    await expect(similar).to_have_count(1)
    await expect(similar).to_contain_text(earlier)
    await similar.locator("button[data-act='merge']").click()
    await expect(c.page.locator("#merge-dialog")).to_be_visible()
    await c.page.click("#merge-dialog .c-btn-primary")
    # Supporters united: `both` once, `only2`, and the asker of the merged one.
    await expect(c.row(earlier).locator(".q-votes-n")).to_have_text("3", timeout=WAIT_MS)
    await expect(c.row(later)).to_have_count(0)
    await c.show("rejected")
    await expect(c.row(later).locator(".q-badge-merged")).to_have_text(f"已合并到 #{q1}")
    await expect(watcher.locator("#q-list .q-item")).to_have_count(1, timeout=WAIT_MS)
    await expect(watcher.locator("#q-list .q-item .vote .n")).to_have_text("3")
    merged = {"status": "merged", "merged_into": q1}
    await hub_questions(
        mod, bid, lambda qs: merged.items() <= qs[q2].items() and qs[q1]["votes"] == 3
    )
    for client in (asker2, both, only2):
        await client.close()
    assert not c.errors


async def test_ban_from_the_ui_and_unban(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="封禁")
    troll = await viewer(hub.base, bid)
    await troll.connect()
    for text in ("广告：加微信领红包", "广告：低价代办证件"):
        assert (await troll.command("ask", text=text))["type"] == "ack"
    await ask(hub, bid, "正常的问题：公园厕所太少")
    c = await open_console(browser, hub, mod, bid, dialogs)
    await c.count("pending", 3)
    await expect(c.row("加微信").locator(".q-asker-n")).to_have_text("共 2 条")
    await c.select("加微信")
    await c.page.click(".qs-detail button[data-act='ban']")
    await expect(c.page.locator("#ban-dialog")).to_be_visible()
    await c.page.click("#ban-dialog .c-btn-danger")
    await c.count("pending", 1)
    await c.count("rejected", 2)
    await expect(c.toast("已封禁，移除了 2 条问题")).to_have_count(1, timeout=WAIT_MS)
    banned = c.page.locator(".qs-banned .qs-ban")
    await expect(banned).to_have_count(1)
    assert await troll.wait_closed() == 4403
    await c.show("rejected")
    await expect(c.row("加微信").locator(".q-badge-reason")).to_have_text("原因：提问人已被封禁")
    await banned.locator("button[data-act='unban']").click()
    await expect(banned).to_have_count(0, timeout=WAIT_MS)
    assert not c.errors


async def test_ban_a_flooder_who_never_asked_from_the_active_viewers(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="刷票", settings={"moderation": False})
    qid = await ask(hub, bid, "公交站能否加装遮雨棚？")
    flooder = await viewer(hub.base, bid)
    await flooder.connect()
    with contextlib.suppress(ConnectionClosed):
        for i in range(300):
            await flooder.send({"type": "upvote", "id": f"f{i}", "qid": qid, "on": i % 2 == 0})
    assert await flooder.wait_closed(timeout=10) == 4400  # out of refusals

    c = await open_console(browser, hub, mod, bid, dialogs)
    rows = c.page.locator(".qs-active .qs-active-row")
    await expect(rows.first).to_be_visible(timeout=WAIT_MS)
    pseudonym = await rows.first.get_attribute("data-viewer")
    assert pseudonym and len(pseudonym) == 10
    await rows.first.locator("button").click()
    await expect(c.page.locator("#ban-viewer-dialog")).to_be_visible()
    await c.page.click("#ban-viewer-dialog .c-btn-danger")
    await expect(c.toast("已封禁")).to_have_count(1, timeout=WAIT_MS)
    banned = c.page.locator(".qs-banned .qs-ban")
    await expect(banned).to_have_count(1, timeout=WAIT_MS)
    await expect(rows.first.locator(".q-badge-banned")).to_be_visible(timeout=WAIT_MS)
    again = HubClient(hub.base, bid, "viewer", cookies=flooder.cookies)
    with pytest.raises(Disconnected) as closed:
        await again.connect()
    assert closed.value.code == 4403
    await banned.locator("button[data-act='unban']").click()
    await expect(banned).to_have_count(0, timeout=WAIT_MS)
    assert not c.errors


async def test_held_question_shows_its_words_highlighted(
    browser: Browser, hub: HubProcess, mod: Moderator, dialogs: list[str]
) -> None:
    bid = await live_broadcast(mod, title="敏感词", settings={"moderation": False})
    async with mod.http() as http:
        r = await http.put(f"/api/broadcasts/{bid}/words", json=HELD_WORD)
        assert r.status_code == 200, r.text
    c = await open_console(browser, hub, mod, bid, dialogs)
    text = "听说有内 部 消息说票价要涨，是真的吗？"
    for _ in range(20):  # the list applies within ~1 s in every hub process
        qid = await ask(hub, bid, text)
        held = (await hub_questions(mod, bid, lambda qs, qid=qid: qid in qs))[qid]
        if held["status"] == "pending":
            break
        await ok(mod, bid, "q.status", qid=qid, status="rejected")
        await asyncio.sleep(0.2)
    row = c.row("是真的吗")
    await expect(row.first.locator(".q-badge-held")).to_have_text("敏感词待复核", timeout=WAIT_MS)
    await expect(row.first.locator("mark")).to_have_text("内 部 消息")
    assert not c.errors


# --- the picture -------------------------------------------------------------------------------

SEED = [
    # text, name, tag, votes, status
    (
        "地铁5号线南延段什么时候开工？每天早高峰从天通苑出来实在太挤了。",
        "王先生",
        "朝阳区",
        42,
        "on_air",
    ),
    ("新线票价会不会按里程分段计价？学生和老人能否有优惠？", "小林", "交通", 35, "approved"),
    ("换乘站能不能多设几个无障碍电梯？老人推婴儿车都很不方便。", "", "交通", 28, "approved"),
    ("夜间末班车能否延长到24点？加班族回家太难了。", "赵女士", "海淀区", 21, "approved"),
    ("学校周边的公交站能否增加护栏？孩子放学时很危险。", "陈老师", "教育", 17, "approved"),
    ("地铁5号线南延到底什么时候开工", "老张", "朝阳区", 6, "pending"),
    ("听说有内部消息说票价要涨，是真的吗？", "匿名网友", "交通", 0, "pending"),
    ("17号线北段的施工噪音晚上能不能控制一下？", "李先生", "朝阳区", 0, "pending"),
    ("共享单车停放区太少，地铁口总是堆满了车。", "小周", "东城区", 0, "pending"),
    ("建议在规划阶段就公开环评报告，让居民提前了解。", "", "交通", 0, "pending"),
    ("老旧小区加装电梯的补贴标准是多少？", "孙阿姨", "西城区", 0, "pending"),
    ("新建线路会不会经过我们小区下面？担心房子受影响。", "吴先生", "海淀区", 0, "pending"),
    ("能否在地铁站增设母婴室？", "郑女士", "东城区", 0, "pending"),
    ("公交和地铁换乘优惠能不能再提高一点？", "", "交通", 0, "pending"),
    ("施工期间周边道路会不会封闭？有没有绕行方案？", "冯先生", "朝阳区", 0, "pending"),
    ("地铁里的手机信号太差了，能不能改善？", "小何", "西城区", 0, "pending"),
    ("站台屏蔽门什么时候能全部装上？", "", "海淀区", 0, "pending"),
    ("末班车时间能不能和火车站到站时间衔接？", "出差族", "交通", 0, "pending"),
    ("票价调整会提前公示吗？会不会举行听证会？", "陈同学", "教育", 12, "answered"),
    ("规划中的线路什么时候能看到正式图纸？", "钱先生", "东城区", 9, "answered"),
    ("能不能在线路规划时听取沿线居民的意见？", "褚女士", "朝阳区", 0, "rejected"),
    ("加微信领地铁月票优惠", "推广", "", 0, "rejected"),
    ("地铁站能否增加自助充值机？", "卫先生", "西城区", 4, "approved"),
    ("为什么我们区一直没有地铁？", "蒋先生", "海淀区", 3, "approved"),
    ("早高峰能否增开大站快车？", "沈女士", "朝阳区", 8, "approved"),
]


@pytest.mark.docs_image
async def test_screenshot_busy_queue(
    browser: Browser, hub: HubProcess, mod: Moderator, redis_url: str
) -> None:
    bid = await live_broadcast(
        mod, title="城市轨道交通第三期建设规划 · 市民协商会",
        topic="委员、专家与市民一起讨论地铁新线的走向、换乘与票价",
        settings={"moderation": True, "tags": ["朝阳区", "海淀区", "东城区", "西城区", "交通", "教育"]},  # noqa: E501
    )  # fmt: skip
    async with mod.http() as http:  # a held word, if this hub has word lists
        await http.put(f"/api/broadcasts/{bid}/words", json=HELD_WORD)
    await words_applied(bid, None, hub, redis_url=redis_url)
    ids: list[int] = []
    repeat = await viewer(hub.base, bid)  # one person with several questions
    await repeat.connect()
    for i, (text, name, tag, _, _) in enumerate(SEED):
        fields: dict[str, Any] = {"text": text, "name": name or None, "tag": tag or None}
        if i in (7, 14):
            reply = await repeat.command("ask", **fields)
            assert reply["type"] == "ack", reply
            ids.append(reply["result"]["qid"])
        else:
            ids.append(await ask(hub, bid, **fields))
    await repeat.close()
    for qid, (*_, status) in zip(ids, SEED, strict=True):
        if status in ("approved", "answered", "on_air"):
            await ok(mod, bid, "q.status", qid=qid, status="approved")
        if status == "answered":
            await ok(mod, bid, "q.status", qid=qid, status="on_air")
            await ok(mod, bid, "q.status", qid=qid, status="answered")
        if status == "rejected":
            reason = "与本场主题无关" if qid % 2 else ""
            await ok(mod, bid, "q.status", qid=qid, status="rejected", reason=reason)
    await ok(mod, bid, "q.status", qid=ids[0], status="on_air")
    by_text = {text: qid for qid, (text, *_) in zip(ids, SEED, strict=True)}
    await ok(mod, bid, "q.star", qid=ids[1], on=True)
    await ok(mod, bid, "q.star", qid=by_text["老旧小区加装电梯的补贴标准是多少？"], on=True)
    await ok(mod, bid, "q.edit", qid=by_text["建议在规划阶段就公开环评报告，让居民提前了解。"],
             text="建议在规划阶段就公开环评报告，让沿线居民提前了解。")  # fmt: skip
    # A crowd: upvotes, likes, and presence (they stay connected for the picture).
    voters = await asyncio.gather(*(viewer(hub.base, bid) for _ in range(42)))
    await asyncio.gather(*(v.connect() for v in voters))
    try:
        for qid, (*_, votes, status) in zip(ids, SEED, strict=True):
            if votes and status != "pending":
                await asyncio.gather(
                    *(v.command("upvote", qid=qid, on=True) for v in voters[:votes])
                )
        await asyncio.gather(*(v.command("like", n=150) for v in voters[:20]))

        c = await open_console(browser, hub, mod, bid)
        await c.count("pending", 13)
        await expect(c.page.locator("#stat-viewers")).to_have_text("42", timeout=15_000)
        await c.select("地铁5号线南延到底什么时候开工")
        await expect(c.page.locator(".qs-similar .qs-item")).to_have_count(1)
        if await c.page.locator("#q-list mark").count() == 0:
            print("note: no word list on this hub; the held question is not highlighted")
        await c.page.mouse.move(0, 0)
        await c.page.screenshot(path=docs_image("console.png"))
        await c.show("approved")
        await c.page.screenshot(path=docs_image("console-approved.png"))
    finally:
        await asyncio.gather(*(v.close() for v in voters))
    assert docs_image("console.png").stat().st_size > 20_000
    assert not c.errors
