"""The poll kinds in a real chromium: a word cloud created in the console,
answered on a phone, drawn by the console, the phone and the overlay, and a
word hidden on all three at once; a rating and a ranking answered on a phone,
with the average, the Borda points and the rule on every surface."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.browser.conftest import docs_image
from tests.browser.test_console_panels import (
    WAIT_MS,
    cmd,
    open_console,
    open_viewer,
    panel,
    poll_card,
    save_picture,
    voters,
)
from tests.browser.test_overlay import connected, open_overlay
from tests.integration.harness import HubProcess, Moderator

with contextlib.suppress(ImportError):  # the chromium fixture skips without playwright
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

BORDA_ZH = "博达计数：第1名得 n−1 分，依次递减，最后一名得 0 分；须排完全部选项"


async def live_show(mod: Moderator) -> tuple[str, str]:
    created = await mod.create_broadcast(title="市民通勤体验", topic="地铁、公交与骑行")
    await cmd(mod, created["id"], "bc.state", state="live")
    return str(created["id"]), str(created["overlay_key"])


@pytest.mark.docs_image
async def test_a_word_cloud_from_phone_to_console_and_overlay_and_a_word_hidden(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid, key = await live_show(moderator)
    ctx, c = await open_console(browser, hub, moderator, bid, "polls")
    page = c.page
    p = panel(page, "polls")
    await p.get_by_label("类型").select_option("words")
    await expect(p.get_by_label("回答字数上限")).to_be_visible()
    await expect(p.locator('input[name="poll-option"]').first).to_be_hidden()
    await p.get_by_label("投票问题").fill("用一个词形容你的通勤")
    await p.get_by_label("回答字数上限").fill("10")
    await p.get_by_label("观众何时看到结果").select_option("after_vote")
    await p.get_by_role("button", name="创建并开始投票").click()
    card = p.locator(".cp-poll").first
    await expect(card.locator(".cp-badge").first).to_have_text("投票中", timeout=WAIT_MS)
    pid = int(await card.get_attribute("data-poll") or 0)
    await cmd(moderator, bid, "overlay", show="poll", poll=pid)
    overlay = await open_overlay(browser, f"{hub.base}/overlay/{bid}?key={key}")
    await connected(overlay)

    vctx, v = await open_viewer(browser, hub, bid)
    vpoll = v.page.locator(f'#polls .poll[data-poll="{pid}"]')
    await expect(vpoll.locator(".pill").first).to_have_text("词云", timeout=WAIT_MS)
    field = vpoll.get_by_label("用一个词形容你的通勤")
    await field.fill("！！！")  # only punctuation: refused, nothing counted
    await vpoll.get_by_role("button", name="提交").click()
    await expect(vpoll.locator(".poll-note")).to_have_text("请写下文字（不能只有标点）")
    await field.fill("地铁太挤")
    await vpoll.get_by_role("button", name="提交").click()
    await expect(vpoll.locator(".poll-note")).to_contain_text("你的回答：地铁太挤", timeout=WAIT_MS)
    async with voters(hub, bid, 5) as vs:
        answers = ["太挤了", "早高峰太挤", "换乘太远", "地铁方便", "太挤"]
        replies = await asyncio.gather(*(
            x.command("poll.answer", poll=pid, text=t) for x, t in zip(vs, answers, strict=True)
        ))  # fmt: skip
        assert all(r["type"] == "ack" for r in replies), replies
        words = card.locator(".cp-cloud-word")
        await expect(words.first).to_have_text("太挤", timeout=WAIT_MS)
        await expect(words.first).to_have_attribute("data-size", "6")
        await expect(vpoll.locator(".cloud-word").first).to_have_text("太挤", timeout=WAIT_MS)
        cloud = overlay.page.locator(".xs-cloud-word")
        await expect(cloud.first).to_have_text("太挤", timeout=WAIT_MS)
        await expect(overlay.page.locator(".xs-poll-ballots")).to_have_text("6 条回答")
        await save_picture(page, "console-wordcloud.png")
        await v.page.screenshot(path=docs_image("viewer-wordcloud.png"))
        await overlay.page.screenshot(path=docs_image("overlay-wordcloud.png"))

        # Hide 太挤 from the console: gone from the three surfaces at once.
        await card.locator('.cp-cloud-word[data-word="太挤"]').click()
        for locator in (card.locator(".cp-cloud-word"), vpoll.locator(".cloud-word"), cloud):
            await expect(locator.filter(has_text="太挤")).to_have_count(0, timeout=WAIT_MS)
            await expect(locator.filter(has_text="地铁")).to_have_count(1)
        show_again = card.get_by_role("button", name="恢复“太挤”")
        await expect(show_again).to_be_visible()
        await show_again.click()
        await expect(cloud.first).to_have_text("太挤", timeout=WAIT_MS)
    assert not overlay.errors and not v.problems and not c.problems, (v.problems, c.problems)
    for context in (ctx, vctx, overlay.page.context):
        await context.close()


@pytest.mark.docs_image
async def test_a_rating_and_a_ranking_on_a_phone_with_their_figures_and_rule(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid, key = await live_show(moderator)
    rating = int((await cmd(moderator, bid, "poll.create", question="给地铁换乘体验打分",
                            kind="rating", scale=5, labels=["很差", "很好"],
                            results="always"))["poll"])  # fmt: skip
    three = ["加开夜班公交", "增设自行车道", "延长地铁末班车"]
    ranking = int((await cmd(moderator, bid, "poll.create", question="把这三项民生实事排个序",
                             kind="ranking", results="always", options=three))["poll"])  # fmt: skip
    for pid in (rating, ranking):
        await cmd(moderator, bid, "poll.state", poll=pid, state="open")
    async with voters(hub, bid, 2) as vs:
        for x, point, order in ((vs[0], 4, [2, 0, 1]), (vs[1], 1, [2, 1, 0])):
            assert (await x.command("vote", poll=rating, choices=[point]))["type"] == "ack"
            assert (await x.command("vote", poll=ranking, choices=order))["type"] == "ack"
    ctx, c = await open_console(browser, hub, moderator, bid, "polls")
    vctx, v = await open_viewer(browser, hub, bid)
    rpoll = v.page.locator(f'#polls .poll[data-poll="{rating}"]')
    await expect(rpoll.locator(".scale-ends")).to_have_text("很差很好", timeout=WAIT_MS)
    await rpoll.locator(".rating-point", has_text="4").click()
    await rpoll.get_by_role("button", name="投票").click()
    # (5 + 2 + 4) / 3 = 3.7; the distribution in shares of the voters.
    await expect(rpoll.locator(".rating-average")).to_have_text(
        "平均 3.7 分（满分 5）", timeout=WAIT_MS
    )
    await expect(rpoll.locator(".poll-basis")).to_have_text("占投票人数")

    kpoll = v.page.locator(f'#polls .poll[data-poll="{ranking}"]')
    items = kpoll.locator(".ranking-item .option-text")
    await expect(items).to_have_text(["加开夜班公交", "增设自行车道", "延长地铁末班车"])
    await kpoll.get_by_role("button", name="将“延长地铁末班车”上移").click()
    await kpoll.get_by_role("button", name="将“延长地铁末班车”上移").click()
    await expect(items).to_have_text(["延长地铁末班车", "加开夜班公交", "增设自行车道"])
    await kpoll.screenshot(path=docs_image("viewer-ranking-form.png"))
    await kpoll.get_by_role("button", name="投票").click()
    # Borda, 3 options: 2, 1, 0 points. 末班车 6, 夜班公交 1+0+1 = 2, 自行车道 0+1+0 = 1.
    rows = kpoll.locator(".ranking-result .result-label")
    await expect(rows).to_have_text(["1. 延长地铁末班车", "2. 加开夜班公交", "3. 增设自行车道"],
                                    timeout=WAIT_MS)  # fmt: skip
    await expect(kpoll.locator(".ranking-result .pct")).to_have_text(["6 分", "2 分", "1 分"])
    await expect(kpoll.locator(".poll-basis")).to_have_text(BORDA_ZH)

    page = c.page
    rcard = poll_card(page, rating)
    await expect(rcard.locator(".cp-ballots")).to_have_text("3 人投票", timeout=WAIT_MS)
    await expect(rcard.locator(".cp-poll-basis")).to_have_text(
        "平均 3.7 分 · 很差 → 很好 · 占投票人数"
    )
    await expect(rcard.locator(".cp-bar-num")).to_have_text(
        ["0 票 · 0%", "1 票 · 33%", "0 票 · 0%", "1 票 · 33%", "1 票 · 33%"]
    )
    kcard = poll_card(page, ranking)
    await expect(kcard.locator(".cp-bar-text")).to_have_text(
        ["1. 延长地铁末班车", "2. 加开夜班公交", "3. 增设自行车道"]
    )
    await expect(kcard.locator(".cp-bar-num")).to_have_text(
        ["6 分 · 100%", "2 分 · 33%", "1 分 · 17%"]
    )
    await expect(kcard.locator(".cp-poll-basis")).to_have_text(BORDA_ZH)
    await save_picture(page, "console-rating-ranking.png")

    overlay = await open_overlay(browser, f"{hub.base}/overlay/{bid}?key={key}")
    await connected(overlay)
    await cmd(moderator, bid, "overlay", show="poll", poll=ranking)
    await expect(overlay.page.locator(".xs-poll-text")).to_have_text(
        ["1. 延长地铁末班车", "2. 加开夜班公交", "3. 增设自行车道"], timeout=WAIT_MS
    )
    await expect(overlay.page.locator(".xs-poll-pct")).to_have_text(["6 分", "2 分", "1 分"])
    await expect(overlay.page.locator(".xs-poll-basis")).to_have_text(BORDA_ZH)
    await overlay.page.wait_for_timeout(600)  # the bars finish their transition
    await overlay.page.screenshot(path=docs_image("overlay-ranking.png"))
    await cmd(moderator, bid, "overlay", show="poll", poll=rating)
    await expect(overlay.page.locator(".xs-poll-basis")).to_have_text("平均 3.7 分 · 占投票人数",
                                                                       timeout=WAIT_MS)  # fmt: skip
    assert not overlay.errors and not v.problems and not c.problems, (v.problems, c.problems)
    for context in (ctx, vctx, overlay.page.context):
        await context.close()
