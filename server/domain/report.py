"""The figures of a broadcast's record: what each one counts, as pure functions.

Redis keeps raw per-minute counters (written by the write scripts, see
``server/store/lua/_prelude.lua``); this module turns them and the questions
into the figures the exports and the report show. docs/report.md defines
each figure in words; the definitions here are the ones that count.

* **Concurrent viewers** (在线人数): viewer sockets open on all hub processes
  together, as summed by the presence report every ``presence_interval_s``.
  A minute's value is the highest sum reported during that minute.
* **Views** (观看人次): viewing sessions. A session starts when a device (a
  viewer id: one browser's cookie) opens its first socket to the broadcast and
  it was never seen before, or its last socket closed more than
  ``VISIT_GAP_MS`` (30 minutes) earlier. Reconnects, reloads and extra tabs
  within that gap continue the same session.
* **Unique devices** (独立设备): distinct viewer ids that opened a socket.
* **Likes**, **questions received** (every question stored, blocked ones
  included), **questions approved** (first time a question became public:
  approved, on air or answered), **votes** (ballots cast): counted in the
  minute of the write that made them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.protocol import PUBLIC_STATUSES

from .followup_figures import followup_figures as figures_of
from .followup_figures import item_from_hashes
from .poll_figures import figures as poll_figures_of
from .question import QuestionStatus

# A device that comes back after more than this long without any socket open
# starts a new view (人次). 30 minutes is the web analytics convention for a
# visit (Google Analytics, Matomo).
VISIT_GAP_MS = 30 * 60 * 1000
# A device marked connected for longer than this whose next socket opens
# starts a new view too: its close was lost (a hub process killed without
# reporting it). Twelve hours is longer than any broadcast stays watched.
VISIT_STALE_MS = 12 * 60 * 60 * 1000

MINUTE_MS = 60_000

# The per-minute counters kept in Redis (``xs:{b}:tl:<metric>``) and what
# each minute holds. "viewers" is a maximum, the others are sums.
TIMELINE_METRICS: tuple[str, ...] = (
    "viewers",  # highest concurrent viewers reported in the minute
    "views",  # viewing sessions that started in the minute
    "devices",  # devices seen for the first time in the minute
    "likes",  # likes written in the minute
    "asked",  # questions received in the minute
    "approved",  # questions that became public for the first time in the minute
    "votes",  # ballots cast in the minute
)

# Mirrors TIMELINE_MINUTES in _prelude.lua (tests/unit/test_domain_report.py
# checks they agree): the most minutes one metric keeps, 14 days.
TIMELINE_MINUTES = 20160

Raw = Mapping[str, Mapping[int, int]]  # metric -> minute -> value


@dataclass(frozen=True)
class Minute:
    t: int  # ms of the minute's start (UTC)
    viewers: int
    views: int
    devices: int
    likes: int
    questions: int
    approved: int
    votes: int

    def to_dict(self) -> dict[str, int]:
        return {
            "t": self.t, "viewers": self.viewers, "views": self.views,
            "devices": self.devices, "likes": self.likes, "questions": self.questions,
            "approved": self.approved, "votes": self.votes,
        }  # fmt: skip


def timeline(raw: Raw) -> list[Minute]:
    """Every minute from the first to the last one any metric recorded, gaps
    filled with zeros (a minute nobody was connected in had 0 viewers), so a
    chart's x axis is uniform. At most ``TIMELINE_MINUTES`` minutes, the last ones."""
    minutes = [m for metric in TIMELINE_METRICS for m in raw.get(metric, {})]
    if not minutes:
        return []
    first, last = min(minutes), max(minutes)
    first = max(first, last - TIMELINE_MINUTES + 1)

    def at(metric: str, minute: int) -> int:
        return int(raw.get(metric, {}).get(minute, 0))

    def minute(m: int) -> Minute:
        return Minute(
            t=m * MINUTE_MS, viewers=at("viewers", m), views=at("views", m),
            devices=at("devices", m), likes=at("likes", m), questions=at("asked", m),
            approved=at("approved", m), votes=at("votes", m),
        )  # fmt: skip

    return [minute(m) for m in range(first, last + 1)]


