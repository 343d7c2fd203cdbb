"""The OBS overlay pages: ``/overlay/<bid>`` (every widget) and ``/overlay/<bid>/<widget>``.

Every URL serves the same static HTML; ``static/js/overlay/main.js`` reads the
broadcast id and widget from the path and the overlay key from ``?key=``, and
sends the key in its websocket hello (docs/protocol.md, "Handshake"). The page
itself needs no credentials: the key is checked by the hub when the socket
says hello, and a wrong or rotated key leaves the page empty with the reason in
the browser console (docs/obs.md).

A bad broadcast id or an unknown widget answers 404, but still with the
transparent page: broadcast software renders whatever body it gets on air, and
a misspelled source URL must show nothing rather than an error text.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain.broadcast import BROADCAST_ID_RE
from server.protocol import OVERLAY_WIDGETS
from server.store.redis_client import REDIS_DOWN

log = logging.getLogger("xs.overlay")

PAGE = Path(__file__).resolve().parents[2] / "static" / "overlay.html"

# The widgets a page of its own can hold (static/js/overlay/params.js mirrors them).
WIDGETS = frozenset(OVERLAY_WIDGETS)

# Broadcast software keeps a source open for hours and reloads it on scene
# switches: always revalidate, so a deploy reaches every overlay on its next load.
HEADERS = {"cache-control": "no-cache", "x-robots-tag": "noindex"}

HEAD_MARK = "<!-- xs:head -->"


def render_page(join_url: str | None) -> str:
    """The page, carrying the join link the QR widget prints under its code.

    The link is the one ``/qr/<bid>.svg`` encodes (``server/web/viewer_pages.py``): the
    public base URL and the broadcast's short join code. Both are made by the
    hub (no viewer input), and escaped all the same. Without it the page falls
    back to its own origin's ``/b/<bid>``.
    """
    page = PAGE.read_text(encoding="utf-8")
    meta = f'<meta name="xs-join-url" content="{html.escape(join_url)}">' if join_url else ""
    return page.replace(HEAD_MARK, meta)


async def _join_url(request: Request, bid: str) -> str | None:
    hub = getattr(request.app.state, "hub", None)
    if hub is None:
        return None
    try:
        meta = await hub.store.broadcast_meta(bid)
    except REDIS_DOWN:
        # The page must come up anyway; its socket retries until Redis is back.
        log.warning("overlay page served without its join link: Redis unavailable")
        return None
    code = (meta or {}).get("join")
    return f"{hub.settings.base_url()}/j/{code}" if code else None


async def overlay_page(request: Request) -> Response:
    bid = request.path_params["bid"]
    widget = request.path_params.get("widget")
    ok = BROADCAST_ID_RE.fullmatch(bid) is not None and (widget is None or widget in WIDGETS)
    join_url = await _join_url(request, bid) if ok else None
    # Read per request (a few KiB): a deploy needs no restart, and importing
    # this module touches no file (no import-time side effects).
    return Response(render_page(join_url), status_code=200 if ok else 404,
                    media_type="text/html; charset=utf-8", headers=HEADERS)  # fmt: skip


routes = [
    Route("/overlay/{bid}", overlay_page, methods=["GET", "HEAD"]),
    Route("/overlay/{bid}/{widget}", overlay_page, methods=["GET", "HEAD"]),
]
