"""The live console's panels in a real chromium: polls, overlay control and
preview, settings and rehearsal, sensitive words, audit log (docs/console.md).

One hub process for the module; each test makes its own broadcast. The console
is the real page (``/console/<bid>``, the shell of ``static/js/console/main.js``)
with the session cookie of a ``Moderator`` from the integration harness;
viewers are the real viewer page or ``HubClient``s; the overlay is the real
overlay page. Waits are Playwright's ``expect`` (polling the DOM), never sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from server.client import HubClient
from tests.browser.conftest import docs_image, phone
from tests.browser.watch import Watched
from tests.integration.harness import HubProcess, Moderator, viewer
from tests.integration.hub_helpers import words_applied

with contextlib.suppress(ImportError):  # the chromium fixture skips without playwright
    from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

WAIT_MS = 8000
LAPTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}
FULL_HD = {"width": 1920, "height": 1080}
POLL_Q = "您最希望新线优先解决哪个问题？"
POLL_OPTIONS = ["缩短通勤时间", "降低票价", "换乘更方便"]


# --- pages --------------------------------------------------------------------------------


async def open_console(
    browser: Browser, hub: HubProcess, mod: Moderator, bid: str, tab: str = "queue", **options: Any
) -> tuple[BrowserContext, Watched]:
    context = await browser.new_context(**{**LAPTOP, **options})
    await context.add_cookies(
        [{"name": "xs_sess", "value": mod.cookies["xs_sess"], "url": hub.base}]
    )
    w = Watched(await context.new_page(), accept_dialogs=True)
    await w.page.goto(f"{hub.base}/console/{bid}" + ("" if tab == "queue" else f"#{tab}"))
    await expect(w.page.locator("#conn")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    if tab != "queue":
        await expect(panel(w.page, tab).locator(".cp-card").first).to_be_visible(timeout=WAIT_MS)
    return context, w


def panel(page: Page, name: str) -> Locator:
    return page.locator(f"#panel-{name}")


async def show_tab(page: Page, name: str) -> Locator:
    await page.locator(f"#tab-{name}").click()
    p = panel(page, name)
    await expect(p).to_be_visible()
    return p


async def open_viewer(
    browser: Browser, hub: HubProcess, bid: str
) -> tuple[BrowserContext, Watched]:
    context = await browser.new_context(**phone())
    w = Watched(await context.new_page(), accept_dialogs=True)
    await w.page.goto(f"{hub.base}/b/{bid}")
    await expect(w.page.locator("#conn")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    return context, w


async def new_broadcast(mod: Moderator, **settings: Any) -> str:
    created = await mod.create_broadcast(
        title="城市轨道交通规划", topic="地铁新线的走向、换乘与票价",
        settings={"moderation": True, "tags": ["交通", "东城区"], **settings},
    )  # fmt: skip
    return str(created["id"])


async def cmd(mod: Moderator, bid: str, type: str, **fields: Any) -> dict[str, Any]:
    reply = await mod.command(bid, type, **fields)
    assert reply.get("type") == "ack", reply
    result: dict[str, Any] = reply["result"]
    return result


async def get(mod: Moderator, path: str) -> Any:
    async with mod.http() as http:
        r = await http.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()


@contextlib.asynccontextmanager
async def voters(hub: HubProcess, bid: str, n: int) -> AsyncIterator[list[HubClient]]:
    clients = await asyncio.gather(*(viewer(hub.base, bid) for _ in range(n)))
    await asyncio.gather(*(c.connect() for c in clients))
    try:
        yield list(clients)
    finally:
        for c in clients:
            await c.close()


async def vote_all(clients: list[HubClient], poll: int, choices: list[int]) -> None:
    pairs = zip(clients, choices, strict=True)
    replies = await asyncio.gather(*(c.command("vote", poll=poll, choices=[x]) for c, x in pairs))
    assert all(r["type"] == "ack" for r in replies), replies


async def save_picture(page: Page, name: str) -> None:
    """The docs' picture <name>: the page as it is, without the passing toasts."""
    await page.evaluate("() => document.querySelectorAll('.c-toast').forEach((n) => n.remove())")
    await page.wait_for_timeout(600)  # bars and widgets finish their transitions
    await page.screenshot(path=docs_image(name))


