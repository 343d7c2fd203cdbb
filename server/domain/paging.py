"""Which questions a snapshot carries, and which lists a role may page.

A snapshot holds the first screen of a broadcast, never every question
(docs/protocol.md, "Paging"): the first page of each of its role's lists. The
rest is read a page at a time with ``questions.page``. A list is ``public``
(the public statuses together, as the viewer page shows them) or one status
(moderators only); each is read in an order:

* ``top``: votes, ties to the newer question (the viewer page's 热门 order);
* ``new``: newest asked first; ``old``: oldest asked first (the console's
  pending queue).
"""

from __future__ import annotations

from server.domain.errors import Code, Rejection
from server.protocol import PAGE_LISTS, PAGE_MAX, PAGE_ORDERS, PUBLIC_STATUSES, Role

ORDERS = PAGE_ORDERS
PUBLIC_LIST = "public"
LISTS = PAGE_LISTS
# The first screen: questions per list in a snapshot, and a page's default size.
FIRST_PAGE = 50
# The largest page a client may ask for (the wire's cap).
MAX = PAGE_MAX

# Each role's first screen: "<list>.<order>", read by snapshot.lua in this order.
VIEWER_LISTS = ("public.top", "public.new")
MODERATOR_LISTS = (
    "pending.old",
    "approved.top",
    "approved.new",
    "on_air.new",
    "answered.new",
    "rejected.new",
    "merged.new",
)


def first_screen(mode: str) -> tuple[str, ...]:
    """The lists a snapshot of ``mode`` ('viewer' or 'moderator') opens with."""
    return MODERATOR_LISTS if mode == "moderator" else VIEWER_LISTS


def statuses_of(list_name: str, role: Role) -> tuple[str, ...]:
    """The statuses a list stands for, if ``role`` may read it.

    Viewers and the overlay page only the public list: a pending or rejected
    question never reaches them (``forbidden``, nothing read)."""
    if list_name == PUBLIC_LIST:
        return PUBLIC_STATUSES
    if list_name not in LISTS:
        raise Rejection(Code.INVALID, f"no such list: {list_name[:40]}")
    if role is not Role.MODERATOR:
        raise Rejection(Code.FORBIDDEN, "viewers page only the public questions")
    return (list_name,)
