"""The public read API: ``GET /api/public/broadcasts/<bid>`` (docs/api.md).

No account and no cookie: what any viewer's page shows
(``server.domain.public_view``), for other systems to read without scraping.
Each process keeps a broadcast's document for ``public_cache_s`` so that many
pollers cost one snapshot read per interval; the body's hash is its ETag, and
a request naming it in ``If-None-Match`` gets 304 without a body. Requests are
rate-limited per client address (token buckets in this process's memory).
"""

from __future__ import annotations

import time

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain import broadcast as bc
from server.domain.public_view import etag, etag_matches, public_broadcast
from server.domain.ratelimit import BucketMap
from server.live.hub import Hub
from server.web.kit import HTTPError, guarded, hub_of

_CORS = {"Access-Control-Allow-Origin": "*"}


class PublicDocuments:
    """One process's cache of public documents and its per-address budget."""

    def __init__(self, hub: Hub) -> None:
        s = hub.settings
        self.hub = hub
        self.ttl_s = s.public_cache_s
        self.buckets = BucketMap(s.public_rate_per_s, s.public_burst)
        self._cache: dict[str, tuple[float, bytes, str]] = {}

    async def document(self, bid: str) -> tuple[bytes, str] | None:
        now = time.monotonic()
        hit = self._cache.get(bid)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        snap = await self.hub.store.snapshot(bid, "viewer")
        if snap is None:
            self._cache.pop(bid, None)
            return None
        body = orjson.dumps(public_broadcast(snap))
        tag = etag(body)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[bid] = (now + self.ttl_s, body, tag)
        return body, tag


def _documents(request: Request) -> PublicDocuments:
    """The app's cache (made with the hub in the app's lifespan)."""
    docs: PublicDocuments = request.app.state.public_documents
    return docs


@guarded
async def public_broadcast_route(request: Request) -> Response:
    hub = hub_of(request)
    docs = _documents(request)
    ip = request.client.host if request.client else "unknown"
    if docs.buckets.take(ip, 1, int(time.monotonic() * 1000)) < 1:
        retry = max(1, round(1 / max(hub.settings.public_rate_per_s, 0.001)))
        return Response(
            orjson.dumps({"error": "rate_limited", "message": "too many requests"}),
            status_code=429, media_type="application/json",
            headers={"Retry-After": str(retry), **_CORS},
        )  # fmt: skip
    bid = bc.validate_broadcast_id(str(request.path_params["bid"]))
    found = await docs.document(bid)
    if found is None:
        raise HTTPError(404, "not_found", "no such broadcast")
    body, tag = found
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={hub.settings.public_max_age_s}",
               **_CORS}  # fmt: skip
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


routes = [Route("/api/public/broadcasts/{bid}", public_broadcast_route, methods=["GET", "HEAD"])]
