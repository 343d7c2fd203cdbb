"""The record's files: XLSX (four sheets), CSV (the questions), JSON (everything),
and the report they summarise.

Each reads the broadcast through ``server.store.record.Record``, questions in
chunks, so memory stays bounded by a chunk, not by the broadcast:

* **XLSX** (XlsxWriter in ``constant_memory`` mode: each row goes to a
  temporary file as it is written). The writing runs in a worker thread, one
  chunk at a time, so a big export never stalls the event loop that serves
  the live sockets. An XLSX is a zip whose index comes last: the file is
  complete before its first byte is sent. Cells are written as typed values
  (``write_string`` for text), never as formulas, so a question starting with
  ``=`` is text in every spreadsheet.
* **CSV**: UTF-8 with BOM, one row per question, every text cell through the
  audit CSV's ``safe_cell`` (formula-safe), times ISO 8601 with offset; sent
  chunk by chunk as it is read.
* **JSON**: ``{"version": 1, ...}`` as docs/report.md and docs/export.schema.json
  define it, sent chunk by chunk (the questions array is written as it is read).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import orjson
import xlsxwriter

from server.domain import record_columns as rc
from server.domain import report as rp
from server.store.record import Figures, Record, Row
from server.timezones import iso_time
from server.web.audit_csv import BOM, safe_cell

EXPORT_VERSION = 1
_CSV_ROWS_PER_CHUNK = 500


class Gathered:
    """What an export learns while it reads: the tally and the department names."""

    def __init__(self) -> None:
        self.tally = rp.Tally()
        self.departments: dict[str, str] = {}

    def report(
        self, meta: Mapping[str, str], figures: Figures, polls: Sequence[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """The broadcast's report, once every question was read."""
        summary = rp.broadcast_summary(meta)
        return rp.broadcast_report(summary, figures.totals, figures.raw, self.tally, polls)


def show_names(meta: Mapping[str, str]) -> bool:
    """The broadcast's ``show_names`` setting (stored JSON in its meta hash)."""
    try:
        settings = orjson.loads(meta.get("settings") or "{}")
    except orjson.JSONDecodeError:
        return False  # unreadable: hide names rather than show them
    return bool(settings.get("show_names", True)) if isinstance(settings, dict) else False


async def _rows(record: Record, bid: str, seen: Gathered, names: bool) -> AsyncIterator[list[Row]]:
    """Questions chunk by chunk, counted on the way, department names resolved,
    names as viewers saw them (``names`` False: the broadcast hid them)."""
    async for found in record.questions(bid):
        chunk: list[Row] = [(dict(rc.as_shown(q, names)), fu) for q, fu in found]
        wanted = {str(fu["dept"]) for _, fu in chunk if fu and fu.get("dept")}
        missing = wanted - seen.departments.keys()
        if missing:
            seen.departments.update(await record.departments(missing))
        for q, fu in chunk:
            seen.tally.add(q, fu)
        yield chunk


async def report_of(
    record: Record, bid: str, meta: Mapping[str, str]
) -> tuple[dict[str, Any], rp.Tally]:
    """The broadcast's report (every question read once, in chunks) and its tally."""
    figures = await record.figures(bid)
    polls = await record.polls(bid)
    seen = Gathered()
    async for _chunk in _rows(record, bid, seen, show_names(meta)):
        pass
    return seen.report(meta, figures, polls), seen.tally


def summary_rows(report: Mapping[str, Any], tz: tzinfo, exported_at: int) -> list[list[Any]]:
    """The 概况 sheet: label, value (times as text in the broadcast's zone)."""
    b = report["broadcast"]
    q = report["questions"]

    def when(ms: int | None) -> str:
        return iso_time(ms, tz) if ms else "—"

    def share(x: float | None) -> str:
        return f"{x * 100:.1f}%" if x is not None else "—"

    return [
        ["节目", b.get("title", "")], ["编号", b.get("id", "")],
        ["状态", rc.BROADCAST_STATE_ZH.get(str(b.get("state")), b.get("state", ""))],
        ["开始时间", when(b.get("started"))], ["结束时间", when(b.get("ended"))],
        ["导出时间", when(exported_at)],
        ["观看人次", report["views"]], ["独立设备", report["viewers_unique"]],
        ["最高同时在线", report["viewers_peak"]], ["最高在线时间", when(report["viewers_peak_at"])],
        ["点赞", report["likes"]], ["收到问题", q["received"]], ["上墙问题", q["approved"]],
        ["现场回答", q["answered_live"]], ["转办", q["forwarded"]], ["已答复", q["replied"]],
        ["答复率", share(report["reply_rate"])], ["满意率", share(report["satisfaction"])],
        ["未通过", q["rejected"]], ["待审核", q["pending"]], ["已合并", q["merged"]],
        ["投票数", len(report["polls"])], ["投票人次", report["votes"]],
    ]  # fmt: skip


