"""The live console with a big broadcast (``python -m bench --only console5k``).

Fills broadcasts with ``sizes`` questions each (the last is the figure that
matters: 5,000) through the real scripts, two in five left pending (the
queue's first view), two approved, one rejected (the moderator snapshot holds
at most 2,000 per status: docs/performance.md), then opens the console
(``/console/<bid>``) in chromium as a moderator and measures, in the page:

* ``first_rows_ms``: from the navigation's start to the first question rows
  in the queue (snapshot over the websocket, state built, first draw);
* ``move_ms``: one ``j`` key press (the selection moves down) until the frame
  after the redraw (``keydown`` dispatched in the page, two animation frames
  awaited), median and p95 over ``presses``;
* ``approve_ms``: one ``a`` press on the selected question until its row has
  left the pending list (a round trip to the hub included), median and p95.

The smallest size is the baseline measured in the same run: the ratios to it
say what a big broadcast costs, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

import redis.asyncio as aioredis

from bench.export import ask_many
from server.settings import Settings
from server.store.store import Store

CHROMIUM = "/usr/bin/chromium"
# In the page: `n` presses of `key`, each timed until the second animation
# frame after it (the queue draws in the first).
_PRESS = """async ([key, n]) => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const out = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    document.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
    await frame();
    await frame();
    out.push(performance.now() - t0);
  }
  return out;
}"""

# In the page: `n` approvals by key, each timed until the selected row is gone.
_APPROVE = """async (n) => {
  const out = [];
  for (let i = 0; i < n; i++) {
    const row = document.querySelector('#panel-queue .q-row[aria-current="true"]');
    if (!row) break;
    const sel = `#panel-queue .q-row[data-qid="${row.dataset.qid}"]`;
    const t0 = performance.now();
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'a', bubbles: true }));
    while (document.querySelector(sel) && performance.now() - t0 < 10000) {
      await new Promise((r) => requestAnimationFrame(() => r()));
    }
    out.push(performance.now() - t0);
  }
  return out;
}"""


# Question i's status: two in five stay pending, two are approved, one rejected,
# so that 5,000 questions fit the moderator snapshot's 2,000 per status.
_MOVES = {1: "approved", 2: "approved", 3: "rejected"}


async def fill(redis_url: str, bid: str, n: int) -> None:
    redis = aioredis.Redis.from_url(redis_url)
    try:
        store = Store(redis, Settings(redis_url=redis_url))
        await ask_many(store, bid, n, viewers=997)
        moves = [(qid, _MOVES[qid % 5]) for qid in range(1, n + 1) if qid % 5 in _MOVES]
        for start in range(0, len(moves), 500):
            await asyncio.gather(*(
                store.set_status(bid, f"m:bench:s{qid}", user="", qid=qid, target=target,
                                 allowed_from=["pending"], expect=None, reason="")
                for qid, target in moves[start:start + 500]
            ))  # fmt: skip
    finally:
        await redis.aclose()


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
    }


async def measure(
    base: str, bid: str, cookies: dict[str, str], cfg: dict[str, Any]
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            ctx = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            await ctx.add_cookies([{"name": "xs_sess", "value": cookies["xs_sess"], "url": base}])
            page = await ctx.new_page()
            await page.goto(f"{base}/console/{bid}")
            await page.locator("#panel-queue .q-row").first.wait_for(timeout=60_000)
            first = await page.evaluate("() => performance.now()")
            rows = await page.locator("#panel-queue .q-row").count()
            await page.locator("#panel-queue .q-row").first.click(position={"x": 5, "y": 5})
            moves = await page.evaluate(_PRESS, ["j", cfg["presses"]])
            approvals = await page.evaluate(_APPROVE, cfg["approvals"])
            await ctx.close()
        finally:
            await browser.close()
    return {"first_rows_ms": round(first), "rows_drawn": rows, "move_ms": _summary(moves),
            "approve_ms": _summary(approvals), "approved": len(approvals)}  # fmt: skip


async def run(
    base: str, redis_url: str, new_broadcast: Any, cookies: dict[str, str], cfg: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in cfg["sizes"]:
        bid = await new_broadcast()
        await fill(redis_url, bid, n)
        out[str(n)] = await measure(base, bid, cookies, cfg)
    small, big = (out[str(n)] for n in (cfg["sizes"][0], cfg["sizes"][-1]))
    out["ratio_first_rows"] = round(big["first_rows_ms"] / max(1, small["first_rows_ms"]), 2)
    out["ratio_move_p50"] = round(big["move_ms"]["p50"] / max(0.1, small["move_ms"]["p50"]), 2)
    return out
