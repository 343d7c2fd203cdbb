"""Departments (承办单位): the units questions are forwarded to.

================================  ======  ==========================================
``xs:{dept}:<id>``                hash    id, name, short, contact, created (ms)
``xs:{dept}:all``                 zset    department ids by creation time
``xs:{dept}:audit``               stream  additions and edits (user, action, target, detail)
``xs:{dept}:<id>:queue``          zset    "<bid>:<qid>" with the department, by due date
``xs:{dept}:<id>:done``           zset    "<bid>:<qid>" it replied to or sent back, by time
================================  ======  ==========================================

The queue and the history are derived by the indexer (server/store/indexer.py)
from the broadcasts' follow-up records; this module writes only the
departments themselves. A department is never deleted: its items and figures
stay attributable (an office renames it or stops assigning to it).
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from server.domain.errors import Rejection
from server.domain.followup_input import Department, validate_department, validate_dept_id
from server.store import keys
from server.store.scripts import decoded, load, text


class Departments:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._put = load(redis, "dept_put")

    async def put(
        self, dept_id: str, *, name: str, short: str | None, contact: str | None, user: str
    ) -> dict[str, Any]:
        """Create or edit a department (validated here)."""
        d = validate_department(dept_id, name, short, contact)
        return decoded(
            await self._put(
                keys=[keys.dept(d.id), keys.DEPTS, keys.DEPT_AUDIT],
                args=[keys.DEPT_PREFIX, d.id, d.name, d.short, d.contact, user],
            )
        )

    async def get(self, dept_id: str) -> Department | None:
        try:
            validate_dept_id(dept_id)
        except Rejection:
            return None
        raw = await self.redis.hgetall(keys.dept(dept_id))
        if not raw:
            return None
        f = {text(k): text(v) for k, v in raw.items()}
        return Department(f["id"], f["name"], f["short"], f.get("contact", ""))

    async def list_all(self) -> list[Department]:
        ids = [text(i) for i in await self.redis.zrange(keys.DEPTS, 0, -1)]
        found = []
        for dept_id in ids:
            d = await self.get(dept_id)
            if d is not None:
                found.append(d)
        return found

    async def queue(self, dept_id: str, limit: int = 500) -> list[tuple[str, int]]:
        """The department's open items as (bid, qid), soonest due first."""
        return _items(await self.redis.zrange(keys.dept_queue(dept_id), 0, limit - 1))

    async def history(self, dept_id: str, limit: int = 200) -> list[tuple[str, int]]:
        """Items the department replied to or sent back, newest first."""
        return _items(await self.redis.zrevrange(keys.dept_history(dept_id), 0, limit - 1))


def _items(members: list[Any]) -> list[tuple[str, int]]:
    out = []
    for member in members:
        bid, _, qid = text(member).rpartition(":")
        out.append((bid, int(qid)))
    return out
