"""The follow-up's pages: ``/office`` (a department's accounts), ``/q`` and
``/q/<code>`` (an asker's 查询码 lookup), ``/r/<bid>`` and ``/r/s/<sid>`` (the
public replies of a broadcast or a season).

Static HTML, like every page: their scripts read the JSON API and render
every untrusted text with ``textContent``; nothing from Redis is ever written
into the markup, and the app's CSP (no inline script) covers them.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from server.web.kit import guarded

STATIC = Path(__file__).resolve().parents[2] / "static"
PAGE_HEADERS = {"cache-control": "no-cache"}


def _page(name: str) -> Response:
    return FileResponse(STATIC / name, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@guarded
async def office_page(request: Request) -> Response:
    # The page signs in by itself (an official's session is not a moderator's).
    return _page("office.html")


@guarded
async def lookup_page(request: Request) -> Response:
    return _page("q.html")


@guarded
async def replies_page(request: Request) -> Response:
    return _page("replies.html")


routes = [
    Route("/office", office_page, methods=["GET", "HEAD"]),
    Route("/q", lookup_page, methods=["GET", "HEAD"]),
    Route("/q/{code}", lookup_page, methods=["GET", "HEAD"]),
    Route("/r/{bid}", replies_page, methods=["GET", "HEAD"]),
    Route("/r/s/{sid}", replies_page, methods=["GET", "HEAD"]),
]
