"""Moderator accounts, sessions, login and viewer-id throttles, and the cookie secret.

Every key here is deployment-wide (not per broadcast):

=============================  ======  =================================================
``xs:secret``                  string  cookie/HMAC secret when ``SECRET_KEY`` is empty
``xs:mod:<user>``              hash    pw (scrypt), admin "0"/"1", created (ms), pwv;
                                       officials also role "official", dept <id>
``xs:mods``                    set     moderator usernames
``xs:officials``               set     official usernames (department accounts)
``xs:sess:<sha256(token)>``    hash    user, csrf, pwv, created (ms); EX session_ttl_s
``xs:usess:<user>``            set     session digests of a user (logout everywhere)
``xs:rl:login:<user>``         string  failed logins of a username, EX 900 (fixed window)
``xs:rl:loginip:<iphash>``     string  failed logins from a hashed IP, EX 900
``xs:rl:vid:<iphash>:<hour>``  string  viewer ids minted for a hashed IP in that hour
``xs:audit``                   stream  deployment audit log (``server.store.audit``)
=============================  ======  =================================================

Contracts:

* Each method is one round trip (a pipeline or one Lua script), except ``login``
  which reads, verifies the password off the event loop, then writes.
* Multi-key changes are Lua scripts, so they are atomic: two concurrent creates
  of one username cannot both succeed, and a password reset deletes every
  session in the same step as it bumps ``pwv``.
* Account changes (create, remove, password reset, admin flag) append to the
  deployment audit log ``xs:audit`` in the same script, only when they changed
  something; ``by`` names who did it (an administrator's user name, or
  ``"system"``/``"cli"`` for the first-start bootstrap and ``create-admin``).
* A session is valid only while its key exists, its account exists and its
  ``pwv`` equals the account's: a reset that raced a login still wins.
* Writes are safe to retry after a lost reply (redis-py 8 retries by default,
  FINDINGS): a create retried with the same hash (random salt) is recognised as
  our own; the other writes are idempotent or only over-count a throttle by one.
* Official accounts (a department's staff, server/domain/followup.py's
  ``Actor.OFFICIAL``) share the account hash and the sessions, so one user
  name is never both, but they are listed apart and ``session()`` never
  returns an official's session: every moderator route, page and socket that
  asks ``session()`` refuses officials without knowing they exist. They are
  read with ``official_session()``, which returns moderators' sessions never.
  An official account has ``admin`` "0", always.
* The scripts use keys they do not declare (``xs:sess:<digest>`` from a set's
  members), which is fine on one Redis; under Redis Cluster these keys would
  need a common hash tag.
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
from server.store.audit import AUDIT_LUA
from server.store.keys import AUDIT

SECRET_KEY = "xs:secret"
MODS_KEY = "xs:mods"
OFFICIALS_KEY = "xs:officials"
ROLE_OFFICIAL = "official"
_MOD = "xs:mod:"
_SESS = "xs:sess:"
_USESS = "xs:usess:"
_RL_LOGIN = "xs:rl:login:"
_RL_LOGIN_IP = "xs:rl:loginip:"
_RL_VID = "xs:rl:vid:"

# Who an account change is recorded as when no administrator made it (bootstrap).
SYSTEM = "system"

# Failed logins are counted in fixed 15-minute windows.
LOGIN_WINDOW_S = 900
# Viewer-id minting is counted per clock hour; the key outlives its hour by at most this.
VID_WINDOW_S = 3600

# --- Lua -----------------------------------------------------------------------
# Deletes every session of a user; shared by remove and reset.
_KILL_SESSIONS = """
local function kill_sessions(usess, sess_prefix)
  local digests = redis.call('SMEMBERS', usess)
  for _, d in ipairs(digests) do redis.call('DEL', sess_prefix .. d) end
  redis.call('DEL', usess)
  return #digests
end
"""

# KEYS: mod, mods (or officials), audit. ARGV: username, pw hash, admin, created,
# by, role ('' = moderator, 'official'), dept (officials).
# 1 = created, 2 = this very create already happened (same salted hash: a
# redis-py retry; not audited twice), 0 = exists.
_CREATE = (
    AUDIT_LUA
    + """