def peak(minutes: Sequence[Minute]) -> tuple[int, int | None]:
    """(highest concurrent viewers, ms of the first minute it happened) over a timeline."""
    best: Minute | None = None
    for m in minutes:
        if best is None or m.viewers > best.viewers:
            best = m
    if best is None or best.viewers == 0:
        return 0, None
    return best.viewers, best.t


# --- questions --------------------------------------------------------------------------

# Follow-up states (the follow-up workflow's record ``xs:{b}:fu:<qid>``) that
# mean the question was forwarded to a department, and those that mean the
# department's reply exists.


@dataclass(frozen=True)
class QuestionFigures:
    received: int  # every question stored (blocked and merged ones included)
    approved: int  # ever made public (上墙): approved, on air or answered at some point
    answered_live: int  # on air now or answered on air, or triaged "answered live"
    forwarded: int  # forwarded to a department by the follow-up workflow (转办)
    replied: int  # a department's reply exists (答复)
    rejected: int  # rejected now (blocked by the word list included)
    merged: int  # merged into another question
    pending: int  # still waiting for a moderator

    def to_dict(self) -> dict[str, int]:
        return {
            "received": self.received, "approved": self.approved,
            "answered_live": self.answered_live, "forwarded": self.forwarded,
            "replied": self.replied, "rejected": self.rejected, "merged": self.merged,
            "pending": self.pending,
        }  # fmt: skip


def was_shown(q: Mapping[str, Any]) -> bool:
    """Ever public: stamped ``approved_at`` when it first was; a question in a
    public status counts even without the stamp (written before it existed)."""
    return bool(q.get("approved_at")) or q.get("status") in PUBLIC_STATUSES


def answered_live(q: Mapping[str, Any], fu: Mapping[str, Any] | None) -> bool:
    status = q.get("status")
    if status in (QuestionStatus.ON_AIR, QuestionStatus.ANSWERED):
        return True
    return bool(fu) and (fu or {}).get("state") == "answered_live"


Row = tuple[Mapping[str, Any], Mapping[str, Any] | None]  # (question, follow-up or None)


class Tally:
    """The question figures, added up one question at a time (exports stream
    their questions and count them on the way)."""

    def __init__(self) -> None:
        self.received = self.approved = self.live = 0
        self.rejected = self.merged = self.pending = 0
        self.followups: list[Row] = []  # (question, follow-up record) with a record
        self.by_tag: dict[str, int] = {}
        self.by_source: dict[str, int] = {}
        self.onair: list[dict[str, int]] = []  # {"t": ms, "qid": id}: the on-air marks

    def add(self, q: Mapping[str, Any], fu: Mapping[str, Any] | None) -> None:
        self.received += 1
        self.approved += was_shown(q)
        self.live += answered_live(q, fu)
        status = q.get("status")
        self.rejected += status == QuestionStatus.REJECTED
        self.merged += status == QuestionStatus.MERGED
        self.pending += status == QuestionStatus.PENDING
        tag = str(q.get("tag") or UNTAGGED)
        self.by_tag[tag] = self.by_tag.get(tag, 0) + 1
        source = str(q.get("source") or DEFAULT_SOURCE)
        self.by_source[source] = self.by_source.get(source, 0) + 1
        if q.get("onair_at"):
            self.onair.append({"t": int(q["onair_at"]), "qid": int(q.get("id") or 0)})
        if fu:
            self.followups.append((q, fu))

    def figures(self) -> QuestionFigures:
        fig = followup_figures(self.followups)
        return QuestionFigures(
            received=self.received, approved=self.approved, answered_live=self.live,
            forwarded=int(fig["forwarded"]), replied=int(fig["replied"]),
            rejected=self.rejected, merged=self.merged, pending=self.pending,
        )  # fmt: skip


