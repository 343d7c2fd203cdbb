"""Webhooks, the pure part: which stream events become which webhook events,
what a delivery carries, how it is signed, when it is retried, where it may go.

The delivery worker (``server/live/webhooks.py``) reads each broadcast's event
stream, asks :func:`webhook_events` what each event means to the outside,
and sends one signed POST per (event, webhook) with retries. Nothing here does
I/O: address checks take already-resolved addresses.

Signature (the scheme Stripe and GitHub use, with the time inside the MAC so
a captured delivery cannot be replayed later): header
``X-Xieshang-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
A receiver recomputes it, compares in constant time and refuses a ``t`` more
than five minutes away from its clock (:func:`verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from .errors import Code, Rejection
from .poll_figures import figures as poll_figures
from .question import ANONYMOUS


class HookEvent(StrEnum):
    QUESTION_APPROVED = "question.approved"
    QUESTION_ON_AIR = "question.on_air"
    QUESTION_ANSWERED = "question.answered"
    REPLY_PUBLISHED = "reply.published"
    POLL_CLOSED = "poll.closed"
    BROADCAST_STARTED = "broadcast.started"
    BROADCAST_ENDED = "broadcast.ended"


SIGNATURE_HEADER = "X-Xieshang-Signature"
ID_HEADER = "X-Xieshang-Delivery"  # the idempotency id: the same for every retry
EVENT_HEADER = "X-Xieshang-Event"
REPLAY_WINDOW_S = 300
URL_MAX_LEN = 2000
SECRET_MIN_LEN = 16


@dataclass(frozen=True)
class Outgoing:
    """One webhook event derived from one stream event."""

    event: HookEvent
    data: dict[str, Any]


def _public_question(q: Mapping[str, Any], show_names: bool) -> dict[str, Any]:
    """What a webhook may say of a question: what any viewer sees (never the asker)."""
    return {
        "id": q.get("id"), "text": q.get("text"),
        "name": q.get("name") if show_names else ANONYMOUS, "tag": q.get("tag"),
        "status": q.get("status"), "votes": q.get("votes", 0),
    }  # fmt: skip


def webhook_events(event: Mapping[str, Any], *, show_names: bool) -> list[Outgoing]:
    """The webhook events a stream event stands for (usually none)."""
    kind = event.get("type")
    if kind == "question":
        q = event.get("q") or {}
        status, prev = q.get("status"), event.get("prev")
        if status == prev:
            return []  # an edit or a star: not a change of status
        data = {"question": _public_question(q, show_names)}
        if status == "approved" and prev in (None, "pending", "rejected"):
            return [Outgoing(HookEvent.QUESTION_APPROVED, data)]
        if status == "on_air":
            return [Outgoing(HookEvent.QUESTION_ON_AIR, data)]
        if status == "answered":
            return [Outgoing(HookEvent.QUESTION_ANSWERED, data)]
        return []
    if kind == "poll":
        poll = event.get("poll") or {}
        if poll.get("state") != "closed":
            return []
        options = list(poll.get("options") or [])
        tallies = list(poll.get("tallies") or [])
        data = {"poll": {
            "id": poll.get("id"), "question": poll.get("question"), "ballots": poll.get("ballots"),
            "options": [{"text": t, "votes": n} for t, n in zip(options, tallies, strict=False)],
            # The kind and its figures, as every surface shows them (poll_figures.py).
            "kind": poll.get("kind") or "choice", "figures": poll_figures(poll),
        }}  # fmt: skip
        return [Outgoing(HookEvent.POLL_CLOSED, data)]
    if kind == "broadcast":
        b = event.get("b") or {}
        state, prev = b.get("state"), event.get("prev")
        if state == prev or prev is None:
            return []
        data = {"broadcast": {"id": b.get("id"), "title": b.get("title"), "state": state}}
        if state == "live":
            return [Outgoing(HookEvent.BROADCAST_STARTED, data)]
        if state == "ended":
            return [Outgoing(HookEvent.BROADCAST_ENDED, data)]
        return []
    if kind == "followup":
        # The follow-up workflow's event: a department's reply made public.
        fu = event.get("fu") or {}
        if fu.get("state") == "published" and event.get("prev") != "published":
            return [Outgoing(HookEvent.REPLY_PUBLISHED, {"reply": {
                "qid": event.get("qid"), "reply": fu.get("reply"), "link": fu.get("reply_link"),
            }})]  # fmt: skip
    return []


def delivery_id(bid: str, pos: str, event: HookEvent, hook: str) -> str:
    """Stable for one (stream event, webhook event, webhook): every retry and any
    re-enqueue after a crash carries the same id, so receivers can drop repeats."""
    return f"{bid}.{pos}.{event.value}.{hook}"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now_s: int) -> bool:
    """What a receiver does (and the tests): the MAC matches and ``t`` is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t = parts.get("t", "")
    if not t.isdigit() or abs(now_s - int(t)) > REPLAY_WINDOW_S:
        return False
    return hmac.compare_digest(sign(secret, int(t), body), f"t={t},v1={parts.get('v1', '')}")


def backoff_s(attempt: int, base_s: float, cap_s: float) -> float:
    """Wait before retry ``attempt`` (1 = the first retry): base, 2x, 4x ... capped."""
    return float(min(cap_s, base_s * 2 ** max(0, attempt - 1)))


# --- where a webhook may point ----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, at least "/"


def parse_url(url: object) -> Target:
    """An http(s) URL without credentials, or ``Rejection("invalid")``."""
    if not isinstance(url, str) or not url or len(url) > URL_MAX_LEN:
        raise Rejection(Code.INVALID, "url must be an http(s) URL of at most 2000 characters")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise Rejection(Code.INVALID, "url must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Rejection(Code.INVALID, "url is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise Rejection(Code.INVALID, "url must start with http:// or https://")
    if not parts.hostname:
        raise Rejection(Code.INVALID, "url has no host")
    if parts.username is not None or parts.password is not None:
        raise Rejection(Code.INVALID, "url must not carry a user name or password")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default, path)


def address_allowed(address: str, *, allow_private: bool) -> bool:
    """A resolved address a delivery may connect to: public unicast only,
    unless the operator allows private targets (an intranet portal)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return False
    if allow_private:
        return True
    return not (ip.is_loopback or ip.is_private or ip.is_link_local or not ip.is_global)


def check_addresses(addresses: Iterable[str], *, allow_private: bool) -> list[str]:
    """Every resolved address must be allowed (a name that resolves to one public
    and one private address is refused: the connection could take either)."""
    found = list(dict.fromkeys(addresses))
    if not found:
        raise Rejection(Code.INVALID, "the webhook's host does not resolve")
    for a in found:
        if not address_allowed(a, allow_private=allow_private):
            raise Rejection(
                Code.INVALID, "the webhook points at a loopback, private or link-local address"
            )
    return found


def check_events(events: Any) -> list[HookEvent]:
    if not isinstance(events, list) or not events or len(events) > len(HookEvent):
        raise Rejection(Code.INVALID, "events must be a non-empty list of event names")
    try:
        return sorted({HookEvent(e) for e in events})
    except (ValueError, TypeError):
        names = ", ".join(e.value for e in HookEvent)
        raise Rejection(Code.INVALID, f"unknown event; known: {names}") from None