local pw = redis.call('HGET', KEYS[1], 'pw')
if pw then
  if pw == ARGV[2] then return 2 end
  return 0
end
redis.call('HSET', KEYS[1], 'pw', ARGV[2], 'admin', ARGV[3], 'created', ARGV[4], 'pwv', '1')
redis.call('SADD', KEYS[2], ARGV[1])
if ARGV[6] == 'official' then
  redis.call('HSET', KEYS[1], 'role', 'official', 'dept', ARGV[7])
  audit_deployment(KEYS[3], ARGV[5], 'official.add', 'official:' .. ARGV[1],
    cjson.encode({dept = ARGV[7]}))
else
  audit_deployment(KEYS[3], ARGV[5], 'moderator.add', 'moderator:' .. ARGV[1],
    cjson.encode({admin = ARGV[3] == '1'}))
end
return 1
"""
)

# KEYS: mod, mods, usess, audit. ARGV: username, session prefix, by.
# Returns 1 if it existed.
_REMOVE = (
    _KILL_SESSIONS
    + AUDIT_LUA
    + """
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
local sessions = kill_sessions(KEYS[3], ARGV[2])
if existed == 1 then
  audit_deployment(KEYS[4], ARGV[3], 'moderator.remove', 'moderator:' .. ARGV[1],
    cjson.encode({sessions = sessions}))
end
return existed
"""
)

# KEYS: mod, usess, audit. ARGV: pw hash, session prefix, by, username.
# Returns the new pwv, or -1.
_RESET = (
    _KILL_SESSIONS
    + AUDIT_LUA
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'pw', ARGV[1])
local pwv = redis.call('HINCRBY', KEYS[1], 'pwv', 1)
local sessions = kill_sessions(KEYS[2], ARGV[2])
audit_deployment(KEYS[3], ARGV[3], 'moderator.password', 'moderator:' .. ARGV[4],
  cjson.encode({sessions = sessions}))
return pwv
"""
)

# KEYS: mod, usess. ARGV: session prefix. Returns the number of sessions deleted.
_LOGOUT_ALL = (
    _KILL_SESSIONS
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return kill_sessions(KEYS[2], ARGV[1])
"""
)

# KEYS: mod, audit. ARGV: admin "0"/"1", by, username. Returns 1 if the account exists.
_SET_ADMIN = (
    AUDIT_LUA
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'admin') ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'admin', ARGV[1])
  audit_deployment(KEYS[2], ARGV[2], 'moderator.admin', 'moderator:' .. ARGV[3],
    cjson.encode({admin = ARGV[1] == '1'}))
end
return 1
"""
)

# KEYS: the failure counters to bump. ARGV: window seconds.
# The TTL is set only when missing, so the window is fixed (15 minutes from the
# first failure), not extended by each new failure.
_LOGIN_FAILED = """
for _, k in ipairs(KEYS) do
  redis.call('INCR', k)
  if redis.call('TTL', k) < 0 then redis.call('EXPIRE', k, ARGV[1]) end
end
return 1
"""

# KEYS: sess, usess, mod. ARGV: user, csrf, pwv, created, ttl, session prefix, digest.
# Returns 0 if the account's pwv changed since the password was verified.
_NEW_SESSION = """
if redis.call('HGET', KEYS[3], 'pwv') ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'csrf', ARGV[2], 'pwv', ARGV[3],
           'created', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
for _, d in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[6] .. d) == 0 then redis.call('SREM', KEYS[2], d) end
end
redis.call('SADD', KEYS[2], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
"""

# KEYS: sess. ARGV: mod prefix. Returns {user, csrf, admin, role, dept} or nil.
# Read-only. role is '' for moderators.
_SESSION = """
local s = redis.call('HMGET', KEYS[1], 'user', 'csrf', 'pwv')
if not s[1] then return false end
local a = redis.call('HMGET', ARGV[1] .. s[1], 'pwv', 'admin', 'role', 'dept')
if not a[1] or a[1] ~= s[3] then return false end
return {s[1], s[2], a[2] or '0', a[3] or '', a[4] or ''}
"""

