"""What each column of the record's exports holds (the sheets 问题, 投票, 时间线).

Pure: a question (as ``server/store/record.py`` reads it) becomes a row of
typed cells; the file writers (XLSX, CSV) decide how a time or a flag looks.
No column ever holds a viewer id, the asker's lookup code or the text's
fingerprint: an export is handed to departments and meetings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .question import ANONYMOUS
from .report import DEFAULT_SOURCE, poll_figures


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    TIME = "time"  # ms since the epoch, written in the broadcast's time zone
    FLAG = "flag"  # 是 / empty
    SHARE = "share"  # a fraction, written as a percentage


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: Kind
    width: int = 12  # characters, for the XLSX sheet


STATUS_ZH: Mapping[str, str] = {
    "pending": "待审核", "approved": "已通过", "on_air": "直播中", "answered": "已回答",
    "rejected": "未通过", "merged": "已合并",
}  # fmt: skip
SOURCE_ZH: Mapping[str, str] = {
    "phone": "手机", "hotline": "热线", "letter": "来信", "onsite": "现场",
    "platform": "其他平台", "member": "委员",
}  # fmt: skip
FOLLOWUP_ZH: Mapping[str, str] = {
    "to_assign": "待转办", "assigned": "已转办", "accepted": "已签收", "replied": "已答复",
    "published": "已公开", "closed": "已办结", "not_adopted": "不予采纳",
    "answered_live": "现场已答", "merged": "已合并",
}  # fmt: skip
RATING_ZH: Mapping[str, str] = {
    "satisfied": "满意", "basically": "基本满意", "dissatisfied": "不满意",
}  # fmt: skip

_T, _I, _TM, _F = Kind.TEXT, Kind.INT, Kind.TIME, Kind.FLAG
QUESTION_COLUMNS: tuple[Column, ...] = (
    Column("id", "编号", "id", _I, 6),
    Column("created", "提问时间", "asked at", _TM, 20),
    Column("text", "问题（审核后）", "text (as approved)", _T, 50),
    Column("orig", "原文（如经修改）", "original text (if edited)", _T, 40),
    Column("name", "署名", "name shown", _T, 12),
    Column("tag", "标签", "tag", _T, 10),
    Column("source", "来源", "source", _T, 8),
    Column("status", "状态", "status", _T, 8),
    Column("votes", "赞同数", "upvotes", _I, 8),
    Column("starred", "加星", "starred", _F, 6),
    Column("approved_at", "上墙时间", "shown at", _TM, 20),
    Column("onair_at", "上屏（直播）时间", "on air at", _TM, 20),
    Column("answered_at", "回答完毕时间", "answered at", _TM, 20),
    Column("answer_note", "现场回答要点", "answer note", _T, 30),
    Column("fu_state", "办理状态", "follow-up state", _T, 10),
    Column("dept", "承办单位", "department", _T, 16),
    Column("due", "办理期限", "due date", _T, 12),
    Column("reply", "答复内容", "reply", _T, 50),
    Column("rating", "评价", "rating", _T, 8),
)
POLL_COLUMNS: tuple[Column, ...] = (
    Column("poll", "投票编号", "poll id", _I, 8),
    Column("question", "投票题目", "poll question", _T, 40),
    Column("state", "状态", "state", _T, 8),
    Column("multi", "多选", "multiple choice", _F, 6),
    Column("ballots", "投票人数", "ballots", _I, 10),
    Column("option", "选项", "option", _T, 30),
    Column("votes", "票数", "votes", _I, 8),
    Column("share", "占投票人数", "share of voters", Kind.SHARE, 10),
    Column("kind", "类型", "poll type", _T, 8),
    Column("figure", "统计口径", "what the figures are", _T, 30),
)
TIMELINE_COLUMNS: tuple[Column, ...] = (
    Column("t", "时间（分钟）", "minute", _TM, 20),
    Column("viewers", "同时在线（峰值）", "concurrent viewers (max)", _I, 14),
    Column("views", "新增人次", "views started", _I, 10),
    Column("devices", "新设备", "new devices", _I, 10),
    Column("likes", "点赞", "likes", _I, 10),
    Column("questions", "收到问题", "questions received", _I, 10),
    Column("approved", "上墙问题", "questions shown", _I, 10),
    Column("votes", "投票", "ballots", _I, 8),
)
POLL_STATE_ZH: Mapping[str, str] = {"draft": "草稿", "open": "进行中", "closed": "已结束"}
BROADCAST_STATE_ZH: Mapping[str, str] = {"draft": "筹备中", "live": "直播中", "ended": "已结束"}

Cell = str | int | float | bool | None


def as_shown(q: Mapping[str, Any], show_names: bool) -> Mapping[str, Any]:
    """The question with its name as viewers saw it: 匿名 when the broadcast hides names."""
    return q if show_names else {**q, "name": ANONYMOUS}


def question_row(
    q: Mapping[str, Any], fu: Mapping[str, Any] | None, departments: Mapping[str, str]
) -> list[Cell]:
    """One question as the cells of ``QUESTION_COLUMNS``; labels in Chinese."""
    f = fu or {}
    dept = f.get("dept")
    values: dict[str, Cell] = {
        **{c.key: q.get(c.key) for c in QUESTION_COLUMNS},
        "source": SOURCE_ZH.get(str(q.get("source") or DEFAULT_SOURCE), q.get("source")),
        "status": STATUS_ZH.get(str(q.get("status")), q.get("status")),
        "starred": bool(q.get("starred")),
        "fu_state": FOLLOWUP_ZH.get(str(f.get("state")), f.get("state")),
        "dept": departments.get(str(dept), dept) if dept else None,
        "due": f.get("due"),
        "reply": f.get("reply"),
        "rating": RATING_ZH.get(str(f.get("rating")), f.get("rating")),
    }
    return [values[c.key] for c in QUESTION_COLUMNS]


POLL_KIND_ZH: Mapping[str, str] = {
    "choice": "选择",
    "rating": "打分",
    "ranking": "排序",
    "words": "词云",
}


def poll_rows(poll: Mapping[str, Any]) -> list[list[Cell]]:
    """A poll as one row per option (a ranking's best first, with its Borda points
    as votes; a word cloud's words), the poll's own cells repeated so a filter
    works; the figures are ``report.poll_figures``' (one definition)."""
    fig = poll_figures(poll)
    head: list[Cell] = [
        int(poll["id"]), poll.get("question"),
        POLL_STATE_ZH.get(str(poll.get("state")), poll.get("state")),
        bool(poll.get("multi")), fig["ballots"],
    ]  # fmt: skip
    figs = fig["figures"]
    basis = figs.get("note") or figs.get("basis") or {}
    what = str(basis.get("zh", ""))
    if figs["kind"] == "rating" and figs["average"] is not None:
        what = f"平均 {figs['average']} 分；{what}"
    tail: list[Cell] = [POLL_KIND_ZH.get(fig["kind"], fig["kind"]), what]
    return [[*head, o["text"], int(o["votes"]), o["share"], *tail] for o in fig["options"]]


def timeline_row(minute: Mapping[str, int]) -> list[Cell]:
    return [minute[c.key] for c in TIMELINE_COLUMNS]
