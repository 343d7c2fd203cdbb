"""The viewer count follows joins and leaves within seconds, not a heartbeat
later: with a heartbeat far longer than the test (60 s), a channel where a
device came or went still reports (``presence_prompt_s``), so every page's
count agrees with the hub's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration import harness
from tests.integration.faults import closing, running_hub
from tests.integration.harness import HubProcess

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def slow_heartbeat_hub(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HubProcess]:
    with running_hub(redis_url, tmp_path_factory.mktemp("presence"),
                     PRESENCE_INTERVAL_S="60", PRESENCE_TTL_S="180") as hub:  # fmt: skip
        yield hub


async def test_the_count_follows_joins_and_leaves(
    slow_heartbeat_hub: HubProcess, redis_url: str
) -> None:
    hub = slow_heartbeat_hub
    mod = await harness.new_moderator(redis_url, hub.base)
    bid = (await mod.create_broadcast())["id"]
    first = await harness.viewer(hub.base, bid)
    others = [await harness.viewer(hub.base, bid) for _ in range(2)]
    async with closing(first, *others):
        await first.connect()
        for other in others:
            await other.connect()
        await first.wait_state(lambda s: s.presence.get("now") == 3, timeout=10)
        # A late joiner's snapshot already says 3 (or its own report follows).
        late = await harness.viewer(hub.base, bid)
        async with closing(late):
            await late.connect()
            await late.wait_state(lambda s: s.presence.get("now") == 4, timeout=10)
        await first.wait_state(lambda s: s.presence.get("now") == 3, timeout=10)
