from __future__ import annotations

from dataclasses import dataclass

import pytest

from server.domain.resume import (
    BEYOND,
    ZERO,
    ResumeOutcome,
    StreamId,
    client_position,
    decide_resume,
    format_stream_id,
    parse_stream_id,
)

Out = ResumeOutcome


@dataclass(frozen=True)
class Case:
    name: str
    outcome: ResumeOutcome
    client_pos: StreamId | None = (100, 0)
    client_epoch: str | None = "e1"
    first: StreamId | None = (50, 0)
    last: StreamId | None = (200, 0)
    missed: int = 3
    trimmed_before: StreamId = ZERO
    known: bool = True


CASES = [
    Case("fresh: no position", Out.FRESH, client_pos=None),
    Case("fresh: no epoch", Out.FRESH, client_epoch=None),
    Case("epoch changed", Out.EPOCH_CHANGED, client_epoch="e0"),
    Case("epoch checked before emptiness", Out.EPOCH_CHANGED, client_epoch="e0", last=None),
    Case("empty stream, client at zero", Out.CURRENT, client_pos=ZERO, first=None, last=None),
    Case("empty stream, client elsewhere", Out.FUTURE, first=None, last=None),
    Case(
        "empty stream after removals, client at zero",
        Out.TRIMMED,
        client_pos=ZERO,
        first=None,
        last=None,
        trimmed_before=(5, 0),
    ),
    Case("same position", Out.CURRENT, client_pos=(200, 0), missed=0),
    Case("future: beyond last", Out.FUTURE, client_pos=(200, 1), missed=0),
    Case("n missed within limit", Out.RECOVERED, missed=3),
    Case("exactly the limit", Out.RECOVERED, missed=10),
    Case("too many", Out.TOO_MANY, missed=11),
    Case("trimmed after client position", Out.TRIMMED, client_pos=(10, 0), trimmed_before=(40, 0)),
    Case(
        "trimmed wins over too many",
        Out.TRIMMED,
        client_pos=(10, 0),
        trimmed_before=(40, 0),
        missed=1000,
    ),
    Case("older than first, nothing trimmed", Out.RECOVERED, client_pos=(10, 0)),
    Case("zero, nothing trimmed", Out.RECOVERED, client_pos=ZERO),
    Case("at the last trimmed id", Out.RECOVERED, client_pos=(40, 0), trimmed_before=(40, 0)),
    Case("unknown: inside the range, never an event", Out.UNKNOWN, known=False),
    Case("unknown wins over too many", Out.UNKNOWN, known=False, missed=1000),
    Case(
        "trimmed wins over unknown",
        Out.TRIMMED,
        client_pos=(10, 0),
        trimmed_before=(40, 0),
        known=False,
    ),
    Case("future wins over unknown", Out.FUTURE, client_pos=(200, 1), known=False),
    Case("epoch wins over unknown", Out.EPOCH_CHANGED, client_epoch="e0", known=False),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decide_resume(case: Case) -> None:
    outcome = decide_resume(
        client_epoch=case.client_epoch,
        client_pos=case.client_pos,
        epoch="e1",
        first=case.first,
        last=case.last,
        missed=case.missed,
        limit=10,
        trimmed_before=case.trimmed_before,
        known=case.known,
    )
    assert outcome is case.outcome


def test_needs_snapshot() -> None:
    assert {o for o in Out if not o.needs_snapshot} == {Out.CURRENT, Out.RECOVERED}


@pytest.mark.parametrize(
    ("text", "sid"),
    [
        ("0-0", ZERO),
        ("1700000000000-3", (1700000000000, 3)),
        ("18446744073709551615-0", (2**64 - 1, 0)),
    ],
)
def test_stream_ids(text: str, sid: StreamId) -> None:
    assert parse_stream_id(text) == sid
    assert format_stream_id(sid) == text


@pytest.mark.parametrize(
    "text",
    ["", "1", "1-", "-1", "1-2-3", "a-1", " 1-2", "1-2\n", "-1-2", "1--2", "1" * 21 + "-0",
     "18446744073709551616-0", "١-٢", "+1-2", "1.0-2"],
)  # fmt: skip
def test_bad_stream_ids(text: str) -> None:
    with pytest.raises(ValueError):
        parse_stream_id(text)
    # From a client's hello: beyond any event, so the resume decision says
    # "future" and the client gets a snapshot.
    assert client_position(text) == BEYOND
    outcome = decide_resume(
        client_epoch="e", client_pos=BEYOND, epoch="e", first=(1, 0), last=(5, 0),
        missed=0, limit=10,
    )  # fmt: skip
    assert outcome is ResumeOutcome.FUTURE


def test_a_client_position_that_is_a_stream_id_is_kept() -> None:
    assert client_position("1700000000000-3") == (1700000000000, 3)
