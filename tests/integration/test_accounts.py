"""server.store.accounts and server.ops.bootstrap against a real Redis.

Every test works under random usernames and address hashes and deletes what it
made; nothing here flushes the database.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from server import auth
from server.ops.bootstrap import create_admin, ensure_first_admin
from server.ops.embedded_redis import EmbeddedRedis
from server.settings import Settings
from server.store.accounts import (
    Accounts,
    AlreadyExists,
    Session,
    Throttled,
    UnknownModerator,
    get_or_create_secret,
)

PASSWORD = "correct horse battery"
pytestmark = pytest.mark.anyio

SETTINGS = Settings(login_failures_max=3, session_ttl_s=600)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def accounts(redis: Redis) -> AsyncIterator[Accounts]:
    yield Accounts(redis, SETTINGS)


@pytest.fixture
async def cleanup(redis: Redis) -> AsyncIterator[list[str]]:
    """Usernames and ip hashes to clean up after the test."""
    names: list[str] = []
    yield names
    accounts = Accounts(redis, SETTINGS)
    for name in names:
        await accounts.remove_moderator(name)
        # Random names, so the patterns match only this test's counters.
        for pattern in (f"xs:{{dep}}:rl:login:{name}*", f"xs:{{dep}}:rl:loginip:{name}"):
            async for key in redis.scan_iter(match=pattern):
                await redis.delete(key)


@pytest.fixture
def user(cleanup: list[str]) -> str:
    name = "t" + secrets.token_hex(6)
    cleanup.append(name)
    return name


@pytest.fixture
def ip(cleanup: list[str]) -> str:
    hashed = secrets.token_hex(8)
    cleanup.append(hashed)
    return hashed


def other_ip(cleanup: list[str]) -> str:
    hashed = secrets.token_hex(8)
    cleanup.append(hashed)
    return hashed


# --- secret ----------------------------------------------------------------------
async def test_secret_configured_wins(redis: Redis) -> None:
    assert await get_or_create_secret(redis, "from settings") == b"from settings"


async def test_secret_shared_and_stable(redis_url: str) -> None:
    clients = [Redis.from_url(redis_url) for _ in range(3)]
    try:
        found = await asyncio.gather(*(get_or_create_secret(c, "") for c in clients))
        again = await get_or_create_secret(clients[0], "")
    finally:
        for c in clients:
            await c.aclose()
    assert len(set(found)) == 1 and found[0] == again
    assert len(again) == 64  # 32 random bytes, hex


# --- accounts ----------------------------------------------------------------------
async def test_create_login_session_logout(accounts: Accounts, user: str, ip: str) -> None:
    await accounts.create_moderator(user.upper(), PASSWORD, admin=False)
    session = await accounts.login(user.upper(), PASSWORD, ip)
    assert isinstance(session, Session)
    assert (session.user, session.admin) == (user, False)
    assert session.token not in repr(session) and session.csrf not in repr(session)
    assert len(session.csrf) == 22

    found = await accounts.session(session.token)
    assert found == session
    assert await accounts.sessions_alive([session.digest]) == {session.digest}

    assert await accounts.logout(session.token)
    assert await accounts.session(session.token) is None
    assert await accounts.sessions_alive([session.digest]) == set()
    assert not await accounts.logout(session.token)


async def test_session_stored_under_digest(
    redis: Redis, accounts: Accounts, user: str, ip: str
) -> None:
    await accounts.create_moderator(user, PASSWORD, admin=True)
    session = await accounts.login(user, PASSWORD, ip)
    assert session is not None and session.admin
    assert await redis.exists(f"xs:{{dep}}:sess:{session.token}") == 0
    assert await redis.hget(f"xs:{{dep}}:sess:{session.digest}", "user") == user.encode()
    assert 0 < await redis.ttl(f"xs:{{dep}}:sess:{session.digest}") <= SETTINGS.session_ttl_s
    assert await redis.smembers(f"xs:{{dep}}:usess:{user}") == {session.digest.encode()}
    stored_pw = await redis.hget(f"xs:{{dep}}:mod:{user}", "pw")
    assert stored_pw is not None and PASSWORD.encode() not in stored_pw


async def test_session_of_garbage(accounts: Accounts) -> None:
    assert await accounts.session(None) is None
    assert await accounts.session("") is None
    assert await accounts.session("x" * 10_000) is None
    assert await accounts.session(auth.new_token()) is None
    assert not await accounts.logout(None)


async def test_wrong_password_and_unknown_user(accounts: Accounts, user: str, ip: str) -> None:
    await accounts.create_moderator(user, PASSWORD, admin=False)
    assert await accounts.login(user, PASSWORD + "x", ip) is None
    assert await accounts.login(user + "x", PASSWORD, ip) is None
    assert await accounts.login("not a valid name!", PASSWORD, ip) is None


async def test_list_and_admin(accounts: Accounts, user: str, cleanup: list[str]) -> None:
    second = user + "b"
    cleanup.append(second)
    await accounts.create_moderator(second, PASSWORD, admin=False)
    await accounts.create_moderator(user, PASSWORD, admin=True)
    listed = {m["username"]: m for m in await accounts.list_moderators()}
    assert listed[user]["admin"] is True and listed[second]["admin"] is False
    assert listed[user]["created"] > 1_600_000_000_000
    assert await accounts.has_any_admin()

    await accounts.set_admin(second, True)
    assert {m["username"]: m for m in await accounts.list_moderators()}[second]["admin"]
    with pytest.raises(UnknownModerator):
        await accounts.set_admin(user + "zz", True)


async def test_admin_flag_is_live(accounts: Accounts, user: str, ip: str) -> None:
    await accounts.create_moderator(user, PASSWORD, admin=True)
    session = await accounts.login(user, PASSWORD, ip)
    assert session is not None
    await accounts.set_admin(user, False)
    found = await accounts.session(session.token)
    assert found is not None and not found.admin


async def test_create_validation(accounts: Accounts, user: str) -> None:
    with pytest.raises(ValueError):
        await accounts.create_moderator(user, "short", admin=False)
    with pytest.raises(ValueError):
        await accounts.create_moderator("bad name", PASSWORD, admin=False)
    await accounts.create_moderator(user, PASSWORD, admin=False)
    with pytest.raises(AlreadyExists):
        await accounts.create_moderator(user.upper(), PASSWORD + "2", admin=True)


async def test_concurrent_creates_one_wins(accounts: Accounts, user: str) -> None:
    results = await asyncio.gather(
        accounts.create_moderator(user, PASSWORD + "1", admin=False),
        accounts.create_moderator(user, PASSWORD + "2", admin=True),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["AlreadyExists", "NoneType"]
    winner = PASSWORD + ("1" if results[0] is None else "2")
    listed = [m for m in await accounts.list_moderators() if m["username"] == user]
    assert len(listed) == 1 and listed[0]["admin"] is (results[1] is None)
    assert await accounts.login(user, winner, secrets.token_hex(8)) is not None


# --- throttling --------------------------------------------------------------------
async def test_throttle_per_username(accounts: Accounts, user: str, cleanup: list[str]) -> None:
    await accounts.create_moderator(user, PASSWORD, admin=False)
    for _ in range(SETTINGS.login_failures_max):
        # A different address each time: only the username counter reaches the max.
        assert await accounts.login(user, "wrong password", other_ip(cleanup)) is None
    with pytest.raises(Throttled) as caught:
        await accounts.login(user, PASSWORD, other_ip(cleanup))  # even the right one
    assert 0 < caught.value.retry_after_s <= 900


async def test_throttle_per_address(
    accounts: Accounts, user: str, ip: str, cleanup: list[str]
) -> None:
    await accounts.create_moderator(user, PASSWORD, admin=False)
    for i in range(SETTINGS.login_failures_max):
        name = f"{user}x{i}"  # different (unknown) usernames, one address
        cleanup.append(name)
        assert await accounts.login(name, "wrong password", ip) is None
    with pytest.raises(Throttled):
        await accounts.login(user, PASSWORD, ip)
    # The username itself is not throttled: another address still logs in.
    assert await accounts.login(user, PASSWORD, other_ip(cleanup)) is not None


async def test_throttle_window_is_fixed(
    redis: Redis, accounts: Accounts, user: str, ip: str
) -> None:
    assert await accounts.login(user, "wrong password", ip) is None
    await redis.expire(f"xs:{{dep}}:rl:login:{user}", 5)
    assert await accounts.login(user, "wrong password", ip) is None
    assert await redis.get(f"xs:{{dep}}:rl:login:{user}") == b"2"
    assert 0 < await redis.ttl(f"xs:{{dep}}:rl:login:{user}") <= 5  # not pushed back to 900
    assert 890 < await redis.ttl(f"xs:{{dep}}:rl:loginip:{ip}") <= 900


# --- sessions end ------------------------------------------------------------------
async def _two_sessions(accounts: Accounts, user: str, ip: str) -> tuple[Session, Session]:
    await accounts.create_moderator(user, PASSWORD, admin=False)
    first = await accounts.login(user, PASSWORD, ip)
    second = await accounts.login(user, PASSWORD, ip)
    assert first is not None and second is not None and first.token != second.token
    return first, second


async def test_reset_password_kills_sessions(accounts: Accounts, user: str, ip: str) -> None:
    first, second = await _two_sessions(accounts, user, ip)
    await accounts.reset_password(user, PASSWORD + "new")
    assert await accounts.session(first.token) is None
    assert await accounts.session(second.token) is None
    assert await accounts.sessions_alive([first.digest, second.digest]) == set()
    assert await accounts.login(user, PASSWORD, ip) is None
    assert await accounts.login(user, PASSWORD + "new", ip) is not None
    with pytest.raises(UnknownModerator):
        await accounts.reset_password(user + "zz", PASSWORD)
    with pytest.raises(ValueError):
        await accounts.reset_password(user, "short")


async def test_stale_pwv_session_refused(
    redis: Redis, accounts: Accounts, user: str, ip: str
) -> None:
    # A session written by a login that raced a reset carries the old pwv.
    first, _ = await _two_sessions(accounts, user, ip)
    await redis.hincrby(f"xs:{{dep}}:mod:{user}", "pwv", 1)
    assert await accounts.session(first.token) is None


async def test_remove_moderator_kills_sessions(
    redis: Redis, accounts: Accounts, user: str, ip: str
) -> None:
    first, second = await _two_sessions(accounts, user, ip)
    assert await accounts.remove_moderator(user)
    assert await accounts.session(first.token) is None
    assert await accounts.sessions_alive([first.digest, second.digest]) == set()
    assert await redis.exists(f"xs:{{dep}}:mod:{user}", f"xs:{{dep}}:usess:{user}") == 0
    assert user not in {m["username"] for m in await accounts.list_moderators()}
    assert not await accounts.remove_moderator(user)


async def test_logout_everywhere(accounts: Accounts, user: str, ip: str) -> None:
    first, second = await _two_sessions(accounts, user, ip)
    assert await accounts.logout_everywhere(user) == 2
    assert await accounts.sessions_alive([first.digest, second.digest]) == set()


async def test_sessions_alive(accounts: Accounts, user: str, ip: str) -> None:
    first, second = await _two_sessions(accounts, user, ip)
    unknown = auth.token_digest(auth.new_token())
    assert await accounts.sessions_alive([]) == set()
    assert await accounts.sessions_alive([first.digest, second.digest, unknown, first.digest]) == {
        first.digest,
        second.digest,
    }
    await accounts.logout(first.token)
    assert await accounts.sessions_alive([first.digest, second.digest]) == {second.digest}


async def test_expired_digests_pruned(redis: Redis, accounts: Accounts, user: str, ip: str) -> None:
    first, _ = await _two_sessions(accounts, user, ip)
    await redis.delete(f"xs:{{dep}}:sess:{first.digest}")  # as if it expired
    third = await accounts.login(user, PASSWORD, ip)
    assert third is not None
    members = await redis.smembers(f"xs:{{dep}}:usess:{user}")
    assert first.digest.encode() not in members and len(members) == 2


# --- viewer ids ---------------------------------------------------------------------
async def test_viewer_id_limit(redis: Redis, accounts: Accounts) -> None:
    ip_hash = secrets.token_hex(8)
    now_s = 1_700_000_000
    try:
        allowed = [await accounts.allow_new_viewer_id(ip_hash, 3, now_s) for _ in range(5)]
        assert allowed == [True, True, True, False, False]
        # Another address is not affected; the next hour starts afresh.
        assert await accounts.allow_new_viewer_id(ip_hash + "x", 3, now_s)
        assert await accounts.allow_new_viewer_id(ip_hash, 3, now_s + 3600)
        assert 3590 < await redis.ttl(f"xs:{{dep}}:rl:vid:{ip_hash}:{now_s // 3600}") <= 3600
    finally:
        hours = (now_s // 3600, now_s // 3600 + 1)
        await redis.delete(
            *(f"xs:{{dep}}:rl:vid:{h}:{hour}" for h in (ip_hash, ip_hash + "x") for hour in hours)
        )


# --- bootstrap -----------------------------------------------------------------------
async def test_ensure_first_admin(redis: Redis, accounts: Accounts, cleanup: list[str]) -> None:
    if await accounts.has_any_admin():
        # A shared Redis may already hold an admin from elsewhere: nothing to do.
        assert await ensure_first_admin(redis, SETTINGS) is None
        return
    made = await ensure_first_admin(redis, SETTINGS)
    assert made is not None
    name, password = made
    cleanup.append(name)
    assert await accounts.login(name, password, secrets.token_hex(8)) is not None
    assert await ensure_first_admin(redis, SETTINGS) is None


def _login_sync(redis_url: str, name: str, password: str) -> Session | None:
    async def run() -> Session | None:
        client = Redis.from_url(redis_url)
        try:
            return await Accounts(client, SETTINGS).login(name, password, name)
        finally:
            await client.aclose()

    return asyncio.run(run())


def _remove_sync(redis_url: str, name: str) -> None:
    async def run() -> None:
        client = Redis.from_url(redis_url)
        try:
            await Accounts(client, SETTINGS).remove_moderator(name)
            await client.delete(f"xs:{{dep}}:rl:login:{name}", f"xs:{{dep}}:rl:loginip:{name}")
        finally:
            await client.aclose()

    asyncio.run(run())


def test_create_admin_cli(redis_url: str) -> None:
    """The sync CLI entry point: creates, then resets and promotes."""
    name = "t" + secrets.token_hex(6)
    settings = Settings(redis_url=redis_url)
    try:
        first = create_admin(settings, name)
        session = _login_sync(redis_url, name, first)
        assert session is not None and session.admin
        second = create_admin(settings, name.upper())
        assert second != first
        assert _login_sync(redis_url, name, first) is None
        assert _login_sync(redis_url, name, second) is not None
    finally:
        _remove_sync(redis_url, name)
    with pytest.raises(ValueError):
        create_admin(settings, "no spaces allowed")


def test_create_admin_cli_embedded(tmp_path: Path) -> None:
    """With no REDIS_URL the CLI starts (and stops) the data dir's embedded Redis."""
    settings = Settings(redis_url="", data_dir=tmp_path / "data")
    password = create_admin(settings, "boss")
    with EmbeddedRedis(settings.data_dir) as server:
        session = _login_sync(server.url, "boss", password)
    assert session is not None and session.admin
