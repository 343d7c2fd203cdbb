"""The report page (/report/<bid>) in a real chromium: the charts actually drew.

A short show is played through the real hub (viewers, questions, likes, a
poll, a question on air); the page is opened with a moderator's session and
each chart's canvas is read back: it must hold drawn pixels, not just exist.
The figures are compared with the report JSON, the print stylesheet is
checked in print emulation, and the CSP is held (no console errors). A
screenshot goes to the test's temporary directory (``XS_SHOTS`` to keep it);
the documentation's picture is made by ``make docs-images``, never here.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from server.settings import Settings
from server.store.seasons import Seasons
from server.store.webhooks import Webhooks
from tests.browser.report_show import play, report_json
from tests.browser.watch import Watched
from tests.integration.harness import HubProcess, new_moderator
from tests.integration.hub_helpers import open_redis, running_hub

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

WAIT_MS = 10_000
A4 = {"viewport": {"width": 1100, "height": 1400}, "locale": "zh-CN"}
HUB_ENV = {"PRESENCE_INTERVAL_S": "0.2", "LIKES_FLUSH_MS": "50"}
# How many pixels of a chart's canvas differ from the background: a chart
# that drew its axes, lines and bars has thousands; an empty one none.
INKED = """(name) => {
  const canvas = document.querySelector(`[data-chart="${name}"] canvas`);
  if (!canvas) return -1;
  const ctx = canvas.getContext('2d');
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0) inked += 1;
  return inked;
}"""


@pytest.fixture(scope="module")
def hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with running_hub(redis_url, tmp_path_factory.mktemp("hub"), **HUB_ENV) as process:
        yield process


async def test_report_page_draws_its_charts(
    browser: Browser, hub: HubProcess, redis_url: str, tmp_path: Path
) -> None:
    mod = await new_moderator(redis_url, hub.base)
    bid = await play(mod, redis_url, hub.base)
    report = await report_json(mod, bid)
    context = await browser.new_context(**A4)
    await context.add_cookies([{"name": "xs_sess", "value": mod.cookies["xs_sess"],
                                "url": hub.base}])  # fmt: skip
    w = Watched(await context.new_page())
    page = w.page
    try:
        await page.goto(f"{hub.base}/report/{bid}")
        await expect(page.locator("body[data-ready='1']")).to_have_count(1, timeout=WAIT_MS)
        await expect(page.locator("#title")).to_have_text(report["broadcast"]["title"])
        figures = page.locator(".figure")
        await expect(figures.first).to_be_visible()
        text = await page.locator("#figures").inner_text()
        for label, value in (("观看人次", report["views"]), ("点赞", report["likes"]),
                             ("收到问题", report["questions"]["received"])):  # fmt: skip
            assert label in text and f"{value:,}" in text, (label, value, text)
        charts = ["viewers", "questions", "tags", "sources"] + [
            f"poll-{p['id']}" for p in report["polls"]
        ]
        for name in charts:
            await expect(page.locator(f"[data-chart='{name}'][data-drawn='1']")).to_have_count(
                1, timeout=WAIT_MS
            )
            inked = await page.evaluate(INKED, name)
            assert inked > 2000, (name, inked)  # axes, labels, bars and lines were drawn
        links = page.locator("#exports a")
        assert [await a.get_attribute("href") for a in await links.all()] == [
            f"/api/broadcasts/{bid}/export.{kind}" for kind in ("xlsx", "csv", "json")
        ]
        shot = Path(os.environ.get("XS_SHOTS") or tmp_path) / "report.png"
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 30_000
        # Printed: the bar and its buttons are gone, the document stays.
        await page.emulate_media(media="print")
        await expect(page.locator("header.bar")).to_be_hidden()
        await expect(page.locator("#title")).to_be_visible()
        await page.emulate_media(media="screen")
        # English, from the same switch as every page.
        await page.locator("#lang").click()
        await expect(page.locator("#print")).to_have_text("Print / save as PDF")
        await expect(page.locator("body[data-ready='1'] [data-chart='viewers'][data-drawn='1']")
                     ).to_have_count(1, timeout=WAIT_MS)  # fmt: skip
        assert await page.evaluate(INKED, "viewers") > 2000
        w.check()
    finally:
        await context.close()


async def test_report_page_without_a_session_goes_to_login(
    browser: Browser, hub: HubProcess, redis_url: str
) -> None:
    mod = await new_moderator(redis_url, hub.base)
    bid = (await mod.create_broadcast(title="无会话"))["id"]
    context = await browser.new_context(**A4)
    try:
        page = await context.new_page()
        await page.goto(f"{hub.base}/report/{bid}")
        assert page.url.startswith(f"{hub.base}/login?next=/report/{bid}")
    finally:
        await context.close()


async def test_console_home_lists_webhooks_and_their_deliveries(
    browser: Browser, hub: HubProcess, redis_url: str
) -> None:
    """The admin's webhook panel: a loopback URL is refused with the reason; a
    delivery attempt in the log (written through the store) is listed."""
    admin = await new_moderator(redis_url, hub.base, admin=True)
    async with open_redis(redis_url) as redis:
        hooks = Webhooks(redis)
        hook = "h" + secrets.token_hex(3)
        config = {"id": hook, "url": "https://portal.example.gov.cn/hook", "secret": "s" * 32,
                  "events": ["poll.closed"], "bid": None, "created": 1}  # fmt: skip
        await hooks.put(config, user="t")
        delivery = f"t-x.1-0.poll.closed.{hook}"
        await hooks.enqueue(
            "t-x", "1-0", [(delivery, hook, b'{"event":"poll.closed","broadcast":"t-x"}')]
        )
        await hooks.done(delivery, outcome="retry", status=503, error="HTTP 503", next_due_ms=0,
                         took_ms=12)  # fmt: skip
    context = await browser.new_context(**A4)
    await context.add_cookies([{"name": "xs_sess", "value": admin.cookies["xs_sess"],
                                "url": hub.base}])  # fmt: skip
    w = Watched(await context.new_page())
    page = w.page
    try:
        await page.goto(f"{hub.base}/console")
        row = page.locator(f'#hooks-list tr[data-hook="{hook}"]')
        await expect(row).to_contain_text("portal.example.gov.cn", timeout=WAIT_MS)
        log = page.locator("#hooks-log tr[data-outcome='retry']").first
        await expect(log).to_contain_text("失败，将重试")
        await page.locator("#hooks-url").fill("http://127.0.0.1:9/")
        await page.locator("#hooks-events input[value='poll.closed']").check()
        await page.locator("#hooks-submit").click()
        await expect(page.locator("#hooks-msg")).to_contain_text("地址不可用", timeout=WAIT_MS)
        await expect(page.locator("#hooks-secret")).to_be_hidden()
        async with open_redis(redis_url) as redis:
            await Webhooks(redis).remove(hook, user="t")
        w.check()
    finally:
        await context.close()


async def test_season_report_page_draws_and_says_the_line(
    browser: Browser, hub: HubProcess, redis_url: str
) -> None:
    mod = await new_moderator(redis_url, hub.base)
    bid = await play(mod, redis_url, hub.base, title="第一期")
    sid = "s" + secrets.token_hex(4)
    async with open_redis(redis_url) as redis:
        seasons = Seasons(redis, Settings())
        await seasons.create(sid, name="2025 协商在线", year=2025, user="t")
        await seasons.add_broadcast(sid, bid, user="t")
    async with mod.http() as http:
        line = (await http.get(f"/api/seasons/{sid}/report")).json()["line"]
    assert line.startswith("1期节目，")
    context = await browser.new_context(**A4)
    await context.add_cookies([{"name": "xs_sess", "value": mod.cookies["xs_sess"],
                                "url": hub.base}])  # fmt: skip
    w = Watched(await context.new_page())
    try:
        await w.page.goto(f"{hub.base}/report/s/{sid}")
        await expect(w.page.locator("#subtitle")).to_have_text(line, timeout=WAIT_MS)
        await expect(w.page.locator("[data-chart='season'][data-drawn='1']")).to_have_count(
            1, timeout=WAIT_MS
        )
        assert await w.page.evaluate(INKED, "season") > 2000
        await expect(w.page.locator("#items tbody tr")).to_have_count(1)
        assert not await w.page.locator("#exports").is_visible()  # exports are per broadcast
        w.check()
    finally:
        await context.close()
