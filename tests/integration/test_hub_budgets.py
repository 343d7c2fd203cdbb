"""Every viewer command has a budget (docs/reliability.md 30), against a real hub.

The attack: one socket toggling an upvote as fast as it can. It gets the
per-viewer upvote budget (in Redis, so a reconnect does not refill it), then
``rate_limited``, and once its refusals outrun the per-connection budget the
socket is closed with 4400; Redis grows by a bounded amount. Such a viewer
never asks a question, yet a moderator finds them by pseudonym in the list of
active viewers and bans them with ``viewer.ban`` ``{"viewer": <pseudonym>}``.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
import redis.asyncio as aioredis
from websockets.exceptions import ConnectionClosed

from server.client import Disconnected, HubClient
from server.settings import Settings
from server.store import keys
from tests.integration.faults import scrape
from tests.integration.harness import HubProcess, Moderator
from tests.integration.hub_helpers import (
    Clients,
    dump,
    new_viewer,
    ok,
    refused,
    self_moving,
    stream,
    vid_of,
)  # fmt: skip

pytestmark = pytest.mark.anyio


async def _written_keys(redis: aioredis.Redis, bid: str) -> int:
    """How many keys the broadcast has, but the presence bookkeeping the hub
    writes on its own when a device joins (hub_helpers.self_moving)."""
    p = keys.prefix(bid)
    return len(
        [k async for k in redis.scan_iter(match=p + "*") if not self_moving(k.decode()[len(p) :])]
    )


Json = dict[str, Any]
DEFAULTS = Settings()
FLOOD = 2000  # upvote frames sent by the attacker, without waiting for replies


async def _flood(client: HubClient, frames: list[Json]) -> None:
    """Send every frame at once; the hub may close the socket part-way."""
    with contextlib.suppress(ConnectionClosed):
        for frame in frames:
            await client.send(frame)


async def _approved_question(mod: Moderator, clients: Clients, redis: aioredis.Redis,
                             hub: HubProcess) -> tuple[str, int]:  # fmt: skip
    bid = (await mod.create_broadcast(settings={"moderation": False}))["id"]
    asker = await new_viewer(clients, redis, hub.base, bid)
    qid = ok(await asker.command("ask", text="公园开放时间能否延长？"))["qid"]
    return bid, int(qid)


async def _viewer_and_state(mod: Moderator, clients: Clients, redis: aioredis.Redis,
                            hub: HubProcess) -> tuple[str, int, HubClient, Json]:  # fmt: skip
    """A broadcast with one approved question, a connected viewer, and every key's value."""
    bid, qid = await _approved_question(mod, clients, redis, hub)
    viewer = await new_viewer(clients, redis, hub.base, bid)
    return bid, qid, viewer, await dump(redis, bid)


