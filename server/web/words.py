"""HTTP: the sensitive-word lists (``server/domain/sensitive.py``).

* ``GET /api/words`` (any moderator), ``PUT /api/words`` (administrators): the
  deployment-wide list;
* ``GET/PUT /api/broadcasts/{bid}/words`` (any moderator): one broadcast's list.

A PUT replaces the whole list, with a JSON body ``{"words": [{"word": "…",
"action": "hold"|"block"}]}`` or a ``text/plain`` import file (one word per
line, optional ``<TAB>block`` / ``<TAB>hold``; ``#`` comments and blank lines
ignored; UTF-8, or GB18030 as Chinese Windows editors save it). The list and
its audit entry are written by one script (``lua/words_put.lua``); every hub
process applies the change within ``words_refresh_ms`` (``server/live/words.py``).
Session, CSRF and error handling are the API's (``server/web/api.py``).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.domain import broadcast as bc
from server.domain import sensitive
from server.domain.errors import Code, Rejection
from server.web.kit import HTTPError, guarded, hub_of, json_response, require_session

# A full list of 20,000 words of up to 50 characters (3 UTF-8 bytes each for
# Chinese), with JSON punctuation: larger than any other body of the API.
WORDS_MAX_BODY = 4 * 1024 * 1024


async def _read(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > WORDS_MAX_BODY:
        raise HTTPError(413, "too_big", "request body too large")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > WORDS_MAX_BODY:
            raise HTTPError(413, "too_big", "request body too large")
    return raw


def _decode_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise HTTPError(400, "invalid", "the file is neither UTF-8 nor GB18030 text") from None


def _from_json(raw: bytes, max_words: int) -> list[sensitive.WordEntry]:
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise HTTPError(400, "bad_json", "the body is not valid JSON") from None
    words = body.get("words") if isinstance(body, dict) else None
    if not isinstance(words, list):
        raise HTTPError(400, "bad_json", 'the body must be {"words": [...]}')
    pairs: list[tuple[object, object]] = []
    for index, item in enumerate(words, 1):
        if not isinstance(item, dict):
            raise Rejection(Code.INVALID, f"word {index}: expected an object")
        pairs.append((item.get("word"), item.get("action")))
    return sensitive.validate_entries(pairs, max_words)


async def _entries(request: Request) -> list[sensitive.WordEntry]:
    max_words = hub_of(request).settings.words_max
    raw = await _read(request)
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind == "text/plain":
        return sensitive.parse_text_list(_decode_text(raw), max_words)
    return _from_json(raw, max_words)


def _listing(words: dict[str, str]) -> dict[str, Any]:
    items = [{"word": w, "action": a} for w, a in sorted(words.items())]
    return {"words": items, "count": len(items)}


@guarded
async def global_words(request: Request) -> Response:
    hub = hub_of(request)
    if request.method == "PUT":
        session = await require_session(request, write=True, admin=True)
        entries = await _entries(request)
        result = await hub.store.put_words(
            None, user=session.user, entries=[(e.word, e.action.value) for e in entries]
        )
        return json_response({"count": result["count"]})
    await require_session(request, write=False)
    return json_response(_listing(await hub.store.words(None)))


@guarded
async def broadcast_words(request: Request) -> Response:
    hub = hub_of(request)
    if request.method == "PUT":
        session = await require_session(request, write=True)
        bid = bc.validate_broadcast_id(request.path_params["bid"])
        entries = await _entries(request)
        result = await hub.store.put_words(
            bid, user=session.user, entries=[(e.word, e.action.value) for e in entries]
        )
        return json_response({"count": result["count"]})
    await require_session(request, write=False)
    bid = bc.validate_broadcast_id(request.path_params["bid"])
    if await hub.store.broadcast_meta(bid) is None:
        raise HTTPError(404, "not_found", "no such broadcast")
    return json_response(_listing(await hub.store.words(bid)))


routes = [
    Route("/api/words", global_words, methods=["GET", "PUT"]),
    Route("/api/broadcasts/{bid}/words", broadcast_words, methods=["GET", "PUT"]),
]
