"""The Lua scripts of ``server/store/lua/``: read once, registered once per client.

``Store``, ``Accounts`` and deletion register theirs with :func:`register`;
the follow-up, seasons, departments and indexer modules one at a time with
:func:`load`.

Each script opens with a comment naming its KEYS and ARGV. Shared helpers
live in underscore files (``_prelude.lua`` for the broadcast scripts,
``_audit.lua`` for the audit logs, ``_sessions.lua`` for accounts); a script
names what it needs on a line ``-- include: <file>`` in that opening comment,
and :func:`source` prepends each helper once, helpers' own includes first.
``register_script`` only hashes the text: Redis learns a script on its first
``EVALSHA`` miss (``NOSCRIPT``), so registering costs no round trip.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

import orjson
import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.domain.errors import Code, Rejection

_LUA = resources.files("server.store") / "lua"
_INCLUDE = re.compile(r"^-- include: (\S+\.lua)\s*$", re.MULTILINE)


def names() -> list[str]:
    """Every script (helpers excluded), by file name without ``.lua``, sorted."""
    return sorted(
        f.name.removesuffix(".lua")
        for f in _LUA.iterdir()
        if f.name.endswith(".lua") and not f.name.startswith("_")
    )


@cache
def source(name: str, first: tuple[str, ...] = ()) -> str:
    """The text sent to Redis for script ``name``: the helpers ``first`` and
    those it includes (each once, a helper's own includes before it), then itself."""
    parts: list[str] = []
    seen: set[str] = set()

    def add(file: str) -> None:
        if file in seen:
            return
        seen.add(file)
        text = (_LUA / file).read_text("utf-8")
        for included in _INCLUDE.findall(text):
            add(included)
        parts.append(text)

    for helper in first:
        add(helper)
    add(f"{name}.lua")
    return "\n".join(parts)


def register(redis: aioredis.Redis, wanted: Iterable[str]) -> dict[str, AsyncScript]:
    """The scripts ``wanted``, registered on ``redis``, by name."""
    return {name: redis.register_script(source(name)) for name in wanted}


def load(redis: aioredis.Redis, name: str) -> AsyncScript:
    """Script ``name`` registered on ``redis``, with ``_prelude.lua`` in front
    whether or not it names it (this function's contract since it came first)."""
    return redis.register_script(source(name, ("_prelude.lua",)))


def decoded(raw: object) -> dict[str, object]:
    """A script's JSON result; ``{"err": ...}`` raised as the domain's ``Rejection``."""
    result = orjson.loads(raw if isinstance(raw, bytes | str) else str(raw))
    if not isinstance(result, dict):
        raise TypeError(f"script returned {result!r}")
    if "err" in result:
        raise Rejection(Code(str(result["err"])), str(result.get("msg", "")))
    return result


def text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
