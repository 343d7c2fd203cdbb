"""The browser's copy of the wire contract, generated from the Python that defines it.

``python -m server.contract`` writes ``static/js/shared/contract.js``: the close
codes and their reconnect policy, the protocol version, the public statuses, the
limits a page checks before sending (each one the same value the hub enforces),
and the name hidden askers carry. The pages import these names and never type
the values again; ``tests/unit/test_contract.py`` fails when the committed file
differs from what this module generates, so a change in Python that is not
regenerated cannot ship.

Only values go here, never behaviour: the hub still decides (an illegal move is
a ``conflict``, an oversize batch ``invalid``), the browser only avoids offering
what would be refused. Settings that a deployment may change are exported as
their defaults, because the page is static: the hub enforces the configured value.

This module sits beside the composition root (it reads every layer and nothing
imports it).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from server import protocol
from server.domain import broadcast, poll, poll_kinds, question, sensitive
from server.settings import Settings
from server.web.words import WORDS_MAX_BODY

TARGET = Path(__file__).resolve().parents[1] / "static" / "js" / "shared" / "contract.js"

_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Settings)}


def _setting(name: str) -> Any:
    value = _DEFAULTS[name]
    if value is dataclasses.MISSING:
        raise ValueError(f"setting {name} has no default to export")
    return value


def _ordered(values: Any, order: Any) -> list[str]:
    rank = {str(s): i for i, s in enumerate(order)}
    return sorted((str(v) for v in values), key=rank.__getitem__)


def _transitions(table: Mapping[Any, frozenset[Any]], order: Any) -> dict[str, list[str]]:
    return {str(k): _ordered(vs, order) for k, vs in table.items()}


def constants() -> list[tuple[str, str, Any]]:
    """(JS name, one-line comment, value) of every exported constant, in file order."""
    status_order = list(question.QuestionStatus)
    return [
        ("PROTOCOL_VERSION", "the `v` of hello and welcome", protocol.PROTOCOL_VERSION),
        ("CLOSE", "close codes by name (server/protocol.py Close)",
         {c.name: int(c) for c in protocol.Close}),
        ("ABNORMAL_CLOSURE", "what a browser reports when the connection drops (never sent)",
         protocol.ABNORMAL_CLOSURE),
        ("RECONNECT_CODES", "close codes after which a client reconnects with backoff",
         sorted(int(c) for c in protocol.RECONNECT)),
        ("TERMINAL_CODES", "close codes after which a client stays closed and says why",
         sorted(int(c) for c in protocol.TERMINAL)),
        ("RETRYABLE_CODES", "error codes for which the same command id may be sent again",
         sorted(protocol.RETRYABLE_CODES)),
        ("MAX_FRAME_BYTES", "the hub's ws_max_size default: a bigger frame is closed with 1009",
         _setting("ws_max_size")),
        ("LIKE_MAX_BATCH", "the hub's likes_max_batch default: taps per like command",
         _setting("likes_max_batch")),
        ("STATUSES", "every question status, in lifecycle order",
         [str(s) for s in status_order]),
        ("PUBLIC_STATUSES", "statuses everyone may see (the rest: moderators and the asker)",
         _ordered(protocol.PUBLIC_STATUSES, status_order)),
        ("QUESTION_TRANSITIONS", "status -> statuses a moderator may move it to",
         _transitions(question.QUESTION_TRANSITIONS, status_order)),
        ("ANONYMOUS", "the name a question carries when its asker gave none or names are hidden",
         question.ANONYMOUS),
        ("REASON_MAX_LEN", "characters of a rejection reason", question.REASON_MAX_LEN),
        ("DEFAULT_MAX_LEN", "a broadcast's question length limit unless its settings say otherwise",
         broadcast.BroadcastSettings().max_len),
        ("MAX_LEN_RANGE", "bounds of a broadcast's question length limit",
         list(broadcast.MAX_LEN_RANGE)),
        ("TITLE_MAX_LEN", "characters of a broadcast title", broadcast.TITLE_MAX_LEN),
        ("TOPIC_MAX_LEN", "characters of a broadcast topic", broadcast.TOPIC_MAX_LEN),
        ("MAX_TAGS", "tags of one broadcast", broadcast.MAX_TAGS),
        ("TAG_MAX_LEN", "characters of one tag", broadcast.TAG_MAX_LEN),
        ("POLL_QUESTION_MAX_LEN", "characters of a poll question", poll.QUESTION_MAX_LEN),
        ("POLL_OPTION_MAX_LEN", "characters of a poll option", poll.OPTION_MAX_LEN),
        ("POLL_OPTIONS_RANGE", "fewest and most options of a poll", list(poll.OPTIONS_RANGE)),
        ("POLL_RESULTS", "when viewers see a poll's results", list(protocol.POLL_RESULTS)),
        ("POLL_KINDS", "the kinds of poll (server/domain/poll_kinds.py)",
         list(protocol.POLL_KINDS)),
        ("RATING_SCALES", "the points a rating poll may have", list(poll_kinds.RATING_SCALES)),
        ("RATING_LABEL_MAX_LEN", "characters of a rating scale's end label",
         poll_kinds.LABEL_MAX_LEN),
        ("RANKING_RANGE", "fewest and most options a ranking orders",
         list(poll_kinds.RANKING_RANGE)),
        ("ANSWER_LEN_RANGE", "bounds of a word-cloud answer's length limit",
         list(poll_kinds.ANSWER_LEN_RANGE)),
        ("ANSWER_LEN_DEFAULT", "a word-cloud answer's length limit unless the poll says otherwise",
         poll_kinds.ANSWER_LEN_DEFAULT),
        ("CLOUD_TOP_N", "words a cloud shows: the most frequent ones", poll_kinds.CLOUD_TOP_N),
        ("OVERLAY_SHOWS", "what the overlay command may show (null hides it)",
         list(protocol.OVERLAY_SHOWS)),
        ("WORD_MAX_LEN", "folded characters of one sensitive word", sensitive.WORD_MAX_LEN),
        ("WORD_LIST_MAX_WORDS", "words of one sensitive-word list", sensitive.LIST_MAX_WORDS),
        ("WORDS_MAX_BODY", "bytes of an uploaded word list", WORDS_MAX_BODY),
        ("PAGE_MAX", "questions in one page of questions.page", protocol.PAGE_MAX),
    ]  # fmt: skip


def _freeze(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return f"Object.freeze({text})" if isinstance(value, (dict, list)) else text


def render() -> str:
    """The text of ``static/js/shared/contract.js``."""
    lines = [
        "// GENERATED by `python -m server.contract` from server/protocol.py, server/settings.py",
        "// and server/domain/: do not edit. tests/unit/test_contract.py fails when it drifts.",
        "",
    ]
    for name, comment, value in constants():
        lines += [f"/** {comment} */", f"export const {name} = {_freeze(value)};"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv == ["--check"]:
        if TARGET.read_text("utf-8") != text:
            print(f"{TARGET} is stale: run python -m server.contract", file=sys.stderr)
            return 1
        return 0
    if argv == ["--stdout"]:
        sys.stdout.write(text)
        return 0
    if argv:
        print("usage: python -m server.contract [--check | --stdout]", file=sys.stderr)
        return 2
    TARGET.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
