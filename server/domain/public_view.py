"""The public read API's view of a broadcast (``GET /api/public/broadcasts/<bid>``).

What another system (a WeChat official account, a government portal, a big
screen) may read without an account: exactly what any viewer's page shows,
no more. Built from the viewer snapshot (``snapshot.lua`` in viewer mode), so
it holds only public questions; names follow ``show_names``; a poll's results
only where a viewer who did not vote would see them; no viewer id anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from server.protocol import PUBLIC_STATUSES

from .poll import PollState, ResultsVisibility, results_visible
from .question import ANONYMOUS

VERSION = 1


def _question(q: Mapping[str, Any], show_names: bool) -> dict[str, Any]:
    return {
        "id": q["id"], "text": q["text"], "name": q.get("name") if show_names else ANONYMOUS,
        "tag": q.get("tag"), "status": q["status"], "votes": q.get("votes", 0),
        "created": q.get("created"),
    }  # fmt: skip


def _poll(p: Mapping[str, Any]) -> dict[str, Any] | None:
    state = PollState(p["state"])
    if state == PollState.DRAFT:
        return None
    shown = results_visible(ResultsVisibility(p["results"]), state, has_voted=False)
    return {
        "id": p["id"], "question": p["question"], "options": list(p["options"]),
        "multi": bool(p.get("multi")), "state": state.value, "kind": p.get("kind") or "choice",
        "tallies": list(p["tallies"]) if shown else None,
        "ballots": p.get("ballots") if shown else None,
    }  # fmt: skip


def public_broadcast(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The public document of a broadcast from its viewer snapshot."""
    b = snapshot["broadcast"]
    settings = b.get("settings") or {}
    show_names = bool(settings.get("show_names", True)) if isinstance(settings, dict) else True
    questions = [
        _question(item["q"], show_names)
        for item in snapshot.get("questions", [])
        if item["q"]["status"] in PUBLIC_STATUSES
    ]
    questions.sort(key=lambda q: (-int(q["votes"] or 0), int(q["id"])))
    on_air = snapshot.get("on_air")
    polls = [p for p in (_poll(p) for p in snapshot.get("polls", [])) if p is not None]
    return {
        "version": VERSION,
        "id": b["id"], "title": b.get("title", ""), "topic": b.get("topic", ""),
        "state": b.get("state"),
        "likes": int(snapshot.get("likes", 0)),
        "viewers_now": int((snapshot.get("presence") or {}).get("now", 0)),
        "on_air": _question(on_air, show_names)
        if isinstance(on_air, dict) and on_air.get("status") == "on_air" else None,
        "questions": questions,
        "polls": polls,
    }  # fmt: skip


def etag(body: bytes) -> str:
    """A strong validator of the document's bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    """``If-None-Match`` (a list, maybe ``*``, maybe weak ``W/`` tags) names ``tag``."""
    if not if_none_match:
        return False
    for part in if_none_match.split(","):
        candidate = part.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False
