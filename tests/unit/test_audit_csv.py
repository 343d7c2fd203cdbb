"""server.web.audit_csv: the CSV a spreadsheet opens without running anything."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from zoneinfo import ZoneInfoNotFoundError

import pytest

from server import timezones
from server.store.audit import Entry
from server.timezones import iso_time, resolve_timezone
from server.web.audit_csv import csv_chunks, safe_cell

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2-3", "'-2-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("  =HYPERLINK()", "'  =HYPERLINK()"),
        ("地铁票价", "地铁票价"),
        ('{"to":"=1+1"}', '{"to":"=1+1"}'),
        ("q:17", "q:17"),
        ("", ""),
    ],
)
def test_formula_cells_are_neutralised(cell: str, shown: str) -> None:
    assert safe_cell(cell) == shown


def test_iso_time_has_the_offset_and_milliseconds() -> None:
    shanghai = resolve_timezone("Asia/Shanghai")
    assert iso_time(1_732_540_000_123, shanghai) == "2024-11-25T21:06:40.123+08:00"
    assert iso_time(1_732_540_000_005, UTC) == "2024-11-25T13:06:40.005+00:00"


def test_without_tzdata_shanghai_and_utc_fall_back_to_fixed_offsets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> None:
        raise ZoneInfoNotFoundError(name)

    monkeypatch.setattr(timezones, "ZoneInfo", missing)
    assert resolve_timezone("Asia/Shanghai").utcoffset(None) == timedelta(hours=8)
    assert resolve_timezone("UTC").utcoffset(None) == timedelta(0)
    with pytest.raises(ValueError, match="tzdata"):
        resolve_timezone("Europe/Paris")


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="TIMEZONE"):
        resolve_timezone("Mars/Olympus_Mons")


async def _entries(n: int) -> AsyncIterator[Entry]:
    for i in range(n):
        yield Entry(
            id=f"{1_732_540_000_000 + i}-0", ts=1_732_540_000_000 + i, user="-admin",
            action="q.edit", target=f"q:{i}",
            detail={"from": "票价, 会不会\n\"上涨\"?", "to": "=1+1"},
        )  # fmt: skip


async def test_the_file_parses_back_with_the_csv_module() -> None:
    n = 1203  # several chunks
    chunks = [c async for c in csv_chunks(_entries(n), UTC)]
    assert len(chunks) > 2
    data = b"".join(chunks)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["time", "user", "action", "target", "detail"]
    assert len(rows) == n + 1
    assert rows[1] == [
        "2024-11-25T13:06:40.000+00:00", "'-admin", "q.edit", "q:0",
        '{"from":"票价, 会不会\\n\\"上涨\\"?","to":"=1+1"}',
    ]  # fmt: skip
    assert rows[-1][3] == f"q:{n - 1}"
