"""Credentials without I/O: password hashes, tokens, signed cookies, pseudonyms.

Everything here is a pure function of its arguments (plus ``secrets`` for new
random values); the Redis side of accounts and sessions is
``server.store.accounts``. Secrets are ``bytes`` (see ``get_or_create_secret``);
every HMAC mixes in a *purpose* so that a value signed or derived for one use
can never be replayed as another (a viewer cookie as a session, a pseudonym as
an IP hash...).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Collection

# --- cookies and headers -------------------------------------------------------
VIEWER_COOKIE = "xs_vid"
SESSION_COOKIE = "xs_sess"
CSRF_HEADER = "x-csrf-token"

# --- passwords -----------------------------------------------------------------
# scrypt parameters of new hashes (RFC 7914 section 2). n=2**14, r=8 needs
# 16 MiB and ~50 ms per hash: costly to brute-force, cheap enough for a login.
# Verification reads the parameters from the stored hash, so they can be raised
# later without invalidating existing hashes.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32
SALT_BYTES = 16
PASSWORD_MIN_LEN = 10
PASSWORD_MAX_LEN = 200
# A stored hash asking for more than this is refused rather than computed: a
# corrupted or planted record must not make one login allocate gigabytes or
# spin for minutes.
_SCRYPT_MAX_MEM = 128 << 20
_SCRYPT_MAX_P = 16
# Login input longer than this is rejected without hashing (policy max is 200
# characters; 4 bytes each in UTF-8 plus slack).
_VERIFY_MAX_BYTES = 1024

USERNAME_MAX_LEN = 32
_USERNAME_RE = re.compile(r"[a-z0-9_.-]{1,32}")
_VIEWER_ID_RE = re.compile(r"[A-Za-z0-9_-]{22}")


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    """Decode unpadded base64url; raises ValueError (binascii.Error) on garbage."""
    if not text.isascii():
        raise ValueError("not ascii")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # OpenSSL's default maxmem (32 MiB) is below what n=2**15, r=8 needs; size it
    # from the parameters (128 * r * (n + p) bytes) with 1 MiB of headroom.
    maxmem = 128 * r * (n + p) + (1 << 20)
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=dklen, maxmem=maxmem)


def check_password_policy(password: str) -> None:
    """Raise ValueError unless the password is acceptable for a new account."""
    if not PASSWORD_MIN_LEN <= len(password) <= PASSWORD_MAX_LEN:
        raise ValueError(
            f"password must be {PASSWORD_MIN_LEN} to {PASSWORD_MAX_LEN} characters long"
        )
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("password is not valid text") from None


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (unpadded base64url); a new random salt each call."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password.encode("utf-8"), salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64e(salt)}${_b64e(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True if ``password`` matches ``encoded``; False for a malformed hash.

    Costs one scrypt (CPU and 16 MiB): call it through ``asyncio.to_thread``.
    """
    try:
        raw = password.encode("utf-8")
        scheme, n_s, r_s, p_s, salt_s, hash_s = encoded.split("$")
        if scheme != "scrypt":
            return False
        n, r, p = int(n_s), int(r_s), int(p_s)
        salt, expected = _b64d(salt_s), _b64d(hash_s)
    except ValueError:  # UnicodeEncodeError, wrong field count, int(), base64
        return False
    if len(raw) > _VERIFY_MAX_BYTES or not salt or not 16 <= len(expected) <= 64:
        return False
    if n < 2 or n & (n - 1) or r < 1 or not 1 <= p <= _SCRYPT_MAX_P:
        return False
    if 128 * r * (n + p) > _SCRYPT_MAX_MEM:
        return False
    try:
        actual = _scrypt(raw, salt, n, r, p, len(expected))
    except (ValueError, MemoryError):  # parameters OpenSSL refuses
        return False
    return hmac.compare_digest(actual, expected)


