"""HTTP of the webhooks (administrators): list, add, remove, the delivery log.

A webhook's URL is checked when it is saved (http(s), no credentials, every
address its host resolves to public unless ``webhooks_allow_private``) and
again by the delivery worker at every attempt (``server.live.webhooks``). The
secret is made here and shown once, in the answer to the POST. docs/api.md.
"""

from __future__ import annotations

import secrets
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain import broadcast as bc
from server.domain import webhooks as wh
from server.live.webhooks import DeliveryError, resolve
from server.store.webhooks import Webhooks
from server.web.kit import HTTPError, guarded, hub_of, json_response, read_body, require_session

HOOKS_MAX = 50  # webhooks per deployment
_PRIVATE = {"Cache-Control": "no-store"}


def _public(hook: dict[str, object]) -> dict[str, object]:
    return {k: hook.get(k) for k in ("id", "url", "events", "bid", "created", "enabled")}


@guarded
async def list_hooks(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False, admin=True)
    hooks = await Webhooks(hub.redis).all()
    response = json_response({"webhooks": [_public(h) for h in hooks]})
    response.headers.update(_PRIVATE)
    return response


@guarded
async def add_hook(request: Request) -> Response:
    hub = hub_of(request)
    session = await require_session(request, write=True, admin=True)
    body = await read_body(request)
    target = wh.parse_url(body.get("url"))
    events = wh.check_events(body.get("events"))
    bid = body.get("bid") or None
    if bid is not None:
        bid = bc.validate_broadcast_id(str(bid))
        if await hub.store.broadcast_meta(bid) is None:
            raise HTTPError(404, "not_found", "no such broadcast")
    try:
        addresses = await resolve(target.host, target.port)
    except DeliveryError as exc:
        raise HTTPError(400, "invalid", str(exc)) from None
    wh.check_addresses(addresses, allow_private=hub.settings.webhooks_allow_private)
    store = Webhooks(hub.redis)
    if len(await store.all()) >= HOOKS_MAX:
        raise HTTPError(409, "conflict", f"at most {HOOKS_MAX} webhooks")
    hook = {
        "id": secrets.token_hex(4), "url": body["url"], "events": [e.value for e in events],
        "bid": bid, "secret": secrets.token_urlsafe(32), "created": int(time.time() * 1000),
        "enabled": True,
    }  # fmt: skip
    await store.put(hook, user=session.user)
    return json_response({"webhook": _public(hook), "secret": hook["secret"]}, 201)


@guarded
async def remove_hook(request: Request) -> Response:
    hub = hub_of(request)
    session = await require_session(request, write=True, admin=True)
    hook_id = str(request.path_params["hid"])
    if not hook_id.isalnum() or len(hook_id) > 16:
        raise HTTPError(404, "not_found", "no such webhook")
    await Webhooks(hub.redis).remove(hook_id, user=session.user)
    return json_response({"ok": True})


@guarded
async def delivery_log(request: Request) -> Response:
    hub = hub_of(request)
    await require_session(request, write=False, admin=True)
    raw = request.query_params.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise HTTPError(400, "invalid", "limit must be an integer from 1 to 500")
    hook = request.query_params.get("hook") or None
    entries = await Webhooks(hub.redis).log(int(raw), hook=hook)
    response = json_response({"entries": entries})
    response.headers.update(_PRIVATE)
    return response


routes = [
    Route("/api/webhooks", list_hooks, methods=["GET"]),
    Route("/api/webhooks", add_hook, methods=["POST"]),
    Route("/api/webhooks/log", delivery_log, methods=["GET"]),
    Route("/api/webhooks/{hid}", remove_hook, methods=["DELETE"]),
]
