"""server.auth: password hashes, signed values, pseudonyms, origins (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import pytest

from server import auth

SECRET = b"k" * 32


# --- passwords -------------------------------------------------------------------
@pytest.fixture(scope="module")
def stored() -> str:
    return auth.hash_password("correct horse battery")


def test_hash_format(stored: str) -> None:
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.urlsafe_b64decode(salt + "==")) == 16
    assert len(base64.urlsafe_b64decode(digest + "=")) == 32


def test_verify_right_and_wrong(stored: str) -> None:
    assert auth.verify_password("correct horse battery", stored)
    assert not auth.verify_password("correct horse batterY", stored)
    assert not auth.verify_password("", stored)


def test_same_password_new_salt(stored: str) -> None:
    again = auth.hash_password("correct horse battery")
    assert again != stored
    assert auth.verify_password("correct horse battery", again)


def test_non_ascii_password() -> None:
    encoded = auth.hash_password("协商在线-密码-十个字符")
    assert auth.verify_password("协商在线-密码-十个字符", encoded)
    assert not auth.verify_password("协商在线-密码-十个字", encoded)


def _flip_hash(stored: str) -> str:
    # The first character of the hash carries 6 full bits (the last one does not).
    digest = stored.rpartition("$")[2]
    return _with(stored, 5, ("B" if digest[0] == "A" else "A") + digest[1:])


def _with(stored: str, index: int, value: str) -> str:
    parts = stored.split("$")
    parts[index] = value
    return "$".join(parts)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: "",
        lambda s: "garbage",
        lambda s: s + "$extra",
        lambda s: s.rpartition("$")[0],
        lambda s: _with(s, 0, "bcrypt"),
        lambda s: _with(s, 1, "abc"),
        lambda s: _with(s, 1, "1000"),  # not a power of two
        lambda s: _with(s, 1, str(2**30)),  # would need 1 TiB: refused, not computed
        lambda s: _with(s, 2, "0"),
        lambda s: _with(s, 3, "1000"),
        lambda s: _with(s, 4, "!!!"),
        lambda s: _with(s, 4, ""),
        lambda s: _with(s, 5, "é"),
        lambda s: _with(s, 5, "AAAA"),  # too short a hash
        lambda s: _flip_hash(s),
    ],
)
def test_verify_malformed_is_false(stored: str, mangle: Callable[[str], str]) -> None:
    assert auth.verify_password("correct horse battery", mangle(stored)) is False


def test_verify_lone_surrogate_is_false(stored: str) -> None:
    assert auth.verify_password("\ud800" * 12, stored) is False


@pytest.mark.parametrize("length, ok", [(9, False), (10, True), (200, True), (201, False)])
def test_password_policy_length(length: int, ok: bool) -> None:
    if ok:
        auth.check_password_policy("x" * length)
    else:
        with pytest.raises(ValueError):
            auth.check_password_policy("x" * length)


def test_password_policy_refuses_surrogates() -> None:
    with pytest.raises(ValueError):
        auth.check_password_policy("\ud800" * 12)


@pytest.mark.parametrize(
    "name, expected",
    [("alice", "alice"), ("Alice.B-2_", "alice.b-2_"), ("a" * 32, "a" * 32), ("0", "0")],
)
def test_username_ok(name: str, expected: str) -> None:
    assert auth.normalize_username(name) == expected


@pytest.mark.parametrize(
    "name", ["", "a" * 33, "a b", "alice\n", "al:ice", "ålice", "\u212aate", "a/b", "ali*"]
)
def test_username_refused(name: str) -> None:
    with pytest.raises(ValueError):
        auth.normalize_username(name)


# --- tokens ------------------------------------------------------------------------
def test_tokens() -> None:
    token = auth.new_token()
    assert len(token) == 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert auth.new_token() != token
    assert len(auth.new_token(16)) == 22
    assert auth.token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(auth.overlay_key()) == 32


def test_same_secret() -> None:
    assert auth.same_secret("abc", "abc")
    assert not auth.same_secret("abc", "abd")
    assert not auth.same_secret("", "abc")
    assert not auth.same_secret("é", "e")


def test_viewer_id() -> None:
    vid = auth.new_viewer_id()
    assert len(vid) == 22 and auth.is_viewer_id(vid)
    assert len(base64.urlsafe_b64decode(vid + "==")) == 16
    assert auth.new_viewer_id() != vid
    assert not auth.is_viewer_id(vid + "A")
    assert not auth.is_viewer_id(vid[:-1] + ".")
    assert not auth.is_viewer_id(vid[:-1] + "\n")


def test_cookie_names() -> None:
    assert (auth.VIEWER_COOKIE, auth.SESSION_COOKIE, auth.CSRF_HEADER) == (
        "xs_vid",
        "xs_sess",
        "x-csrf-token",
    )


# --- sign / unsign -------------------------------------------------------------------
def test_sign_round_trip() -> None:
    signed = auth.sign(SECRET, "value.with.dots", "vid")
    assert signed.startswith("value.with.dots.")
    assert auth.unsign(SECRET, signed, "vid") == "value.with.dots"
    assert auth.unsign(SECRET, auth.sign(SECRET, "", "vid"), "vid") == ""


def test_unsign_tampered_value() -> None:
    signed = auth.sign(SECRET, "viewer1", "vid")
    assert auth.unsign(SECRET, "viewer2" + signed[len("viewer1") :], "vid") is None


def test_unsign_tampered_signature() -> None:
    signed = auth.sign(SECRET, "viewer1", "vid")
    flipped = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    assert auth.unsign(SECRET, flipped, "vid") is None
    assert auth.unsign(SECRET, signed[:-1], "vid") is None
    assert auth.unsign(SECRET, signed + "=", "vid") is None


def test_unsign_wrong_purpose_or_secret() -> None:
    signed = auth.sign(SECRET, "viewer1", "vid")
    assert auth.unsign(SECRET, signed, "session") is None
    assert auth.unsign(b"other" * 8, signed, "vid") is None


@pytest.mark.parametrize("garbage", ["", ".", "nodot", "value.", ".sig", "v.é", "v\0.x"])
def test_unsign_garbage(garbage: str) -> None:
    assert auth.unsign(SECRET, garbage, "vid") is None


def test_purpose_and_value_do_not_run_together() -> None:
    # ("ab", "c") must not sign like ("a", "bc").
    sig1 = auth.sign(SECRET, "c", "ab").rpartition(".")[2]
    sig2 = auth.sign(SECRET, "bc", "a").rpartition(".")[2]
    assert sig1 != sig2


# --- pseudonyms and IP hashes ------------------------------------------------------------
def test_pseudonym_stable_and_scoped() -> None:
    vid = auth.new_viewer_id()
    first = auth.pseudonym(SECRET, vid, "b1")
    assert re.fullmatch(r"[a-z2-7]{10}", first)
    assert auth.pseudonym(SECRET, vid, "b1") == first
    assert auth.pseudonym(SECRET, vid, "b2") != first
    assert auth.pseudonym(SECRET, auth.new_viewer_id(), "b1") != first
    assert auth.pseudonym(b"x" * 32, vid, "b1") != first
    assert vid.lower()[:10] != first


def test_hash_ip() -> None:
    hashed = auth.hash_ip(SECRET, "203.0.113.7")
    assert re.fullmatch(r"[0-9a-f]{16}", hashed)
    assert auth.hash_ip(SECRET, "203.0.113.7") == hashed
    assert auth.hash_ip(SECRET, "203.0.113.8") != hashed
    assert auth.hash_ip(b"x" * 32, "203.0.113.7") != hashed


# --- origins -------------------------------------------------------------------------------
ALLOWED = ("http://localhost:8000", "https://live.example.org/")


@pytest.mark.parametrize(
    "origin, ok",
    [
        ("http://localhost:8000", True),
        ("http://localhost:8000/", True),
        ("HTTP://LOCALHOST:8000", True),
        ("https://live.example.org", True),
        ("https://Live.Example.Org/", True),
        (None, False),
        ("", False),
        ("null", False),
        ("NULL", False),
        ("http://localhost:8001", False),
        ("http://localhost", False),
        ("https://localhost:8000", False),
        ("ws://localhost:8000", False),
        ("http://localhost:8000.evil.example", False),
        ("http://evil-localhost:8000", False),
        ("http://evil.localhost:8000", False),
        ("http://localhost:80000", False),
        ("http://localhost:8000//", False),
        ("http://localhost:8000/path", False),
        ("http://user@localhost:8000", False),
        (" http://localhost:8000", False),
        ("https://live.example.org.evil.example", False),
        ("https://evillive.example.org", False),
        ("https://sub.live.example.org", False),
        ("http://live.example.org", False),
    ],
)
def test_origin_allowed(origin: str | None, ok: bool) -> None:
    assert auth.origin_allowed(origin, ALLOWED) is ok


def test_origin_allowed_empty_list() -> None:
    assert not auth.origin_allowed("http://localhost:8000", ())
    assert not auth.origin_allowed("null", ("null",))
