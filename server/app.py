"""The application factory: routes, middleware and the hub's lifespan.

No import-time side effects: ``build_app(settings)`` creates nothing until the
server runs its lifespan, which connects to Redis and starts the hub's loops.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.domain.errors import Rejection
from server.live.admission import STATE_KEY
from server.live.hub import Hub
from server.live.uvicorn_ws import KeepRawSend
from server.live.ws import websocket_endpoint
from server.ops.bootstrap import ensure_first_admin
from server.settings import Settings
from server.web import (
    api,
    console_pages,
    export,
    followup_api,
    followup_pages,
    host_pages,
    overlay_pages,
    public_api,
    record,
    viewer_pages,
    viewers,
    webhooks,
    words,
)
from server.web.public_api import PublicDocuments

log = logging.getLogger("xs.app")

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Pages get no inline script and no third-party origin (docs/reliability.md 23).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

DEMO_ID = "demo"
DEMO = {
    "title": "协商在线 · 城市轨道交通规划",
    "topic": "委员、专家与市民一起讨论地铁新线的走向、换乘与票价",
    "settings": {
        "moderation": True,
        "tags": ["东城区", "西城区", "朝阳区", "海淀区", "交通", "教育"],
    },
}


class SecurityHeaders:
    """Adds the security headers to every HTTP response (websockets untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def build_app(settings: Settings) -> Starlette:
    if not settings.redis_url:
        raise ValueError("build_app needs settings.redis_url (the CLI starts an embedded Redis)")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        hub = Hub(settings)
        await hub.start()
        app.state.hub = hub
        app.state.public_documents = PublicDocuments(hub)
        # The hub's own loggers write through the process's one handler
        # (server/logging_setup.py); this line shows that they do.
        log.info("hub started")
        if settings.demo:
            await _announce(hub)
        # What exists now (modules, the app, the hub) lives as long as the
        # process: frozen, the collector's full passes no longer walk it. Under
        # load those came every few seconds and took 30-110 ms each, a stall
        # of every socket at once (the p99 of acks); frozen, 1-10 ms.
        gc.freeze()
        try:
            # The lifespan state reaches uvicorn's protocols (app_state): the
            # request deadline and per-address counts (server/live/admission.py).
            yield {STATE_KEY: hub.admission}
        finally:
            await hub.stop()
            log.info("hub stopped")

    routes: list[Any] = [
        *api.routes,
        *record.routes,
        *export.routes,
        *public_api.routes,
        *webhooks.routes,
        *words.routes,
        *viewers.routes,
        *overlay_pages.routes,
        *host_pages.routes,
        *viewer_pages.routes,
        *console_pages.routes,
        *followup_api.routes,
        *followup_pages.routes,
        WebSocketRoute("/ws/{bid}", websocket_endpoint),
    ]
    if STATIC_DIR.is_dir():
        routes.append(Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(KeepRawSend)
    return app


async def _announce(hub: Hub) -> None:
    """make run: make sure the demo broadcast and an admin exist; print how to use them."""
    try:
        created = await api.create_broadcast(hub, dict(DEMO), bid=DEMO_ID)
        links, note = created["links"], "created"
    except Rejection:
        meta = await hub.store.broadcast_meta(DEMO_ID) or {}
        links = api.broadcast_links(hub, DEMO_ID, meta.get("okey", ""), meta.get("join"))
        note = "exists"
    first = await ensure_first_admin(hub.redis, hub.settings)
    lines = [
        "",
        f"  协商在线 demo broadcast ({note}):",
        f"    viewer  (观众)   {links['viewer']}   join {links.get('join', '-')}",
        f"    overlay (OBS)    {links['overlay']}",
        f"    console (主持)   {links['console']}",
        f"    all broadcasts   {hub.settings.base_url()}/console  (log in at /login)",
    ]
    if first is not None:
        lines.append(f"    moderator        user {first[0]!r}, one-time password {first[1]}")
        lines.append(
            "                     (shown once; `python -m server create-admin NAME` resets)"
        )
    else:
        lines.append(
            "    moderator        your admin account (`python -m server create-admin NAME`)"
        )
    print("\n".join(lines) + "\n", flush=True)
