"""Validation of what the follow-up commands carry: replies, links, reasons,
ratings, departments, sources and 查询码. Every function returns the clean
value or raises a typed ``Rejection``; nothing is written before it passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from .errors import Code, Rejection
from .followup import Rating
from .text import normalize_name, normalize_text
from .workdays import QuestionType

REPLY_MAX_LEN = 2000  # a department's reply: a few paragraphs
LINK_MAX_LEN = 500
REASON_MAX_LEN = 200  # send back, return, not adopted, extension
NOTE_MAX_LEN = 200  # the short note of an answer given on air
COMMENT_MAX_LEN = 200  # the asker's comment with a rating
CONTACT_MAX_LEN = 100  # a moderator-only contact note, or a department's contact
DEPT_NAME_MAX_LEN, DEPT_SHORT_MAX_LEN = 60, 12


class Source(StrEnum):
    """Where a question came from (a badge, and a breakdown in every figure)."""

    PHONE = "phone"  # the viewer page (default when absent)
    HOTLINE = "hotline"  # 热线
    LETTER = "letter"  # 来信
    ONSITE = "onsite"  # 现场
    PLATFORM = "platform"  # 其他平台
    MEMBER = "member"  # 委员


def _str(raw: object, what: str) -> str:
    if not isinstance(raw, str):
        raise Rejection(Code.INVALID, f"{what} must be a string")
    return raw


def validate_reply(raw: object) -> str:
    return normalize_text(_str(raw, "the reply"), REPLY_MAX_LEN)


def validate_link(raw: object) -> str:
    """An optional public link (``""`` when none): http(s) only, so a page that
    makes it a link can never run ``javascript:`` or open a ``data:`` URL."""
    if raw is None or raw == "":
        return ""
    link = _str(raw, "the link").strip()
    if len(link) > LINK_MAX_LEN or any(c.isspace() or ord(c) < 32 for c in link):
        raise Rejection(Code.INVALID, "the link is too long or contains spaces")
    try:
        parts = urlsplit(link)
    except ValueError:
        raise Rejection(Code.INVALID, "the link is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Rejection(Code.INVALID, "the link must start with https:// or http://")
    return link


def validate_reason(raw: object, *, required: bool) -> str:
    reason = normalize_name(None if raw is None else _str(raw, "the reason"), REASON_MAX_LEN)
    if required and not reason:
        raise Rejection(Code.EMPTY, "a reason is required")
    return reason


def validate_note(raw: object) -> str:
    return normalize_name(None if raw is None else _str(raw, "the note"), NOTE_MAX_LEN)


def validate_rating(raw: object, comment: object) -> tuple[Rating, str]:
    try:
        rating = Rating(_str(raw, "the rating"))
    except ValueError:
        raise Rejection(
            Code.INVALID, "the rating must be satisfied, basically or dissatisfied"
        ) from None
    clean = normalize_name(None if comment is None else _str(comment, "the comment"),
                           COMMENT_MAX_LEN)  # fmt: skip
    return rating, clean


def validate_source(raw: object) -> Source:
    if raw is None:
        return Source.PHONE
    try:
        return Source(_str(raw, "the source"))
    except ValueError:
        raise Rejection(Code.INVALID, f"unknown source {str(raw)[:20]!r}") from None


def validate_qtype(raw: object) -> QuestionType | None:
    if raw is None or raw == "":
        return None
    try:
        return QuestionType(_str(raw, "the type"))
    except ValueError:
        raise Rejection(Code.INVALID, f"unknown type {str(raw)[:20]!r}") from None


def validate_contact(raw: object) -> str:
    return normalize_name(None if raw is None else _str(raw, "the contact"), CONTACT_MAX_LEN)


# --- departments -----------------------------------------------------------------

DEPT_ID_RE = re.compile(r"\A[a-z0-9][a-z0-9-]{0,31}\Z")
DEPT_RESERVED = frozenset({"all", "audit"})  # names of the schema under {dept}


@dataclass(frozen=True)
class Department:
    id: str
    name: str  # 承办单位 in full: 深圳市龙岗区交通运输局
    short: str  # on badges and in tables: 区交通局
    contact: str  # a phone or an office, shown to moderators only


def validate_dept_id(raw: object) -> str:
    if not isinstance(raw, str) or DEPT_ID_RE.fullmatch(raw) is None or raw in DEPT_RESERVED:
        raise Rejection(
            Code.INVALID,
            f"department id {str(raw)[:40]!r} is invalid: use 1 to 32 of a-z, 0-9, '-'",
        )
    return raw


def validate_department(
    dept_id: object, name: object, short: object, contact: object
) -> Department:
    clean_name = normalize_name(_str(name, "the department's name"), DEPT_NAME_MAX_LEN)
    if not clean_name:
        raise Rejection(Code.EMPTY, "the department's name is empty")
    clean_short = normalize_name(None if short is None else _str(short, "the short name"),
                                 DEPT_SHORT_MAX_LEN) or clean_name[:DEPT_SHORT_MAX_LEN]  # fmt: skip
    return Department(validate_dept_id(dept_id), clean_name, clean_short, validate_contact(contact))


# --- 查询码 ---------------------------------------------------------------------------
# Read from a phone screen and typed on another device: no 0/O, 1/I/L, upper
# case only. A code is the broadcast's 3-character prefix (unique in the
# deployment, claimed once) and 5 random characters unique within the broadcast
# (checked by ask.lua): unique by construction, unguessable within a broadcast
# (31^5 ~ 2.9e7 per prefix), and lookups are rate-limited per address.

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_PREFIX_LEN, CODE_SUFFIX_LEN = 3, 5
CODE_LEN = CODE_PREFIX_LEN + CODE_SUFFIX_LEN


def normalize_code(raw: object) -> str | None:
    """A typed code as stored (upper case, without spaces or dashes), or None
    when it cannot be one (the caller answers "没有找到" either way)."""
    if not isinstance(raw, str) or len(raw) > 20:
        return None
    code = raw.upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_LEN or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def display_code(code: str) -> str:
    """``ABC-DEFGH``: the prefix apart, easier to read aloud."""
    return f"{code[:CODE_PREFIX_LEN]}-{code[CODE_PREFIX_LEN:]}"
