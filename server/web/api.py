"""HTTP routes: viewer identity, moderator login and broadcasts, operations.

Every moderator route needs a valid session cookie (401 otherwise); every
state-changing one also needs the session's CSRF token in ``X-CSRF-Token`` and,
when the browser sends one, an allowed ``Origin`` (403 otherwise). The session
cookie is ``SameSite=Strict`` and ``HttpOnly``. Errors are JSON
``{"error": code, "message": text}`` and never carry a stack trace.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from server import auth, protocol
from server.domain import broadcast as bc
from server.live.commands import Actor
from server.live.hub import Hub
from server.metrics import CONTENT_TYPE
from server.protocol import Role
from server.store.accounts import SYSTEM, Throttled, UnknownModerator
from server.web.kit import (
    HTTPError,
    create_account,
    guarded,
    hub_of,
    json_response,
    read_body,
    require_session,
)

VIEWER_COOKIE_AGE_S = 365 * 24 * 3600


# --- operations ------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


@guarded
async def readyz(request: Request) -> Response:
    """Readiness, and the sensitive-word list versions this process applies
    (``?words=<bid>`` adds that broadcast's)."""
    hub = hub_of(request)
    ready, detail = await hub.readiness()
    asked = request.query_params.get("words")
    bid = bc.validate_broadcast_id(asked) if asked is not None else None
    detail["words"] = hub.words.versions(bid)
    return json_response({"ready": ready, **detail}, 200 if ready else 503)


async def metrics(request: Request) -> Response:
    return Response(hub_of(request).metrics.render(), media_type=CONTENT_TYPE)


# --- viewers ---------------------------------------------------------------------


@guarded
async def viewer(request: Request) -> Response:
    """Give the browser an anonymous viewer id (a signed cookie), once."""
    response = json_response({"ok": True})
    if not await give_viewer_id(request, response):
        # The window is the clock hour (Accounts.allow_new_viewer_id).
        return JSONResponse(
            {"error": "rate_limited", "message": "too many new viewers from this address"},
            status_code=429, headers={"Retry-After": str(3600 - int(time.time()) % 3600)},
        )  # fmt: skip
    return response


async def give_viewer_id(request: Request, response: Response) -> bool:
    """Set a new ``xs_vid`` cookie on ``response`` unless the request has a valid one.

    False when the address has minted too many ids this hour (vote stuffing,
    docs/reliability.md 15); the caller decides how to say so. Shared by ``GET
    /api/viewer`` and the viewer page (``server.web.viewer_pages``).
    """
    hub = hub_of(request)
    signed = request.cookies.get(auth.VIEWER_COOKIE)
    current = auth.unsign(hub.secret, signed, "vid") if signed else None
    if current is not None and auth.is_viewer_id(current):
        return True
    ip = request.client.host if request.client else "unknown"
    allowed = await hub.accounts.allow_new_viewer_id(
        auth.hash_ip(hub.secret, ip), hub.settings.viewer_ids_per_ip_per_hour, int(time.time())
    )
    if not allowed:
        hub.metrics.rate_limited_total.inc(kind="viewer_ids")
        return False
    set_viewer_cookie(response, hub, auth.new_viewer_id())
    return True


def set_viewer_cookie(response: Response, hub: Hub, vid: str) -> None:
    response.set_cookie(
        auth.VIEWER_COOKIE, auth.sign(hub.secret, vid, "vid"), max_age=VIEWER_COOKIE_AGE_S,
        httponly=True, samesite="lax", secure=hub.settings.cookie_secure, path="/",
    )  # fmt: skip


# --- moderator sessions ----------------------------------------------------------------


@guarded
async def login(request: Request) -> Response:
    hub = hub_of(request)
    body = await read_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise HTTPError(400, "invalid", "username and password are required")
    ip = request.client.host if request.client else "unknown"
    try:
        session = await hub.accounts.login(username, password, auth.hash_ip(hub.secret, ip))
    except Throttled as exc:
        hub.metrics.rate_limited_total.inc(kind="login")
        return JSONResponse(
            {"error": "rate_limited", "message": str(exc)}, status_code=429,
            headers={"Retry-After": str(exc.retry_after_s)},
        )  # fmt: skip
    except ValueError:
        session = None
    if session is None:
        raise HTTPError(401, "unauthorized", "wrong username or password")
    response = json_response({
        "user": session.user, "admin": session.admin, "csrf": session.csrf,
        "role": session.role or "moderator", "must_change": session.must_change,
    })  # fmt: skip
    response.set_cookie(
        auth.SESSION_COOKIE, session.token, max_age=hub.settings.session_ttl_s, httponly=True,
        samesite="strict", secure=hub.settings.cookie_secure, path="/",
    )  # fmt: skip
    return response


@guarded
async def logout(request: Request) -> Response:
    await require_session(request, write=True, changing_password=True)
    await hub_of(request).accounts.logout(request.cookies.get(auth.SESSION_COOKIE))
    response = json_response({"ok": True})
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@guarded
async def me(request: Request) -> Response:
    # ``?optional=1``: the login page's probe ("already signed in?") gets 200
    # with ``{"user": null}`` when signed out, not a 401 that every browser
    # logs as an error on each visit to /login.
    if request.query_params.get("optional") == "1":
        try:
            session = await require_session(request, write=False)
        except HTTPError as exc:
            if exc.status != 401:
                raise
            return json_response({"user": None})
    else:
        session = await require_session(request, write=False)
    return json_response({"user": session.user, "admin": session.admin, "csrf": session.csrf,
                          "must_change": session.must_change})  # fmt: skip


@guarded
async def my_password(request: Request) -> Response:
    """POST {"current", "new"}: the holder changes their password (a one-time
    one must be, before anything else). Every session ends: sign in again."""
    hub = hub_of(request)
    session = await require_session(request, write=True, changing_password=True)
    body = await read_body(request)
    current, new = body.get("current"), body.get("new")
    if not isinstance(current, str) or not isinstance(new, str):
        raise HTTPError(400, "invalid", "current and new are required")
    try:
        changed = await hub.accounts.change_own_password(session.user, current, new)
    except UnknownModerator:
        raise HTTPError(404, "not_found", "no such moderator") from None
    except ValueError as exc:
        raise HTTPError(400, "invalid", str(exc)) from None
    if not changed:
        raise HTTPError(403, "forbidden", "the current password is wrong")
    response = json_response({"ok": True})
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


# --- broadcasts ------------------------------------------------------------------------


def broadcast_links(
    hub: Hub, bid: str, overlay_key: str, join: str | None = None
) -> dict[str, str]:
    base = hub.settings.base_url()
    links = {
        "viewer": f"{base}/b/{bid}",
        "console": f"{base}/console/{bid}",
        "overlay": f"{base}/overlay/{bid}?key={overlay_key}",
    }
    if join:
        # The short link the QR code (/qr/<bid>.svg) encodes; /j/<code> redirects.
        links["join"] = f"{base}/j/{join}"
        links["qr"] = f"{base}/qr/{bid}.svg"
    return links


async def create_broadcast(
    hub: Hub, body: dict[str, Any], *, bid: str | None = None, user: str = SYSTEM
) -> dict[str, Any]:
    """Create a draft broadcast; ``user``: who (both audit logs), "system" for the demo."""
    bid = bc.validate_broadcast_id(bid or body.get("id") or secrets.token_hex(4))
    title = bc.validate_title(body.get("title"))
    topic = bc.validate_topic(body.get("topic", ""))
    settings = bc.apply_settings_patch(
        bc.BroadcastSettings(max_len=hub.settings.question_max_len), body.get("settings") or {}
    )
    scheduled = bc.validate_scheduled(body.get("scheduled"))
    key = auth.overlay_key()
    await hub.store.create_broadcast(
        bid, title=title, topic=topic, settings=settings.to_dict(), overlay_key=key,
        scheduled_ms=scheduled, user=user,
    )  # fmt: skip
    join = await hub.store.join_code(bid)
    links = broadcast_links(hub, bid, key, join)
    return {"id": bid, "overlay_key": key, "join": join, "links": links}


@guarded
async def broadcasts(request: Request) -> Response:
    hub = hub_of(request)
    if request.method == "POST":
        session = await require_session(request, write=True)
        return json_response(
            await create_broadcast(hub, await read_body(request), user=session.user), 201
        )
    await require_session(request, write=False)
    found = []
    for bid in await hub.store.broadcast_ids():
        meta = await hub.store.broadcast_meta(bid)
        if meta is not None:
            found.append(_public_meta(meta))
    return json_response({"broadcasts": found})


def _public_meta(meta: dict[str, str]) -> dict[str, Any]:
    return {
        "id": meta.get("id"), "title": meta.get("title"), "topic": meta.get("topic"),
        "state": meta.get("state"), "settings": orjson.loads(meta.get("settings", "{}")),
        "created": int(meta.get("created", "0")),
        "scheduled": int(meta["scheduled"]) if meta.get("scheduled") else None,
        "rehearsal": meta.get("rehearsal") == "1",
    }  # fmt: skip


@guarded
async def broadcast(request: Request) -> Response:
    hub = hub_of(request)
    if request.method == "DELETE":
        # Every key it owns (docs/reliability.md 27); administrators only, never a live one.
        session = await require_session(request, write=True, admin=True)
        bid = bc.validate_broadcast_id(request.path_params["bid"])
        return json_response(await hub.delete_broadcast(bid, user=session.user))
    await require_session(request, write=False)
    bid = request.path_params["bid"]
    meta = await hub.store.broadcast_meta(bc.validate_broadcast_id(bid))
    if meta is None:
        raise HTTPError(404, "not_found", "no such broadcast")
    key, join = meta.get("okey", ""), meta.get("join")
    return json_response(
        {**_public_meta(meta), "overlay_key": key, "join": join,
         "links": broadcast_links(hub, bid, key, join)}
    )  # fmt: skip


@guarded
async def command(request: Request) -> Response:
    """The moderator commands of the websocket protocol, over HTTP."""
    hub = hub_of(request)
    session = await require_session(request, write=True)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    cmd = protocol.decode_value(await read_body(request))
    if isinstance(cmd, (protocol.Hello, protocol.Ping, protocol.Like, protocol.QuestionsPage)):
        raise HTTPError(400, "bad_type", "not a command that can be sent over HTTP")
    result = await hub.execute(bid, Actor(Role.MODERATOR, user=session.user), cmd)
    result.pop("ok", None)
    return json_response(protocol.ack(cmd.id, result))


@guarded
async def rotate_overlay_key(request: Request) -> Response:
    hub = hub_of(request)
    session = await require_session(request, write=True)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    key = auth.overlay_key()
    await hub.store.rotate_overlay_key(bid, key, user=session.user)
    join = await hub.store.join_code(bid)
    return json_response({"overlay_key": key, "links": broadcast_links(hub, bid, key, join)})


# --- moderator accounts (administrators) -----------------------------------------------------


@guarded
async def moderators(request: Request) -> Response:
    hub = hub_of(request)
    if request.method == "POST":
        session = await require_session(request, write=True, admin=True)
        body = await read_body(request)

        async def create(username: str, password: str) -> None:
            # Set by an administrator: a one-time password, changed at first sign-in.
            await hub.accounts.create_moderator(
                username, password, admin=body.get("admin") is True, by=session.user,
                one_time=True,
            )  # fmt: skip

        return await create_account(body, create)
    await require_session(request, write=False, admin=True)
    return json_response({"moderators": await hub.accounts.list_moderators()})


@guarded
async def moderator(request: Request) -> Response:
    hub = hub_of(request)
    session = await require_session(request, write=True, admin=True)
    username = request.path_params["username"]
    try:
        if request.method == "DELETE":
            if username == session.user:
                raise HTTPError(400, "invalid", "you cannot remove yourself")
            if not await hub.accounts.remove_moderator(username, by=session.user):
                raise HTTPError(404, "not_found", "no such moderator")
            return json_response({"ok": True})
        # {"password": "..."} resets the password, {"admin": true|false} sets the
        # flag; both may come together.
        body = await read_body(request)
        password, admin = body.get("password"), body.get("admin")
        if password is None and admin is None:
            raise HTTPError(400, "invalid", "password or admin is required")
        if password is not None and not isinstance(password, str):
            raise HTTPError(400, "invalid", "password must be a string")
        if admin is not None and not isinstance(admin, bool):
            raise HTTPError(400, "invalid", "admin must be true or false")
        if admin is False and auth.normalize_username(username) == session.user:
            raise HTTPError(400, "invalid", "you cannot revoke your own administrator rights")
        if password is not None:
            await hub.accounts.reset_password(
                username, password, by=session.user,
                one_time=auth.normalize_username(username) != session.user,
            )  # fmt: skip
        if admin is not None:
            await hub.accounts.set_admin(username, admin, by=session.user)
        return json_response({"ok": True})
    except UnknownModerator:
        raise HTTPError(404, "not_found", "no such moderator") from None
    except ValueError as exc:
        raise HTTPError(400, "invalid", str(exc)) from None


routes = [
    Route("/healthz", healthz),
    Route("/readyz", readyz),
    Route("/metrics", metrics),
    Route("/api/viewer", viewer, methods=["GET", "POST"]),
    Route("/api/login", login, methods=["POST"]),
    Route("/api/logout", logout, methods=["POST"]),
    Route("/api/me", me),
    Route("/api/me/password", my_password, methods=["POST"]),
    Route("/api/broadcasts", broadcasts, methods=["GET", "POST"]),
    Route("/api/broadcasts/{bid}", broadcast, methods=["GET", "DELETE"]),
    Route("/api/broadcasts/{bid}/commands", command, methods=["POST"]),
    Route("/api/broadcasts/{bid}/overlay-key", rotate_overlay_key, methods=["POST"]),
    Route("/api/moderators", moderators, methods=["GET", "POST"]),
    Route("/api/moderators/{username}", moderator, methods=["DELETE", "POST"]),
]
