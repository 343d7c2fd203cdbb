"""Loading the Lua scripts of ``server/store/lua/``, each with the shared prelude.

``Store`` loads the live path's scripts itself; the follow-up, seasons,
departments and indexer modules load theirs through :func:`load`.
"""

from __future__ import annotations

from importlib import resources

import orjson
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.domain.errors import Rejection


def load(redis: aioredis.Redis, name: str) -> AsyncScript:
    """``lua/<name>.lua`` with ``_prelude.lua`` in front, registered on ``redis``."""
    lua = resources.files("server.store") / "lua"
    prelude = (lua / "_prelude.lua").read_text(encoding="utf-8")
    return redis.register_script(prelude + "\n" + (lua / f"{name}.lua").read_text("utf-8"))


def decoded(raw: object) -> dict[str, object]:
    """A script's JSON result; ``{"err": ...}`` raised as the domain's ``Rejection``."""
    result = orjson.loads(raw if isinstance(raw, bytes | str) else str(raw))
    if not isinstance(result, dict):
        raise TypeError(f"script returned {result!r}")
    if "err" in result:
        raise Rejection(str(result["err"]), str(result.get("msg", "")))
    return result


def text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
