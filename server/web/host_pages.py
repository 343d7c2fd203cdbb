"""The host view: ``/host/<bid>?key=...``, a read-only page for the presenter's
tablet or prompter (docs/obs.md, "Host view"), and its key.

The page is static HTML carrying only the deployment's time zone (the clock's);
its script sends the key in its websocket hello, never in a request the hub
logs. The key is the broadcast's ``hkey``, made and rotated by
``POST /api/broadcasts/<bid>/host-key`` (a moderator's, like the overlay key's
rotation; ``rotate_key.lua``): rotating closes every host view that used the
old one. A host view connects with the overlay's role, so it receives the
overlay's projection: public questions without askers, no viewer id, no
pending question (``server/domain/projection.py``).
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server import auth
from server.domain import broadcast as bc
from server.timezones import resolve_timezone
from server.web.kit import HTTPError, guarded, hub_of, json_response, require_session

PAGE = Path(__file__).resolve().parents[2] / "static" / "host.html"
HEAD_MARK = "<!-- xs:head -->"
HEADERS = {"cache-control": "no-cache", "x-robots-tag": "noindex", "referrer-policy": "no-referrer"}


def render_page(tz_name: str) -> str:
    """The page with the clock's zone: its IANA name, and its offset now for a
    browser that does not know the name."""
    offset = datetime.now(resolve_timezone(tz_name)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    meta = f'<meta name="xs-tz" content="{html.escape(tz_name)}" data-offset="{minutes}">'
    return PAGE.read_text(encoding="utf-8").replace(HEAD_MARK, meta)


async def host_page(request: Request) -> Response:
    ok = bc.BROADCAST_ID_RE.fullmatch(request.path_params["bid"]) is not None
    tz = hub_of(request).settings.timezone
    return Response(render_page(tz), status_code=200 if ok else 404,
                    media_type="text/html; charset=utf-8", headers=HEADERS)  # fmt: skip


def host_link(base: str, bid: str, key: str) -> str:
    return f"{base}/host/{bid}?key={key}"


@guarded
async def rotate_host_key(request: Request) -> Response:
    """Make the host view's key, or replace it (the old link stops working)."""
    hub = hub_of(request)
    session = await require_session(request, write=True)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    key = auth.overlay_key()
    await hub.store.rotate_overlay_key(bid, key, user=session.user, host=True)
    return json_response({"host_key": key, "link": host_link(hub.settings.base_url(), bid, key)})


@guarded
async def host_key(request: Request) -> Response:
    """The host view's link, if one was made (``{"host_key": null}`` otherwise)."""
    hub = hub_of(request)
    await require_session(request, write=False)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    meta = await hub.store.broadcast_meta(bid)
    if meta is None:
        raise HTTPError(404, "not_found", "no such broadcast")
    key = meta.get("hkey") or None
    link = host_link(hub.settings.base_url(), bid, key) if key else None
    return json_response({"host_key": key, "link": link})


routes = [
    Route("/host/{bid}", host_page, methods=["GET", "HEAD"]),
    Route("/api/broadcasts/{bid}/host-key", host_key, methods=["GET"]),
    Route("/api/broadcasts/{bid}/host-key", rotate_host_key, methods=["POST"]),
]
