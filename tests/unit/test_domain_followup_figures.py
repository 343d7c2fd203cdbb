"""server.domain.followup_figures: each figure's definition, by hand-counted cases."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from server.domain.followup import FuState, Rating
from server.domain.followup_figures import (
    FigureItem,
    followup_figures,
    item_from_hashes,
)

S = FuState
TODAY = dt.date(2024, 10, 20)
DUE = dt.date(2024, 10, 16)


def item(state: FuState, status: str = "approved", **kw: object) -> FigureItem:
    return FigureItem(status=status, state=state, **kw)  # type: ignore[arg-type]


ITEMS = [
    item(S.NONE, "answered"),  # answered on air, never triaged
    item(S.NONE, "rejected"),  # moderated out: not counted
    item(S.NONE, "merged"),  # merged: counts in the one it joined
    item(S.NONE, "approved", carried=True),  # carried into a later episode: counted there
    item(S.NONE, "approved"),  # waiting for triage
    item(S.ANSWERED_LIVE),
    item(S.NOT_ADOPTED, tag="交通"),
    item(S.TO_ASSIGN, source="hotline"),
    item(S.ASSIGNED, dept="jt", due=DUE, tag="交通"),  # overdue
    item(S.ACCEPTED, dept="jt", due=dt.date(2024, 10, 25)),
    item(S.REPLIED, dept="jy", due=DUE, replied=dt.date(2024, 10, 17)),  # late
    item(S.PUBLISHED, dept="jy", due=DUE, replied=DUE, rating=Rating.DISSATISFIED),
    item(S.CLOSED, dept="jt", due=DUE, replied=DUE, rating=Rating.SATISFIED, tag="交通"),
    item(S.CLOSED, dept="jt", due=DUE, replied=DUE, rating=Rating.BASICALLY, source="letter"),
]


def test_totals() -> None:
    total = followup_figures(ITEMS, TODAY).total.to_dict()
    assert total == {
        "received": 11, "answered_live": 2, "not_adopted": 1, "pending": 2, "forwarded": 6,
        "replied": 3, "closed": 2, "rated": 3, "satisfied": 1, "basically": 1,
        "dissatisfied": 1, "overdue": 1, "late": 1,
        "reply_rate": 0.5, "close_rate": 0.3333, "satisfaction": 0.6667,
    }  # fmt: skip


def test_breakdowns() -> None:
    figures = followup_figures(ITEMS, TODAY)
    assert set(figures.by_dept) == {"jt", "jy"}
    jt = figures.by_dept["jt"].to_dict()
    assert (jt["forwarded"], jt["replied"], jt["closed"], jt["overdue"]) == (4, 2, 2, 1)
    assert jt["satisfaction"] == 1.0
    assert figures.by_tag["交通"].received == 3
    assert figures.by_source["hotline"].pending == 1
    assert figures.by_source["letter"].closed == 1
    assert "" in figures.by_tag
    as_json = figures.to_dict()
    assert list(as_json) == ["total", "by_dept", "by_tag", "by_source"]


def test_empty_rates_are_none() -> None:
    total = followup_figures([], TODAY).total.to_dict()
    assert total["received"] == 0
    assert total["reply_rate"] is None and total["satisfaction"] is None


def test_item_from_hashes() -> None:
    got = item_from_hashes(
        {"status": "approved", "tag": "", "source": "member"},
        {"state": "closed", "dept": "jt", "due": "2024-10-16", "replied_at": "1729000000000",
         "rating": "basically"},
        lambda ms: dt.date(2024, 10, 15),
    )  # fmt: skip
    assert got == FigureItem("approved", S.CLOSED, "member", "", "jt", DUE, dt.date(2024, 10, 15),
                             Rating.BASICALLY)  # fmt: skip
    # A department is only kept for forwarded items (one sent back has none).
    back = item_from_hashes({"status": "approved"}, {"state": "to_assign", "dept": "jt"}, dt.date)
    assert back.dept == "" and back.source == "phone" and back.state is S.NONE.TO_ASSIGN


_items = st.builds(
    FigureItem,
    status=st.sampled_from(["pending", "approved", "answered", "rejected", "merged"]),
    state=st.sampled_from(list(S)),
    source=st.sampled_from(["phone", "hotline"]),
    tag=st.sampled_from(["", "a", "b"]),
    dept=st.sampled_from(["", "x", "y"]),
    due=st.one_of(st.none(), st.just(DUE)),
    rating=st.one_of(st.none(), st.sampled_from(list(Rating))),
)


@given(st.lists(_items, max_size=30), st.lists(_items, max_size=30))
def test_season_counts_are_the_sums_of_its_episodes(
    a: list[FigureItem], b: list[FigureItem]
) -> None:
    one, two = followup_figures(a, TODAY).total, followup_figures(b, TODAY).total
    both = followup_figures(a + b, TODAY).total
    for name in ("received", "forwarded", "replied", "closed", "rated", "overdue", "pending"):
        assert getattr(both, name) == getattr(one, name) + getattr(two, name)
    assert both.replied <= both.forwarded and both.closed <= both.replied
    by_source = followup_figures(a + b, TODAY).by_source.values()
    assert sum(c.received for c in by_source) == both.received
