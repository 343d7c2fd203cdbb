"""Loading the Lua scripts of ``server/store/lua/``, each with the shared prelude.

``Store`` loads the live path's scripts itself; the follow-up, seasons,
departments and indexer modules load theirs through :func:`load`.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.domain.errors import Rejection


def load(redis: aioredis.Redis, name: str, *preludes: str) -> AsyncScript:
    """``lua/<name>.lua`` with ``_prelude.lua`` and then ``preludes`` (names of
    other ``lua/_*.lua`` files) in front, registered on ``redis``."""
    lua = resources.files("server.store") / "lua"
    parts = ["_prelude", *preludes, name]
    source = "\n".join((lua / f"{part}.lua").read_text(encoding="utf-8") for part in parts)
    return redis.register_script(source)


def decoded(raw: object) -> dict[str, Any]:
    """A script's JSON result; ``{"err": ...}`` raised as the domain's ``Rejection``."""
    result = orjson.loads(raw if isinstance(raw, bytes | str) else str(raw))
    if not isinstance(result, dict):
        raise TypeError(f"script returned {result!r}")
    if "err" in result:
        raise Rejection(str(result["err"]), str(result.get("msg", "")))
    return result


def text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
