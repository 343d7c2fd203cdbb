"""Helpers of the record's tests: broadcasts built through the real scripts, a
local webhook receiver."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from server.domain.question import QUESTION_TRANSITIONS, QuestionStatus
from server.domain.transitions import allowed_from
from server.store.store import Store


async def new_broadcast(store: Store, *, moderation: bool, title: str = "记录") -> str:
    bid = "t-" + secrets.token_hex(5)
    await store.create_broadcast(bid, title=title, topic="", settings={"moderation": moderation},
                                 overlay_key="k", user="t")  # fmt: skip
    return bid


async def move(store: Store, bid: str, qid: int, target: QuestionStatus) -> dict[str, Any]:
    """A moderator's status change, through ``set_status.lua``."""
    return await store.set_status(
        bid, secrets.token_hex(4), user="mod", qid=qid, target=target.value,
        allowed_from=allowed_from(QUESTION_TRANSITIONS, target), expect=None, reason="",
    )  # fmt: skip


async def go_live(store: Store, bid: str) -> None:
    await store.update_broadcast(bid, secrets.token_hex(4), state="live", allowed_from=["draft"],
                                 user="mod")  # fmt: skip


class Receiver:
    """A tiny HTTP server on 127.0.0.1: records every request, answers 503 to
    the first ``fail`` ones and 200 after."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.requests: list[dict[str, Any]] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> Receiver:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        pairs = (line.partition(":") for line in head[1:] if line)
        headers = {k.lower(): v.strip() for k, _, v in pairs}
        body = await reader.readexactly(int(headers["content-length"]))
        self.requests.append({"line": head[0], "headers": headers, "body": body,
                              "at": time.monotonic()})  # fmt: skip
        status = b"503 Service Unavailable" if len(self.requests) <= self.fail else b"200 OK"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
