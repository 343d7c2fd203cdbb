"""The audit log as a CSV file a spreadsheet opens safely.

* UTF-8 with a byte order mark: Excel (the consultation office's tool) reads a
  BOM-less UTF-8 CSV as the local code page and garbles Chinese.
* Columns ``time,user,action,target,detail``; ``time`` is ISO 8601 with its
  offset in the deployment's time zone (``settings.timezone``), ``detail`` the
  entry's JSON.
* Injection-safe: a cell a spreadsheet would run as a formula (OWASP "CSV
  injection": it starts with ``= + - @``, a tab or a carriage return, maybe
  after spaces) gets a leading apostrophe, which spreadsheets show as text.
  Every cell goes through it: question texts, names and word lists are
  untrusted, and they reach ``detail`` and (S1's words) ``target``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import tzinfo

import orjson

from server.store.audit import Entry
from server.timezones import iso_time

BOM = "\ufeff"
COLUMNS = ("time", "user", "action", "target", "detail")
_FORMULA_START = frozenset("=+-@\t\r")
_ROWS_PER_CHUNK = 500  # rows per chunk of the streamed response


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it, never runs it."""
    stripped = value.lstrip(" ")
    if stripped and stripped[0] in _FORMULA_START:
        return "'" + value
    return value


def row(entry: Entry, tz: tzinfo) -> list[str]:
    detail = orjson.dumps(entry["detail"]).decode()
    cells = (entry["user"], entry["action"], entry["target"], detail)
    return [iso_time(entry["ts"], tz), *(safe_cell(c) for c in cells)]


async def csv_chunks(entries: AsyncIterator[Entry], tz: tzinfo) -> AsyncIterator[bytes]:
    """The whole file, BOM and header first, in chunks of encoded rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180 line ends
    buf.write(BOM)
    writer.writerow(COLUMNS)
    n = 0
    async for entry in entries:
        writer.writerow(row(entry, tz))
        n += 1
        if n % _ROWS_PER_CHUNK == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode("utf-8")