# --- XLSX -------------------------------------------------------------------------------


class _Sheets:
    """The workbook and where each sheet's next row goes (used from one thread at a time)."""

    def __init__(self, path: str, tz: tzinfo) -> None:
        self.tz = tz
        self.book = xlsxwriter.Workbook(
            path,
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
             "strings_to_numbers": False, "tmpdir": os.path.dirname(path)},
        )  # fmt: skip
        self.bold = self.book.add_format({"bold": True})
        self.time = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.pct = self.book.add_format({"num_format": "0.0%"})
        self.summary = self.book.add_worksheet("概况")
        self.questions = self.book.add_worksheet("问题")
        self.polls = self.book.add_worksheet("投票")
        self.timeline = self.book.add_worksheet("时间线")
        self.next: dict[str, int] = {}

    def header(self, sheet: Any, columns: Sequence[rc.Column]) -> None:
        for i, col in enumerate(columns):
            sheet.set_column(i, i, col.width)
            sheet.write_string(0, i, col.zh, self.bold)
        self.next[sheet.name] = 1

    def rows(self, sheet: Any, columns: Sequence[rc.Column], rows: Sequence[Sequence[Any]]) -> None:
        r = self.next[sheet.name]
        for cells in rows:
            for i, (col, value) in enumerate(zip(columns, cells, strict=True)):
                self._cell(sheet, r, i, col.kind, value)
            r += 1
        self.next[sheet.name] = r

    def _cell(self, sheet: Any, r: int, c: int, kind: rc.Kind, value: Any) -> None:
        if value is None or value == "":
            return
        if kind is rc.Kind.TIME:
            moment = datetime.fromtimestamp(int(value) / 1000, self.tz).replace(tzinfo=None)
            sheet.write_datetime(r, c, moment, self.time)
        elif kind is rc.Kind.FLAG:
            if value:
                sheet.write_string(r, c, "是")
        elif kind is rc.Kind.INT:
            sheet.write_number(r, c, int(value))
        elif kind is rc.Kind.SHARE:
            sheet.write_number(r, c, float(value), self.pct)
        else:
            sheet.write_string(r, c, str(value))

    def summary_sheet(self, rows: Sequence[Sequence[Any]]) -> None:
        self.summary.set_column(0, 0, 16)
        self.summary.set_column(1, 1, 40)
        for r, (label, value) in enumerate(rows):
            self.summary.write_string(r, 0, str(label), self.bold)
            if isinstance(value, int):
                self.summary.write_number(r, 1, value)
            else:
                self.summary.write_string(r, 1, str(value))


async def write_xlsx(
    record: Record, bid: str, meta: Mapping[str, str], tz: tzinfo, path: str,
    exported_at: int,
) -> None:  # fmt: skip
    """The whole workbook at ``path``; blocking work runs in a worker thread."""
    figures = await record.figures(bid)
    polls = await record.polls(bid)
    sheets = await asyncio.to_thread(_Sheets, path, tz)
    try:
        sheets.header(sheets.questions, rc.QUESTION_COLUMNS)
        seen = Gathered()
        async for chunk in _rows(record, bid, seen, show_names(meta)):
            cells = [rc.question_row(q, fu, seen.departments) for q, fu in chunk]
            await asyncio.to_thread(sheets.rows, sheets.questions, rc.QUESTION_COLUMNS, cells)
        report = seen.report(meta, figures, polls)
        sheets.header(sheets.polls, rc.POLL_COLUMNS)
        sheets.rows(sheets.polls, rc.POLL_COLUMNS, [r for p in polls for r in rc.poll_rows(p)])
        sheets.header(sheets.timeline, rc.TIMELINE_COLUMNS)
        line = [rc.timeline_row(m) for m in report["timeline"]]
        await asyncio.to_thread(sheets.rows, sheets.timeline, rc.TIMELINE_COLUMNS, line)
        sheets.summary_sheet(summary_rows(report, tz, exported_at))
    finally:
        await asyncio.to_thread(sheets.book.close)


