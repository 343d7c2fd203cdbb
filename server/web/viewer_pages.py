"""The viewer's way in: ``/`` (type the join code), ``/b/<bid>`` (the page),
``/j/<code>`` (short link), ``/qr/<bid>.svg``.

The viewer page is static HTML; ``static/js/viewer/main.js`` reads the broadcast id
from the path and opens the websocket. The page needs the signed ``xs_vid``
cookie before it connects, so this route sets it when missing (the same
per-address limit as ``GET /api/viewer``). Nothing from Redis is written into
the HTML: broadcast data reaches the page over the socket and is rendered as
text (orjson output is not HTML-safe: ``</script>`` passes through).

The join page (``/``) is a plain form: ``GET /j?code=`` redirects to the
broadcast, and an unknown code (typed, or a stale ``/j/<code>`` link) gets the
same page back with status 404, where ``static/js/join/main.js`` says the code
was not found and keeps what was typed. A code is read case-insensitively,
with spaces and dashes ignored (it is read off a television picture).

The QR code encodes the short join link (``/j/<code>``: fewer modules, easier
to scan off a television picture) and is drawn server-side with ``segno`` as a
plain SVG (no script, no external reference), so the console and the overlay
can show it with an ``<img>`` under the strict CSP.
"""

from __future__ import annotations

import io
from pathlib import Path

import segno
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from server.domain import broadcast as bc
from server.domain.errors import Rejection
from server.web.api import give_viewer_id
from server.web.kit import HTTPError, guarded, hub_of

STATIC = Path(__file__).resolve().parents[2] / "static"
VIEWER_PAGE = STATIC / "viewer.html"
JOIN_PAGE = STATIC / "join.html"

# The page is tiny and changes with each deploy: always revalidate (ETag).
PAGE_HEADERS = {"cache-control": "no-cache"}
# A QR code changes only if the public URL does.
QR_HEADERS = {"cache-control": "public, max-age=3600"}


async def _existing(request: Request, bid: str) -> str | None:
    """The broadcast id if it is valid and the broadcast exists, else None."""
    try:
        bid = bc.validate_broadcast_id(bid)
    except Rejection:
        return None
    return bid if await hub_of(request).store.broadcast_meta(bid) is not None else None


@guarded
async def viewer_page(request: Request) -> Response:
    bid = await _existing(request, request.path_params["bid"])
    # An unknown broadcast still gets the page, with 404: its socket is refused
    # with 4404 and the page says so in the reader's language. No viewer id is
    # minted for it (junk URLs must not use up the per-address budget).
    response = FileResponse(
        VIEWER_PAGE, status_code=200 if bid else 404, media_type="text/html; charset=utf-8",
        headers=PAGE_HEADERS,
    )  # fmt: skip
    if bid is not None:
        # Over the per-address limit the page is served anyway: its socket is
        # then refused with 4401 and the page says why.
        await give_viewer_id(request, response)
    return response


def _join_page(status: int) -> Response:
    return FileResponse(
        JOIN_PAGE, status_code=status, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
    )


async def join_home(request: Request) -> Response:
    return _join_page(200)


def _typed_code(raw: str) -> str:
    """What a viewer typed, as a join code: no spaces or dashes (case is the store's)."""
    return "".join(c for c in raw[:64] if not c.isspace() and c not in "-_")


@guarded
async def join(request: Request) -> Response:
    code = _typed_code(str(request.path_params.get("code") or request.query_params.get("code", "")))
    if not code:
        return RedirectResponse("/", status_code=302)
    bid = await hub_of(request).store.resolve_join_code(code)
    if bid is None:
        return _join_page(404)
    return RedirectResponse(f"/b/{bid}", status_code=302)


def qr_svg(url: str) -> bytes:
    """The QR code of ``url`` as a standalone SVG (black on white, 4-module quiet zone).

    ``omitsize``: the SVG has only a viewBox, so it scales to whatever box the
    console or overlay gives it.
    """
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=8, dark="#000", light="#fff", border=4, xmldecl=True,
        svgns=True, omitsize=True, title="QR",
    )  # fmt: skip
    return out.getvalue()


@guarded
async def qr(request: Request) -> Response:
    hub = hub_of(request)
    bid = await _existing(request, request.path_params["bid"])
    if bid is None:
        raise HTTPError(404, "not_found", "no such broadcast")
    code = await hub.store.join_code(bid)
    body = qr_svg(f"{hub.settings.base_url()}/j/{code}")
    return Response(body, media_type="image/svg+xml", headers=QR_HEADERS)


routes = [
    Route("/", join_home, methods=["GET", "HEAD"]),
    Route("/b/{bid}", viewer_page, methods=["GET", "HEAD"]),
    Route("/j", join, methods=["GET", "HEAD"]),
    Route("/j/", join, methods=["GET", "HEAD"]),
    Route("/j/{code}", join, methods=["GET", "HEAD"]),
    Route("/qr/{bid}.svg", qr, methods=["GET", "HEAD"]),
]
