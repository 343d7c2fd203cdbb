"""Shared set-up of the follow-up store tests: a real Redis, real broadcasts.

Every test works under random ids and removes nothing it did not make; the
suite's Redis may be shared, so nothing here flushes it.
"""

from __future__ import annotations

import secrets

from server.settings import Settings
from server.store.store import Store
from tests.integration.hub_helpers import open_redis

__all__ = ["SETTINGS", "new_broadcast", "open_redis", "rid"]

SETTINGS = Settings()


def rid(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


async def new_broadcast(store: Store, bid: str | None = None, **settings: object) -> str:
    bid = bid or rid("b")
    await store.create_broadcast(
        bid, title="协商在线", topic="", settings=dict(settings), overlay_key="k" * 16,
        user="admin",
    )  # fmt: skip
    return bid
