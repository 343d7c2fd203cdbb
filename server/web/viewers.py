"""``GET /api/broadcasts/<bid>/viewers``: the most active viewers of the last minutes.

Moderators see pseudonyms only (``server.auth.pseudonym``), never viewer ids:
this list is how they find a viewer who floods without ever asking a question
(upvotes, ballots, a socket closed for abuse) and ban them by that pseudonym
(``viewer.ban`` with ``viewer``). Same rules as ``server.web.api``: a
moderator session (401 otherwise); the answer is private and never cached.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain import broadcast as bc
from server.store import keys
from server.web.kit import HTTPError, guarded, hub_of, json_response, require_session

LIST_MAX = 50  # rows of the console's list: the top of the flood is what matters


@guarded
async def active_viewers(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    if await hub.store.broadcast_meta(bid) is None:
        raise HTTPError(404, "not_found", "no such broadcast")
    # Never more than the scripts keep (lua/_prelude.lua's note_activity).
    minutes = max(1, min(hub.settings.activity_minutes, keys.ACTIVITY_KEEP_S // 60))
    ranked = await hub.store.active_viewers(bid, minutes=minutes, limit=LIST_MAX)
    banned = await hub.store.banned_ids(bid)
    rows = [
        {"viewer": hub.pseudonym(vid, bid), "actions": n, "banned": vid in banned}
        for vid, n in ranked
    ]
    response = json_response({"minutes": minutes, "viewers": rows})
    response.headers["Cache-Control"] = "no-store"
    return response


routes = [Route("/api/broadcasts/{bid}/viewers", active_viewers)]