def poll_card(page: Page, pid: int) -> Locator:
    return page.locator(f'.cp-poll[data-poll="{pid}"]')


# --- polls ------------------------------------------------------------------------------


@pytest.mark.docs_image
async def test_poll_from_console_to_viewer_and_back(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    """Create and open a poll in the console; a viewer page votes; the tally,
    the percentages and the ballot count follow in the console; show it on the
    overlay."""
    bid = await new_broadcast(moderator)
    await cmd(moderator, bid, "bc.state", state="live")
    # An earlier poll of the same broadcast, closed.
    old = (await cmd(
        moderator, bid, "poll.create", question="本次协商的时间安排是否合适？",
        options=["合适", "不合适"], multi=False, results="after_vote",
    ))["poll"]  # fmt: skip
    await cmd(moderator, bid, "poll.state", poll=old, state="open")
    async with voters(hub, bid, 4) as vs:
        await vote_all(vs, old, [0, 0, 0, 1])
    await cmd(moderator, bid, "poll.state", poll=old, state="closed")
    ctx, c = await open_console(browser, hub, moderator, bid, "polls")
    vctx, v = await open_viewer(browser, hub, bid)
    page = c.page
    p = panel(page, "polls")
    await expect(poll_card(page, old).locator(".cp-ballots")).to_have_text("4 人投票")
    await expect(poll_card(page, old).locator(".cp-bar.is-lead .cp-bar-text")).to_have_text("合适")

    # The form checks itself before anything is sent.
    await p.get_by_role("button", name="创建（草稿）").click()
    await expect(p.locator(".cp-errors")).to_contain_text("请填写投票问题")
    await p.get_by_label("投票问题").fill(POLL_Q)
    options = p.locator('input[name="poll-option"]')
    await expect(options).to_have_count(2)
    await options.nth(0).fill(POLL_OPTIONS[0])
    await options.nth(1).fill(POLL_OPTIONS[1])
    await options.nth(1).press("Enter")  # Enter in the last option adds the next one
    await expect(options).to_have_count(3)
    await expect(options.nth(2)).to_be_focused()
    await options.nth(2).fill(POLL_OPTIONS[2])
    await p.get_by_label("观众何时看到结果").select_option("always")
    await p.get_by_role("button", name="创建（草稿）").click()

    newest = p.locator(".cp-poll").first  # newest first
    await expect(newest.locator(".cp-badge").first).to_have_text("草稿", timeout=WAIT_MS)
    pid = int(await newest.get_attribute("data-poll") or 0)
    card = poll_card(page, pid)
    await expect(p.get_by_label("投票问题")).to_have_value("")  # the form is reset
    # A draft never reaches the overlay: open it first.
    await expect(card.get_by_role("button", name="上大屏")).to_be_disabled()
    await expect(v.page.locator("#polls .poll")).to_have_count(1)  # the closed one only

    await card.get_by_role("button", name="开始投票").click()
    await expect(card.locator(".cp-badge").first).to_have_text("投票中")
    await expect(card.get_by_role("button", name="结束投票")).to_be_visible()

    # The viewer page votes.
    vpoll = v.page.locator("#polls .poll", has_text=POLL_Q)
    await expect(vpoll).to_have_count(1, timeout=WAIT_MS)
    await vpoll.locator(".option", has_text=POLL_OPTIONS[1]).click()
    await vpoll.get_by_role("button", name="投票").click()
    await expect(card.locator(".cp-ballots")).to_have_text("1 人投票", timeout=WAIT_MS)
    nums = card.locator(".cp-bar-num")
    await expect(nums).to_have_text(["0 票 · 0%", "1 票 · 100%", "0 票 · 0%"])

    # More voters: live percentages.
    async with voters(hub, bid, 9) as vs:
        await vote_all(vs, pid, [0, 0, 2, 1, 0, 0, 2, 0, 1])
        await expect(card.locator(".cp-ballots")).to_have_text("10 人投票", timeout=WAIT_MS)
        await expect(nums).to_have_text(["5 票 · 50%", "3 票 · 30%", "2 票 · 20%"])
        width = await card.locator(".cp-bar-fill").first.evaluate("n => n.style.width")
        assert width == "50%"

        # On the overlay, then off.
        await card.get_by_role("button", name="上大屏").click()
        await expect(card.locator(".cp-badge-air")).to_be_visible(timeout=WAIT_MS)
        states = {
            x["id"]: x["state"]
            for x in (await get(moderator, f"/api/broadcasts/{bid}/polls"))["polls"]
        }
        assert states == {old: "closed", pid: "open"}
        await expect(page.locator("#overlay-now")).not_to_have_attribute("data-show", "none")
        # The next poll, prepared as a draft, for the picture.
        await cmd(
            moderator, bid, "poll.create", question="您希望末班车延长到几点？",
            options=["23:00", "23:30", "24:00"], multi=False, results="after_close",
        )  # fmt: skip
        await expect(p.locator(".cp-poll")).to_have_count(3, timeout=WAIT_MS)
        await save_picture(page, "console-polls.png")
        await card.get_by_role("button", name="从大屏撤下").click()
        await expect(card.locator(".cp-badge-air")).to_be_hidden(timeout=WAIT_MS)

        # Close shows the leader; reopen.
        await card.get_by_role("button", name="结束投票").click()
        await expect(card.locator(".cp-badge").first).to_have_text("已结束")
        await expect(card.locator(".cp-bar.is-lead .cp-bar-text")).to_have_text(POLL_OPTIONS[0])
        await card.get_by_role("button", name="重新开放").click()
        await expect(card.locator(".cp-badge").first).to_have_text("投票中")
    c.check()
    v.check()
    await ctx.close()
    await vctx.close()


async def test_copy_a_poll_from_an_earlier_broadcast(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    earlier = await new_broadcast(moderator)
    await cmd(moderator, earlier, "poll.create", question="下次协商会选在哪一天？",
              options=["周一", "周三", "周六"], multi=True, results="after_close")  # fmt: skip
    async with moderator.http() as http:
        r = await http.post("/api/broadcasts", json={"title": "新一期 · 停车难"})
        bid = r.json()["id"]
    ctx, c = await open_console(browser, hub, moderator, bid, "polls")
    p = panel(c.page, "polls")
    await p.locator(".cp-copy-from > summary").click()
    select = p.locator('select[name="copy-broadcast"]')
    await expect(select.locator(f'option[value="{earlier}"]')).to_have_count(1, timeout=WAIT_MS)
    await select.select_option(earlier)
    item = p.locator(".cp-copy-item", has_text="下次协商会选在哪一天？")
    await item.get_by_role("button", name="使用").click()
    await expect(p.get_by_label("投票问题")).to_have_value("下次协商会选在哪一天？")
    await expect(p.locator('input[name="poll-option"]')).to_have_count(3)
    await expect(p.get_by_label("多选")).to_be_checked()
    await expect(p.get_by_label("观众何时看到结果")).to_have_value("after_close")
    await p.get_by_role("button", name="创建（草稿）").click()
    await expect(p.locator(".cp-poll")).to_have_count(1, timeout=WAIT_MS)
    polls = (await get(moderator, f"/api/broadcasts/{bid}/polls"))["polls"]
    assert [(x["question"], x["options"], x["multi"], x["results"], x["state"]) for x in polls] == [
        ("下次协商会选在哪一天？", ["周一", "周三", "周六"], True, "after_close", "draft")
    ]
    c.check()
    await ctx.close()


# --- overlay ------------------------------------------------------------------------------


@pytest.mark.docs_image
async def test_overlay_control_preview_and_kill_switch(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator)
    pid = (await cmd(moderator, bid, "poll.create", question=POLL_Q, options=POLL_OPTIONS,
                     multi=False, results="after_vote"))["poll"]  # fmt: skip
    await cmd(moderator, bid, "poll.state", poll=pid, state="open")
    async with voters(hub, bid, 6) as vs:
        await vote_all(vs, pid, [0, 0, 1, 2, 0, 1])
    ctx, c = await open_console(browser, hub, moderator, bid, "overlay")
    page = c.page
    p = panel(page, "overlay")
    choice = lambda name: p.locator(f'.cp-choice[data-choice="{name}"]')  # noqa: E731
    # A new broadcast is in the 提问 scene (docs/obs.md, "Scenes"): no single
    # widget's button matches it, and the panel names the scene.
    await expect(p.locator(".cp-now")).to_contain_text("提问")
    await expect(p.locator('.cp-choice[aria-pressed="true"]')).to_have_count(0)

    # The overlay URLs carry the key; one per widget.
    urls = await p.locator(".cp-url").evaluate_all("ns => ns.map(n => n.value)")
    info = await get(moderator, f"/api/broadcasts/{bid}")
    key = info["overlay_key"]
    assert urls[0] == info["links"]["overlay"]
    assert urls[1:] == [
        info["links"]["overlay"].replace(f"/overlay/{bid}?", f"/overlay/{bid}/{w}?")
        for w in ("question", "poll", "likes", "viewers", "qr", "ticker", "title")
    ]
    frame = page.frame_locator(".cp-preview-frame")
    await expect(page.locator(".cp-preview-frame")).to_have_attribute(
        "src", f"/overlay/{bid}?key={key}&preview=1"
    )

    # An OBS-like overlay page of its own, next to the preview.
    octx = await browser.new_context(viewport=FULL_HD, locale="zh-CN")
    obs = await octx.new_page()
    await obs.goto(f"{hub.base}/overlay/{bid}?key={key}")
    await expect(obs.locator("body")).to_have_attribute("data-status", "open", timeout=WAIT_MS)

    # Show the poll: the choice lights up, the preview and OBS show it.
    await expect(p.get_by_label("要显示的投票")).to_have_value(str(pid))
    await choice("poll").click()
    await expect(choice("poll")).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await expect(choice("none")).to_have_attribute("aria-pressed", "false")
    await expect(frame.locator(".xs-poll.is-shown")).to_be_visible(timeout=WAIT_MS)
    await expect(frame.locator(".xs-poll-question")).to_have_text(POLL_Q)
    await expect(obs.locator(".xs-poll.is-shown")).to_be_visible(timeout=WAIT_MS)
    await expect(p.locator(".cp-now")).to_contain_text(f"投票结果 #{pid}")
    # Scaled to fit: the 1920-wide frame fills the preview box exactly.
    sizes = await page.evaluate(
        """() => [document.querySelector('.cp-preview').getBoundingClientRect().width,
                  document.querySelector('.cp-preview-frame').getBoundingClientRect().width,
                  document.querySelector('.cp-preview-frame').getBoundingClientRect().height]"""
    )
    assert abs(sizes[0] - sizes[1]) < 1.5 and abs(sizes[1] * 9 / 16 - sizes[2]) < 1.5, sizes
    await save_picture(page, "console-overlay.png")

    # The kill switch (the panel's big button) clears everything.
    await p.locator(".cp-kill").click()
    await expect(choice("none")).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await expect(frame.locator(".xs-widget.is-shown")).to_have_count(0, timeout=WAIT_MS)
    await expect(obs.locator(".xs-widget.is-shown")).to_have_count(0, timeout=WAIT_MS)

    # The key x clears it too, from any tab.
    await choice("likes").click()
    await expect(obs.locator(".xs-likes.is-shown")).to_be_visible(timeout=WAIT_MS)
    await expect(frame.locator(".xs-likes.is-shown")).to_be_visible(timeout=WAIT_MS)
    await show_tab(page, "polls")
    await page.locator("body").press("x")
    await expect(obs.locator(".xs-widget.is-shown")).to_have_count(0, timeout=WAIT_MS)
    await show_tab(page, "overlay")
    await expect(choice("none")).to_have_attribute("aria-pressed", "true")

    # Rotating the key (after a confirm that says OBS needs the new URL) stops
    # the old overlay; the preview follows the new key.
    await choice("qr").click()
    await expect(frame.locator(".xs-qr.is-shown")).to_be_visible(timeout=WAIT_MS)
    await p.get_by_role("button", name="更换大屏密钥").click()
    await expect(obs.locator("body")).to_have_attribute("data-error", "4401", timeout=WAIT_MS)
    assert c.dialogs and "OBS" in c.dialogs[-1] and "新地址" in c.dialogs[-1]
    new_key = (await get(moderator, f"/api/broadcasts/{bid}"))["overlay_key"]
    assert new_key != key
    await expect(p.locator(".cp-url").first).to_have_value(
        f"{hub.base}/overlay/{bid}?key={new_key}"
    )
    await expect(page.locator(".cp-preview-frame")).to_have_attribute(
        "src", f"/overlay/{bid}?key={new_key}&preview=1"
    )
    await expect(frame.locator(".xs-qr.is-shown")).to_be_visible(timeout=WAIT_MS)
    c.check()
    await octx.close()
    await ctx.close()


# --- settings and rehearsal ----------------------------------------------------------------------


async def test_settings_round_trip_and_go_live_end(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator)
    ctx1, c1 = await open_console(browser, hub, moderator, bid, "settings")
    ctx2, c2 = await open_console(browser, hub, moderator, bid, "settings")
    p1, p2 = panel(c1.page, "settings"), panel(c2.page, "settings")
    await expect(p1.get_by_label("标题")).to_have_value("城市轨道交通规划")
    await expect(p1.locator(".cp-join-code")).not_to_be_empty(timeout=WAIT_MS)
    info = await get(moderator, f"/api/broadcasts/{bid}")
    await expect(p1.locator(".cp-url").first).to_have_value(info["links"]["viewer"])
    qr_ok = await p1.locator(".cp-qr").evaluate("n => n.complete && n.naturalWidth > 0")
    assert qr_ok

    await p1.get_by_label("标题").fill("地铁三号线东延 · 市民协商")
    await p1.get_by_label("议题简介").fill("线路走向与站点设置")
    await p1.get_by_label("计划开始时间").fill("2030-06-01T19:30")
    await p1.get_by_label("提问需审核后公开").uncheck()
    await p1.get_by_label("提问字数上限").fill("150")
    await p1.get_by_label("区域 / 领域标签").fill("交通\n东城区\n西城区")
    await p1.get_by_label("公开显示提问者称呼").uncheck()
    await expect(p1.locator(".cp-dirty")).to_have_text("有未保存的修改")
    await p1.get_by_role("button", name="保存", exact=True).click()
    await expect(p1.locator(".cp-dirty")).to_be_empty(timeout=WAIT_MS)

    # The second console sees it (the form and the header).
    await expect(p2.get_by_label("标题")).to_have_value(
        "地铁三号线东延 · 市民协商", timeout=WAIT_MS
    )
    await expect(c2.page.locator("#title")).to_have_text("地铁三号线东延 · 市民协商")
    await expect(p2.get_by_label("区域 / 领域标签")).to_have_value("交通\n东城区\n西城区")
    await expect(p2.get_by_label("计划开始时间")).to_have_value("2030-06-01T19:30")
    got = await get(moderator, f"/api/broadcasts/{bid}")
    assert got["title"] == "地铁三号线东延 · 市民协商" and got["topic"] == "线路走向与站点设置"
    assert got["settings"] == {
        "moderation": False, "max_len": 150, "tags": ["交通", "东城区", "西城区"],
        "show_names": False,
    }  # fmt: skip
    offset_ms = await c1.page.evaluate("new Date(2030, 5, 1, 19, 30).getTime()")
    assert got["scheduled"] == offset_ms

    # Nothing typed in the second console is overwritten by the first's save.
    await p2.get_by_label("议题简介").fill("第二位主持人正在输入")
    await p1.get_by_label("提问字数上限").fill("200")
    await p1.get_by_role("button", name="保存", exact=True).click()
    await expect(p2.locator(".cp-dirty")).to_contain_text("其他主持人", timeout=WAIT_MS)
    await expect(p2.get_by_label("议题简介")).to_have_value("第二位主持人正在输入")
    await p2.get_by_role("button", name="放弃修改").click()
    await expect(p2.get_by_label("提问字数上限")).to_have_value("200")

    # Invalid input is refused before sending.
    await p1.get_by_label("标题").fill("  ")
    await p1.get_by_role("button", name="保存", exact=True).click()
    await expect(p1.locator(".cp-errors")).to_contain_text("标题不能为空")
    await p1.get_by_role("button", name="放弃修改").click()

    # Go live, then end, each after a confirm.
    state = p1.locator(".cp-state-card .cp-badge")
    await expect(state).to_have_text("未开始")
    await p1.get_by_role("button", name="开始直播").click()
    await expect(state).to_have_text("直播中", timeout=WAIT_MS)
    await expect(p2.locator(".cp-state-card .cp-badge")).to_have_text("直播中", timeout=WAIT_MS)
    await expect(p1.get_by_role("button", name="开始直播")).to_be_hidden()
    await p1.get_by_role("button", name="结束直播").click()
    await expect(state).to_have_text("已结束", timeout=WAIT_MS)
    await expect(p1.get_by_role("button", name="结束直播")).to_be_hidden()
    assert any("开始直播" in d for d in c1.dialogs) and any("结束" in d for d in c1.dialogs)
    assert (await get(moderator, f"/api/broadcasts/{bid}"))["state"] == "ended"
    c1.check()
    c2.check()
    await ctx1.close()
    await ctx2.close()


async def test_rehearsal_fill_then_clear(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator)
    ctx, c = await open_console(browser, hub, moderator, bid, "settings")
    vctx, v = await open_viewer(browser, hub, bid)
    p = panel(c.page, "settings")
    await expect(p.locator(".cp-rehearsal-state")).to_have_text("当前没有彩排数据")
    await p.get_by_role("button", name="填充示例数据").click()
    await expect(p.locator(".cp-rehearsal-state")).to_have_text("当前有彩排数据", timeout=WAIT_MS)
    await expect(c.page.locator("#rehearsal")).to_be_visible()
    # Sample questions reach the console and, the approved ones, the viewer.
    await expect(c.page.locator("#stat-pending")).not_to_have_text("0", timeout=WAIT_MS)
    await expect(v.page.locator("#q-list > li").first).to_be_visible(timeout=WAIT_MS)
    # Going live needs a clear first.
    await expect(p.get_by_role("button", name="开始直播")).to_be_disabled()
    await expect(p.locator(".cp-state-card .cp-hint")).to_contain_text("清除彩排数据")

    await p.get_by_role("button", name="清除彩排数据").click()
    await expect(p.locator(".cp-rehearsal-state")).to_have_text("当前没有彩排数据", timeout=WAIT_MS)
    assert any("全部提问" in d for d in c.dialogs)
    await expect(v.page.locator("#q-list > li")).to_have_count(0, timeout=WAIT_MS)
    await expect(c.page.locator("#stat-pending")).to_have_text("0", timeout=WAIT_MS)
    await expect(p.get_by_role("button", name="开始直播")).to_be_enabled()
    await p.get_by_role("button", name="开始直播").click()
    await expect(p.locator(".cp-state-card .cp-badge")).to_have_text("直播中", timeout=WAIT_MS)
    # Live: rehearsal is off limits.
    await expect(p.get_by_role("button", name="填充示例数据")).to_be_disabled()
    c.check()
    await ctx.close()
    await vctx.close()


# --- sensitive words -----------------------------------------------------------------------


async def test_words_edit_import_and_their_effect(
    hub: HubProcess, moderator: Moderator, browser: Browser, tmp_path: Path, redis_url: str
) -> None:
    bid = await new_broadcast(moderator, moderation=False)
    await cmd(moderator, bid, "bc.state", state="live")
    block, hold = "拆迁" + secrets.token_hex(2), "补偿款" + secrets.token_hex(2)
    ctx, c = await open_console(browser, hub, moderator, bid, "words")
    p = panel(c.page, "words")
    await expect(p.locator(".cp-word-stats").first).to_have_text(
        "共 0 个：屏蔽 0 个，待审 0 个", timeout=WAIT_MS
    )
    editor = p.locator('textarea[name="words"]')
    await editor.fill(f"# 本场词表\n{block}\tblock\n")
    await expect(p.locator(".cp-word-stats").first).to_have_text("共 1 个：屏蔽 1 个，待审 0 个")
    # A .txt file saved on Chinese Windows (GBK) is appended to the editor.
    file = tmp_path / "词表.txt"
    file.write_bytes(f"{hold}\n示例词\thold\n坏行\tmaybe\n".encode("gbk"))
    await p.locator('input[type="file"]').set_input_files(str(file))
    await expect(p.locator(".cp-word-stats").first).to_have_text("共 3 个：屏蔽 1 个，待审 2 个")
    await expect(p.locator(".cp-errors")).to_contain_text("第 5 行")
    await p.get_by_role("button", name="保存词表").click()
    await expect(p.locator(".cp-card .cp-hint[role=status]").first).to_contain_text("请先修正")
    await editor.fill((await editor.input_value()).replace("坏行\tmaybe\n", ""))
    await p.get_by_role("button", name="保存词表").click()
    await expect(p.locator(".cp-card .cp-hint[role=status]").first).to_contain_text(
        "已保存 3 个词", timeout=WAIT_MS
    )
    words = await get(moderator, f"/api/broadcasts/{bid}/words")
    assert sorted((w["word"], w["action"]) for w in words["words"]) == sorted(
        [(block, "block"), (hold, "hold"), ("示例词", "hold")]
    )
    # The deployment-wide list is shown, read-only.
    await expect(p.locator("textarea[readonly]")).to_be_visible()

    # A viewer's blocked question never shows for another viewer; a held one waits.
    vctx, other = await open_viewer(browser, hub, bid)
    asker = await viewer(hub.base, bid)
    await asker.connect()
    try:
        await words_applied(bid, None, hub, redis_url=redis_url)
        blocked = await asker.command("ask", text=f"请问{block}的时间表什么时候公布？")
        held = await asker.command("ask", text=f"我的{hold}什么时候到账？")
        clean = await asker.command("ask", text="地铁站的出入口能不能多开一个？")
        assert blocked["type"] == held["type"] == clean["type"] == "ack", (blocked, held, clean)
        assert held["result"]["status"] == "pending"
        assert clean["result"]["status"] == "approved"
        await expect(other.page.locator("#q-list")).to_contain_text(
            "地铁站的出入口", timeout=WAIT_MS
        )
        listed = await other.page.locator("#q-list").inner_text()
        assert block not in listed and hold not in listed
    finally:
        await asker.close()
    log = await get(moderator, f"/api/broadcasts/{bid}/audit")
    assert any(e["action"] == "words.put" for e in log["entries"])
    c.check()
    other.check()
    await vctx.close()
    await ctx.close()


# --- audit -----------------------------------------------------------------------------------


async def test_audit_lists_what_was_done_and_exports_csv(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator)
    ctx, c = await open_console(browser, hub, moderator, bid, "polls")
    page = c.page
    p = panel(page, "polls")
    await p.get_by_label("投票问题").fill("您支持延长末班车吗？")
    options = p.locator('input[name="poll-option"]')
    await options.nth(0).fill("支持")
    await options.nth(1).fill("不支持")
    await p.get_by_role("button", name="创建并开始投票").click()
    card = p.locator(".cp-poll").first
    await expect(card.locator(".cp-badge").first).to_have_text("投票中", timeout=WAIT_MS)
    await card.get_by_role("button", name="上大屏").click()
    await expect(card.locator(".cp-badge-air")).to_be_visible(timeout=WAIT_MS)
    await page.locator("body").press("x")
    await expect(card.locator(".cp-badge-air")).to_be_hidden(timeout=WAIT_MS)
    s = await show_tab(page, "settings")
    await s.get_by_label("标题").fill("末班车时间协商")
    await s.get_by_role("button", name="保存", exact=True).click()
    await expect(s.locator(".cp-dirty")).to_be_empty(timeout=WAIT_MS)

    a = await show_tab(page, "audit")
    rows = a.locator("tbody tr")
    # bc.create, poll.create, poll.state, overlay (shown, then cleared), bc.update
    await expect(rows).to_have_count(6, timeout=WAIT_MS)
    actions = await a.locator("tbody .cp-col-action").all_inner_texts()
    assert actions == ["修改设置", "切换大屏", "切换大屏", "更改投票状态", "创建投票", "创建直播"]
    details = await a.locator("tbody .cp-col-detail").all_inner_texts()
    assert details[0] == "标题：末班车时间协商"
    assert details[1] == "不显示（清空）" and details[2].startswith("投票结果 #")
    assert details[3] == "草稿 → 投票中"
    users = set(await a.locator("tbody .cp-col-user").all_inner_texts())
    assert users == {moderator.user}
    targets = await a.locator("tbody .cp-col-target").all_inner_texts()
    assert targets[0] == "本场直播" and targets[1] == "大屏" and targets[3].startswith("投票 #")

    # A later action shows after a refresh.
    await cmd(moderator, bid, "overlay", show="qr")
    await a.get_by_role("button", name="刷新").click()
    await expect(rows).to_have_count(7, timeout=WAIT_MS)
    await expect(rows.first.locator(".cp-col-detail")).to_have_text("扫码参与")

    async with page.expect_download() as info:
        await a.get_by_role("link", name="导出 CSV").click()
    download = await info.value
    data = await anyio.Path(await download.path()).read_bytes()
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "time,user,action,target,detail"
    assert "poll.create" in text and "末班车时间协商" in text and text.count("\n") >= 8
    c.check()
    await ctx.close()


async def test_panels_switch_language_and_keep_unsaved_edits(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator)
    ctx, c = await open_console(browser, hub, moderator, bid, "words")
    p = panel(c.page, "words")
    await p.locator('textarea[name="words"]').fill("未保存的词")
    await c.page.locator("#lang").click()
    await expect(p.get_by_role("button", name="Save list")).to_be_visible()
    await expect(p.locator('textarea[name="words"]')).to_have_value("未保存的词")
    s = await show_tab(c.page, "settings")
    await expect(s.get_by_role("button", name="Go live")).to_be_visible()
    o = await show_tab(c.page, "overlay")
    await expect(o.locator(".cp-kill")).to_contain_text("Clear overlay")
    await c.page.locator("#lang").click()
    await expect(o.locator(".cp-kill")).to_contain_text("清空大屏")
    c.check()
    await ctx.close()


async def test_missing_endpoint_is_explained(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    """An older hub without the words route: the panel says so instead of failing."""
    bid = await new_broadcast(moderator)
    context = await browser.new_context(**LAPTOP)
    await context.add_cookies(
        [{"name": "xs_sess", "value": moderator.cookies["xs_sess"], "url": hub.base}]
    )
    await context.route(f"**/api/broadcasts/{bid}/words", lambda route: route.fulfill(
        status=404, body="Not Found", content_type="text/plain"))  # fmt: skip
    page = await context.new_page()
    await page.goto(f"{hub.base}/console/{bid}#words")
    p = panel(page, "words")
    await expect(p.locator(".cp-card .cp-hint[role=status]").first).to_contain_text(
        "接口不存在", timeout=WAIT_MS
    )
    await expect(p.locator('textarea[name="words"]')).to_be_disabled()
    await context.close()


async def test_http_audit_csv_needs_a_session(hub: HubProcess, moderator: Moderator) -> None:
    """The export link is a plain GET: without the session cookie it is refused."""
    bid = await new_broadcast(moderator)
    async with httpx.AsyncClient(base_url=hub.base) as http:
        assert (await http.get(f"/api/broadcasts/{bid}/audit.csv")).status_code == 401
