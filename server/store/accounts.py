"""Moderator accounts, sessions, login and viewer-id throttles, and the cookie secret.

Every key here is deployment-wide (not per broadcast), under the deployment's
hash tag ``xs:{dep}:`` (one Redis Cluster slot, so every script below touches
one slot; written ``D:`` here):

===============================  ======  =================================================
``D:secret``                     string  cookie/HMAC secret when ``SECRET_KEY`` is empty
``D:mod:<user>``                 hash    pw (scrypt), admin "0"/"1", created (ms), pwv;
                                         officials also role "official", dept <id>
``D:mods``                       set     moderator usernames
``D:officials``                  set     official usernames (department accounts)
``D:sess:<sha256(token)>``       hash    user, csrf, pwv, created (ms); EX session_ttl_s
``D:usess:<user>``               set     session digests of a user (logout everywhere)
``D:rl:login:<user>``            string  failed logins of a username, EX 900 (fixed window)
``D:rl:loginip:<iphash>``        string  failed logins from a hashed IP, EX 900
``D:rl:vid:<iphash>:<hour>``     string  viewer ids minted for a hashed IP in that hour
``D:audit``                      stream  deployment audit log (``server.store.audit``)
===============================  ======  =================================================

Contracts:

* Each method is one round trip (a pipeline or one Lua script), except ``login``
  which reads, verifies the password off the event loop, then writes.
* Multi-key changes are Lua scripts, so they are atomic: two concurrent creates
  of one username cannot both succeed, and a password reset deletes every
  session in the same step as it bumps ``pwv``.
* Account changes (create, remove, password reset, admin flag) append to the
  deployment audit log ``D:audit`` in the same script, only when they changed
  something; ``by`` names who did it (an administrator's user name, or
  ``"system"``/``"cli"`` for the first-start bootstrap and ``create-admin``).
* A session is valid only while its key exists, its account exists and its
  ``pwv`` equals the account's: a reset that raced a login still wins.
* Writes are safe to retry after a lost reply (redis-py 8 retries by default,
  docs/reliability.md 3): a create retried with the same hash (random salt) is recognised as
  our own; the other writes are idempotent or only over-count a throttle by one.
* The scripts are ``lua/mod_*.lua``, ``lua/session_*.lua`` and
  ``lua/login_failed.lua``; the keys are named in ``server/store/keys.py``.
* Official accounts (a department's staff, server/domain/followup.py's
  ``Actor.OFFICIAL``) share the account hash and the sessions, so one user
  name is never both, but they are listed apart and ``session()`` never
  returns an official's session: every moderator route, page and socket that
  asks ``session()`` refuses officials without knowing they exist. They are
  read with ``official_session()``, which returns moderators' sessions never.
  An official account has ``admin`` "0", always.
* The scripts use keys they do not declare (``D:sess:<digest>`` from a set's
  members); the common hash tag keeps them in the declared keys' slot.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from collections.abc import Iterable
from typing import TypedDict

from redis.asyncio import Redis

from server import auth
from server.settings import Settings
from server.store import keys, scripts
from server.store.keys import AUDIT

ROLE_OFFICIAL = "official"

# Who an account change is recorded as when no administrator made it (bootstrap).
SYSTEM = "system"

# Failed logins are counted in fixed 15-minute windows.
LOGIN_WINDOW_S = 900
# Viewer-id minting is counted per clock hour; the key outlives its hour by at most this.
VID_WINDOW_S = 3600

_SCRIPTS = (
    "mod_create", "mod_remove", "mod_password", "mod_logout_all", "mod_admin", "login_failed",
    "session_new", "session_get", "session_logout", "mod_list", "mod_any_admin",
)  # fmt: skip


# --- types -----------------------------------------------------------------------
class AlreadyExists(ValueError):
    """A moderator with that username exists (HTTP 409)."""


class UnknownModerator(LookupError):
    """No moderator with that username (HTTP 404)."""


class Throttled(Exception):
    """Too many failed logins for this username or address (HTTP 429)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclasses.dataclass(frozen=True, slots=True)
class Session:
    # token and csrf are secrets: kept out of repr so a logged Session leaks nothing.
    token: str = dataclasses.field(repr=False)
    user: str
    csrf: str = dataclasses.field(repr=False)
    admin: bool
    # "" for a moderator; "official" for a department's account, bound to ``dept``.
    role: str = ""
    dept: str = ""
    # Signed in with a one-time password (the first admin's, or one an
    # administrator set): every write but changing it is refused until then.
    must_change: bool = False

    @property
    def digest(self) -> str:
        """The session's key suffix, what ``sessions_alive`` takes."""
        return auth.token_digest(self.token)