def normalize_username(name: str) -> str:
    """Lower-cased username of 1..32 characters from ``[a-z0-9_.-]``, else ValueError.

    Non-ASCII is refused *before* lower-casing: ``"\\u212a".lower()`` is ``"k"``,
    and two spellings must never reach the same account.
    """
    if name.isascii():
        lowered = name.lower()
        if _USERNAME_RE.fullmatch(lowered):
            return lowered
    raise ValueError(f"username must be 1 to {USERNAME_MAX_LEN} characters of a-z 0-9 _ . -")


# --- tokens --------------------------------------------------------------------
def new_token(nbytes: int = 32) -> str:
    """A random URL-safe token carrying ``nbytes`` of entropy."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """sha256 hex of a token: sessions are stored under it, so a Redis dump or a
    log of keys yields nothing that works as a cookie."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets (overlay keys, CSRF tokens)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def overlay_key() -> str:
    """A new per-broadcast key for the OBS overlay URL."""
    return new_token(24)


# --- HMAC-derived values -------------------------------------------------------
def _mac(secret: bytes, purpose: str, *parts: str) -> bytes:
    # Fields are NUL-separated; a purpose or part containing NUL is refused, so
    # ("a", "b\0c") and ("a\0b", "c") can never produce the same MAC input.
    fields = (purpose, *parts)
    if any("\0" in field for field in fields):
        raise ValueError("NUL in MAC input")
    message = "\0".join(fields).encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).digest()


def sign(secret: bytes, value: str, purpose: str) -> str:
    """``value.sig`` where sig = HMAC-SHA256(secret, purpose, value), unpadded base64url."""
    return f"{value}.{_b64e(_mac(secret, purpose, value))}"


def unsign(secret: bytes, signed: str, purpose: str) -> str | None:
    """The value if ``signed`` came from ``sign`` with the same secret and purpose."""
    value, dot, sig = signed.rpartition(".")
    if not dot or not sig.isascii() or "\0" in value:
        return None
    expected = _b64e(_mac(secret, purpose, value))
    if not hmac.compare_digest(sig.encode("ascii"), expected.encode("ascii")):
        return None
    return value


def new_viewer_id() -> str:
    """16 random bytes, unpadded base64url: 22 characters."""
    return secrets.token_urlsafe(16)


def is_viewer_id(value: str) -> bool:
    """Shape check for a viewer id taken from a (verified) cookie."""
    return _VIEWER_ID_RE.fullmatch(value) is not None


def pseudonym(secret: bytes, viewer_id: str, bid: str) -> str:
    """10 lower-case base32 characters (50 bits) naming a viewer to moderators.

    Stable for one viewer in one broadcast, unlinkable across broadcasts and not
    reversible to the viewer id (which would let a moderator act as the viewer).
    """
    digest = _mac(secret, "pseudonym", bid, viewer_id)
    return base64.b32encode(digest).decode("ascii")[:10].lower()


def hash_ip(secret: bytes, ip: str) -> str:
    """16 hex characters standing for an IP address in rate-limit keys (never the IP)."""
    return _mac(secret, "ip", ip).hex()[:16]


# --- origins -------------------------------------------------------------------
def _normalize_origin(origin: str) -> str:
    # An origin is scheme://host[:port]: scheme and host are case-insensitive,
    # the port is digits, so lower-casing the whole string is exact. Anything
    # longer (a path) simply never equals an allowed origin.
    return origin.removesuffix("/").lower()


def origin_allowed(origin: str | None, allowed: Collection[str]) -> bool:
    """True only if ``origin`` is exactly one of ``allowed`` (case of scheme/host
    and a trailing ``/`` aside). No suffix, prefix or pattern matching: the
    websocket handshake's only defence against cross-site hijacking (docs/reliability.md
    19; measured: CORSMiddleware does nothing for websockets)."""
    if origin is None or origin == "" or origin.lower() == "null":
        return False
    wanted = _normalize_origin(origin)
    return any(wanted == _normalize_origin(entry) for entry in allowed)
