"""Departments and official accounts against a real redis-server."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from server.domain.errors import Rejection
from server.store import keys
from server.store.accounts import Accounts
from server.store.departments import Departments
from tests.store.followup.helpers import SETTINGS, rid

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"


async def test_put_get_list_and_audit(redis: aioredis.Redis) -> None:
    depts = Departments(redis)
    dept = rid("d")
    full = "深圳市龙岗区交通运输局"
    made = await depts.put(dept, name=full, short="区交通局", contact="0755-1234", user="admin")
    assert made == {"ok": True, "changed": True, "created": True}
    same = await depts.put(dept, name=full, short="区交通局", contact="0755-1234", user="admin")
    assert same["changed"] is False
    await depts.put(dept, name="深圳市龙岗区交通运输局", short="交通局", contact="", user="bob")
    got = await depts.get(dept)
    assert got is not None and (got.short, got.contact) == ("交通局", "")
    assert dept in [d.id for d in await depts.list_all()]
    rows = [f for _, f in await redis.xrange(keys.DEPT_AUDIT, "-", "+")
            if f[b"target"] == f"dept:{dept}".encode()]  # fmt: skip
    assert [r[b"action"] for r in rows] == [b"dept.add", b"dept.edit"]
    assert rows[1][b"user"] == b"bob"


@pytest.mark.parametrize(("dept", "name"), [("all", "x"), ("audit", "x"), ("Bad id", "x"),
                                             ("ok-id", ""), ("ok-id", "x" * 61)])  # fmt: skip
async def test_bad_departments_write_nothing(redis: aioredis.Redis, dept: str, name: str) -> None:
    before = await redis.zcard(keys.DEPTS)
    with pytest.raises(Rejection):
        await Departments(redis).put(dept, name=name, short=None, contact=None, user="admin")
    assert await redis.zcard(keys.DEPTS) == before


async def test_an_official_session_is_never_a_moderator_session(redis: aioredis.Redis) -> None:
    accounts = Accounts(redis, SETTINGS)
    name, mod = rid("off"), rid("mod")
    try:
        await accounts.create_official(name, PASSWORD, dept="roads", by="admin")
        await accounts.create_moderator(mod, PASSWORD, admin=False, by="admin")
        session = await accounts.login(name, PASSWORD, "ip-" + name)
        assert session is not None and session.role == "official" and session.dept == "roads"
        assert not session.admin
        assert await accounts.session(session.token) is None
        official = await accounts.official_session(session.token)
        assert official is not None and official.dept == "roads"
        mod_session = await accounts.login(mod, PASSWORD, "ip-" + mod)
        assert mod_session is not None
        assert await accounts.official_session(mod_session.token) is None
        assert await accounts.session(mod_session.token) is not None
        # Listed apart: officials are not moderators.
        assert name not in [m["username"] for m in await accounts.list_moderators()]
        assert {"username": name, "dept": "roads"}.items() <= next(
            o for o in await accounts.list_officials() if o["username"] == name
        ).items()
        with pytest.raises(ValueError):
            await accounts.create_moderator(name, PASSWORD, admin=True)
        assert await accounts.remove_official(name, by="admin")
        assert await accounts.official_session(session.token) is None
        assert not await accounts.remove_official(mod)  # a moderator is not removed here
    finally:
        await accounts.remove_official(name)
        await accounts.remove_moderator(mod)
