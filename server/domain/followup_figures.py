"""The published figures of the follow-up: one pure function, used by every page,
export and report (the only copy of the definitions; docs/followup.md explains
them to readers).

Each question counts once, by its current state:

* ``received`` 留言数: every question except those merged into another (they
  count in the one they joined), those carried into a later episode (they
  count there) and those rejected in moderation before any triage (spam,
  abuse, off topic);
* ``answered_live`` 现场答复: triaged as answered on air, or answered during the
  show and never triaged;
* ``not_adopted`` 不予采纳, ``pending`` 待处理 (not triaged yet, or back with the
  office to be forwarded);
* ``forwarded`` 转办数: with a department or past it (assigned, accepted,
  replied, published, closed);
* ``replied`` 答复数: forwarded items whose reply is published (published or
  closed); a reply waiting for the office's review is not counted yet, and a
  reopened item counts again once its new reply is published;
* ``closed`` 办结数;
* ``reply_rate`` 答复率 = replied / forwarded; ``close_rate`` 办结率 = closed /
  forwarded; ``satisfaction`` 满意率 = (satisfied + basically satisfied) / rated,
  where an item not rated within the rating window counts as satisfied
  (逾期未评价视为满意, recorded as ``rating_auto``); rates are None when their
  denominator is 0, otherwise rounded to 4 decimals;
* ``overdue`` 超期: with a department (assigned or accepted) after its due date
  (today in the deployment's time zone); ``late`` 超期答复: replied after the
  due date.

Breakdowns by department (forwarded items only: the others have none), by tag
(``""`` = no tag) and by source. A season's figures are these over the items of
all its episodes, so its counts are the sums of the episodes' counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields

from .followup import FuState, Rating, parse_state
from .workdays import parse_date

_FORWARDED = frozenset(
    {FuState.ASSIGNED, FuState.ACCEPTED, FuState.REPLIED, FuState.PUBLISHED, FuState.CLOSED}
)
_REPLY_PUBLIC = frozenset({FuState.PUBLISHED, FuState.CLOSED})
_OPEN_AT_DEPT = frozenset({FuState.ASSIGNED, FuState.ACCEPTED})


@dataclass(frozen=True)
class FigureItem:
    """What the figures need of one question and its follow-up record."""

    status: str  # the question's status (server/domain/question.py)
    state: FuState = FuState.NONE
    source: str = "phone"
    tag: str = ""
    dept: str = ""
    due: dt.date | None = None
    replied: dt.date | None = None  # the day of the department's latest reply
    rating: Rating | None = None
    carried: bool = False  # carried into a later episode: counted there


def item_from_hashes(
    q: Mapping[str, str], fu: Mapping[str, str], to_date: Callable[[int], dt.date]
) -> FigureItem:
    """A ``FigureItem`` from a question hash and its follow-up hash (the store's
    field names: docs/followup.md). ``to_date`` turns ms into the local day."""
    state = parse_state(fu.get("state"))
    replied_at = fu.get("replied_at")
    rating = fu.get("rating")
    return FigureItem(
        status=q.get("status", ""),
        state=state,
        source=q.get("source") or "phone",
        tag=q.get("tag") or "",
        dept=fu.get("dept", "") if state in _FORWARDED else "",
        due=parse_date(fu["due"]) if fu.get("due") else None,
        replied=to_date(int(replied_at)) if replied_at else None,
        rating=Rating(rating) if rating else None,
        carried=bool(q.get("carried_to")),
    )


@dataclass
class Counts:
    received: int = 0
    answered_live: int = 0
    not_adopted: int = 0
    pending: int = 0
    forwarded: int = 0
    replied: int = 0
    closed: int = 0
    rated: int = 0
    satisfied: int = 0
    basically: int = 0
    dissatisfied: int = 0
    overdue: int = 0
    late: int = 0

    def add(self, item: FigureItem, today: dt.date) -> None:
        state = item.state
        self.received += 1
        if state is FuState.ANSWERED_LIVE or (state is FuState.NONE and item.status == "answered"):
            self.answered_live += 1
        elif state is FuState.NOT_ADOPTED:
            self.not_adopted += 1
        elif state in (FuState.NONE, FuState.TO_ASSIGN):
            self.pending += 1
        if state not in _FORWARDED:
            return
        self.forwarded += 1
        self.replied += state in _REPLY_PUBLIC
        self.closed += state is FuState.CLOSED
        if item.rating is not None:
            self.rated += 1
            self.satisfied += item.rating is Rating.SATISFIED
            self.basically += item.rating is Rating.BASICALLY
            self.dissatisfied += item.rating is Rating.DISSATISFIED
        if item.due is not None:
            self.overdue += state in _OPEN_AT_DEPT and today > item.due
            self.late += item.replied is not None and item.replied > item.due

    def to_dict(self) -> dict[str, int | float | None]:
        out: dict[str, int | float | None] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["reply_rate"] = _rate(self.replied, self.forwarded)
        out["close_rate"] = _rate(self.closed, self.forwarded)
        out["satisfaction"] = _rate(self.satisfied + self.basically, self.rated)
        return out


def counted(item: FigureItem) -> bool:
    """Whether the item is one of the 留言数 (the others count nowhere)."""
    if item.state is FuState.MERGED or item.status == "merged" or item.carried:
        return False
    return not (item.state is FuState.NONE and item.status == "rejected")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Figures:
    total: Counts = field(default_factory=Counts)
    by_dept: dict[str, Counts] = field(default_factory=dict)
    by_tag: dict[str, Counts] = field(default_factory=dict)
    by_source: dict[str, Counts] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        def table(groups: dict[str, Counts]) -> dict[str, object]:
            return {k: groups[k].to_dict() for k in sorted(groups)}

        return {
            "total": self.total.to_dict(),
            "by_dept": table(self.by_dept),
            "by_tag": table(self.by_tag),
            "by_source": table(self.by_source),
        }


def followup_figures(items: Iterable[FigureItem], today: dt.date) -> Figures:
    """留言数, 转办数, 答复数, 答复率, 办结率, 满意率 and overdue, in total and by
    department, tag and source."""
    figures = Figures()
    for item in filter(counted, items):
        figures.total.add(item, today)
        if item.dept:
            figures.by_dept.setdefault(item.dept, Counts()).add(item, today)
        figures.by_tag.setdefault(item.tag, Counts()).add(item, today)
        figures.by_source.setdefault(item.source, Counts()).add(item, today)
    return figures
