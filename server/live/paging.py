"""``questions.page``: the next page of one list of questions, read from Redis.

A snapshot holds each list's first page and its cursor (``server/domain/paging.py``);
a client scrolling past what it has asks for the next one. The read is one
script (``lua/questions_page.lua``, pipelined with the turn's other reads),
projected for the role exactly as a snapshot is (the public list only for
viewers and the overlay), and answered as the command's ack. Nothing is
cached: pages are cheap (a bounded range of two sorted sets) and the
connection's budget (``pages_burst``, ``pages_per_min``) keeps one socket
from turning them into load.
"""

from __future__ import annotations

from typing import Any

from server import protocol
from server.domain import paging
from server.domain.errors import Code, Rejection
from server.domain.projection import project_questions
from server.live.channel import Channel
from server.live.conn import Conn
from server.store.store import Store


async def questions_page(
    store: Store, channel: Channel, conn: Conn, cmd: protocol.QuestionsPage
) -> dict[str, Any]:
    """The ack's result: ``{"list", "order", "questions", "next"}``."""
    role = conn.role
    statuses = paging.statuses_of(cmd.list, role)
    page = await store.questions_page(conn.bid, statuses, cmd.order, cmd.after, cmd.limit)
    if page is None:
        raise Rejection(Code.NOT_FOUND, "no such broadcast")
    projector = channel.projector
    questions = project_questions(
        page["questions"], role, pseudonym=projector.pseudonym,
        names_hidden=projector.names_hidden(role),
    )  # fmt: skip
    return {"list": cmd.list, "order": cmd.order, "questions": questions, "next": page["next"]}