UNTAGGED = "未分类"
DEFAULT_SOURCE = "phone"  # a question without a source came from a viewer's phone


def question_figures(rows: Iterable[Row]) -> QuestionFigures:
    """Counts over (question, follow-up record or None) pairs."""
    tally = Tally()
    for q, fu in rows:
        tally.add(q, fu)
    return tally.figures()


def followup_figures(rows: Iterable[Row]) -> dict[str, Any]:
    """The follow-up figures the report shows (转办数, 答复数, 答复率, 满意率),
    from (question, follow-up record) pairs, by the follow-up's own
    definitions: one pure function, ``server/domain/followup_figures.py``
    (docs/followup.md explains them). Only its totals are shown here, so the
    day that decides "overdue" does not matter (the office's pages show that).
    """
    items = [
        item_from_hashes(_texts(q), _texts(fu), _utc_day)
        for q, fu in rows
        if fu  # no follow-up record: nothing was forwarded
    ]
    total = figures_of(items, dt.date.min).total.to_dict()
    return {
        "forwarded": total["forwarded"],
        "replied": total["replied"],
        "reply_rate": total["reply_rate"],
        "rated": total["rated"],
        "satisfaction": total["satisfaction"],
    }


def _texts(h: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in h.items() if v is not None}


def _utc_day(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()


# --- polls and the season -----------------------------------------------------------------


def poll_figures(poll: Mapping[str, Any]) -> dict[str, Any]:
    """A poll as the report shows it, from the one definition of its figures
    (``server/domain/poll_figures.py``): options with their votes (a ranking's
    Borda points, best first; a word cloud's words) and their share of the
    voters, the same rounded percent the phone, the console and the overlay show."""
    figs = poll_figures_of(poll)
    ballots = figs["ballots"]

    def share(percent: int) -> float | None:
        return percent / 100 if ballots else None

    if figs["kind"] == "words":
        options = [{"text": w["word"], "votes": w["count"], "share": None} for w in figs["words"]]
    elif figs["kind"] == "ranking":
        options = [{"text": r["text"], "votes": r["points"], "share": share(r["pct"])}
                   for r in figs["rows"]]  # fmt: skip
    else:
        options = [{"text": r["text"], "votes": r["count"], "share": share(r["pct"])}
                   for r in figs["rows"]]  # fmt: skip
    return {
        "id": int(poll["id"]),
        "question": poll.get("question", ""),
        "state": poll.get("state", ""),
        "multi": bool(poll.get("multi", False)),
        "kind": figs["kind"],
        "ballots": ballots,
        "options": options,
        "figures": figs,
    }


def season_line(broadcasts: int, views: int, likes: int) -> str:
    """The sentence an office publishes, from the summed figures (never typed)."""
    return f"{broadcasts}期节目，{views}人次观看，{likes}次点赞"


# --- the report of a broadcast and of a season -------------------------------------------

REPORT_VERSION = 1


@dataclass(frozen=True)
class Totals:
    """The broadcast-wide figures kept beside the timeline (``Record.figures``)."""

    likes: int
    views: int
    unique: int
    peak: int
    peak_at: int | None
    viewers_now: int


def _ranked(counts: Mapping[str, int], name: str) -> list[dict[str, Any]]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{name: key, "count": n} for key, n in ordered]


def broadcast_summary(meta: Mapping[str, str]) -> dict[str, Any]:
    """The broadcast as the record shows it: never its keys (overlay key, join code)."""

    def ms(name: str) -> int | None:
        value = meta.get(name, "")
        return int(value) if value.isdigit() else None

    return {
        "id": meta.get("id", ""), "title": meta.get("title", ""), "topic": meta.get("topic", ""),
        "state": meta.get("state", ""), "created": ms("created"), "started": ms("started"),
        "ended": ms("ended"), "season": meta.get("season") or None,
    }  # fmt: skip