class OfficialInfo(TypedDict):
    username: str
    dept: str
    created: int  # ms since the epoch


class ModeratorInfo(TypedDict):
    username: str
    admin: bool
    created: int  # ms since the epoch


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _now_ms() -> int:
    return int(time.time() * 1000)


# A valid token is ~43 characters; anything far longer is not worth a lookup.
_TOKEN_MAX_LEN = 256


async def get_or_create_secret(redis: Redis, configured: str) -> bytes:
    """The HMAC secret: ``configured`` if set, else the one stored in Redis.

    SET NX and GET run in one MULTI: every hub process on the same Redis gets
    the same value, whichever wrote it first.
    """
    if configured:
        return configured.encode("utf-8")
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(keys.SECRET, secrets.token_hex(32), nx=True)
        pipe.get(keys.SECRET)
        _, stored = await pipe.execute()
    if isinstance(stored, str):
        return stored.encode("utf-8")
    assert isinstance(stored, bytes)
    return stored


_dummy_hash: str | None = None


def _verify_or_burn(password: str, encoded: str | None) -> bool:
    """Verify, or spend the same scrypt on a dummy hash when there is no account,
    so response time does not tell which usernames exist."""
    global _dummy_hash
    if encoded is None:
        if _dummy_hash is None:
            _dummy_hash = auth.hash_password(auth.new_token(16))
        auth.verify_password(password, _dummy_hash)
        return False
    return auth.verify_password(password, encoded)


