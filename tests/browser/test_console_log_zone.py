"""The log tab writes times in the broadcast's zone (the deployment's,
``TIMEZONE``, Asia/Shanghai by default), says which, and agrees with the CSV,
even in a browser set to another zone (docs/console.md, "日志 / Audit")."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.test_console_panels import LAPTOP, new_broadcast, panel
from tests.browser.watch import Watched
from tests.integration.harness import HubProcess, Moderator

with __import__("contextlib").suppress(ImportError):
    from playwright.async_api import Browser, expect

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
WAIT_MS = 8000


async def test_log_times_are_the_broadcasts_zone_as_in_the_csv(
    hub: HubProcess, moderator: Moderator, browser: Browser
) -> None:
    bid = await new_broadcast(moderator)
    context = await browser.new_context(**LAPTOP, timezone_id="America/New_York")
    await context.add_cookies(
        [{"name": "xs_sess", "value": moderator.cookies["xs_sess"], "url": hub.base}]
    )
    w = Watched(await context.new_page())
    await w.page.goto(f"{hub.base}/console/{bid}#audit")
    a = panel(w.page, "audit")
    await expect(a.locator("tbody tr")).to_have_count(1, timeout=WAIT_MS)
    await expect(a.locator("th.cp-col-time")).to_have_text("时间（UTC+08:00）")
    shown = await a.locator("tbody .cp-col-time").first.inner_text()
    async with moderator.http() as http:
        r = await http.get(f"/api/broadcasts/{bid}/audit.csv")
        assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    written = rows[1][0]  # 2025-03-14T09:05:07.123+08:00
    assert written.endswith("+08:00") and shown == written[:19].replace("T", " "), (shown, written)
    w.check()
    await context.close()
