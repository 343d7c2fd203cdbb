"""HTTP of the record: exports, the report JSON and the report pages.

* ``GET /api/broadcasts/<bid>/export.xlsx`` / ``.csv`` / ``.json``: any
  moderator, at any time (``server.web.export_files`` writes them, streamed).
* ``GET /api/broadcasts/<bid>/report``: the report's figures (docs/report.md).
* ``GET /api/seasons/<season>/report``: a season's broadcasts summed.
* ``/report/<bid>``, ``/report/s/<season>``: the report pages (redirect to the
  login without a session, like the console).

Every route needs a moderator session (401: a viewer or the overlay has
none); an unknown broadcast or season is 404. Responses are private and never
cached: they hold every question.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from server.domain import broadcast as bc
from server.domain import report as rp
from server.domain.errors import Rejection
from server.live.hub import Hub
from server.store.record import Record
from server.store.seasons import Seasons
from server.web import export_files as ef
from server.web.console_pages import STATIC, logged_in, page, to_login
from server.web.kit import HTTPError, guarded, hub_of, json_response, require_session

_PRIVATE = {"Cache-Control": "no-store"}
REPORT_PAGE = STATIC / "report.html"

_KINDS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


async def _meta(hub: Hub, bid_raw: object) -> tuple[str, dict[str, str]]:
    bid = bc.validate_broadcast_id(str(bid_raw))
    meta = await hub.store.broadcast_meta(bid)
    if meta is None:
        raise HTTPError(404, "not_found", "no such broadcast")
    return bid, meta


def _now_ms() -> int:
    return int(time.time() * 1000)


def _private(data: Any) -> Response:
    response = json_response(data)
    response.headers.update(_PRIVATE)
    return response


@guarded
async def export(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False)
    kind = str(request.path_params["kind"])
    if kind not in _KINDS:
        raise HTTPError(404, "not_found", "exports are .xlsx, .csv and .json")
    bid, meta = await _meta(hub, request.path_params["bid"])
    record = Record(hub.redis)
    now = _now_ms()
    if kind == "xlsx":
        body = ef.xlsx_chunks(record, bid, meta, hub.timezone, now)
    elif kind == "csv":
        body = ef.csv_chunks(record, bid, meta, hub.timezone)
    else:
        body = ef.json_chunks(record, bid, meta, hub.settings.timezone, now)
    name = f"{bid}-{time.strftime('%Y%m%d-%H%M', time.gmtime(now / 1000))}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', **_PRIVATE}
    return StreamingResponse(body, media_type=_KINDS[kind], headers=headers)


def _stamped(hub: Hub, report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "generated_at": _now_ms(), "timezone": hub.settings.timezone}


@guarded
async def broadcast_report(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False)
    bid, meta = await _meta(hub, request.path_params["bid"])
    report, _ = await ef.report_of(Record(hub.redis), bid, meta)
    return _private(_stamped(hub, report))


@guarded
async def season_report(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False)
    season = await Seasons(hub.redis, hub.settings).get(str(request.path_params["sid"]))
    if season is None:
        raise HTTPError(404, "not_found", "no such season")
    record = Record(hub.redis)
    items = []
    for bid in season["broadcasts"]:
        meta = await hub.store.broadcast_meta(bid)
        if meta is not None:  # deleted since it joined the season
            items.append(await ef.report_of(record, bid, meta))
    summary = {k: season[k] for k in ("id", "name", "year", "created")}
    return _private(_stamped(hub, rp.season_report(summary, items)))


async def _page_for(request: Request, exists: bool) -> Response:
    return page(REPORT_PAGE, 200 if exists else 404)


@guarded
async def report_page(request: Request) -> Response:
    if not await logged_in(request):
        return to_login(request)
    try:
        bid = bc.validate_broadcast_id(str(request.path_params["bid"]))
    except Rejection:
        return page(REPORT_PAGE, 404)
    return await _page_for(request, await hub_of(request).store.broadcast_meta(bid) is not None)


@guarded
async def season_page(request: Request) -> Response:
    if not await logged_in(request):
        return to_login(request)
    hub = hub_of(request)
    found = await Seasons(hub.redis, hub.settings).get(str(request.path_params["sid"]))
    return await _page_for(request, found is not None)


routes = [
    Route("/api/broadcasts/{bid}/export.{kind}", export, methods=["GET"]),
    Route("/api/broadcasts/{bid}/report", broadcast_report, methods=["GET"]),
    Route("/api/seasons/{sid}/report", season_report, methods=["GET"]),
    Route("/report/s/{sid}", season_page, methods=["GET", "HEAD"]),
    Route("/report/{bid}", report_page, methods=["GET", "HEAD"]),
]
