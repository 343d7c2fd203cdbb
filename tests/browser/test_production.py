"""The live production in chromium against a real hub (docs/obs.md, docs/console.md):
the overlay's scenes (several widgets at once in regions that never overlap, at
1920x1080 and 1280x720; switching scenes; the per-widget pages; English labels),
cue and take through the console's preview, the run-down shared by two consoles,
and the host view."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import docs_image
from tests.browser.test_console_queue import WAIT_MS, ask, live_broadcast, ok, open_console
from tests.browser.test_overlay import FULL_HD, Overlay, connected, open_overlay
from tests.integration.harness import HubProcess, Moderator, new_moderator, viewer

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

ALL = ["question", "poll", "likes", "viewers", "qr", "ticker", "title"]
QUESTIONS = [
    "地铁三号线什么时候能通到东城区？现在上下班要换乘两次，单程一个多小时，能不能加开直达的班次？",
    "新线的票价会不会比现有线路更贵？学生和老人有没有优惠？",
    "换乘站能不能多装无障碍电梯，方便老人和推婴儿车的家长？",
    "施工期间噪音怎么控制？晚上十点以后还会施工吗？",
    "公交接驳线路会不会同步调整？",
]


@pytest.fixture(scope="module")
async def mod2(hub: HubProcess, redis_url: str) -> Moderator:
    return await new_moderator(redis_url, hub.base, admin=False)


async def show_with_content(hub: HubProcess, mod: Moderator) -> tuple[str, str, list[int], int]:
    """A live broadcast with approved questions, one on air, an open poll with ballots."""
    bid = await live_broadcast(mod, title="城市轨道交通规划听证会", topic="三号线东延与票价方案",
                               settings={"moderation": True, "tags": ["交通"]})  # fmt: skip
    async with mod.http() as http:
        key = (await http.get(f"/api/broadcasts/{bid}")).json()["overlay_key"]
    qids = []
    for i, text in enumerate(QUESTIONS):
        qid = await ask(hub, bid, text, name=f"市民{i + 1}", tag="交通")
        await ok(mod, bid, "q.status", qid=qid, status="approved")
        qids.append(qid)
    pid = (await ok(mod, bid, "poll.create", question="您最希望新线优先解决哪个问题？",
                    options=["缩短通勤时间", "降低票价", "换乘更方便"], multi=False,
                    results="always"))["poll"]  # fmt: skip
    await ok(mod, bid, "poll.state", poll=pid, state="open")
    voters = await asyncio.gather(*(viewer(hub.base, bid) for _ in range(5)))
    await asyncio.gather(*(v.connect() for v in voters))
    for v, c in zip(voters, [0, 0, 1, 2, 0], strict=True):
        assert (await v.command("vote", poll=pid, choices=[c]))["type"] == "ack"
    await voters[0].command("like", n=40)
    await asyncio.gather(*(v.close() for v in voters))
    await ok(mod, bid, "q.status", qid=qids[0], status="on_air")
    return bid, key, qids, pid


async def air_overlay(
    hub: HubProcess, mod: Moderator, browser: Browser
) -> tuple[str, list[int], int, Overlay]:
    """A show with content and its overlay page, in the 提问 scene a new broadcast starts in."""
    bid, key, qids, pid = await show_with_content(hub, mod)
    o = await open_overlay(browser, f"{hub.base}/overlay/{bid}?key={key}")
    await connected(o)
    await o.wait_shown("question", "likes")
    return bid, qids, pid, o


async def overlaps(o: Overlay) -> list[Any]:
    """Pairs of shown widgets whose boxes intersect."""
    found: list[Any] = await o.page.evaluate(
        """() => {
          const boxes = [...document.querySelectorAll('.xs-widget.is-shown')]
            .map((n) => [n.dataset.widget, n.getBoundingClientRect()]);
          const bad = [];
          for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const [a, r] = boxes[i], [b, s] = boxes[j];
            const x = r.left < s.right - 1 && s.left < r.right - 1;
            if (x && r.top < s.bottom - 1 && s.top < r.bottom - 1) bad.push([a, b]);
          }
          return bad;
        }"""
    )
    return found


async def settled(o: Overlay) -> None:
    """Transitions done and the regions measured (two frames after the last change)."""
    await o.page.wait_for_function(
        "() => document.getAnimations().filter((a) => a.playState === 'running'"
        " && a.effect?.target?.closest?.('.xs-widget') && !a.effect.target.closest('.xs-hearts')"
        " && !a.effect.target.closest('.xs-ticker-track')).length === 0",
        timeout=5000,
    )
    await o.page.evaluate(
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )


@pytest.mark.docs_image
async def test_scenes_layer_widgets_in_regions_that_never_overlap(
    hub: HubProcess, mod: Moderator, browser: Browser
) -> None:
    # A new broadcast is in the 提问 scene: the on-air question and the likes, at once.
    bid, _, pid, o = await air_overlay(hub, mod, browser)
    await settled(o)
    assert await overlaps(o) == [] and await o.out_of_bounds() == []
    await o.save_docs_image("scene-ask")

    await ok(mod, bid, "scene", scene="vote", poll=pid)
    await o.wait_shown("poll", "qr")
    await ok(mod, bid, "scene", scene="intro")
    await o.wait_shown("title", "qr")
    assert await o.page.text_content(".xs-title-main") == "城市轨道交通规划听证会"
    await settled(o)
    await o.save_docs_image("scene-intro")

    # Every widget at once, in a scene made for it: still no overlap, inside the
    # title-safe area, at 1920x1080 and at 1280x720.
    await ok(mod, bid, "scene.put", scene="all", name="全部", widgets=ALL)
    await ok(mod, bid, "scene", scene="all", poll=pid)
    await o.wait_shown(*ALL)
    for size in (FULL_HD, {"width": 1280, "height": 720}):
        await o.page.set_viewport_size(size)
        await settled(o)
        assert await overlaps(o) == [], size
        assert await o.out_of_bounds() == [], size
        counts = await o.opaque_pixels_outside(await o.widget_rects())
        assert counts["outside"] == 0, counts
    await o.page.set_viewport_size(FULL_HD)
    await settled(o)
    await o.save_docs_image("scene-all")

    # Editing the scene on air changes the air; the empty scene clears it.
    await ok(mod, bid, "scene.put", scene="all", name="全部", widgets=["question", "ticker"])
    await o.wait_shown("question", "ticker")
    await ok(mod, bid, "scene", scene="empty")
    await o.wait_shown()
    assert o.console_errors() == []
    await o.page.context.close()


async def test_per_widget_pages_and_english_labels(
    hub: HubProcess, mod: Moderator, browser: Browser
) -> None:
    bid, key, _, pid = await show_with_content(hub, mod)
    await ok(mod, bid, "scene", scene="vote", poll=pid)
    # One widget per page follows the scene: shown while the scene has it.
    likes = await open_overlay(browser, f"{hub.base}/overlay/{bid}/likes?key={key}")
    poll = await open_overlay(browser, f"{hub.base}/overlay/{bid}/poll?key={key}&lang=en")
    await connected(likes)
    await poll.wait_shown("poll")
    await expect(poll.page.locator(".xs-poll-label")).to_have_text("Poll")
    await expect(poll.page.locator(".xs-poll-ballots")).to_have_text("5 votes")
    assert await poll.page.evaluate("document.documentElement.lang") == "en"
    assert await likes.shown() == []
    await ok(mod, bid, "scene", scene="ask")
    await likes.wait_shown("likes")
    await poll.wait_shown()
    en = await open_overlay(browser, f"{hub.base}/overlay/{bid}?key={key}&lang=en")
    await en.wait_shown("question", "likes")
    await expect(en.page.locator(".xs-likes-label")).to_have_text("Likes")
    await expect(en.page.locator(".xs-question-label")).to_have_text("Question from the audience")
    for o in (likes, poll, en):
        assert o.console_errors() == []
        await o.page.context.close()


@pytest.mark.docs_image
async def test_cue_then_take_through_the_console_preview(
    hub: HubProcess, mod: Moderator, browser: Browser
) -> None:
    bid, qids, _, air = await air_overlay(hub, mod, browser)
    c = await open_console(browser, hub, mod, bid)
    page = c.page
    await c.show("approved")
    # Cue the second question from the queue (c): the preview draws it, the air does not.
    await c.select(QUESTIONS[1][:12])
    await page.keyboard.press("c")
    await expect(page.locator(".qs-cue")).to_contain_text(f"#{qids[1]}", timeout=WAIT_MS)
    await page.locator("#tab-overlay").click()
    frame = page.frame_locator(".cp-preview-frame")
    await expect(frame.locator(".xs-question-text")).to_have_text(QUESTIONS[1], timeout=WAIT_MS)
    await expect(frame.locator(".xs-preview-mark")).to_be_visible()
    await expect(air.page.locator(".xs-question-text")).to_have_text(QUESTIONS[0])
    # Cue a scene too (the poll scene): still nothing on air changes.
    await page.locator(".cp-scene[data-scene='vote'] [data-act='cue']").click()
    await expect(frame.locator(".xs-poll.is-shown")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator(".cp-scene-warn")).to_contain_text("不显示提问")
    await page.locator(".cp-scene[data-scene='ask'] [data-act='cue']").click()
    await expect(frame.locator(".xs-question-text")).to_have_text(QUESTIONS[1], timeout=WAIT_MS)
    assert await air.shown() == ["likes", "question"]
    await page.wait_for_timeout(500)  # the preview's fade-in, for the picture
    await page.evaluate("() => window.scrollTo(0, 0)")
    await page.screenshot(path=docs_image("console-cue.png"))
    # Take (t, from any tab): the cued question goes on air, the cue is cleared.
    await page.keyboard.press("t")
    await expect(air.page.locator(".xs-question-text")).to_have_text(QUESTIONS[1], timeout=WAIT_MS)
    await expect(frame.locator(".xs-preview-mark")).to_be_hidden(timeout=WAIT_MS)
    await expect(page.locator(".cp-cue-box .cp-cue-now")).to_contain_text("没有预备内容")
    # A scene that hides questions: the queue says so next to 上屏.
    await page.keyboard.press("F4")  # the fourth scene: 空
    await air.wait_shown()
    await page.locator("#tab-queue").click()
    note = page.locator(".q-row .q-scene-note").first
    await expect(note).to_be_visible(timeout=WAIT_MS)
    await expect(note).to_have_text("场景不显示提问")
    await page.keyboard.press("F1")
    await air.wait_shown("question", "likes")
    await expect(note).to_be_hidden()
    # The kill switch (x) still clears the air from any tab.
    await page.keyboard.press("x")
    await air.wait_shown()
    assert not c.errors and air.console_errors() == []
    await page.context.close()
    await air.page.context.close()


def rundown_of(page: Page) -> Any:
    return page.locator(".qs-rundown .qs-rd-item")


async def wait_order(page: Page, want: list[int]) -> None:
    await page.wait_for_function(
        "(want) => JSON.stringify([...document.querySelectorAll('.qs-rundown .qs-rd-item')]"
        ".map((n) => Number(n.dataset.qid))) === JSON.stringify(want)",
        arg=want, timeout=WAIT_MS,
    )  # fmt: skip


async def order(page: Page) -> list[int]:
    ids: list[str] = await rundown_of(page).evaluate_all("(ns) => ns.map((n) => n.dataset.qid)")
    return [int(x) for x in ids]


@pytest.mark.docs_image
async def test_the_rundown_is_shared_by_two_consoles(
    hub: HubProcess, mod: Moderator, mod2: Moderator, browser: Browser
) -> None:
    bid, _, qids, _ = await show_with_content(hub, mod)
    a = await open_console(browser, hub, mod, bid)
    b = await open_console(browser, hub, mod2, bid)
    await a.show("approved")
    # A builds the list with its key (p) and button; B sees it.
    for text in QUESTIONS[1:4]:
        await a.select(text[:12])
        await a.page.keyboard.press("p")
    await expect(rundown_of(b.page)).to_have_count(3, timeout=WAIT_MS)
    assert await order(b.page) == qids[1:4]
    await a.select(QUESTIONS[4][:12])
    await a.page.locator(".qs-production [data-act='rd-add']").click()
    await expect(rundown_of(b.page)).to_have_count(4, timeout=WAIT_MS)
    # B moves the first one down with its button; A follows.
    await b.page.locator(f".qs-rd-item[data-qid='{qids[1]}'] [data-act='rd-down']").click()
    want = [qids[2], qids[1], qids[3], qids[4]]
    await wait_order(a.page, want)
    # Drag and drop in A: the last one onto the first.
    await a.page.drag_and_drop(
        f".qs-rd-item[data-qid='{qids[4]}']", f".qs-rd-item[data-qid='{qids[2]}']"
    )
    want = [qids[4], qids[2], qids[1], qids[3]]
    await wait_order(b.page, want)
    # Both move at once (keys in both consoles): both land, both converge.
    await a.select(QUESTIONS[3][:12])
    await b.show("approved")
    await b.select(QUESTIONS[4][:12])
    await asyncio.gather(a.page.keyboard.press("["), b.page.keyboard.press("]"))
    # Each move named its question and its new neighbour: both applied, in the
    # order the hub took them (A's first or B's first), never one lost.
    q1, q2, q3, q4 = qids[1:5]
    both = [[q2, q4, q3, q1], [q2, q3, q4, q1]]
    settled = await expect_same(a.page, b.page, both)
    assert settled in both, settled
    await ok(mod, bid, "rundown.remove", qid=q1)
    await wait_order(a.page, settled[:3])
    await wait_order(b.page, settled[:3])
    await a.page.screenshot(path=docs_image("console-rundown.png"))
    # n puts the first on air from any tab; it leaves the list in both consoles.
    first = (await order(b.page))[0]
    await b.page.locator("#tab-polls").click()
    await b.page.keyboard.press("n")
    await expect(rundown_of(a.page)).to_have_count(2, timeout=WAIT_MS)
    await expect(a.page.locator(".qs-onair")).to_have_attribute("data-live", "true")
    assert first not in await order(a.page)
    assert not a.errors and not b.errors
    await a.page.context.close()
    await b.page.context.close()


async def expect_same(a: Page, b: Page, settles: list[list[int]]) -> list[int]:
    """The order both consoles settle on: polled until they agree on one of
    ``settles`` (the order before the moves, which both also agree on while
    the moves are on their way, is not a settled one); else what they show."""
    for _ in range(160):
        x, y = await order(a), await order(b)
        if x == y and x in settles:
            return x
        await a.wait_for_timeout(50)
    return await order(a)


@pytest.mark.docs_image
async def test_the_host_view(hub: HubProcess, mod: Moderator, browser: Browser) -> None:
    bid, _, qids, _ = await show_with_content(hub, mod)
    secret = "还没审核的秘密问题：请不要显示"
    await ask(hub, bid, secret, name="秘密的人")
    for qid in qids[1:5]:
        await ok(mod, bid, "rundown.add", qid=qid)
    async with mod.http() as http:
        link = (await http.post(f"/api/broadcasts/{bid}/host-key")).json()["link"]
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN",
                                    timezone_id="America/New_York")  # fmt: skip
    page = await ctx.new_page()
    frames: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    await page.goto(link)
    await expect(page.locator("#h-air-text")).to_have_text(QUESTIONS[0], timeout=WAIT_MS)
    await expect(page.locator("#h-air-name")).to_have_text("市民1")
    await expect(page.locator("#h-air-tag")).to_have_text("交通")
    await expect(page.locator(".h-next-item")).to_have_count(3)
    texts = await page.locator(".h-next-text").all_text_contents()
    assert texts == QUESTIONS[1:4]
    await expect(page.locator("#h-poll-q")).to_have_text("您最希望新线优先解决哪个问题？")
    await expect(page.locator(".h-poll-pct").first).to_have_text("60%")
    # The clock is the broadcast's (Asia/Shanghai), not the tablet's (New York).
    shown = await page.text_content("#h-clock")
    expected = await page.evaluate(
        "() => new Intl.DateTimeFormat('en-GB', {timeZone: 'Asia/Shanghai', hour: '2-digit',"
        " minute: '2-digit', hourCycle: 'h23'}).format(new Date())"
    )
    assert shown is not None and shown[:5] == expected
    # Next on air: the view follows.
    await ok(mod, bid, "rundown.next")
    await expect(page.locator("#h-air-text")).to_have_text(QUESTIONS[1], timeout=WAIT_MS)
    await expect(page.locator(".h-next-item")).to_have_count(3)
    await page.screenshot(path=docs_image("host-view.png"))
    # No viewer identity and no pending question ever reached the page.
    text = json.dumps(frames, ensure_ascii=False)
    assert secret not in text and "秘密的人" not in text and '"asker"' not in text
    # Read-only: the page sent nothing but its hello and pings.
    # Rotating the host key: the view says so on the page (not on air: it may).
    async with mod.http() as http:
        assert (await http.post(f"/api/broadcasts/{bid}/host-key")).status_code == 200
    await expect(page.locator("#h-error")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#h-error")).to_contain_text("链接无效或已更换")
    assert errors == []
    await ctx.close()
