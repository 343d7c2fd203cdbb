"""The golden event sequences of tests/golden/, replayed through server.client.state.

tests/js/golden.test.mjs replays the same files through static/js/shared/state.js:
one set of expected states for both reducers, so the Python client that the
integration tests trust and the pages people look at cannot drift apart.

Each file: ``role``, then ``steps`` of ``messages`` and the ``expect``ed state
after them (the fields named; the last step names every field). The state is
compared in a neutral shape: items as lists sorted by id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from server.client.state import ClientState

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FILES = sorted(GOLDEN.glob("*.json"))
FIELDS = {
    "epoch", "pos", "questions", "mine", "myvotes", "polls", "likes", "presence",
    "on_air", "broadcast", "overlay", "snapshots", "duplicates", "unknown",
}  # fmt: skip


def neutral(state: ClientState) -> dict[str, Any]:
    def items(table: dict[int, Any]) -> list[Any]:
        return [table[k] for k in sorted(table)]

    return {
        "epoch": state.epoch,
        "pos": state.pos,
        "questions": items(state.questions),
        "mine": items(state.mine),
        "myvotes": sorted(state.myvotes),
        "polls": items(state.polls),
        "likes": state.likes,
        "presence": state.presence,
        "on_air": state.on_air,
        "broadcast": state.broadcast,
        "overlay": state.overlay,
        "snapshots": state.snapshots,
        "duplicates": state.duplicates,
        "unknown": state.unknown,
    }


def test_the_golden_set_is_there() -> None:
    assert len(FILES) >= 7, GOLDEN


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden_sequence(path: Path) -> None:
    golden = orjson.loads(path.read_bytes())
    assert golden["steps"] and set(golden["steps"][-1]["expect"]) == FIELDS, "last step: all"
    state = ClientState(role=golden["role"])
    for number, step in enumerate(golden["steps"], 1):
        assert set(step["expect"]) <= FIELDS, step["expect"].keys() - FIELDS
        for message in step["messages"]:
            state.apply_message(message)
        got = neutral(state)
        assert {k: got[k] for k in step["expect"]} == step["expect"], f"step {number}"
