"""HTTP routes of the record and the rehearsal: audit logs, rehearsal mode, poll list.

Same rules as ``server.web.api``: every route needs a moderator session (401), the
write (rehearsal) also the CSRF token and an allowed origin (403), the
deployment-wide audit log an administrator (403). Audit responses are private
and never cached.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from server.domain import broadcast as bc
from server.live.hub import Hub
from server.ops import rehearsal
from server.store import audit, keys
from server.timezones import iso_time
from server.web.audit_csv import csv_chunks
from server.web.kit import HTTPError, guarded, hub_of, json_response, read_body, require_session

DEFAULT_PAGE = 200
_PRIVATE = {"Cache-Control": "no-store"}


async def _existing(hub: Hub, request: Request) -> str:
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    if await hub.store.broadcast_meta(bid) is None:
        raise HTTPError(404, "not_found", "no such broadcast")
    return bid


def _paging(request: Request, most: int) -> tuple[int, str | None]:
    raw_limit = request.query_params.get("limit", str(DEFAULT_PAGE))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= most:
        raise HTTPError(400, "invalid", f"limit must be an integer from 1 to {most}")
    before = request.query_params.get("before") or None
    if before is not None and audit.STREAM_ID_RE.fullmatch(before) is None:
        raise HTTPError(400, "invalid", "before must be an entry id from a previous page")
    return int(raw_limit), before


async def _page(request: Request, hub: Hub, key: str) -> Response:
    limit, before = _paging(request, hub.settings.audit_page_max)
    entries, after = await audit.page(hub.redis, key, limit=limit, before=before)
    # Each entry's time also in the one zone every page and CSV writes
    # (server/timezones.py), so the log tab shows what the CSV says, whatever
    # the browser's own zone.
    shown = [{**e, "at": iso_time(e["ts"], hub.timezone)} for e in entries]
    response = json_response({"entries": shown, "next": after, "timezone": hub.settings.timezone})
    response.headers.update(_PRIVATE)
    return response


def _csv(hub: Hub, key: str, filename: str) -> Response:
    return StreamingResponse(
        csv_chunks(audit.every_entry(hub.redis, key), hub.timezone),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **_PRIVATE},
    )


# --- a broadcast's audit log (any moderator) -------------------------------------------


@guarded
async def broadcast_audit(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False)
    bid = await _existing(hub, request)
    return await _page(request, hub, keys.audit(bid))


@guarded
async def broadcast_audit_csv(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False)
    bid = await _existing(hub, request)
    return _csv(hub, keys.audit(bid), f"audit-{bid}.csv")


# --- the deployment's audit log (administrators) ---------------------------------------


@guarded
async def deployment_audit(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False, admin=True)
    return await _page(request, hub, keys.AUDIT)


@guarded
async def deployment_audit_csv(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False, admin=True)
    return _csv(hub, keys.AUDIT, "audit.csv")


# --- rehearsal and polls ---------------------------------------------------------------


@guarded
async def rehearsal_action(request: Request) -> Response:
    """``{"action": "fill" | "clear"}`` on a draft; 409 ``conflict`` otherwise."""
    hub = hub_of(request)
    session = await require_session(request, write=True)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    action = (await read_body(request)).get("action")
    result: dict[str, Any]
    if action == "fill":
        result = await rehearsal.fill(
            hub.store, bid, user=session.user, settings=await hub.broadcast_settings(bid),
            name_max_len=hub.settings.name_max_len,
        )  # fmt: skip
    elif action == "clear":
        await _existing(hub, request)
        result = await rehearsal.clear(hub.store, bid, user=session.user)
    else:
        raise HTTPError(400, "invalid", 'action must be "fill" or "clear"')
    return json_response(result)


@guarded
async def polls(request: Request) -> Response:
    """Every poll of a broadcast, to copy one into a new poll (``poll.create``)."""
    hub = hub_of(request)
    await require_session(request, write=False)
    bid = await _existing(hub, request)
    return json_response({"polls": await hub.store.list_polls(bid)})


routes = [
    Route("/api/audit", deployment_audit),
    Route("/api/audit.csv", deployment_audit_csv),
    Route("/api/broadcasts/{bid}/audit", broadcast_audit),
    Route("/api/broadcasts/{bid}/audit.csv", broadcast_audit_csv),
    Route("/api/broadcasts/{bid}/rehearsal", rehearsal_action, methods=["POST"]),
    Route("/api/broadcasts/{bid}/polls", polls),
]
