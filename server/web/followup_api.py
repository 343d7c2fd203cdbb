"""HTTP of the follow-up: departments, officials and seasons (administrators),
the console's follow-up view, the office (a department's accounts), the
asker's own follow-up, and the public replies and 查询码 lookups (no login).

Every write goes through ``server.live.followup.FollowDesk`` (validated, one
script); the office's commands are the wire protocol's, decoded by
``server.protocol.decode_value`` like the console's HTTP commands. Public
answers carry nothing private (docs/api.md): no viewer id, pseudonym, name,
contact, moderator note or unpublished reply.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server import auth, protocol
from server.domain import broadcast as bc
from server.domain.errors import Code, Rejection
from server.domain.followup_input import normalize_code, validate_dept_id
from server.domain.season import validate_season_id
from server.web.kit import (
    HTTPError,
    create_account,
    guarded,
    hub_of,
    json_response,
    read_body,
    require_session,
)

NOT_FOUND_TEXT = "没有找到"  # the answer to any code that names nothing, whatever the reason


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- administrators: departments, officials, seasons -------------------------------------


@guarded
async def departments(request: Request) -> Response:
    hub = hub_of(request)
    if request.method == "POST":
        session = await require_session(request, write=True, admin=True)
        body = await read_body(request)
        done = await hub.followup.depts.put(
            body.get("id"), name=body.get("name"), short=body.get("short"),  # type: ignore[arg-type]
            contact=body.get("contact"), user=session.user,
        )  # fmt: skip
        return json_response(done, 201 if done.get("created") else 200)
    await require_session(request, write=False)
    found = await hub.followup.depts.list_all()
    return json_response({"departments": [d.__dict__ for d in found]})


@guarded
async def officials(request: Request) -> Response:
    hub = hub_of(request)
    if request.method == "POST":
        session = await require_session(request, write=True, admin=True)
        body = await read_body(request)
        dept = validate_dept_id(body.get("dept"))
        if await hub.followup.depts.get(dept) is None:
            raise HTTPError(404, "not_found", "no such department")

        async def create(username: str, password: str) -> None:
            await hub.accounts.create_official(username, password, dept=dept, by=session.user)

        return await create_account(body, create)
    await require_session(request, write=False, admin=True)
    return json_response({"officials": await hub.accounts.list_officials()})


@guarded
async def official(request: Request) -> Response:
    hub = hub_of(request)
    session = await require_session(request, write=True, admin=True)
    try:
        gone = await hub.accounts.remove_official(request.path_params["username"], by=session.user)
    except ValueError:
        gone = False
    if not gone:
        raise HTTPError(404, "not_found", "no such official")
    return json_response({"ok": True})


@guarded
async def seasons(request: Request) -> Response:
    hub = hub_of(request)
    if request.method == "POST":
        session = await require_session(request, write=True, admin=True)
        body = await read_body(request)
        done = await hub.followup.seasons.create(
            body.get("id"), name=body.get("name"), year=body.get("year"),  # type: ignore[arg-type]
            user=session.user,
        )  # fmt: skip
        return json_response(done, 201 if done.get("created") else 200)
    await require_session(request, write=False)
    return json_response({"seasons": await hub.followup.seasons.list_all()})


@guarded
async def season_broadcasts(request: Request) -> Response:
    hub = hub_of(request)
    session = await require_session(request, write=True, admin=True)
    body = await read_body(request)
    position = body.get("position")
    if position is not None and not isinstance(position, int):
        raise HTTPError(400, "invalid", "position must be an integer")
    at = await hub.followup.seasons.add_broadcast(
        validate_season_id(request.path_params["sid"]), bc.validate_broadcast_id(body.get("bid")),  # type: ignore[arg-type]
        user=session.user, position=position,
    )  # fmt: skip
    return json_response({"ok": True, "position": at})


# --- the console -------------------------------------------------------------------------


@guarded
async def broadcast_followup(request: Request) -> Response:
    """Every question of a broadcast with its follow-up, the triage count and the figures."""
    hub = hub_of(request)
    await require_session(request, write=False)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    if await hub.store.broadcast_meta(bid) is None:
        raise HTTPError(404, "not_found", "no such broadcast")
    return json_response(await hub.followup.moderator_view(bid))


@guarded
async def question_contact(request: Request) -> Response:
    """The contact note of a question a moderator entered (moderators only)."""
    hub = hub_of(request)
    await require_session(request, write=False)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    qid = int(request.path_params["qid"])
    return json_response({"contact": await hub.followup.intake.contact(bid, qid)})


# --- the office (a department's accounts) --------------------------------------------------


@guarded
async def office_me(request: Request) -> Response:
    hub = hub_of(request)
    session = await require_session(request, write=False, official=True)
    dept = await hub.followup.depts.get(session.dept)
    return json_response({
        "user": session.user, "csrf": session.csrf, "dept": session.dept,
        "dept_name": dept.name if dept else session.dept,
    })  # fmt: skip


@guarded
async def office_items(request: Request) -> Response:
    hub = hub_of(request)
    session = await require_session(request, write=False, official=True)
    history = request.query_params.get("view") == "history"
    return json_response({"items": await hub.followup.office(session.dept, history=history)})


@guarded
async def office_command(request: Request) -> Response:
    """A department's commands on one broadcast's item (accept, send back, reply,
    ask for an extension): another department's item is ``forbidden``."""
    hub = hub_of(request)
    session = await require_session(request, write=True, official=True)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    cmd = protocol.decode_value(await read_body(request))
    if type(cmd) not in protocol.OFFICIAL_COMMANDS:
        raise Rejection(Code.FORBIDDEN, "a department's account may not do this")
    result = await hub.followup.execute_official(session.user, session.dept, bid, cmd)
    result.pop("ok", None)
    return json_response(protocol.ack(cmd.id, result))  # type: ignore[union-attr]


