"""Poll kinds against a real hub: bad input refused with typed errors and
nothing written; a word cloud answered, held, reviewed and a word hidden on
every surface at once; the same ballots give the same figures to the phone,
the console, the overlay and the exports (server/domain/poll_figures.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from server.client import HubClient
from server.domain.poll_figures import figures
from server.store import keys
from tests.integration.harness import HubProcess, Moderator, new_moderator
from tests.integration.hub_helpers import (
    Clients,
    dump,
    new_viewer,
    ok,
    raw,
    refused,
    words_applied,
)

pytestmark = pytest.mark.anyio
Json = dict[str, Any]


@pytest.fixture(scope="module")
async def mod(hub: HubProcess, redis_url: str) -> Moderator:
    return await new_moderator(redis_url, hub.base)


async def live(mod: Moderator, clients: Clients, **settings: Any) -> tuple[str, HubClient, Json]:
    created = await mod.create_broadcast()
    bid = created["id"]
    console = clients.add(mod.client(bid))
    await console.connect()
    ok(await console.command("bc.state", state="live"))
    return bid, console, created


async def opened(console: HubClient, **poll: Any) -> int:
    pid = int(ok(await console.command("poll.create", question="你怎么看？", **poll))["poll"])
    ok(await console.command("poll.state", poll=pid, state="open"))
    return pid


async def test_bad_poll_input_is_refused_typed_and_writes_nothing(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, console, _ = await live(mod, clients)
    ranking = await opened(console, kind="ranking", options=["地铁", "公交", "骑行"])
    words = await opened(console, kind="words", max_len=6)
    viewer = await new_viewer(clients, redis, hub.base, bid)
    before = await written(redis, bid)
    q = "你怎么看？"
    for fields, code in (
        ({"options": [f"选项{i}" for i in range(11)]}, "bad_field"),  # over the limit
        ({"options": ["甲", "  "]}, "empty"),  # an empty option
        ({"options": ["甲"]}, "bad_field"),
        ({"kind": "rating", "scale": 7}, "invalid"),  # a scale out of range
        ({"kind": "rating", "scale": 5, "labels": ["差" * 21, "好"]}, "too_long"),
        ({"kind": "ranking", "options": ["甲"] * 2}, "invalid"),
        ({"kind": "words", "max_len": 51}, "invalid"),
        ({"kind": "words", "options": ["甲", "乙"]}, "invalid"),
    ):
        reply = await console.command("poll.create", question=q, **fields)
        assert reply.get("code") == code, (fields, reply)
    for choices, words_in_msg in (([0, 0, 1], "repeat"), ([0, 1], "rank all 3")):
        msg = refused(await viewer.command("vote", poll=ranking, choices=choices), "invalid")
        assert words_in_msg in msg["message"], msg
    for text, code in (
        ("地铁太挤太挤了啊", "too_long"),
        ("！？。……", "empty"),
        ("的了吗", "empty"),
    ):
        refused(await viewer.command("poll.answer", poll=words, text=text), code)
    refused(await viewer.command("vote", poll=words, choices=[0]), "invalid")
    refused(await viewer.command("poll.answer", poll=ranking, text="太挤"), "invalid")
    refused(await viewer.command("poll.word", poll=words, word="太挤", hidden=True), "forbidden")
    refused(await console.command("poll.answer", poll=words, text="太挤"), "forbidden")
    assert await written(redis, bid) == before


async def written(redis: aioredis.Redis, bid: str) -> Json:
    """The broadcast's keys but the presence loop's own (the viewer's visit is
    reported every 0.2 s into the timeline's viewers, views and devices)."""
    presence = tuple(keys.timeline(bid, m) for m in ("viewers", "views", "devices"))
    return {k: v for k, v in (await dump(redis, bid, results=False)).items() if k not in presence}


async def test_a_word_cloud_on_every_surface_and_a_word_hidden_everywhere(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, console, created = await live(mod, clients)
    pid = await opened(console, kind="words", results="after_vote")
    overlay = clients.add(HubClient(hub.base, bid, "overlay", key=created["overlay_key"],
                                    record=True))  # fmt: skip
    await overlay.connect()
    a, b, c = [await new_viewer(clients, redis, hub.base, bid) for _ in range(3)]
    ack = ok(await a.command("poll.answer", poll=pid, text="地铁太挤"))
    assert ack["status"] == "counted" and ack["mine"] == ["地铁太挤"]
    assert sorted(ack["tallies"]) == [["地铁", 1], ["太挤", 1]]
    ok(await b.command("poll.answer", poll=pid, text="太挤了"))
    # The same viewer again: a conflict naming their answer.
    assert refused(await a.command("poll.answer", poll=pid, text="换乘远"), "conflict")

    def cloud(client: HubClient) -> dict[str, int]:
        return {w: n for w, n in client.state.polls.get(pid, {}).get("tallies") or []}

    for client in (console, overlay, a, b):
        await client.wait_state(lambda s, cl=client: cloud(cl) == {"太挤": 2, "地铁": 1})
    # "after_vote": a viewer who has not answered sees no cloud.
    assert c.state.polls[pid]["tallies"] is None

    result = ok(await console.command("poll.word", poll=pid, word="太挤", hidden=True))
    assert result["changed"] is True
    for client in (console, overlay, a, b):
        await client.wait_state(lambda s, cl=client: cloud(cl) == {"地铁": 1})
    assert console.state.polls[pid]["hidden"] == ["太挤"]
    # The hidden list is the moderators' alone.
    for client in (overlay, a, b, c):
        assert "hidden" not in client.state.polls[pid]
    # A fresh page (phone, overlay) never sees it either.
    fresh = clients.add(HubClient(hub.base, bid, "viewer", cookies=a.cookies))
    await fresh.connect()
    await fresh.wait_state(lambda s: pid in s.polls and cloud(fresh) == {"地铁": 1})
    assert fresh.state.polls[pid]["mine"] == ["地铁太挤"]
    # The export leaves it out too.
    async with mod.http() as http:
        doc = (await http.get(f"/api/broadcasts/{bid}/export.json")).json()
    assert next(p for p in doc["polls"] if p["id"] == pid)["tallies"] == [["地铁", 1]]
    entries = await redis.xrange(keys.audit(bid))
    assert any(f[b"action"] == b"poll.word" for _, f in entries)


async def test_a_moderated_cloud_and_the_word_filter_hold_answers_for_review(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients, redis_url: str
) -> None:
    bid, console, _ = await live(mod, clients)
    async with mod.http() as http:
        r = await http.put(f"/api/broadcasts/{bid}/words",
                           json={"words": [{"word": "骗子", "action": "hold"}]})  # fmt: skip
        assert r.status_code == 200, r.text
    await words_applied(bid, None, hub, redis_url=redis_url)
    free = await opened(console, kind="words", results="always")
    held = await opened(console, kind="words", moderated=True, results="always")
    viewer = await new_viewer(clients, redis, hub.base, bid)
    other = await new_viewer(clients, redis, hub.base, bid)
    # A listed word holds an answer even where the poll is not moderated.
    assert (
        ok(await viewer.command("poll.answer", poll=free, text="骗子太多"))["status"] == "pending"
    )
    ack = ok(await other.command("poll.answer", poll=held, text="换乘太远"))
    assert ack["status"] == "pending" and "tallies" not in ack
    await console.wait_state(lambda s: len(s.polls[held].get("queue") or []) == 1)
    answer = console.state.polls[held]["queue"][0]
    assert answer["text"] == "换乘太远" and "vid" not in answer
    flagged = next(a for a in console.state.polls[free]["queue"] if a["text"] == "骗子太多")
    assert flagged["flags"]["words"] == ["骗子"]
    assert "骗子" not in raw(other.received)  # viewers never see held answers
    ok(await console.command("poll.review", poll=held, answer=answer["id"], approve=True))
    await other.wait_state(lambda s: dict(s.polls[held]["tallies"] or []) == {"换乘": 1, "太远": 1})
    await console.wait_state(lambda s: not s.polls[held]["queue"])
    refused(await console.command("poll.review", poll=held, answer=answer["id"], approve=False),
            "conflict")  # fmt: skip


async def test_the_same_ballots_give_the_same_figures_on_every_surface(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, console, created = await live(mod, clients)
    multi = await opened(console, options=["A", "B", "C"], multi=True, results="always")
    rating = await opened(console, kind="rating", scale=5, labels=["很差", "很好"],
                          results="always")  # fmt: skip
    ranking = await opened(console, kind="ranking", options=["地铁", "公交", "骑行"],
                           results="always")  # fmt: skip
    overlay = clients.add(HubClient(hub.base, bid, "overlay", key=created["overlay_key"]))
    await overlay.connect()
    ballots = [({multi: [0, 1], rating: [4], ranking: [0, 1, 2]}),
               ({multi: [0], rating: [3], ranking: [1, 0, 2]}),
               ({multi: [0, 2], rating: [0], ranking: [0, 2, 1]})]  # fmt: skip
    viewers = [await new_viewer(clients, redis, hub.base, bid) for _ in ballots]
    for viewer, ballot in zip(viewers, ballots, strict=True):
        for pid, choices in ballot.items():
            ok(await viewer.command("vote", poll=pid, choices=choices))
    expected = {
        multi: [100, 33, 33],  # of 3 voters: sums past 100%
        rating: [33, 0, 0, 33, 33],
        ranking: [83, 50, 17],  # Borda points 5, 3, 1 of at most 2 x 3
    }
    for client in (console, overlay, *viewers):
        await client.wait_state(lambda s: all(s.polls[p].get("ballots") == 3 for p in expected))
    for pid, pcts in expected.items():
        seen = [figures(client.state.polls[pid]) for client in (console, overlay, *viewers)]
        assert all(f == seen[0] for f in seen), pid
        assert [r["pct"] for r in seen[0]["rows"]] == pcts, pid
    assert figures(console.state.polls[rating])["average"] == "3.3"  # (5 + 4 + 1) / 3
    assert [r["text"] for r in figures(console.state.polls[ranking])["rows"]] == [
        "地铁",
        "公交",
        "骑行",
    ]
    # The report and the exports: the same shares.
    async with mod.http() as http:
        report = (await http.get(f"/api/broadcasts/{bid}/report")).json()
        xlsx = await http.get(f"/api/broadcasts/{bid}/export.xlsx")
    assert xlsx.status_code == 200
    by_id = {p["id"]: p for p in report["polls"]}
    for pid, pcts in expected.items():
        assert [round(o["share"] * 100) for o in by_id[pid]["options"]] == pcts
        assert by_id[pid]["figures"] == figures(console.state.polls[pid])
    assert await _xlsx_shares(xlsx) == {
        pid: [p / 100 for p in pcts] for pid, pcts in expected.items()
    }


async def _xlsx_shares(response: httpx.Response) -> dict[int, list[float]]:
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book["投票"].iter_rows(values_only=True))
    head = list(rows[0])
    assert "占投票人数" in head
    out: dict[int, list[float]] = {}
    for row in rows[1:]:
        out.setdefault(int(row[0]), []).append(row[head.index("占投票人数")])
    return out
