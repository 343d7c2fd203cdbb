"""A short scripted show for the report page: the browser test's and the
documentation picture's (``make docs-images``).

Played through a real hub: three viewers ask, upvote, like and vote; the
moderator approves, puts questions on air and closes the poll. Returns once
the report counts all three viewers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.integration.harness import Moderator
from tests.integration.hub_helpers import Clients, new_viewer, ok, open_redis

QUESTIONS = [
    ("地铁新线的换乘站会考虑老年人和推婴儿车的家长吗？", "交通"),
    ("学校周边早晚高峰停车难，有没有错峰方案？", "教育"),
    ("夜班公交能不能延长到凌晨一点？", "交通"),
    ("社区养老食堂什么时候覆盖到我们街道？", "民生"),
    ("共享单车乱停放谁来管？", "交通"),
]


async def report_json(mod: Moderator, bid: str) -> dict[str, Any]:
    async with mod.http() as http:
        r = await http.get(f"/api/broadcasts/{bid}/report")
        r.raise_for_status()
        found: dict[str, Any] = r.json()
        return found


async def play(
    mod: Moderator, redis_url: str, base: str, *, title: str = "协商在线 · 城市交通专场"
) -> str:
    settings = {"moderation": True, "tags": ["交通", "教育", "民生"]}
    bid: str = (await mod.create_broadcast(title=title, settings=settings))["id"]
    ok(await mod.command(bid, "bc.state", state="live"))
    async with open_redis(redis_url) as redis, Clients() as clients:
        viewers = [await new_viewer(clients, redis, base, bid) for _ in range(3)]
        qids = []
        for i, (text, tag) in enumerate(QUESTIONS):
            qids.append(ok(await viewers[i % 3].command("ask", text=text, name="", tag=tag))["qid"])
        for q in qids[:4]:
            ok(await mod.command(bid, "q.status", qid=q, status="approved"))
        ok(await viewers[1].command("upvote", qid=qids[0], on=True))
        ok(await mod.command(bid, "q.status", qid=qids[0], status="on_air"))
        for n, v in zip((30, 12, 7), viewers, strict=True):
            ok(await v.command("like", n=n))
        ok(await mod.command(bid, "q.status", qid=qids[1], status="on_air"))
        options = ["东段", "西段", "同步建设"]
        made = await mod.command(bid, "poll.create", question="新线优先建哪一段？", options=options,
                                 multi=False)  # fmt: skip
        poll = ok(made)["poll"]
        ok(await mod.command(bid, "poll.state", poll=poll, state="open"))
        for v, choice in zip(viewers, (0, 2, 2), strict=True):
            ok(await v.command("vote", poll=poll, choices=[choice]))
        ok(await mod.command(bid, "poll.state", poll=poll, state="closed"))
        for _ in range(100):
            if (await report_json(mod, bid))["viewers_peak"] >= 3:
                break
            await asyncio.sleep(0.1)
    return bid
