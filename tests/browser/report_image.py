"""``make docs-images``: the report page's picture in docs/img/report.png.

Starts a private embedded Redis and a hub, plays the scripted show of
``tests/browser/report_show.py``, opens the report in Debian's chromium and
saves a full-page screenshot. Never run by the tests (they write no tracked
file); run it when the report page changes and look at the picture.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright

from server.ops.embedded_redis import EmbeddedRedis
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DOCS_IMG
from tests.browser.report_show import play
from tests.integration.harness import HubProcess, new_moderator


async def main(tmp: Path) -> Path:
    redis = EmbeddedRedis(tmp / "redis")
    url = redis.start()
    hub = HubProcess(url, tmp, PRESENCE_INTERVAL_S="0.2", LIKES_FLUSH_MS="50").start()
    try:
        mod = await new_moderator(url, hub.base)
        bid = await play(mod, url, hub.base)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(viewport={"width": 1100, "height": 1400},
                                                locale="zh-CN")  # fmt: skip
            await context.add_cookies([{"name": "xs_sess", "value": mod.cookies["xs_sess"],
                                        "url": hub.base}])  # fmt: skip
            page = await context.new_page()
            await page.goto(f"{hub.base}/report/{bid}")
            await page.wait_for_selector(
                "body[data-ready='1'] [data-chart='viewers'][data-drawn='1']"
            )
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            out = DOCS_IMG / "report.png"
            await page.screenshot(path=str(out), full_page=True)
            await browser.close()
        return out
    finally:
        hub.stop()
        redis.stop()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="xs-docs-") as tmp:
        print(f"wrote {asyncio.run(main(Path(tmp)))}")