class Accounts:
    """Moderator accounts and sessions on one Redis client (``decode_responses=False``)."""

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self._r = redis
        self._session_ttl_s = settings.session_ttl_s
        self._failures_max = settings.login_failures_max
        found = scripts.register(redis, _SCRIPTS)
        self._create = found["mod_create"]
        self._remove = found["mod_remove"]
        self._reset = found["mod_password"]
        self._logout_all = found["mod_logout_all"]
        self._set_admin = found["mod_admin"]
        self._login_failed = found["login_failed"]
        self._new_session = found["session_new"]
        self._session = found["session_get"]
        self._logout = found["session_logout"]
        self._list = found["mod_list"]
        self._any_admin = found["mod_any_admin"]

    # --- accounts ------------------------------------------------------------------
    async def create_moderator(
        self, username: str, password: str, *, admin: bool, by: str = SYSTEM,
        one_time: bool = False,
    ) -> None:  # fmt: skip
        """Create an account; AlreadyExists if the name is taken, ValueError if the
        name or password is not acceptable. Atomic: of two concurrent creates of
        one name, exactly one succeeds."""
        user = auth.normalize_username(username)
        auth.check_password_policy(password)
        encoded = await asyncio.to_thread(auth.hash_password, password)
        created = await self._create(
            keys=[keys.moderator(user), keys.MODERATORS, AUDIT],
            args=[user, encoded, "1" if admin else "0", _now_ms(), by, "", "",
                  "1" if one_time else ""],
        )  # fmt: skip
        if created not in (1, 2):
            raise AlreadyExists(f"moderator {user!r} already exists")

    async def create_official(
        self, username: str, password: str, *, dept: str, by: str = SYSTEM
    ) -> None:
        """Create a department's account, bound to ``dept`` (checked to exist by
        the caller: departments live in another slot). Never an administrator."""
        user = auth.normalize_username(username)
        auth.check_password_policy(password)
        encoded = await asyncio.to_thread(auth.hash_password, password)
        created = await self._create(
            keys=[keys.moderator(user), keys.OFFICIALS, AUDIT],
            args=[user, encoded, "0", _now_ms(), by, ROLE_OFFICIAL, dept],
        )
        if created not in (1, 2):
            raise AlreadyExists(f"account {user!r} already exists")

    async def remove_official(self, username: str, *, by: str = SYSTEM) -> bool:
        """Delete a department's account and its sessions; False if there was none."""
        user = auth.normalize_username(username)
        if user.encode() not in await self._r.smembers(keys.OFFICIALS):
            return False
        existed = await self._remove(
            keys=[keys.moderator(user), keys.OFFICIALS, keys.user_sessions(user), AUDIT],
            args=[user, keys.SESSION_PREFIX, by],
        )
        return bool(existed)

    async def list_officials(self) -> list[OfficialInfo]:
        """Every official account, sorted by username."""
        names = sorted(_text(u) for u in await self._r.smembers(keys.OFFICIALS))
        async with self._r.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hmget(keys.moderator(name), ["dept", "created"])
            found = await pipe.execute()
        return [
            OfficialInfo(username=name, dept=_text(dept), created=int(created))
            for name, (dept, created) in zip(names, found, strict=True)
            if dept is not None and created is not None
        ]

    async def remove_moderator(self, username: str, *, by: str = SYSTEM) -> bool:
        """Delete the account and all its sessions; False if there was none."""
        user = auth.normalize_username(username)
        existed = await self._remove(
            keys=[keys.moderator(user), keys.MODERATORS, keys.user_sessions(user), AUDIT],
            args=[user, keys.SESSION_PREFIX, by],
        )
        return bool(existed)

    async def reset_password(
        self, username: str, new_password: str, *, by: str = SYSTEM, one_time: bool = False
    ) -> None:
        """Set a new password, invalidate every session (pwv bump and deletion).
        ``one_time``: set by an administrator for someone else, who must change
        it at the next sign-in; else it is the holder's own."""
        user = auth.normalize_username(username)
        auth.check_password_policy(new_password)
        encoded = await asyncio.to_thread(auth.hash_password, new_password)
        pwv = await self._reset(
            keys=[keys.moderator(user), keys.user_sessions(user), AUDIT],
            args=[encoded, keys.SESSION_PREFIX, by, user, "1" if one_time else ""],
        )
        if pwv == -1:
            raise UnknownModerator(user)

    async def change_own_password(self, username: str, current: str, new_password: str) -> bool:
        """The holder replaces their password (a one-time one included); False
        when ``current`` is wrong. Every session ends (the caller signs in again)."""
        user = auth.normalize_username(username)
        encoded = await self._r.hget(keys.moderator(user), "pw")
        if encoded is None:
            raise UnknownModerator(user)
        if not await asyncio.to_thread(auth.verify_password, current, _text(encoded)):
            return False
        if current == new_password:
            raise ValueError("the new password must differ from the one-time password")
        await self.reset_password(user, new_password, by=user)
        return True

    async def set_admin(self, username: str, admin: bool, *, by: str = SYSTEM) -> None:
        """Grant or revoke admin; takes effect on the next ``session()`` lookup."""
        user = auth.normalize_username(username)
        if not await self._set_admin(
            keys=[keys.moderator(user), AUDIT], args=["1" if admin else "0", by, user]
        ):
            raise UnknownModerator(user)

    async def list_moderators(self) -> list[ModeratorInfo]:
        """Every account, sorted by username."""
        flat = await self._list(keys=[keys.MODERATORS], args=[keys.MODERATOR_PREFIX])
        found = [
            ModeratorInfo(
                username=_text(flat[i]), admin=flat[i + 1] == b"1", created=int(flat[i + 2])
            )
            for i in range(0, len(flat), 3)
        ]
        return sorted(found, key=lambda info: info["username"])

    async def has_any_admin(self) -> bool:
        return bool(await self._any_admin(keys=[keys.MODERATORS], args=[keys.MODERATOR_PREFIX]))

    # --- login and sessions ----------------------------------------------------------
    async def login(self, username: str, password: str, ip_hash: str) -> Session | None:
        """A new session, or None for a wrong username or password.

        Raises Throttled, without checking the password, once the username or the
        address has ``login_failures_max`` failures in the current window. An
        unknown username costs the same scrypt as a known one.
        """
        try:
            user: str | None = auth.normalize_username(username)
        except ValueError:
            user = None  # cannot exist; counted against the address only
        counters = [keys.login_failures_from(ip_hash)]
        if user is not None:
            counters.append(keys.login_failures(user))
        async with self._r.pipeline(transaction=False) as pipe:
            for key in counters:
                pipe.get(key)
                pipe.ttl(key)
            if user is not None:
                pipe.hmget(keys.moderator(user), ["pw", "admin", "pwv", "role", "dept", "otp"])
            replies = await pipe.execute()
        n = len(counters)
        waits = [
            max(int(ttl), 1)  # -1/-2 would be a counter without TTL: say "soon"
            for failures, ttl in zip(replies[0 : 2 * n : 2], replies[1 : 2 * n : 2], strict=True)
            if failures is not None and int(failures) >= self._failures_max
        ]
        if waits:
            raise Throttled(max(waits))

        encoded: str | None = None
        admin = False
        pwv = b""
        role = dept = ""
        one_time = False
        if user is not None:
            pw_raw, admin_raw, pwv_raw, role_raw, dept_raw, otp_raw = replies[-1]
            one_time = otp_raw == b"1"
            if pw_raw is not None and pwv_raw is not None:
                encoded, admin, pwv = _text(pw_raw), admin_raw == b"1", pwv_raw
                role, dept = _text(role_raw or b""), _text(dept_raw or b"")
        if not await asyncio.to_thread(_verify_or_burn, password, encoded):
            await self._login_failed(keys=counters, args=[LOGIN_WINDOW_S])
            return None

        assert user is not None
        token = auth.new_token()
        csrf = auth.new_token(16)
        digest = auth.token_digest(token)
        made = await self._new_session(
            keys=[keys.session(digest), keys.user_sessions(user), keys.moderator(user)],
            args=[user, csrf, pwv, _now_ms(), self._session_ttl_s, keys.SESSION_PREFIX, digest],
        )
        if made != 1:
            return None  # password changed or account removed while we verified
        if role == ROLE_OFFICIAL:
            return Session(token, user, csrf, False, ROLE_OFFICIAL, dept)
        return Session(token, user, csrf, admin, must_change=one_time)

    async def _any_session(self, token: str | None) -> Session | None:
        if not token or len(token) > _TOKEN_MAX_LEN:
            return None
        found = await self._session(
            keys=[keys.session(auth.token_digest(token))], args=[keys.MODERATOR_PREFIX]
        )
        if not found:
            return None
        user, csrf, admin, role, dept, otp = (_text(v) for v in found)
        if role == ROLE_OFFICIAL:
            return Session(token, user, csrf, False, ROLE_OFFICIAL, dept)
        return Session(token, user, csrf, admin == "1", must_change=otp == "1")

    async def session(self, token: str | None) -> Session | None:
        """The live moderator session of a cookie token, with the account's current
        admin flag; None for an official's session (they may do nothing a
        moderator may)."""
        found = await self._any_session(token)
        return found if found is not None and found.role == "" else None

    async def official_session(self, token: str | None) -> Session | None:
        """The live session of a department's account; None for anyone else."""
        found = await self._any_session(token)
        return found if found is not None and found.role == ROLE_OFFICIAL else None

    async def logout(self, token: str | None) -> bool:
        """Delete one session; False if it did not exist."""
        if not token or len(token) > _TOKEN_MAX_LEN:
            return False
        digest = auth.token_digest(token)
        return bool(
            await self._logout(
                keys=[keys.session(digest)], args=[keys.USER_SESSIONS_PREFIX, digest]
            )
        )

    async def logout_everywhere(self, username: str) -> int:
        """Delete every session of a user; returns how many there were."""
        user = auth.normalize_username(username)
        return int(
            await self._logout_all(
                keys=[keys.moderator(user), keys.user_sessions(user)], args=[keys.SESSION_PREFIX]
            )
        )

    async def sessions_alive(self, digests: Iterable[str]) -> set[str]:
        """Which of these session digests still exist (one pipelined round trip).

        The hub polls this to close moderator sockets whose session ended
        (logout, reset, removal, expiry): docs/reliability.md 20.
        """
        wanted = list(dict.fromkeys(digests))
        if not wanted:
            return set()
        async with self._r.pipeline(transaction=False) as pipe:
            for digest in wanted:
                pipe.exists(keys.session(digest))
            found = await pipe.execute()
        return {digest for digest, n in zip(wanted, found, strict=True) if n}

    # --- viewer ids ------------------------------------------------------------------
    async def allow_new_viewer_id(self, ip_hash: str, limit: int, now_s: int) -> bool:
        """Count one minted viewer id for this address and hour; True while within
        ``limit`` (docs/reliability.md 15: mass-created anonymous ids are capped)."""
        key = keys.viewer_ids_minted(ip_hash, now_s // 3600)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, VID_WINDOW_S)
            count, _ = await pipe.execute()
        return int(count) <= limit
