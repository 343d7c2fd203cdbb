"""The record over HTTP on a real hub: every exported number against the show the test played.

One hub process for the module (presence reported every 0.2 s, likes flushed
every 50 ms). The show is played through real websocket clients (viewers
asking, upvoting, liking, voting) and the moderator's HTTP commands; the
follow-up workflow's fields are written into Redis as that workflow writes
them (the data contract of docs/report.md). Then the XLSX is read back with
openpyxl, the CSV checked for its BOM and formula-safe cells, the JSON held
to docs/export.schema.json, and the report's figures compared with what the
test did.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import orjson
import pytest
import redis.asyncio as aioredis

from server.client import HubClient
from server.settings import Settings
from server.store import keys
from server.timezones import resolve_timezone
from tests.integration import json_schema
from tests.integration.faults import running_hub
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import Clients, new_viewer, ok, open_redis, vid_of

pytestmark = pytest.mark.anyio

Json = dict[str, Any]
HUB_ENV = {"PRESENCE_INTERVAL_S": "0.2", "LIKES_FLUSH_MS": "50"}
SCHEMA = orjson.loads((Path(__file__).resolve().parents[2] / "docs" / "export.schema.json")
                      .read_bytes())  # fmt: skip
TZ = resolve_timezone(Settings().timezone)
# Texts a spreadsheet would run as formulas, and ordinary ones.
TIME_COLUMNS = (("提问时间", "created"), ("上墙时间", "approved_at"),
                ("上屏（直播）时间", "onair_at"), ("回答完毕时间", "answered_at"))  # fmt: skip
TEXTS = ["=1+2 地铁票价怎么定", "@SUM(A1) 公交线路", "-3 学校周边停车", "+86 热线总是占线",
         "普通问题：夜班车", "普通问题：共享单车"]  # fmt: skip


@pytest.fixture(scope="module")
def record_hub(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with running_hub(redis_url, tmp_path_factory.mktemp("record"), **HUB_ENV) as hub:
        yield hub


@pytest.fixture
async def redis(redis_url: str) -> Any:
    async with open_redis(redis_url) as client:
        yield client


async def get(mod: Moderator, path: str) -> httpx.Response:
    async with mod.http() as http:
        return await http.get(path)


async def report_when(mod: Moderator, bid: str, done: Any, within_s: float = 10) -> Json:
    """The report once ``done(report)`` holds (presence is reported every 0.2 s)."""
    report: Json = {}
    for _ in range(int(within_s / 0.1)):
        r = await get(mod, f"/api/broadcasts/{bid}/report")
        assert r.status_code == 200, r.text
        report = r.json()
        if done(report):
            return report
        await asyncio.sleep(0.1)
    raise AssertionError(f"report never reached the expected state: {report}")


async def play_show(mod: Moderator, clients: Clients, redis: aioredis.Redis, base: str) -> Json:
    """The scripted show; returns what the test knows of it."""
    settings = {"moderation": True, "tags": ["交通", "教育"]}
    created = await mod.create_broadcast(title="网络问政·交通专场", settings=settings)
    bid = created["id"]
    ok(await mod.command(bid, "bc.state", state="live"))
    viewers = [await new_viewer(clients, redis, base, bid) for _ in range(3)]
    qids = []
    for i, text in enumerate(TEXTS):
        tag = "交通" if i % 2 == 0 else "教育"
        reply = await viewers[i % 3].command("ask", text=text, name=f"市民{i}", tag=tag)
        qids.append(ok(reply)["qid"])
    q1, q2, q3, q4, q5, _q6 = qids
    for q in (q1, q2, q3, q4):
        ok(await mod.command(bid, "q.status", qid=q, status="approved"))
    for v, q in ((viewers[1], q1), (viewers[2], q1), (viewers[0], q2)):
        ok(await v.command("upvote", qid=q, on=True))
    ok(await mod.command(bid, "q.status", qid=q1, status="on_air"))
    ok(await mod.command(bid, "q.status", qid=q2, status="on_air"))  # q1 becomes answered
    ok(await mod.command(bid, "q.status", qid=q5, status="rejected", reason="与主题无关"))
    ok(await mod.command(bid, "q.edit", qid=q3, text="学校周边停车难怎么办"))
    ok(await mod.command(bid, "q.star", qid=q4, on=True))
    ok(await viewers[0].command("like", n=5))
    ok(await viewers[1].command("like", n=7))
    options = ["23点", "24点", "凌晨1点"]
    created_poll = await mod.command(bid, "poll.create", question="夜班车该延长到几点？",
                                     options=options, multi=False)  # fmt: skip
    poll = ok(created_poll)["poll"]
    ok(await mod.command(bid, "poll.state", poll=poll, state="open"))
    for v, choice in zip(viewers, (0, 1, 0), strict=True):
        ok(await v.command("vote", poll=poll, choices=[choice]))
    ok(await mod.command(bid, "poll.state", poll=poll, state="closed"))
    # The follow-up workflow's fields, as it writes them (the data contract).
    note = {"source": "hotline", "answer_note": '=HYPERLINK("x")'}
    await redis.hset(keys.question(bid, q3), mapping=note)
    await redis.hset(keys.followup(bid, q3), mapping={
        "state": "published", "dept": "jtw", "due": "2026-01-31", "reply": "将增设临时停车位。",
        "rating": "satisfied", "replied_at": "1764500000000",
    })  # fmt: skip
    await redis.hset(keys.followup(bid, q4), mapping={"state": "assigned", "dept": "jtw"})
    await redis.hset(keys.dept("jtw"), mapping={"name": "市交通委", "short": "交通委"})
    return {"bid": bid, "qids": qids, "viewers": viewers, "poll": poll,
            "vids": [await vid_of(redis, v) for v in viewers]}  # fmt: skip


def expected_rows(show: Json, stored: dict[int, Json]) -> dict[int, Json]:
    """What the test did to each question (times come from Redis: the clock is its)."""
    q1, q2, q3, q4, q5, q6 = show["qids"]
    base = {q: {"text": TEXTS[i], "name": f"市民{i}", "tag": "交通" if i % 2 == 0 else "教育",
                "source": "手机", "votes": 0, "starred": None, "orig": None}
            for i, q in enumerate(show["qids"])}  # fmt: skip
    base[q1].update(status="已回答", votes=2)
    base[q2].update(status="直播中", votes=1)
    base[q3].update(status="已通过", text="学校周边停车难怎么办", orig=TEXTS[2], source="热线")
    base[q4].update(status="已通过", starred="是")
    base[q5].update(status="未通过")
    base[q6].update(status="待审核")
    for q, row in base.items():
        row["created"] = int(stored[q]["created"])
        for field in ("approved_at", "onair_at", "answered_at"):
            row[field] = int(stored[q][field]) if field in stored[q] else None
    return base


async def stored_questions(redis: aioredis.Redis, bid: str, qids: list[int]) -> dict[int, Json]:
    out = {}
    for q in qids:
        raw = await redis.hgetall(keys.question(bid, q))
        out[q] = {k.decode(): v.decode() for k, v in raw.items()}
    return out


async def redis_minute(redis: aioredis.Redis) -> int:
    sec, _ = await redis.time()
    return int(sec // 60)


def local(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, TZ).replace(tzinfo=None)


async def test_exports_and_report_hold_exactly_the_show(
    record_hub: HubProcess, redis_url: str, redis: aioredis.Redis
) -> None:
    mod = await new_moderator(redis_url, record_hub.base)
    first_minute = await redis_minute(redis)
    async with Clients() as clients:
        show = await play_show(mod, clients, redis, record_hub.base)
        bid = show["bid"]
        report = await report_when(mod, bid, lambda r: r["viewers_peak"] == 3 and r["views"] == 3)
    last_minute = await redis_minute(redis)
    stored = await stored_questions(redis, bid, show["qids"])
    expected = expected_rows(show, stored)
    q1, q2, q3, q4, q5, q6 = show["qids"]

    # --- the report ---
    assert (report["views"], report["viewers_unique"], report["viewers_peak"]) == (3, 3, 3)
    assert report["likes"] == 12 and report["votes"] == 3
    assert report["questions"] == {"received": 6, "approved": 4, "answered_live": 2,
                                   "forwarded": 2, "replied": 1, "rejected": 1, "merged": 0,
                                   "pending": 1}  # fmt: skip
    assert (report["reply_rate"], report["satisfaction"]) == (0.5, 1.0)
    assert report["by_tag"] == [{"tag": "交通", "count": 3}, {"tag": "教育", "count": 3}]
    assert report["by_source"] == [{"source": "phone", "count": 5},
                                   {"source": "hotline", "count": 1}]  # fmt: skip
    (poll,) = report["polls"]
    assert [o["votes"] for o in poll["options"]] == [2, 1, 0] and poll["ballots"] == 3
    assert {m["qid"] for m in report["onair"]} == {q1, q2}
    line = report["timeline"]
    assert sum(m["questions"] for m in line) == 6 and sum(m["likes"] for m in line) == 12
    assert sum(m["approved"] for m in line) == 4 and sum(m["votes"] for m in line) == 3
    assert max(m["viewers"] for m in line) == 3 and sum(m["views"] for m in line) == 3
    assert all(m["t"] % 60_000 == 0 for m in line)
    # Every figure sits in a minute the show was played in (Redis's clock).
    played = {m * 60_000 for m in range(first_minute, last_minute + 1)}
    assert {m["t"] for m in line if m["questions"] or m["likes"] or m["votes"]} <= played
    assert report["viewers_peak_at"] is not None and report["timezone"] == Settings().timezone

    # --- XLSX, read back ---
    r = await get(mod, f"/api/broadcasts/{bid}/export.xlsx")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "attachment" in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["概况", "问题", "投票", "时间线"]
    summary = {row[0].value: row[1].value for row in book["概况"].iter_rows()}
    assert summary["观看人次"] == 3 and summary["独立设备"] == 3 and summary["最高同时在线"] == 3
    assert summary["点赞"] == 12 and summary["收到问题"] == 6 and summary["上墙问题"] == 4
    assert summary["现场回答"] == 2 and summary["转办"] == 2 and summary["已答复"] == 1
    assert summary["答复率"] == "50.0%" and summary["满意率"] == "100.0%"
    assert summary["投票人次"] == 3 and summary["节目"] == "网络问政·交通专场"
    sheet = book["问题"]
    header = [c.value for c in sheet[1]]
    rows = {int(row[0].value): {h: c for h, c in zip(header, row, strict=True)}
            for row in sheet.iter_rows(min_row=2)}  # fmt: skip
    assert sorted(rows) == show["qids"]
    for q, want in expected.items():
        got = rows[q]
        assert got["问题（审核后）"].value == want["text"]
        assert got["问题（审核后）"].data_type == "s"  # text, never a formula
        assert got["原文（如经修改）"].value == want["orig"]
        assert got["署名"].value == want["name"] and got["标签"].value == want["tag"]
        assert got["来源"].value == want["source"] and got["状态"].value == want["status"]
        assert got["赞同数"].value == want["votes"] and got["加星"].value == want["starred"]
        for col, field in TIME_COLUMNS:
            if want[field] is None:
                assert got[col].value is None, (q, col)
            else:
                delta = abs((got[col].value - local(want[field])).total_seconds())
                assert delta < 0.002, (q, col, got[col].value)
    assert rows[q3]["办理状态"].value == "已公开" and rows[q3]["承办单位"].value == "市交通委"
    assert rows[q3]["办理期限"].value == "2026-01-31" and rows[q3]["评价"].value == "满意"
    assert rows[q3]["答复内容"].value == "将增设临时停车位。"
    assert rows[q3]["现场回答要点"].value == '=HYPERLINK("x")'
    assert rows[q3]["现场回答要点"].data_type == "s"
    assert rows[q4]["办理状态"].value == "已转办" and rows[q5]["办理状态"].value is None
    polls = list(book["投票"].iter_rows(min_row=2, values_only=True))
    assert [(p[5], p[6], p[4]) for p in polls] == [("23点", 2, 3), ("24点", 1, 3),
                                                   ("凌晨1点", 0, 3)]  # fmt: skip
    minutes = list(book["时间线"].iter_rows(min_row=2, values_only=True))
    assert sum(m[5] for m in minutes) == 6 and sum(m[4] for m in minutes) == 12
    every_cell = " ".join(str(c) for ws in book for row in ws.iter_rows(values_only=True)
                          for c in row)  # fmt: skip
    for vid in show["vids"]:
        assert vid not in every_cell

    # --- CSV ---
    r = await get(mod, f"/api/broadcasts/{bid}/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0] == header
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in table[1:]}
    assert sorted(by_id) == show["qids"]
    for q, want in expected.items():
        text = by_id[q]["问题（审核后）"]
        starts_bad = want["text"][0] in "=+-@"
        assert text == ("'" + want["text"] if starts_bad else want["text"])
        assert by_id[q]["赞同数"] == str(want["votes"]) and by_id[q]["状态"] == want["status"]
    assert by_id[q3]["现场回答要点"] == '\'=HYPERLINK("x")'
    assert by_id[q3]["提问时间"].endswith("+08:00") or Settings().timezone != "Asia/Shanghai"
    for vid in show["vids"]:
        assert vid not in r.text

    # --- JSON, against its schema ---
    r = await get(mod, f"/api/broadcasts/{bid}/export.json")
    assert r.status_code == 200
    doc = r.json()
    assert json_schema.errors(SCHEMA, doc) == []
    assert doc["version"] == 1 and len(doc["questions"]) == 6
    figures = doc["figures"]
    assert {
        k: figures[k] for k in ("views", "viewers_unique", "viewers_peak", "likes", "votes")
    } == {"views": 3, "viewers_unique": 3, "viewers_peak": 3, "likes": 12, "votes": 3}
    assert figures["questions"] == report["questions"]
    by_qid = {q["id"]: q for q in doc["questions"]}
    assert by_qid[q3]["orig"] == TEXTS[2] and by_qid[q3]["followup"]["dept_name"] == "市交通委"
    assert by_qid[q1]["votes"] == 2 and by_qid[q6]["followup"] is None
    assert doc["polls"][0]["tallies"] == [2, 1, 0]
    for vid in show["vids"]:
        assert vid not in r.text


async def test_scripted_viewers_joining_and_leaving(
    record_hub: HubProcess, redis_url: str, redis: aioredis.Redis
) -> None:
    """Three devices join, one leaves and comes back at once (same view), one
    comes back after more than 30 minutes away (a new view, its close time
    moved back in Redis by the test), a second tab of a device is no new view."""
    mod = await new_moderator(redis_url, record_hub.base)
    bid = (await mod.create_broadcast(title="观看口径"))["id"]
    ok(await mod.command(bid, "bc.state", state="live"))
    async with Clients() as clients:
        a, b, c = [await new_viewer(clients, redis, record_hub.base, bid) for _ in range(3)]
        await report_when(mod, bid, lambda r: r["viewers_now"] == 3)
        await a.close()
        await report_when(mod, bid, lambda r: r["viewers_now"] == 2)
        again = clients.add(HubClient(record_hub.base, bid, "viewer", cookies=a.cookies))
        await again.connect()  # back within 30 minutes: the same view
        tab = clients.add(HubClient(record_hub.base, bid, "viewer", cookies=b.cookies))
        await tab.connect()  # a second tab: the same view
        report = await report_when(mod, bid, lambda r: r["viewers_now"] == 4)
        assert (report["views"], report["viewers_unique"], report["viewers_peak"]) == (3, 3, 4)
        await c.close()
        vid_c = await vid_of(redis, c)
        await report_when(mod, bid, lambda r: r["viewers_now"] == 3)
        sec, _ = await redis.time()
        await redis.hset(keys.visits(bid), vid_c, (sec - 31 * 60) * 1000)
        back = clients.add(HubClient(record_hub.base, bid, "viewer", cookies=c.cookies))
        await back.connect()
        report = await report_when(mod, bid, lambda r: r["views"] == 4)
        assert report["viewers_unique"] == 3 and report["viewers_now"] == 4
        assert sum(m["views"] for m in report["timeline"]) == 4
        assert sum(m["devices"] for m in report["timeline"]) == 3


async def test_bad_requests(record_hub: HubProcess, redis_url: str, redis: aioredis.Redis) -> None:
    mod = await new_moderator(redis_url, record_hub.base)
    bid = (await mod.create_broadcast(title="坏请求"))["id"]
    for path in ("export.xlsx", "export.csv", "export.json", "report"):
        assert (await get(mod, f"/api/broadcasts/t-nosuch00/{path}")).status_code == 404
    assert (await get(mod, f"/api/broadcasts/{bid}/export.pdf")).status_code == 404
    assert (await get(mod, "/api/broadcasts/..%2F/report")).status_code in (400, 404)
    async with Clients() as clients:
        v = await new_viewer(clients, redis, record_hub.base, bid)
        meta = await redis.hget(keys.meta(bid), "okey")
        async with httpx.AsyncClient(base_url=record_hub.base, cookies=v.cookies) as http:
            for path in ("export.xlsx", "export.csv", "export.json", "report"):
                r = await http.get(f"/api/broadcasts/{bid}/{path}")
                assert r.status_code == 401 and r.json()["error"] == "unauthorized"
                # The overlay's key is no moderator credential either.
                r = await http.get(f"/api/broadcasts/{bid}/{path}?key={meta.decode()}")
                assert r.status_code == 401
            r = await http.get(f"/report/{bid}", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    page = await get(mod, f"/report/{bid}")
    assert page.status_code == 200 and "echarts.common.min.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
