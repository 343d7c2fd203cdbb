"""server.protocol: decoding every command, refusing every class of bad input."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server import protocol as p
from server.protocol import ProtocolError, decode

# One valid frame per wire type, with the command it must decode to.
VALID: list[tuple[dict[str, Any], object]] = [
    ({"type": "hello", "role": "viewer"}, p.Hello(role="viewer")),
    (
        {
            "type": "hello",
            "role": "overlay",
            "v": 3,
            "since": {"epoch": "e1", "pos": "1700000000000-3"},
            "key": "k" * 128,
            "tab": "tab_-1234",
        },
        p.Hello(
            role="overlay",
            v=3,
            since=p.Since(epoch="e1", pos="1700000000000-3"),
            key="k" * 128,
            tab="tab_-1234",
        ),
    ),
    ({"type": "hello", "role": "moderator", "since": None}, p.Hello(role="moderator")),
    ({"type": "ping"}, p.Ping()),
    (
        {"type": "questions.page", "id": "p1", "list": "public", "order": "top"},
        p.QuestionsPage(id="p1", list="public", order="top"),
    ),
    (
        {
            "type": "questions.page",
            "id": "p2",
            "list": "merged",
            "order": "old",
            "after": "1764800000123:2001",
            "limit": 200,
        },
        p.QuestionsPage(id="p2", list="merged", order="old", after="1764800000123:2001", limit=200),
    ),
    ({"type": "ask", "id": "c1", "text": "Why?"}, p.Ask(id="c1", text="Why?")),
    (
        {"type": "ask", "id": "c1", "text": "Why?", "name": "王", "tag": None},
        p.Ask(id="c1", text="Why?", name="王", tag=None),
    ),
    ({"type": "upvote", "id": "c2", "qid": 7, "on": False}, p.Upvote(id="c2", qid=7, on=False)),
    ({"type": "like", "id": "c3", "n": 100_000}, p.Like(id="c3", n=100_000)),
    (
        {"type": "vote", "id": "c4", "poll": 2, "choices": [0, 3]},
        p.Vote(id="c4", poll=2, choices=(0, 3)),
    ),
    (
        {"type": "q.status", "id": "m1", "qid": 5, "status": "on_air"},
        p.SetStatus(id="m1", qid=5, status="on_air"),
    ),
    (
        {
            "type": "q.status",
            "id": "m1",
            "qid": 5,
            "status": "rejected",
            "expect": "pending",
            "reason": "off topic",
        },
        p.SetStatus(id="m1", qid=5, status="rejected", expect="pending", reason="off topic"),
    ),
    ({"type": "q.star", "id": "m2", "qid": 1, "on": True}, p.Star(id="m2", qid=1, on=True)),
    ({"type": "q.tag", "id": "m2", "qid": 1, "tag": "交通"}, p.SetTag(id="m2", qid=1, tag="交通")),
    ({"type": "q.tag", "id": "m2", "qid": 1, "tag": None}, p.SetTag(id="m2", qid=1, tag=None)),
    (
        {"type": "q.edit", "id": "m3", "qid": 1, "text": "Fixed"},
        p.Edit(id="m3", qid=1, text="Fixed"),
    ),
    (
        {"type": "q.edit", "id": "m3", "qid": 1, "text": "Fixed", "expect": "Fixd"},
        p.Edit(id="m3", qid=1, text="Fixed", expect="Fixd"),
    ),
    (
        {"type": "q.merge", "id": "m9", "qid": 18, "into": 17},
        p.Merge(id="m9", qid=18, into=17),
    ),
    (
        {"type": "viewer.ban", "id": "m10", "qid": 18, "on": True},
        p.Ban(id="m10", qid=18, on=True),
    ),
    (
        {
            "type": "poll.create",
            "id": "m4",
            "question": "Which day?",
            "options": ["Mon", "Tue"],
            "multi": False,
        },
        p.CreatePoll(id="m4", question="Which day?", options=("Mon", "Tue"), multi=False),
    ),
    (
        {
            "type": "poll.create",
            "id": "m4",
            "question": "Q",
            "options": ["a"] * 10,
            "multi": True,
            "results": "after_close",
        },
        p.CreatePoll(id="m4", question="Q", options=("a",) * 10, multi=True, results="after_close"),
    ),
    (
        {"type": "poll.state", "id": "m5", "poll": 3, "state": "closed"},
        p.SetPollState(id="m5", poll=3, state="closed"),
    ),
    ({"type": "poll.delete", "id": "m11", "poll": 3}, p.DeletePoll(id="m11", poll=3)),
    (
        {
            "type": "poll.create",
            "id": "m12",
            "question": "打分",
            "kind": "rating",
            "scale": 5,
            "labels": ["很差", "很好"],
        },
        p.CreatePoll(id="m12", question="打分", kind="rating", scale=5, labels=("很差", "很好")),
    ),
    (
        {
            "type": "poll.create",
            "id": "m13",
            "question": "一个词",
            "kind": "words",
            "max_len": 12,
            "moderated": True,
            "results": "always",
        },
        p.CreatePoll(
            id="m13", question="一个词", kind="words", max_len=12, moderated=True, results="always"
        ),
    ),
    (
        {"type": "poll.answer", "id": "v9", "poll": 2, "text": "太挤"},
        p.AnswerPoll(id="v9", poll=2, text="太挤"),
    ),
    (
        {"type": "poll.review", "id": "m14", "poll": 2, "answer": 5, "approve": True},
        p.ReviewAnswer(id="m14", poll=2, answer=5, approve=True),
    ),
    (
        {"type": "poll.word", "id": "m15", "poll": 2, "word": "太挤", "hidden": True},
        p.HideWord(id="m15", poll=2, word="太挤", hidden=True),
    ),
    ({"type": "overlay", "id": "m6", "show": None}, p.ShowOverlay(id="m6", show=None)),
    (
        {"type": "overlay", "id": "m6", "show": "poll", "poll": 3},
        p.ShowOverlay(id="m6", show="poll", poll=3),
    ),
    (
        {"type": "scene", "id": "s1", "scene": "vote", "poll": 2},
        p.SwitchScene(id="s1", scene="vote", poll=2),
    ),
    (
        {"type": "scene.put", "id": "s2", "scene": "a-1", "name": "提问", "widgets": []},
        p.PutScene(id="s2", scene="a-1", name="提问", widgets=()),
    ),
    ({"type": "scene.delete", "id": "s3", "scene": "x"}, p.DeleteScene(id="s3", scene="x")),
    ({"type": "cue", "id": "s4", "qid": 5, "scene": None}, p.Cue(id="s4", qid=5)),
    ({"type": "cue.clear", "id": "s5"}, p.ClearCue(id="s5")),
    ({"type": "take", "id": "s6"}, p.Take(id="s6")),
    (
        {"type": "rundown.add", "id": "r1", "qid": 3, "after": 0},
        p.RundownAdd(id="r1", qid=3, after=0),
    ),
    (
        {"type": "rundown.move", "id": "r2", "qid": 3, "after": 4, "ver": 7},
        p.RundownMove(id="r2", qid=3, after=4, ver=7),
    ),
    ({"type": "rundown.remove", "id": "r3", "qid": 3}, p.RundownRemove(id="r3", qid=3)),
    ({"type": "rundown.next", "id": "r4"}, p.RundownNext(id="r4")),
    ({"type": "bc.update", "id": "m7"}, p.UpdateBroadcast(id="m7")),
    (
        {
            "type": "bc.update",
            "id": "m7",
            "title": "Budget 2025",
            "topic": "",
            "settings": {
                "moderation": True,
                "max_len": 300,
                "tags": ["a", "b"],
                "show_names": False,
            },
        },
        p.UpdateBroadcast(
            id="m7",
            title="Budget 2025",
            topic="",
            settings={"moderation": True, "max_len": 300, "tags": ("a", "b"), "show_names": False},
        ),
    ),
    ({"type": "bc.update", "id": "m7", "settings": {}}, p.UpdateBroadcast(id="m7", settings={})),
    (
        {"type": "bc.update", "id": "m7", "scheduled": 1732540000000},
        p.UpdateBroadcast(id="m7", scheduled=1732540000000),
    ),
    (
        {"type": "bc.update", "id": "m7", "scheduled": None},
        p.UpdateBroadcast(id="m7", scheduled=None),
    ),
    (
        {"type": "bc.state", "id": "m8", "state": "ended"},
        p.SetBroadcastState(id="m8", state="ended"),
    ),
    # After the show: the follow-up.
    (
        {"type": "fu.triage", "id": "f1", "qid": 2, "action": "answer_live", "text": "现场答复"},
        p.FuTriage(id="f1", qid=2, action="answer_live", text="现场答复"),
    ),
    (
        {
            "type": "fu.assign",
            "id": "f2",
            "qid": 2,
            "dept": "roads",
            "qtype": "help",
            "expect": "none",
        },
        p.FuAssign(id="f2", qid=2, dept="roads", qtype="help", expect="none"),
    ),
    (
        {"type": "fu.review", "id": "f3", "qid": 2, "action": "publish"},
        p.FuReview(id="f3", qid=2, action="publish"),
    ),
    ({"type": "fu.reopen", "id": "f4", "qid": 2}, p.FuReopen(id="f4", qid=2)),
    ({"type": "fu.close", "id": "f5", "qid": 2}, p.FuClose(id="f5", qid=2)),
    (
        {"type": "fu.ext", "id": "f6", "qid": 2, "action": "grant", "due": "2024-10-20"},
        p.FuExtension(id="f6", qid=2, action="grant", due="2024-10-20"),
    ),
    (
        {"type": "q.enter", "id": "f7", "text": "热线来电", "source": "hotline", "contact": "电话"},
        p.EnterQuestion(id="f7", text="热线来电", source="hotline", contact="电话"),
    ),
    (
        {"type": "q.contact", "id": "f8", "qid": 3, "contact": ""},
        p.SetContact(id="f8", qid=3, contact=""),
    ),
    ({"type": "q.carry", "id": "f9", "qid": 3, "to": "ep-2"}, p.Carry(id="f9", qid=3, to="ep-2")),
    (
        {"type": "fu.rate", "id": "v9", "qid": 3, "rating": "basically", "comment": None},
        p.FuRate(id="v9", qid=3, rating="basically"),
    ),
    ({"type": "fu.accept", "id": "o1", "qid": 3}, p.FuAccept(id="o1", qid=3)),
    (
        {"type": "fu.send_back", "id": "o2", "qid": 3, "reason": "非本单位职责"},
        p.FuSendBack(id="o2", qid=3, reason="非本单位职责"),
    ),
    (
        {"type": "fu.reply", "id": "o3", "qid": 3, "text": "已办理", "link": "https://x.cn"},
        p.FuReply(id="o3", qid=3, text="已办理", link="https://x.cn"),
    ),
    (
        {"type": "fu.ext_request", "id": "o4", "qid": 3, "due": "2024-10-30", "reason": "勘查"},
        p.FuRequestExtension(id="o4", qid=3, due="2024-10-30", reason="勘查"),
    ),
]


def frame(obj: object) -> str:
    return orjson.dumps(obj).decode()


def refused(raw: str | bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decode(raw)
    return info.value


@pytest.mark.parametrize(("obj", "expected"), VALID, ids=lambda v: str(v)[:40])
def test_valid_frame_decodes(obj: dict[str, Any], expected: object) -> None:
    assert decode(frame(obj)) == expected


def test_every_wire_type_has_a_valid_example() -> None:
    assert {obj["type"] for obj, _ in VALID} == set(p._SPECS)
    assert {type(cmd) for _, cmd in VALID} == (
        p.VIEWER_COMMANDS
        | p.MODERATOR_COMMANDS
        | p.OFFICIAL_COMMANDS
        | {p.Hello, p.Ping, p.QuestionsPage}
    )


def test_command_classes_know_their_wire_type() -> None:
    for obj, cmd in VALID:
        assert obj["type"] == type(cmd).TYPE  # type: ignore[attr-defined]


def test_role_sets_are_disjoint_and_cover_every_command() -> None:
    assert not p.VIEWER_COMMANDS & p.MODERATOR_COMMANDS
    assert not p.OFFICIAL_COMMANDS & (p.VIEWER_COMMANDS | p.MODERATOR_COMMANDS)
    assert len(p.VIEWER_COMMANDS | p.MODERATOR_COMMANDS) == 39
    assert len(p.OFFICIAL_COMMANDS) == 4
    # Every follow-up command belongs to exactly one role.
    assert p.FOLLOWUP_COMMANDS <= p.VIEWER_COMMANDS | p.MODERATOR_COMMANDS | p.OFFICIAL_COMMANDS


def test_commands_are_frozen() -> None:
    cmd = decode(frame({"type": "like", "id": "c", "n": 1}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cmd.n = 2  # type: ignore[union-attr,misc]


# --- refusals: (frame, code, words the message must contain, id it must carry) ---

ASK = {"type": "ask", "id": "c1", "text": "hi"}

PAGE = {"type": "questions.page", "id": "c", "list": "public", "order": "new"}
BAD: list[tuple[str, str | bytes, str, str, str | None]] = [
    ("binary frame", b'{"type":"ping"}', "bad_frame", "binary", None),
    ("invalid json", "{nope", "bad_json", "not valid JSON", None),
    ("invalid utf-8 in text", '{"type":"\ud800"}', "bad_json", "not valid JSON", None),
    ("empty frame", "", "bad_json", "not valid JSON", None),
    ("not an object", "[1,2]", "bad_json", "object", None),
    ("a bare string", '"ping"', "bad_json", "object", None),
    ("missing type", frame({"id": "c1"}), "bad_type", "missing", "c1"),
    ("type null", frame({"type": None}), "bad_type", "missing", None),
    ("type not a string", frame({"type": 3, "id": "c1"}), "bad_type", "string", "c1"),
    ("unknown type", frame({"type": "nuke", "id": "c1"}), "bad_type", '"nuke"', "c1"),
    ("missing field", frame({"type": "ask", "id": "c1"}), "bad_field", "text: missing", "c1"),
    ("missing id", frame({"type": "ask", "text": "x"}), "bad_field", "id: missing", None),
    ("extra field", frame({**ASK, "admin": True}), "bad_field", 'unknown field "admin"', "c1"),
    (
        "id on hello",
        frame({"type": "hello", "role": "viewer", "id": "c"}),
        "bad_field",
        '"id"',
        "c",
    ),
    ("extra field on ping", frame({"type": "ping", "x": 1}), "bad_field", '"x"', None),
    ("wrong type", frame({**ASK, "text": 5}), "bad_field", "text: expected a string", "c1"),
    (
        "bool as int",
        frame({"type": "upvote", "id": "c1", "qid": True, "on": True}),
        "bad_field",
        "qid",
        "c1",
    ),
    (
        "int as bool",
        frame({"type": "upvote", "id": "c1", "qid": 1, "on": 1}),
        "bad_field",
        "on",
        "c1",
    ),
    (
        "float as int",
        frame({"type": "upvote", "id": "c1", "qid": 1.0, "on": True}),
        "bad_field",
        "qid",
        "c1",
    ),
    (
        "zero qid",
        frame({"type": "q.star", "id": "c", "qid": 0, "on": True}),
        "bad_field",
        "qid",
        "c",
    ),
    (
        "beyond 2**53",
        frame({"type": "q.star", "id": "c", "qid": 2**53 + 1, "on": True}),
        "bad_field",
        "qid",
        "c",
    ),
    ("likes out of range", frame({"type": "like", "id": "c", "n": 100_001}), "bad_field", "n", "c"),
    ("zero likes", frame({"type": "like", "id": "c", "n": 0}), "bad_field", "n", "c"),
    ("too long", frame({**ASK, "text": "x" * 4001}), "bad_field", "longer than 4000", "c1"),
    ("name too long", frame({**ASK, "name": "x" * 201}), "bad_field", "name", "c1"),
    ("bad id chars", frame({**ASK, "id": "a b"}), "bad_field", "id:", None),
    ("empty id", frame({**ASK, "id": ""}), "bad_field", "id:", None),
    ("id too long", frame({**ASK, "id": "a" * 65}), "bad_field", "id:", None),
    ("id not a string", frame({**ASK, "id": 12}), "bad_field", "id:", None),
    ("bad role", frame({"type": "hello", "role": "admin"}), "bad_field", "role", None),
    ("bad version", frame({"type": "hello", "role": "viewer", "v": 1}), "bad_field", "v:", None),
    (
        "version 2 (snapshots before paging)",
        frame({"type": "hello", "role": "viewer", "v": 2}),
        "bad_field",
        "v:",
        None,
    ),
    ("page: unknown list", frame({**PAGE, "list": "all"}), "bad_field", "list", "c"),
    ("page: unknown order", frame({**PAGE, "order": "random"}), "bad_field", "order", "c"),
    ("page: too big", frame({**PAGE, "limit": 201}), "bad_field", "limit", "c"),
    ("page: empty", frame({**PAGE, "limit": 0}), "bad_field", "limit", "c"),
    ("page: bad cursor", frame({**PAGE, "after": "1-2"}), "bad_field", "after", "c"),
    (
        "page: cursor too long",
        frame({**PAGE, "after": "1" * 18 + ":1"}),
        "bad_field",
        "after",
        "c",
    ),
    ("page: extra field", frame({**PAGE, "status": "pending"}), "bad_field", "status", "c"),
    (
        "since missing pos",
        frame({"type": "hello", "role": "viewer", "since": {"epoch": "e"}}),
        "bad_field",
        "since: pos: missing",
        None,
    ),
    (
        "since extra key",
        frame({"type": "hello", "role": "viewer", "since": {"epoch": "e", "pos": "1-1", "x": 1}}),
        "bad_field",
        "since",
        None,
    ),
    (
        "short tab",
        frame({"type": "hello", "role": "viewer", "tab": "abc"}),
        "bad_field",
        "tab",
        None,
    ),
    (
        "tab chars",
        frame({"type": "hello", "role": "viewer", "tab": "abc.defgh"}),
        "bad_field",
        "tab",
        None,
    ),
    (
        "key too long",
        frame({"type": "hello", "role": "overlay", "key": "k" * 129}),
        "bad_field",
        "key",
        None,
    ),
    (
        "no choices",
        frame({"type": "vote", "id": "c", "poll": 1, "choices": []}),
        "bad_field",
        "choices",
        "c",
    ),
    (
        "too many choices",
        frame({"type": "vote", "id": "c", "poll": 1, "choices": list(range(11))}),
        "bad_field",
        "choices",
        "c",
    ),
    (
        "choice not an int",
        frame({"type": "vote", "id": "c", "poll": 1, "choices": [0, "1"]}),
        "bad_field",
        "choices: item 1",
        "c",
    ),
    (
        "one option",
        frame(
            {"type": "poll.create", "id": "c", "question": "q", "options": ["a"], "multi": False}
        ),
        "bad_field",
        "options",
        "c",
    ),
    (
        "bad status",
        frame({"type": "q.status", "id": "c", "qid": 1, "status": "deleted"}),
        "bad_field",
        "status",
        "c",
    ),
    (
        "status merged is for q.merge only",
        frame({"type": "q.status", "id": "c", "qid": 1, "status": "merged"}),
        "bad_field",
        "status",
        "c",
    ),
    (
        "merge into nothing",
        frame({"type": "q.merge", "id": "c", "qid": 1}),
        "bad_field",
        "into: missing",
        "c",
    ),
    (
        "merge into question 0",
        frame({"type": "q.merge", "id": "c", "qid": 1, "into": 0}),
        "bad_field",
        "into",
        "c",
    ),
    (
        "ban without on",
        frame({"type": "viewer.ban", "id": "c", "qid": 1}),
        "bad_field",
        "on: missing",
        "c",
    ),
    (
        "ban by viewer id",
        frame({"type": "viewer.ban", "id": "c", "qid": 1, "on": True, "vid": "v1"}),
        "bad_field",
        'unknown field "vid"',
        "c",
    ),
    (
        "bad expect",
        frame({"type": "q.status", "id": "c", "qid": 1, "status": "approved", "expect": None}),
        "bad_field",
        "expect",
        "c",
    ),
    (
        "bad overlay",
        frame({"type": "overlay", "id": "c", "show": "video"}),
        "bad_field",
        "show",
        "c",
    ),
    (
        "scene id with markup",
        frame({"type": "scene", "id": "c", "scene": "<b>"}),
        "bad_field",
        "scene",
        "c",
    ),
    (
        "scene with an unknown widget",
        frame({"type": "scene.put", "id": "c", "scene": "a", "name": "n", "widgets": ["video"]}),
        "bad_field",
        "widgets: item 0",
        "c",
    ),
    (
        "scene name too long",
        frame({"type": "scene.put", "id": "c", "scene": "a", "name": "长" * 21, "widgets": []}),
        "bad_field",
        "name",
        "c",
    ),
    (
        "run-down move without a neighbour",
        frame({"type": "rundown.move", "id": "c", "qid": 2}),
        "bad_field",
        "after: missing",
        "c",
    ),
    (
        "run-down after a negative id",
        frame({"type": "rundown.add", "id": "c", "qid": 2, "after": -1}),
        "bad_field",
        "after",
        "c",
    ),
    (
        "take with a field",
        frame({"type": "take", "id": "c", "qid": 2}),
        "bad_field",
        "unknown field",
        "c",
    ),
    (
        "overlay show missing",
        frame({"type": "overlay", "id": "c"}),
        "bad_field",
        "show: missing",
        "c",
    ),
    (
        "unknown setting",
        frame({"type": "bc.update", "id": "c", "settings": {"theme": "dark"}}),
        "bad_field",
        'settings: unknown field "theme"',
        "c",
    ),
    (
        "too many tags",
        frame({"type": "bc.update", "id": "c", "settings": {"tags": ["t"] * 31}}),
        "bad_field",
        "settings: tags",
        "c",
    ),
    (
        "settings not an object",
        frame({"type": "bc.update", "id": "c", "settings": []}),
        "bad_field",
        "settings",
        "c",
    ),
    (
        "title null",
        frame({"type": "bc.update", "id": "c", "title": None}),
        "bad_field",
        "title",
        "c",
    ),
    (
        "scheduled as a string",
        frame({"type": "bc.update", "id": "c", "scheduled": "2025-01-01"}),
        "bad_field",
        "scheduled",
        "c",
    ),
    (
        "scheduled negative",
        frame({"type": "bc.update", "id": "c", "scheduled": -5}),
        "bad_field",
        "scheduled",
        "c",
    ),
    (
        "bad bc state",
        frame({"type": "bc.state", "id": "c", "state": "paused"}),
        "bad_field",
        "state",
        "c",
    ),
    (
        "eleven poll options",
        frame({"type": "poll.create", "id": "c", "question": "q", "options": ["a"] * 11}),
        "bad_field",
        "options",
        "c",
    ),
    (
        "an unknown poll kind",
        frame({"type": "poll.create", "id": "c", "question": "q", "kind": "quiz"}),
        "bad_field",
        "kind",
        "c",
    ),
    (
        "a word-cloud answer that is not a string",
        frame({"type": "poll.answer", "id": "c", "poll": 1, "text": 5}),
        "bad_field",
        "text",
        "c",
    ),
    (
        "a word-cloud answer past any limit",
        frame({"type": "poll.answer", "id": "c", "poll": 1, "text": "长" * 401}),
        "bad_field",
        "text",
        "c",
    ),
    (
        "a review without its decision",
        frame({"type": "poll.review", "id": "c", "poll": 1, "answer": 1}),
        "bad_field",
        "approve",
        "c",
    ),
    (
        "poll.delete without a poll",
        frame({"type": "poll.delete", "id": "c"}),
        "bad_field",
        "poll: missing",
        "c",
    ),
    (
        "poll.delete of poll 0",
        frame({"type": "poll.delete", "id": "c", "poll": 0}),
        "bad_field",
        "poll",
        "c",
    ),
    ("deep nesting", frame({**ASK, "text": [[[[[[["x"]]]]]]]}), "bad_field", "text", "c1"),
]


@pytest.mark.parametrize(
    ("raw", "code", "words", "cid"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_input_is_refused(raw: str | bytes, code: str, words: str, cid: str | None) -> None:
    err = refused(raw)
    assert (err.code, err.id) == (code, cid)
    assert words in err.message


def test_error_echoes_at_most_40_characters_of_input() -> None:
    secret = "s" * 39 + "THE-REST-IS-NOT-ECHOED"
    for raw in (frame({"type": secret}), frame({"type": "ping", secret: 1})):
        err = refused(raw)
        assert "s" * 39 in err.message
        assert "THE-REST" not in err.message


def test_max_size_gives_too_big() -> None:
    raw = frame({**ASK, "text": "x" * 100})
    assert decode(raw, max_size=len(raw)) == p.Ask(id="c1", text="x" * 100)
    with pytest.raises(ProtocolError) as info:
        decode(raw, max_size=len(raw) - 1)
    assert info.value.code == "too_big"


def test_protocol_error_becomes_a_non_retryable_error_message() -> None:
    assert refused(frame({**ASK, "x": 1})).to_message() == {
        "type": "error",
        "id": "c1",
        "code": "bad_field",
        "message": 'unknown field "x"',
        "retryable": False,
    }


def test_decode_value_accepts_parsed_json() -> None:
    assert p.decode_value({"type": "ping"}) == p.Ping()
    with pytest.raises(ProtocolError):
        p.decode_value(["ping"])


# --- close codes --------------------------------------------------------------


def test_close_policy_covers_every_code_once() -> None:
    assert not p.RECONNECT & p.TERMINAL
    assert set(p.Close) - {p.Close.NORMAL} == (p.RECONNECT | p.TERMINAL) - {1006}
    assert p.Close.NORMAL not in p.RECONNECT | p.TERMINAL
    assert 1006 in p.RECONNECT


@pytest.mark.parametrize(
    ("code", "reconnect"),
    [
        *[(code, False) for code in (1009, 4400, 4401, 4403, 4404)],
        *[(code, True) for code in (1001, 1006, 1011, 1012, 1013, 4008, 4408, 4429)],
    ],
)
def test_close_code_policy(code: int, reconnect: bool) -> None:
    assert (code in p.RECONNECT) is reconnect
    assert (code in p.TERMINAL) is not reconnect


# --- Hypothesis: decode raises nothing but ProtocolError ------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)

# Objects that look like real frames, so the search reaches the field validators.
field_names = st.sampled_from(
    ["id", "text", "qid", "on", "n", "poll", "choices", "status", "role", "since", "settings"]
)
frames_like = st.builds(
    lambda kind, extra: {"type": kind, **extra},
    st.sampled_from([*p._SPECS, "nope"]),
    st.dictionaries(field_names | st.text(max_size=5), json_values, max_size=6),
)


def assert_only_protocol_errors(raw: str | bytes) -> None:
    try:
        decode(raw)
    except ProtocolError as exc:
        assert exc.code in p.PROTOCOL_CODES
        assert exc.id is None or p._ID_RE.fullmatch(exc.id)


@given(st.binary())
def test_arbitrary_bytes(raw: bytes) -> None:
    assert_only_protocol_errors(raw)


@given(st.text())
def test_arbitrary_text(raw: str) -> None:
    assert_only_protocol_errors(raw)


@given(json_values)
def test_arbitrary_json(value: object) -> None:
    assert_only_protocol_errors(orjson.dumps(value).decode())


@given(frames_like)
def test_arbitrary_frame_like_objects(value: dict[str, Any]) -> None:
    assert_only_protocol_errors(orjson.dumps(value).decode())
    with contextlib.suppress(ProtocolError):
        p.decode_value(value)


# --- encoding -------------------------------------------------------------------


def roundtrip(msg: dict[str, Any]) -> Any:
    data = p.encode(msg)
    assert isinstance(data, bytes)
    return orjson.loads(data)


def test_encode_helpers_round_trip() -> None:
    assert roundtrip(p.ack("c1")) == {"type": "ack", "id": "c1", "result": {}}
    assert roundtrip(p.ack("c1", {"qid": 4})) == {"type": "ack", "id": "c1", "result": {"qid": 4}}
    assert roundtrip(p.error("rate_limited", "slow down", id="c1", retryable=True)) == {
        "type": "error",
        "id": "c1",
        "code": "rate_limited",
        "message": "slow down",
        "retryable": True,
    }
    assert roundtrip(p.error("bad_json", "x", id=None, retryable=False))["id"] is None
    assert roundtrip(p.pong()) == {"type": "pong"}
    assert roundtrip(p.welcome("viewer", "ep", "recovered", heartbeat_s=25)) == {
        "type": "welcome",
        "v": 3,
        "role": "viewer",
        "epoch": "ep",
        "resume": "recovered",
        "heartbeat": 25,
    }
    events = [
        {"type": "likes", "pos": "5-0", "total": 9},
        {"type": "likes", "pos": "5-1", "total": 12},
    ]
    assert roundtrip(p.events_frame("ep", "5-1", events)) == {
        "type": "events",
        "epoch": "ep",
        "pos": "5-1",
        "events": events,
    }
    assert roundtrip(p.snapshot("ep", "5-1", {"likes": 12, "questions": []})) == {
        "type": "snapshot",
        "epoch": "ep",
        "pos": "5-1",
        "likes": 12,
        "questions": [],
    }


def test_encoded_text_is_utf8_json() -> None:
    data = p.encode(p.ack("c1", {"text": "协商 </script>"}))
    assert data.decode("utf-8") == '{"type":"ack","id":"c1","result":{"text":"协商 </script>"}}'
