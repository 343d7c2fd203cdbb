"""What every HTTP route module shares: JSON errors, the body reader, the session check.

Errors are JSON ``{"error": code, "message": text}`` and never carry a stack
trace; Redis being down is 503 with ``Retry-After``. A moderator route calls
``require_session`` (401 without a session; with ``write=True`` also 403 without
the session's CSRF token or from another origin).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import auth
from server.domain.errors import Rejection
from server.live.hub import Hub
from server.protocol import ProtocolError
from server.store.accounts import AlreadyExists, Session
from server.store.redis_client import REDIS_DOWN

log = logging.getLogger("xs.http")

MAX_BODY = 64 * 1024  # HTTP bodies are small JSON documents

Handler = Callable[[Request], Awaitable[Response]]


class HTTPError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def read_body(request: Request) -> dict[str, Any]:
    # Refused as soon as it is known to be too big (declared length, or while it
    # streams in): reading it whole first let anyone, logged in or not (POST
    # /api/login), make the hub buffer a body of any size.
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPError(413, "too_big", "request body too large")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise HTTPError(413, "too_big", "request body too large")
    try:
        data = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise HTTPError(400, "bad_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HTTPError(400, "bad_json", "the body must be a JSON object")
    return data


# Seconds a client waits before retrying after a 503: about how long the hub
# needs to notice Redis back (a reconnect, or the /readyz probe of a full Redis).
RETRY_AFTER_S = "2"


def unavailable(request: Request, exc: BaseException) -> Response:
    """The JSON 503 for a Redis failure (counted by kind, logged once a while)."""
    hub_of(request).redis_health.failed(exc, op="http")
    return JSONResponse(
        {"error": "unavailable", "message": "the service is briefly unavailable; retry"},
        status_code=503, headers={"Retry-After": RETRY_AFTER_S},
    )  # fmt: skip


def guarded(handler: Handler) -> Handler:
    """Map typed failures to JSON errors; Redis unavailable (down, full, busy, no
    free connection) -> 503 with Retry-After; anything else -> a JSON 500, never
    a stack trace or starlette's plain-text page."""

    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except HTTPError as exc:
            return json_response({"error": exc.code, "message": exc.message}, exc.status)
        except Rejection as exc:
            if exc.code == "unavailable":  # execute() turns a Redis failure into this code
                return unavailable(request, exc.__cause__ or exc)
            status = {"not_found": 404, "forbidden": 403, "conflict": 409,
                      "rate_limited": 429}.get(exc.code, 400)  # fmt: skip
            return json_response({"error": exc.code, "message": exc.message}, status)
        except ProtocolError as exc:
            return json_response({"error": exc.code, "message": exc.message}, 400)
        except REDIS_DOWN as exc:
            return unavailable(request, exc)
        except Exception:
            log.exception("request failed: %s %s", request.method, request.url.path)
            return json_response({"error": "internal", "message": "internal error"}, 500)

    return wrapper


async def require_session(
    request: Request, *, write: bool, admin: bool = False, official: bool = False,
    changing_password: bool = False,
) -> Session:  # fmt: skip
    """A moderator's session (``official``: a department's account's instead;
    the two never stand in for each other), with the CSRF and origin checks
    of a write. A session signed in with a one-time password may write nothing
    but its new password (``changing_password``) and its logout."""
    hub = hub_of(request)
    token = request.cookies.get(auth.SESSION_COOKIE)
    lookup = hub.accounts.official_session if official else hub.accounts.session
    session = await lookup(token)
    if session is None:
        raise HTTPError(401, "unauthorized", "login required")
    if write:
        origin = request.headers.get("origin")
        if origin is not None and not auth.origin_allowed(origin, hub.settings.own_origins()):
            raise HTTPError(403, "forbidden", "cross-site request refused")
        token = request.headers.get(auth.CSRF_HEADER, "")
        if not auth.same_secret(token, session.csrf):
            raise HTTPError(403, "forbidden", "missing or wrong CSRF token")
        if session.must_change and not changing_password:
            raise HTTPError(
                403, "password_change_required", "change your one-time password first (/login)"
            )
    if admin and not session.admin:
        raise HTTPError(403, "forbidden", "only administrators may do this")
    return session


async def create_account(
    body: dict[str, Any], create: Callable[[str, str], Awaitable[None]]
) -> Response:
    """POST of a new account (moderator or official): ``create(username, password)``
    with the typed HTTP errors of a bad body, a taken name or a refused password."""
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise HTTPError(400, "invalid", "username and password are required")
    try:
        await create(username, password)
    except AlreadyExists:
        raise HTTPError(409, "conflict", "that username is taken") from None
    except ValueError as exc:
        raise HTTPError(400, "invalid", str(exc)) from None
    return json_response({"ok": True}, 201)
