"""The moderators' pages: ``/login``, ``/console`` (broadcasts, accounts, word
list) and ``/console/<bid>`` (the live console of one broadcast).

The pages are static HTML; their scripts read everything over the API and the
websocket after login, so nothing from Redis is ever written into the markup.
A console page asked for without a valid session redirects to ``/login`` with
the page to come back to in ``next`` (a relative path only: no open redirect).
The API and the websocket refuse on their own (401 / close 4401); the redirect
is for people.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from server import auth
from server.domain import broadcast as bc
from server.domain.errors import Rejection
from server.web.kit import guarded, hub_of

STATIC = Path(__file__).resolve().parents[2] / "static"
LOGIN_PAGE = STATIC / "login.html"
HOME_PAGE = STATIC / "console-home.html"
CONSOLE_PAGE = STATIC / "console.html"

PAGE_HEADERS = {"cache-control": "no-cache"}


def page(path: Path, status: int = 200) -> Response:
    return FileResponse(
        path, status_code=status, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
    )


async def logged_in(request: Request) -> bool:
    hub = hub_of(request)
    session = await hub.accounts.session(request.cookies.get(auth.SESSION_COOKIE))
    # A one-time password is changed on /login before any console page opens.
    return session is not None and not session.must_change


def to_login(request: Request) -> Response:
    return RedirectResponse("/login?next=" + quote(request.url.path, safe="/"), status_code=303)


@guarded
async def login_page(request: Request) -> Response:
    return page(LOGIN_PAGE)


@guarded
async def home_page(request: Request) -> Response:
    if not await logged_in(request):
        return to_login(request)
    return page(HOME_PAGE)


@guarded
async def console_page(request: Request) -> Response:
    if not await logged_in(request):
        return to_login(request)
    try:
        bid = bc.validate_broadcast_id(str(request.path_params["bid"]))
    except Rejection:
        return page(CONSOLE_PAGE, 404)
    exists = await hub_of(request).store.broadcast_meta(bid) is not None
    # An unknown broadcast still gets the page (it says so in the reader's
    # language once its socket is refused with 4404).
    return page(CONSOLE_PAGE, 200 if exists else 404)


routes = [
    Route("/login", login_page, methods=["GET", "HEAD"]),
    Route("/console", home_page, methods=["GET", "HEAD"]),
    Route("/console/{bid}", console_page, methods=["GET", "HEAD"]),
]