async def test_an_upvote_toggle_flood_is_throttled_closed_and_bounded(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, qid = await _approved_question(mod, clients, redis, hub)
    before = await scrape(hub.base)
    keys_before = await _written_keys(redis, bid)
    memory_before = int((await redis.info("memory"))["used_memory"])

    attacker = await new_viewer(clients, redis, hub.base, bid)
    frames = [{"type": "upvote", "id": f"u{i}", "qid": qid, "on": i % 2 == 0} for i in range(FLOOD)]
    flooded = time.monotonic()  # the budget runs out during the flood: refills count from here
    await _flood(attacker, frames)
    assert await attacker.wait_closed(timeout=15) == 4400

    replies = [m for m in attacker.received if m.get("type") in ("ack", "error")]
    acks = [m for m in replies if m["type"] == "ack"]
    limited = [m for m in replies if m.get("code") == "rate_limited"]
    # The budget (plus what refilled during the flood, well under a minute).
    assert 0 < len(acks) <= DEFAULTS.viewer_actions_burst + 5
    assert limited and all(m["retryable"] for m in limited)
    # Closed once its refusals outran the connection's budget, long before 2,000.
    assert len(replies) < 100
    votes = [e for e in await stream(redis, bid) if e[1].get("type") == "votes"]
    assert len(votes) <= len(acks)
    idem = [k async for k in redis.scan_iter(match=keys.prefix(bid) + "idem:*")]
    assert len(idem) <= len(acks) + 2  # the asker's question and the moderator's create
    keys_after = await _written_keys(redis, bid)
    assert keys_after - keys_before <= len(acks) + 4  # idem records, budget, activity, votes
    assert int((await redis.info("memory"))["used_memory"]) - memory_before < 1_000_000

    after = await scrape(hub.base)
    assert after.value("xs_rate_limited_total", kind="upvotes") - before.value(
        "xs_rate_limited_total", kind="upvotes"
    ) == len(limited)
    assert after.value("xs_closes_total", code="4400") > before.value(
        "xs_closes_total", code="4400"
    )

    # A reconnect does not refill the budget: it lives in Redis per viewer.
    # Only what refilled with time since the flood is granted (a token every
    # 60 / viewer_actions_per_min seconds), never a fresh burst.
    again = clients.add(HubClient(hub.base, bid, "viewer", cookies=attacker.cookies))
    await again.connect()
    elapsed = time.monotonic() - flooded
    refilled = int(elapsed * DEFAULTS.viewer_actions_per_min / 60) + 1
    tries = [await again.command("upvote", qid=qid, on=i % 2 == 0) for i in range(refilled + 3)]
    granted = [r for r in tries if r["type"] == "ack"]
    assert len(granted) <= refilled < DEFAULTS.viewer_actions_burst, (elapsed, tries)
    refused(tries[-1], "rate_limited", retryable=True)
    await again.close()


async def test_an_upvote_of_a_missing_question_writes_nothing(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, qid, viewer, before = await _viewer_and_state(mod, clients, redis, hub)
    refused(await viewer.command("upvote", qid=qid + 100, on=True), "not_found")
    refused(await viewer.command("vote", poll=7, choices=[0]), "not_found")
    assert await dump(redis, bid) == before


async def test_commands_on_missing_questions_close_the_socket(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, qid, viewer, before = await _viewer_and_state(mod, clients, redis, hub)
    frames = [{"type": "upvote", "id": f"m{i}", "qid": qid + 1 + i, "on": True} for i in range(200)]
    await _flood(viewer, frames)
    assert await viewer.wait_closed(timeout=10) == 4400
    errors = [m for m in viewer.received if m.get("type") == "error"]
    assert DEFAULTS.max_protocol_errors <= len(errors) <= DEFAULTS.max_protocol_errors + 2
    # Nothing of the flood was written; only the note that this viewer was
    # closed for abuse (the moderators' list of active viewers).
    after = await dump(redis, bid)
    noted = {k for k in after if k not in before or after[k] != before[k]}
    assert all(k.startswith(keys.prefix(bid) + "act:") for k in noted), noted


async def test_a_ping_flood_closes_the_socket(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, _ = await _approved_question(mod, clients, redis, hub)
    viewer = await new_viewer(clients, redis, hub.base, bid)
    await _flood(viewer, [{"type": "ping"}] * 200)
    assert await viewer.wait_closed(timeout=10) == 4400
    pongs = [m for m in viewer.received if m.get("type") == "pong"]
    assert len(pongs) <= DEFAULTS.pings_burst + 1


async def test_a_moderator_bans_a_flooder_who_never_asked_by_pseudonym(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, qid = await _approved_question(mod, clients, redis, hub)
    attacker = await new_viewer(clients, redis, hub.base, bid)
    await _flood(attacker, [{"type": "upvote", "id": f"t{i}", "qid": qid, "on": i % 2 == 0}
                            for i in range(300)])  # fmt: skip
    assert await attacker.wait_closed(timeout=10) == 4400

    async with mod.http() as http:
        listed = (await http.get(f"/api/broadcasts/{bid}/viewers")).json()
    top = listed["viewers"][0]
    assert top["actions"] >= 100 and top["banned"] is False
    # Moderators see pseudonyms only: no viewer id anywhere in the list.
    vid = await vid_of(redis, attacker)
    assert vid not in str(listed)

    result = ok(await mod.command(bid, "viewer.ban", viewer=top["viewer"], on=True))
    assert result["asker"] == top["viewer"] and result["on"] is True
    assert await redis.sismember(keys.banned(bid), vid)
    again = clients.add(HubClient(hub.base, bid, "viewer", cookies=attacker.cookies))
    with pytest.raises(Disconnected) as closed:
        await again.connect()
    assert closed.value.code == 4403
    async with mod.http() as http:
        listed = (await http.get(f"/api/broadcasts/{bid}/viewers")).json()
        audit = (await http.get(f"/api/broadcasts/{bid}/audit")).json()["entries"]
    assert next(v for v in listed["viewers"] if v["viewer"] == top["viewer"])["banned"] is True
    assert any(e["action"] == "viewer.ban" and e["target"] == f"viewer:{top['viewer']}"
               for e in audit)  # fmt: skip

    # Lifted by the same handle; an unknown pseudonym is not_found; both names is invalid.
    ok(await mod.command(bid, "viewer.ban", viewer=top["viewer"], on=False))
    assert not await redis.sismember(keys.banned(bid), vid)
    unknown = await mod.command(bid, "viewer.ban", viewer="aaaaaaaaaa", on=True)
    assert unknown["error"] == "not_found"
    both = await mod.command(bid, "viewer.ban", viewer=top["viewer"], qid=qid, on=True)
    assert both["error"] == "invalid"


async def test_the_list_of_active_viewers_is_for_moderators_only(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    bid, _ = await _approved_question(mod, clients, redis, hub)
    async with mod.http() as http:
        http.cookies.clear()
        assert (await http.get(f"/api/broadcasts/{bid}/viewers")).status_code == 401


async def test_a_console_meeting_many_conflicts_stays_open(
    hub: HubProcess, mod: Moderator, redis: aioredis.Redis, clients: Clients
) -> None:
    """Conflicts and missing questions are a console's daily work (another
    moderator acted first): they never count against its refusals."""
    bid, qid = await _approved_question(mod, clients, redis, hub)
    console = clients.add(mod.client(bid))
    await console.connect()
    for i in range(3 * DEFAULTS.max_protocol_errors):
        reply = await console.command("q.status", qid=qid if i % 2 else qid + 100,
                                      status="approved", expect="pending")  # fmt: skip
        assert reply["type"] == "error" and reply["code"] in ("conflict", "not_found"), reply
    assert ok(await console.command("q.star", qid=qid, on=True))["changed"] is True