def broadcast_report(
    broadcast: Mapping[str, Any], totals: Totals, raw: Raw, tally: Tally,
    polls: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    """The report of one broadcast (``GET /api/broadcasts/<bid>/report``)."""
    fu = followup_figures(tally.followups)
    return {
        "version": REPORT_VERSION,
        "broadcast": dict(broadcast),
        "views": totals.views,
        "viewers_unique": totals.unique,
        "viewers_peak": totals.peak,
        "viewers_peak_at": totals.peak_at,
        "viewers_now": totals.viewers_now,
        "likes": totals.likes,
        "questions": tally.figures().to_dict(),
        "reply_rate": fu["reply_rate"],
        "satisfaction": fu["satisfaction"],
        "rated": fu["rated"],
        "votes": sum(int(p.get("ballots", 0)) for p in polls),
        "polls": [poll_figures(p) for p in polls],
        "by_tag": _ranked(tally.by_tag, "tag"),
        "by_source": _ranked(tally.by_source, "source"),
        "onair": sorted(tally.onair, key=lambda m: (m["t"], m["qid"])),
        "timeline": [m.to_dict() for m in timeline(raw)],
    }


_SUMMED_QUESTIONS = ("received", "approved", "answered_live", "forwarded", "replied", "rejected",
                     "merged", "pending")  # fmt: skip


def season_report(
    season: Mapping[str, Any], items: Sequence[tuple[Mapping[str, Any], Tally]]
) -> dict[str, Any]:
    """A season: its broadcasts' figures summed (``GET /api/seasons/<sid>/report``).

    Views and likes add up. Unique devices are per broadcast (a viewer id is
    a cookie of one browser; the same person in two broadcasts is two here),
    so the season's figure is their sum, named ``viewers_unique_sum``. The
    peak is the highest of the broadcasts' peaks. Rates are computed from
    every follow-up record of the season, never averaged.
    """
    reports = [r for r, _ in items]
    followups = [row for _, t in items for row in t.followups]
    fu = followup_figures(followups)
    views = sum(int(r["views"]) for r in reports)
    likes = sum(int(r["likes"]) for r in reports)
    peak = max(reports, key=lambda r: int(r["viewers_peak"]), default=None)
    tags: dict[str, int] = {}
    sources: dict[str, int] = {}
    for _, t in items:
        for k, n in t.by_tag.items():
            tags[k] = tags.get(k, 0) + n
        for k, n in t.by_source.items():
            sources[k] = sources.get(k, 0) + n
    return {
        "version": REPORT_VERSION,
        "season": dict(season),
        "broadcasts": len(reports),
        "line": season_line(len(reports), views, likes),
        "views": views,
        "likes": likes,
        "viewers_unique_sum": sum(int(r["viewers_unique"]) for r in reports),
        "viewers_peak": int(peak["viewers_peak"]) if peak else 0,
        "viewers_peak_broadcast": peak["broadcast"].get("id") if peak else None,
        "questions": {k: sum(int(r["questions"][k]) for r in reports) for k in _SUMMED_QUESTIONS},
        "reply_rate": fu["reply_rate"],
        "satisfaction": fu["satisfaction"],
        "rated": fu["rated"],
        "votes": sum(int(r["votes"]) for r in reports),
        "polls": sum(len(r["polls"]) for r in reports),
        "by_tag": _ranked(tags, "tag"),
        "by_source": _ranked(sources, "source"),
        "items": [
            {
                "id": r["broadcast"].get("id"),
                "title": r["broadcast"].get("title"),
                "created": r["broadcast"].get("created"),
                "started": r["broadcast"].get("started"),
                "views": r["views"],
                "viewers_unique": r["viewers_unique"],
                "viewers_peak": r["viewers_peak"],
                "likes": r["likes"],
                "questions": r["questions"]["received"],
                "approved": r["questions"]["approved"],
            }
            for r in reports
        ],
    }
