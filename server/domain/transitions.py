"""Transition tables as the write scripts take them.

A lifecycle (a question's, a poll's, a broadcast's) is a table: state -> the
states it may move to (``QUESTION_TRANSITIONS``, ``POLL_TRANSITIONS``,
``BROADCAST_TRANSITIONS``). The Lua scripts that move an item keep no copy of
it: they receive, for the target, the states it may be reached from
(:func:`allowed_from`) and check the current state against that list in the
same atomic step as the move. Python owns the table, the script applies it;
docs/architecture.md lists where each rule lives.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

State = TypeVar("State", bound=StrEnum)


def allowed_from(table: Mapping[State, frozenset[State]], target: State) -> list[str]:
    """The states from which ``target`` may be reached, as sorted values."""
    return sorted(src.value for src, targets in table.items() if target in targets)
