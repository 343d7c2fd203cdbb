"""Where a follow-up record appears in the indexes that span broadcasts.

The department queues and histories are derived from each record by this one
rule, both when the indexer follows the event streams and when it rebuilds
everything from the records: the two cannot disagree.

* The queue of the record's department holds it while the department has work
  or a reply under review (assigned, accepted, replied), scored by its due date
  (``YYYYMMDD``, soonest first).
* The history of a department holds every item it replied to that is now
  public (published, closed; scored by the publication time) and every item it
  sent back (``last_dept``; scored by when).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .followup import FuState, parse_state

QUEUE_STATES = frozenset({FuState.ASSIGNED, FuState.ACCEPTED, FuState.REPLIED})
HISTORY_STATES = frozenset({FuState.PUBLISHED, FuState.CLOSED})


@dataclass(frozen=True)
class Placement:
    queue: tuple[str, int] | None  # (department, due as YYYYMMDD)
    history: frozenset[tuple[str, int]]  # (department, ms)

    def departments(self) -> frozenset[str]:
        found = {dept for dept, _ in self.history}
        if self.queue is not None:
            found.add(self.queue[0])
        return frozenset(found)


NOWHERE = Placement(None, frozenset())


def placement(fu: Mapping[str, str]) -> Placement:
    """The record's place in the department indexes (fields as stored)."""
    state = parse_state(fu.get("state"))
    dept = fu.get("dept", "")
    queue = None
    if dept and state in QUEUE_STATES:
        due = fu.get("due", "")
        queue = (dept, int(due.replace("-", "")) if due else 99991231)
    history: set[tuple[str, int]] = set()
    if dept and state in HISTORY_STATES:
        history.add((dept, int(fu.get("published_at") or 0)))
    last = fu.get("last_dept", "")
    if last:
        history.add((last, int(fu.get("sent_back_at") or 0)))
    return Placement(queue, frozenset(history))
