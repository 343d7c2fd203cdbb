"""The public read API's document (server/domain/public_view.py)."""

from __future__ import annotations

from server.domain.public_view import etag, etag_matches, public_broadcast


def q(qid: int, status: str, votes: int = 0) -> dict[str, object]:
    return {"id": qid, "text": f"问题{qid}", "name": "李四", "tag": None, "status": status,
            "votes": votes, "created": 1}  # fmt: skip


def snapshot(show_names: bool = True) -> dict[str, object]:
    return {
        "broadcast": {"id": "b1", "title": "问政", "topic": "", "state": "live",
                      "settings": {"show_names": show_names}},
        "questions": [{"q": q(1, "approved", 2), "asker": "vid-1"},
                      {"q": q(2, "on_air", 5), "asker": "vid-2"},
                      {"q": q(3, "pending"), "asker": "vid-3"}],
        "on_air": q(2, "on_air", 5),
        "polls": [
            {"id": 1, "question": "草稿", "options": ["a", "b"], "state": "draft",
             "results": "always", "tallies": [0, 0], "ballots": 0},
            {"id": 2, "question": "进行中", "options": ["a", "b"], "state": "open",
             "results": "after_vote", "tallies": [3, 1], "ballots": 4},
            {"id": 3, "question": "实时", "options": ["a", "b"], "state": "open",
             "results": "always", "tallies": [1, 1], "ballots": 2},
            {"id": 4, "question": "已结束", "options": ["a", "b"], "state": "closed",
             "results": "after_close", "tallies": [2, 0], "ballots": 2},
        ],
        "presence": {"now": 7, "peak": 9, "unique": 12},
        "likes": 321,
    }  # fmt: skip


def test_public_document_shows_what_a_viewer_sees() -> None:
    doc = public_broadcast(snapshot())
    assert (doc["title"], doc["state"], doc["likes"], doc["viewers_now"]) == ("问政", "live",
                                                                              321, 7)  # fmt: skip
    assert [x["id"] for x in doc["questions"]] == [2, 1]  # public only, most supported first
    assert doc["on_air"]["id"] == 2
    polls = {p["id"]: p for p in doc["polls"]}
    assert 1 not in polls  # a draft
    assert polls[2]["tallies"] is None  # after_vote: nobody here voted
    assert polls[3]["tallies"] == [1, 1] and polls[4]["tallies"] == [2, 0]
    assert "vid-" not in str(doc)


def test_names_follow_show_names() -> None:
    doc = public_broadcast(snapshot(show_names=False))
    assert {x["name"] for x in doc["questions"]} == {"匿名"}
    assert doc["on_air"]["name"] == "匿名"


def test_etag() -> None:
    tag = etag(b"{}")
    assert tag.startswith('"') and tag == etag(b"{}") and tag != etag(b"{ }")
    assert etag_matches(tag, tag) and etag_matches(f'"x", W/{tag}', tag) and etag_matches("*", tag)
    assert not etag_matches(None, tag) and not etag_matches('"other"', tag)
