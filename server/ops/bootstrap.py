"""The first admin account: printed once by ``make run``, or made by the CLI.

Passwords made here are random (``new_token(12)``: 96 bits, 16 characters) and
returned to the caller to print exactly once; they are never logged or stored
anywhere but as a scrypt hash.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets

from redis.asyncio import Redis

from server import auth
from server.settings import Settings
from server.store.accounts import Accounts, AlreadyExists, UnknownModerator
from server.store.migrate import migrate
from server.store.redis_client import command_client

FIRST_ADMIN = "admin"
CLI = "cli"  # who `create-admin` is in the deployment audit log


async def ensure_first_admin(redis: Redis, settings: Settings) -> tuple[str, str] | None:
    """Create an admin if the deployment has none; return (username, password) once.

    Safe when several hub processes start together: account creation is atomic,
    so exactly one of them creates (and prints) the account, the others get None.
    """
    accounts = Accounts(redis, settings)
    if await accounts.has_any_admin():
        return None
    password = auth.new_token(12)
    try:
        await accounts.create_moderator(FIRST_ADMIN, password, admin=True, one_time=True)
        return FIRST_ADMIN, password
    except AlreadyExists:
        pass
    if await accounts.has_any_admin():
        return None  # another process won the race
    # "admin" exists as an ordinary moderator and nobody is an admin: never take
    # over that account; make a distinct one.
    username = f"{FIRST_ADMIN}-{secrets.token_hex(3)}"
    await accounts.create_moderator(username, password, admin=True, one_time=True)
    return username, password


async def _create_or_reset_admin(redis_url: str, settings: Settings, username: str) -> str:
    password = auth.new_token(12)
    # The hub's client (a cluster URL gets the cluster client), and the key
    # schema of this version, as a hub start would leave it.
    redis = command_client(dataclasses.replace(settings, redis_url=redis_url))
    try:
        await migrate(redis)
        accounts = Accounts(redis, settings)
        try:
            await accounts.create_moderator(username, password, admin=True, by=CLI)
        except AlreadyExists:
            # Resetting also ends the account's sessions; then make sure NAME is an
            # admin, which is what "create-admin NAME" promises.
            await accounts.reset_password(username, password, by=CLI)
            await accounts.set_admin(username, True, by=CLI)
    except UnknownModerator:
        # Removed between our create and reset: try once more from scratch.
        await Accounts(redis, settings).create_moderator(username, password, admin=True, by=CLI)
    finally:
        await redis.aclose()
    return password


def create_admin(settings: Settings, username: str) -> str:
    """``python -m server create-admin NAME``: create the admin NAME (or reset its
    password and make it an admin) and return the new password.

    Uses ``settings.redis_url``, or the embedded redis-server of
    ``settings.data_dir`` (reusing the one a running hub serves, if any).
    ValueError if the username is not acceptable.
    """
    auth.normalize_username(username)  # fail before starting anything
    if settings.redis_url:
        return asyncio.run(_create_or_reset_admin(settings.redis_url, settings, username))
    from server.ops.embedded_redis import EmbeddedRedis  # only the CLI path needs it

    embedded = EmbeddedRedis(settings.data_dir, settings.redis_server_bin)
    url = embedded.start()
    try:
        return asyncio.run(_create_or_reset_admin(url, settings, username))
    finally:
        embedded.stop()  # leaves a reused (hub's) server running