# KEYS: sess. ARGV: usess prefix, digest. Returns 1 if a session was deleted.
_LOGOUT = """
local user = redis.call('HGET', KEYS[1], 'user')
if not user then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. user, ARGV[2])
return 1
"""

# KEYS: mods. ARGV: mod prefix. Flat list: username, admin, created, ...
_LIST = """
local out = {}
for _, u in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local h = redis.call('HMGET', ARGV[1] .. u, 'admin', 'created')
  if h[2] then
    out[#out + 1] = u
    out[#out + 1] = h[1] or '0'
    out[#out + 1] = h[2]
  end
end
return out
"""

# KEYS: mods. ARGV: mod prefix. 1 if any account is an admin.
_ANY_ADMIN = """
for _, u in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('HGET', ARGV[1] .. u, 'admin') == '1' then return 1 end
end
return 0
"""


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

    @property
    def digest(self) -> str:
        """The session's key suffix, what ``sessions_alive`` takes."""
        return auth.token_digest(self.token)


class ModeratorInfo(TypedDict):
    username: str
    admin: bool
    created: int  # ms since the epoch


class OfficialInfo(TypedDict):
    username: str
    dept: str
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
        pipe.set(SECRET_KEY, secrets.token_hex(32), nx=True)
        pipe.get(SECRET_KEY)
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
        self._create = redis.register_script(_CREATE)
        self._remove = redis.register_script(_REMOVE)
        self._reset = redis.register_script(_RESET)
        self._logout_all = redis.register_script(_LOGOUT_ALL)
        self._set_admin = redis.register_script(_SET_ADMIN)
        self._login_failed = redis.register_script(_LOGIN_FAILED)
        self._new_session = redis.register_script(_NEW_SESSION)
        self._session = redis.register_script(_SESSION)
        self._logout = redis.register_script(_LOGOUT)
        self._list = redis.register_script(_LIST)
        self._any_admin = redis.register_script(_ANY_ADMIN)

    # --- accounts ------------------------------------------------------------------
    async def create_moderator(
        self, username: str, password: str, *, admin: bool, by: str = SYSTEM
    ) -> None:
        """Create an account; AlreadyExists if the name is taken, ValueError if the
        name or password is not acceptable. Atomic: of two concurrent creates of
        one name, exactly one succeeds."""
        user = auth.normalize_username(username)
        auth.check_password_policy(password)
        encoded = await asyncio.to_thread(auth.hash_password, password)
        created = await self._create(
            keys=[_MOD + user, MODS_KEY, AUDIT],
            args=[user, encoded, "1" if admin else "0", _now_ms(), by, "", ""],
        )
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
            keys=[_MOD + user, OFFICIALS_KEY, AUDIT],
            args=[user, encoded, "0", _now_ms(), by, ROLE_OFFICIAL, dept],
        )
        if created not in (1, 2):
            raise AlreadyExists(f"account {user!r} already exists")

    async def remove_official(self, username: str, *, by: str = SYSTEM) -> bool:
        """Delete a department's account and its sessions; False if there was none."""
        user = auth.normalize_username(username)
        if user.encode() not in await self._r.smembers(OFFICIALS_KEY):
            return False
        existed = await self._remove(
            keys=[_MOD + user, OFFICIALS_KEY, _USESS + user, AUDIT], args=[user, _SESS, by]
        )
        return bool(existed)

    async def list_officials(self) -> list[OfficialInfo]:
        """Every official account, sorted by username."""
        names = sorted(_text(u) for u in await self._r.smembers(OFFICIALS_KEY))
        async with self._r.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hmget(_MOD + name, ["dept", "created"])
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
            keys=[_MOD + user, MODS_KEY, _USESS + user, AUDIT], args=[user, _SESS, by]
        )
        return bool(existed)

    async def reset_password(self, username: str, new_password: str, *, by: str = SYSTEM) -> None:
        """Set a new password, invalidate every session (pwv bump and deletion)."""
        user = auth.normalize_username(username)
        auth.check_password_policy(new_password)
        encoded = await asyncio.to_thread(auth.hash_password, new_password)
        pwv = await self._reset(
            keys=[_MOD + user, _USESS + user, AUDIT], args=[encoded, _SESS, by, user]
        )
        if pwv == -1:
            raise UnknownModerator(user)

    async def set_admin(self, username: str, admin: bool, *, by: str = SYSTEM) -> None:
        """Grant or revoke admin; takes effect on the next ``session()`` lookup."""
        user = auth.normalize_username(username)
        if not await self._set_admin(
            keys=[_MOD + user, AUDIT], args=["1" if admin else "0", by, user]
        ):
            raise UnknownModerator(user)

    async def list_moderators(self) -> list[ModeratorInfo]:
        """Every account, sorted by username."""
        flat = await self._list(keys=[MODS_KEY], args=[_MOD])
        found = [
            ModeratorInfo(
                username=_text(flat[i]), admin=flat[i + 1] == b"1", created=int(flat[i + 2])
            )
            for i in range(0, len(flat), 3)
        ]
        return sorted(found, key=lambda info: info["username"])

    async def has_any_admin(self) -> bool:
        return bool(await self._any_admin(keys=[MODS_KEY], args=[_MOD]))

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
        counters = [_RL_LOGIN_IP + ip_hash]
        if user is not None:
            counters.append(_RL_LOGIN + user)
        async with self._r.pipeline(transaction=False) as pipe:
            for key in counters:
                pipe.get(key)
                pipe.ttl(key)
            if user is not None:
                pipe.hmget(_MOD + user, ["pw", "admin", "pwv", "role", "dept"])
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
        if user is not None:
            pw_raw, admin_raw, pwv_raw, role_raw, dept_raw = replies[-1]
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
            keys=[_SESS + digest, _USESS + user, _MOD + user],
            args=[user, csrf, pwv, _now_ms(), self._session_ttl_s, _SESS, digest],
        )
        if made != 1:
            return None  # password changed or account removed while we verified
        if role == ROLE_OFFICIAL:
            return Session(token, user, csrf, False, ROLE_OFFICIAL, dept)
        return Session(token, user, csrf, admin)

    async def _any_session(self, token: str | None) -> Session | None:
        if not token or len(token) > _TOKEN_MAX_LEN:
            return None
        found = await self._session(keys=[_SESS + auth.token_digest(token)], args=[_MOD])
        if not found:
            return None
        user, csrf, admin, role, dept = (_text(v) for v in found)
        if role == ROLE_OFFICIAL:
            return Session(token, user, csrf, False, ROLE_OFFICIAL, dept)
        return Session(token, user, csrf, admin == "1")

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
        return bool(await self._logout(keys=[_SESS + digest], args=[_USESS, digest]))

    async def logout_everywhere(self, username: str) -> int:
        """Delete every session of a user; returns how many there were."""
        user = auth.normalize_username(username)
        return int(await self._logout_all(keys=[_MOD + user, _USESS + user], args=[_SESS]))

    async def sessions_alive(self, digests: Iterable[str]) -> set[str]:
        """Which of these session digests still exist (one pipelined round trip).

        The hub polls this to close moderator sockets whose session ended
        (logout, reset, removal, expiry): RELIABILITY 20.
        """
        wanted = list(dict.fromkeys(digests))
        if not wanted:
            return set()
        async with self._r.pipeline(transaction=False) as pipe:
            for digest in wanted:
                pipe.exists(_SESS + digest)
            found = await pipe.execute()
        return {digest for digest, n in zip(wanted, found, strict=True) if n}

    # --- viewer ids ------------------------------------------------------------------
    async def allow_new_viewer_id(self, ip_hash: str, limit: int, now_s: int) -> bool:
        """Count one minted viewer id for this address and hour; True while within
        ``limit`` (RELIABILITY 15: mass-created anonymous ids are capped)."""
        key = f"{_RL_VID}{ip_hash}:{now_s // 3600}"
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, VID_WINDOW_S)
            count, _ = await pipe.execute()
        return int(count) <= limit
