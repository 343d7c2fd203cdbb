"""The account scripts (lua/mod_*.lua, session_*.lua, login_failed.lua) through
``Accounts``: the outcome, the deployment audit entry, the retry, the refusal
writing nothing. Random user names; each test removes what it made.
tests/integration/test_accounts.py covers the login policy in depth."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from server import auth
from server.store import keys
from server.store.accounts import Accounts, AlreadyExists, UnknownModerator
from tests.store.helpers import SETTINGS, audit

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"


@pytest.fixture
async def user(redis: aioredis.Redis) -> AsyncIterator[str]:
    name = "u" + secrets.token_hex(4)
    yield name
    await Accounts(redis, SETTINGS).remove_moderator(name)
    for key in (keys.login_failures(name), keys.login_failures_from(name)):
        await redis.delete(key)


async def account_keys(redis: aioredis.Redis, user: str) -> dict[bytes, bytes | None]:
    names = [keys.moderator(user), keys.user_sessions(user)]
    found = {k.encode(): await redis.dump(k) for k in names}
    found[b"member"] = b"1" if await redis.sismember(keys.MODERATORS, user) else b"0"
    return found


async def records_of(redis: aioredis.Redis, user: str) -> list[tuple[str, str]]:
    return [
        (e["user"], e["action"])
        for e in await audit(redis, keys.AUDIT)
        if e["target"] == f"moderator:{user}"
    ]


async def test_account_lifecycle(redis: aioredis.Redis, user: str) -> None:
    accounts = Accounts(redis, SETTINGS)
    await accounts.create_moderator(user, PASSWORD, admin=False, by="ana")
    assert any(m["username"] == user and not m["admin"] for m in await accounts.list_moderators())
    before = await account_keys(redis, user)
    with pytest.raises(AlreadyExists):
        await accounts.create_moderator(user, PASSWORD + "!", admin=True, by="ana")
    assert await account_keys(redis, user) == before
    # The same create retried (same salted hash, as a redis-py retry sends it): ok, once.
    encoded = (await redis.hget(keys.moderator(user), "pw") or b"").decode()
    retried = await accounts._create(
        keys=[keys.moderator(user), keys.MODERATORS, keys.AUDIT],
        args=[user, encoded, "0", 1, "ana"],
    )
    assert retried == 2 and await account_keys(redis, user) == before

    await accounts.set_admin(user, True, by="ana")
    await accounts.set_admin(user, True, by="ana")  # unchanged: not recorded again
    assert await accounts.has_any_admin()

    session = await accounts.login(user, PASSWORD, "ip-" + user)
    assert session is not None and session.admin is True
    assert await accounts.session(session.token) == session
    assert await accounts.sessions_alive([session.digest]) == {session.digest}
    await accounts.reset_password(user, PASSWORD + "2", by="ana")
    assert await accounts.session(session.token) is None  # every session ended

    again = await accounts.login(user, PASSWORD + "2", "ip-" + user)
    assert again is not None
    assert await accounts.logout(again.token) is True
    assert await accounts.logout(again.token) is False
    third = await accounts.login(user, PASSWORD + "2", "ip-" + user)
    assert third is not None and await accounts.logout_everywhere(user) == 1
    assert await accounts.session(third.token) is None

    assert await accounts.remove_moderator(user, by="ana") is True
    assert await accounts.remove_moderator(user, by="ana") is False
    assert await records_of(redis, user) == [
        ("ana", "moderator.add"), ("ana", "moderator.admin"),
        ("ana", "moderator.password"), ("ana", "moderator.remove"),
    ]  # fmt: skip


async def test_refusals_on_a_missing_account_write_nothing(
    redis: aioredis.Redis, user: str
) -> None:
    accounts = Accounts(redis, SETTINGS)
    before = await account_keys(redis, user)
    with pytest.raises(UnknownModerator):
        await accounts.set_admin(user, True)
    with pytest.raises(UnknownModerator):
        await accounts.reset_password(user, PASSWORD)
    assert await accounts.logout_everywhere(user) == 0
    assert await account_keys(redis, user) == before
    assert await records_of(redis, user) == []


async def test_failed_logins_count_in_a_fixed_window(redis: aioredis.Redis, user: str) -> None:
    accounts = Accounts(redis, SETTINGS)
    await accounts.create_moderator(user, PASSWORD, admin=False)
    assert await accounts.login(user, "wrong password!", user) is None
    assert await accounts.login(user, "wrong password!", user) is None
    assert await redis.get(keys.login_failures(user)) == b"2"
    assert await redis.get(keys.login_failures_from(user)) == b"2"
    ttl = await redis.ttl(keys.login_failures(user))
    assert 0 < ttl <= 900
    assert await accounts.session(auth.new_token()) is None


async def test_a_one_time_password_is_changed_by_its_holder(
    redis: aioredis.Redis, user: str
) -> None:
    accounts = Accounts(redis, SETTINGS)
    await accounts.create_moderator(user, PASSWORD, admin=False, by="ana", one_time=True)
    session = await accounts.login(user, PASSWORD, "ip")
    assert session is not None and session.must_change is True
    looked_up = await accounts.session(session.token)
    assert looked_up is not None and looked_up.must_change is True
    assert await accounts.change_own_password(user, "not the password", "x" * 12) is False
    with pytest.raises(ValueError):
        await accounts.change_own_password(user, PASSWORD, PASSWORD)
    assert await accounts.change_own_password(user, PASSWORD, "my own password") is True
    assert await accounts.session(session.token) is None  # every session ended
    again = await accounts.login(user, "my own password", "ip")
    assert again is not None and again.must_change is False
    assert await redis.hget(keys.moderator(user), "otp") is None
    # An administrator's reset makes it a one-time password again.
    await accounts.reset_password(user, "reset by the admin", by="ana", one_time=True)
    reset = await accounts.login(user, "reset by the admin", "ip")
    assert reset is not None and reset.must_change is True
