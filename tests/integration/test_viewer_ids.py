"""The per-address cap on new viewer ids over HTTP (docs/reliability.md 15),
with a hub that keeps the default cap (every other test hub lifts it:
tests/integration/harness.py) on a Redis of its own, so the address's count
starts at zero."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import auth
from server.settings import Settings
from tests.integration import harness
from tests.integration.faults import redis_client, running_hub, scrape

pytestmark = pytest.mark.anyio

CAP = Settings().viewer_ids_per_ip_per_hour  # the default: 200 an hour


async def _mint(base: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:  # no cookie: a new viewer
        return await http.get("/api/viewer")


async def test_new_viewer_ids_are_capped_per_address_with_the_documented_json(
    embedded_redis: Any, tmp_path: Path
) -> None:
    # The window is the clock hour: a run that straddles one starts again.
    for _ in range(2):
        hour = int(time.time()) // 3600
        env = {"VIEWER_IDS_PER_IP_PER_HOUR": str(CAP)}  # what harness lifts, put back
        with running_hub(embedded_redis.url, tmp_path, **env) as hub:
            mod = await harness.new_moderator(embedded_redis.url, hub.base)
            bid = (await mod.create_broadcast())["id"]
            before = await scrape(hub.base)
            minted = [await _mint(hub.base) for _ in range(CAP)]
            over = await _mint(hub.base)
            page = await _mint_page(hub.base, bid)
            after = await scrape(hub.base)
            kept = minted[0].cookies[auth.VIEWER_COOKIE]
            async with httpx.AsyncClient(base_url=hub.base, timeout=10) as http:
                http.cookies.set(auth.VIEWER_COOKIE, kept)
                returning = await http.get("/api/viewer")
        if int(time.time()) // 3600 == hour:
            break
        async with redis_client(embedded_redis.url) as client:
            await client.flushall()

    assert all(r.status_code == 200 and auth.VIEWER_COOKIE in r.cookies for r in minted)
    assert len({r.cookies[auth.VIEWER_COOKIE] for r in minted}) == CAP
    assert over.status_code == 429
    assert over.headers["content-type"].startswith("application/json")
    assert over.json() == {"error": "rate_limited",
                           "message": "too many new viewers from this address"}  # fmt: skip
    assert 0 < int(over.headers["retry-after"]) <= 3600
    assert auth.VIEWER_COOKIE not in over.cookies
    # The page is still served, without a cookie (its socket is then refused with 4401).
    assert page.status_code == 200 and auth.VIEWER_COOKIE not in page.cookies
    # A viewer who already has an id keeps it.
    assert returning.status_code == 200 and auth.VIEWER_COOKIE not in returning.cookies
    refused = after.value("xs_rate_limited_total", kind="viewer_ids") - before.value(
        "xs_rate_limited_total", kind="viewer_ids"
    )
    assert refused == 2  # the JSON refusal and the page


async def _mint_page(base: str, bid: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        return await http.get(f"/b/{bid}")
