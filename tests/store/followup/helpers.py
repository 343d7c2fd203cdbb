"""Helpers of the follow-up store tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import secrets

from server.settings import Settings
from server.store.store import Store

SETTINGS = Settings()


def rid(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def cid() -> str:
    """A fresh command id."""
    return secrets.token_hex(6)


async def new_broadcast(store: Store, bid: str | None = None, **settings: object) -> str:
    bid = bid or rid("b")
    await store.create_broadcast(
        bid, title="协商在线", topic="", settings=dict(settings), overlay_key="k" * 16,
        user="admin",
    )  # fmt: skip
    return bid