@guarded
async def office_logout(request: Request) -> Response:
    await require_session(request, write=True, official=True)
    await hub_of(request).accounts.logout(request.cookies.get(auth.SESSION_COOKIE))
    response = json_response({"ok": True})
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


# --- the asker and the public ------------------------------------------------------------------


@guarded
async def my_followup(request: Request) -> Response:
    """The follow-up of the calling viewer's own questions (viewer cookie)."""
    hub = hub_of(request)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    signed = request.cookies.get(auth.VIEWER_COOKIE)
    vid = auth.unsign(hub.secret, signed, "vid") if signed else None
    if vid is None or not auth.is_viewer_id(vid):
        raise HTTPError(401, "unauthorized", "no viewer id")
    return json_response({"mine": await hub.followup.mine(bid, vid)})


@guarded
async def public_replies(request: Request) -> Response:
    hub = hub_of(request)
    found = await hub.followup.public_replies(bc.validate_broadcast_id(request.path_params["bid"]))
    if found is None:
        raise HTTPError(404, "not_found", NOT_FOUND_TEXT)
    return json_response(found)


@guarded
async def public_season(request: Request) -> Response:
    hub = hub_of(request)
    found = await hub.followup.season_replies(validate_season_id(request.path_params["sid"]))
    if found is None:
        raise HTTPError(404, "not_found", NOT_FOUND_TEXT)
    return json_response(found)


@guarded
async def public_code(request: Request) -> Response:
    """One question by its 查询码, rate-limited per address (a wrong code and a
    right one cost the same, and answer the same way when wrong)."""
    hub = hub_of(request)
    if not await hub.followup.allow_lookup(auth.hash_ip(hub.secret, _client_ip(request))):
        hub.metrics.rate_limited_total.inc(kind="qcode")
        raise HTTPError(429, "rate_limited", "查询过于频繁，请稍后再试")
    found = await hub.followup.lookup(normalize_code(request.path_params["code"]))
    if found is None:
        raise HTTPError(404, "not_found", NOT_FOUND_TEXT)
    return json_response(found)


routes = [
    Route("/api/departments", departments, methods=["GET", "POST"]),
    Route("/api/officials", officials, methods=["GET", "POST"]),
    Route("/api/officials/{username}", official, methods=["DELETE"]),
    Route("/api/seasons", seasons, methods=["GET", "POST"]),
    Route("/api/seasons/{sid}/broadcasts", season_broadcasts, methods=["POST"]),
    Route("/api/broadcasts/{bid}/followup", broadcast_followup),
    Route("/api/broadcasts/{bid}/questions/{qid:int}/contact", question_contact),
    Route("/api/broadcasts/{bid}/mine/followup", my_followup),
    Route("/api/office/me", office_me),
    Route("/api/office/items", office_items),
    Route("/api/office/broadcasts/{bid}/command", office_command, methods=["POST"]),
    Route("/api/office/logout", office_logout, methods=["POST"]),
    Route("/api/public/broadcasts/{bid}/replies", public_replies),
    Route("/api/public/seasons/{sid}/replies", public_season),
    Route("/api/public/q/{code}", public_code),
]