async def xlsx_chunks(
    record: Record, bid: str, meta: Mapping[str, str], tz: tzinfo, exported_at: int,
    chunk_bytes: int = 64 * 1024,
) -> AsyncIterator[bytes]:  # fmt: skip
    """The workbook, written to a private temporary directory, then sent in chunks
    and deleted (also when the client goes away mid-download)."""
    with tempfile.TemporaryDirectory(prefix="xs-export-") as tmp:
        path = os.path.join(tmp, "export.xlsx")
        await write_xlsx(record, bid, meta, tz, path, exported_at)
        with open(path, "rb") as f:  # noqa: ASYNC230 - a local temporary file, read in chunks
            while block := f.read(chunk_bytes):
                yield block


# --- CSV --------------------------------------------------------------------------------


def csv_cell(kind: rc.Kind, value: Any, tz: tzinfo) -> str:
    if value is None or value == "":
        return ""
    if kind is rc.Kind.TIME:
        return iso_time(int(value), tz)
    if kind is rc.Kind.FLAG:
        return "是" if value else ""
    if kind is rc.Kind.INT:
        return str(int(value))
    if kind is rc.Kind.SHARE:
        return f"{float(value):.4f}"
    return safe_cell(str(value))


async def csv_chunks(
    record: Record, bid: str, meta: Mapping[str, str], tz: tzinfo
) -> AsyncIterator[bytes]:
    """The questions as CSV: BOM, the Chinese header, one row per question."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write(BOM)
    writer.writerow([c.zh for c in rc.QUESTION_COLUMNS])
    seen = Gathered()
    async for chunk in _rows(record, bid, seen, show_names(meta)):
        for q, fu in chunk:
            cells = rc.question_row(q, fu, seen.departments)
            writer.writerow(
                [csv_cell(c.kind, v, tz) for c, v in zip(rc.QUESTION_COLUMNS, cells, strict=True)]
            )
        yield buf.getvalue().encode("utf-8")
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue().encode("utf-8")


# --- JSON -------------------------------------------------------------------------------


def json_question(row: Row, departments: Mapping[str, str]) -> dict[str, Any]:
    """A question as the JSON export holds it: stored fields, follow-up nested."""
    q, fu = row
    out = dict(q)
    out.setdefault("source", rp.DEFAULT_SOURCE)
    if fu is not None:
        fu = dict(fu)
        dept = fu.get("dept")
        if dept:
            fu["dept_name"] = departments.get(str(dept))
    out["followup"] = fu
    return out


async def json_chunks(
    record: Record, bid: str, meta: Mapping[str, str], tz_name: str, exported_at: int
) -> AsyncIterator[bytes]:
    """``{"version", "exported_at", "timezone", "broadcast", "questions": [...],
    "polls", "timeline", "figures"}``; the questions are sent as they are read."""
    figures = await record.figures(bid)
    polls = await record.polls(bid)
    head = {"version": EXPORT_VERSION, "exported_at": exported_at, "timezone": tz_name,
            "broadcast": rp.broadcast_summary(meta)}  # fmt: skip
    yield orjson.dumps(head)[:-1] + b',"questions":['
    seen = Gathered()
    first = True
    async for chunk in _rows(record, bid, seen, show_names(meta)):
        parts = [orjson.dumps(json_question(row, seen.departments)) for row in chunk]
        yield (b"" if first else b",") + b",".join(parts)
        first = False
    report = seen.report(meta, figures, polls)
    figures_out = {k: v for k, v in report.items() if k not in ("version", "broadcast",
                                                                 "timeline", "polls")}  # fmt: skip
    tail = {"polls": polls, "timeline": report["timeline"], "figures": figures_out}
    yield b"]," + orjson.dumps(tail)[1:]
