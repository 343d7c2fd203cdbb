"""An older deployment's untagged deployment-wide keys take their names under
the deployment's hash tag at start (``server/store/migrate.py``): accounts,
sessions, join codes, the index, the audit log, the word list and webhooks
keep working; each key is renamed once, with its TTL; a second start scans
nothing; a key found under both names is left alone.

Each test has a fresh Redis of its own (``embedded_redis``): the suite's
shared one was migrated long ago.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from server.ops.embedded_redis import EmbeddedRedis
from server.store import keys
from server.store.accounts import Accounts
from server.store.migrate import RENAMED, RENAMED_PREFIXES, SCHEMA, migrate
from server.store.store import Store
from tests.integration.hub_helpers import open_redis
from tests.store.helpers import SETTINGS, new_broadcast

pytestmark = pytest.mark.anyio


@pytest.fixture
async def fresh(embedded_redis: EmbeddedRedis) -> AsyncIterator[aioredis.Redis]:
    async with open_redis(embedded_redis.url) as client:
        yield client


def old_name(new: str) -> str:
    """The untagged name an older deployment used for ``new``."""
    for old, renamed in RENAMED.items():
        if new == renamed:
            return old
    for old, renamed in RENAMED_PREFIXES.items():
        if new.startswith(renamed):
            return old + new.removeprefix(renamed)
    raise AssertionError(f"{new} has no old name")


def new_name(old: str) -> str:
    if old in RENAMED:
        return RENAMED[old]
    prefix = next(p for p in RENAMED_PREFIXES if old.startswith(p))
    return RENAMED_PREFIXES[prefix] + old.removeprefix(prefix)


async def age(redis: aioredis.Redis) -> list[str]:
    """Turn today's deployment-wide keys back into the older schema."""
    moved = []
    async for raw in redis.scan_iter(match=keys.DEPLOYMENT_PREFIX + "*"):
        name = raw.decode()
        if name == SCHEMA or name.startswith(keys.DEPLOYMENT_PREFIX + "probe:"):
            await redis.delete(name)
            continue
        await redis.rename(name, old_name(name))
        moved.append(old_name(name))
    return moved


async def test_an_older_deployment_keeps_its_accounts_broadcasts_and_words(
    fresh: aioredis.Redis,
) -> None:
    accounts, store = Accounts(fresh, SETTINGS), Store(fresh, SETTINGS)
    await accounts.create_moderator("li", "correct horse battery", admin=True)
    session = await accounts.login("li", "correct horse battery", "ip1")
    assert session is not None
    await new_broadcast(store, "b1")
    code = await store.join_code("b1")
    await store.put_words(None, user="li", entries=[("敏感", "hold")])
    await fresh.hset(keys.HOOKS, "h1", "{}")
    await fresh.set(keys.login_failures("zhang"), 2, ex=900)
    before = {name: await fresh.dump(name) for name in await age(fresh)}
    assert "xs:mod:li" in before and "xs:audit" in before and "xs:{hooks}:all" in before
    assert not [k async for k in fresh.scan_iter(match=keys.DEPLOYMENT_PREFIX + "*")]

    assert await migrate(fresh) == len(before)

    for old, dumped in before.items():
        assert await fresh.exists(old) == 0
        assert await fresh.dump(new_name(old)) == dumped, old
    assert 0 < await fresh.ttl(keys.login_failures("zhang")) <= 900
    # What the hub reads works again, under the new names.
    assert await accounts.session(session.token) is not None
    assert await accounts.login("li", "correct horse battery", "ip1") is not None
    assert await store.resolve_join_code(code) == "b1"
    assert await store.broadcast_ids() == ["b1"]
    assert await store.words(None) == {"敏感": "hold"}


async def test_a_second_start_renames_nothing_and_a_key_under_both_names_is_kept(
    fresh: aioredis.Redis,
) -> None:
    await fresh.set("xs:secret", "old")
    await fresh.set(keys.SECRET, "new")
    await fresh.sadd("xs:mods", "wang")
    assert await migrate(fresh) == 1  # xs:mods; the secret is under both names
    assert await fresh.get("xs:secret") == b"old" and await fresh.get(keys.SECRET) == b"new"
    assert await fresh.smembers(keys.MODERATORS) == {b"wang"}
    await fresh.sadd("xs:mods", "zhao")  # written by an older process after the upgrade
    assert await migrate(fresh) == 0  # the marker: nothing scanned again
    assert await fresh.smembers(keys.MODERATORS) == {b"wang"}
