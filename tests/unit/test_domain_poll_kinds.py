"""The poll kinds' validation (server/domain/poll_kinds.py) and the word-cloud
answers' segmentation (server/domain/wordcloud.py): typed refusals for bad
input, "地铁太挤" and "太挤了" meeting on 太挤."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.domain import poll_kinds as pk
from server.domain import wordcloud as wc
from server.domain.errors import Code, Rejection


def spec(kind: str, options: Any = None, **kw: Any) -> pk.PollSpec:
    return pk.validate_poll_spec("你怎么看？", options, False, None, kind=kind, **kw)


def test_a_rating_has_its_points_as_options_and_two_labels() -> None:
    s = spec("rating", scale=10, labels=["  很差 ", "很好"])
    assert s.base.options == tuple(str(i) for i in range(1, 11)) and s.labels == ("很差", "很好")
    assert s.extra() == {"kind": "rating", "labels": ["很差", "很好"]}
    assert spec("rating", scale=5).labels == ("", "")


@pytest.mark.parametrize("scale", [None, 0, 1, 4, 7, 11, True, "5"])
def test_a_rating_scale_out_of_range_is_refused(scale: Any) -> None:
    with pytest.raises(Rejection) as caught:
        spec("rating", scale=scale)
    assert caught.value.code == Code.INVALID and "rating scale" in caught.value.message


def test_labels_too_long_or_not_two_are_refused() -> None:
    with pytest.raises(Rejection) as caught:
        spec("rating", scale=5, labels=["差" * 21, "好"])
    assert caught.value.code == Code.TOO_LONG
    with pytest.raises(Rejection) as caught:
        spec("rating", scale=5, labels=["差"])
    assert caught.value.code == Code.INVALID


@pytest.mark.parametrize(
    ("options", "code"),
    [(["甲"], Code.INVALID), (["甲"] * 11, Code.INVALID), (["甲", " "], Code.EMPTY),
     (["甲", "甲"], Code.INVALID), (None, Code.INVALID),
     ([f"选项{i}" for i in range(11)], Code.INVALID)],
)  # fmt: skip
def test_bad_ranking_and_choice_options_are_refused(options: Any, code: Code) -> None:
    for kind in ("ranking", "choice"):
        with pytest.raises(Rejection) as caught:
            spec(kind, options)
        assert caught.value.code == code, (kind, options)


def test_a_ranking_ballot_must_rank_every_option_once() -> None:
    assert pk.validate_ranking(1, [2, 0, 1], 3) == (2, 0, 1)
    for bad, words in (([0, 0, 1], "repeats"), ([0, 1], "rank all 3"), ([0, 1, 3], "no such")):
        with pytest.raises(Rejection) as caught:
            pk.validate_ranking(1, bad, 3)
        assert caught.value.code == Code.INVALID and words in caught.value.message
    assert [pk.borda_points(i, 4) for i in range(4)] == [3, 2, 1, 0]


def test_a_word_cloud_has_a_length_limit_and_no_options() -> None:
    s = spec("words", max_len=12, moderated=True)
    assert s.base.options == () and s.extra() == {"kind": "words", "maxlen": 12, "moderated": True}
    assert spec("words").max_len == pk.ANSWER_LEN_DEFAULT
    for bad in (0, 51, True, "10"):
        with pytest.raises(Rejection):
            spec("words", max_len=bad)
    with pytest.raises(Rejection):
        spec("words", ["甲", "乙"])
    with pytest.raises(Rejection):
        spec("words", moderated="yes")
    with pytest.raises(Rejection):
        pk.validate_poll_spec("q", None, True, None, kind="words")  # not multiple choice
    with pytest.raises(Rejection):
        spec("quiz")


@pytest.fixture(scope="module")
def seg() -> wc.Segmenter:
    return wc.shared_segmenter()


def test_answers_meet_on_their_words(seg: wc.Segmenter) -> None:
    assert seg.answer("地铁太挤", 20) == ("地铁太挤", ["地铁", "太挤"])
    assert seg.answer("太挤了！", 20) == ("太挤了！", ["太挤"])
    # Stored as typed (spacing collapsed); its words NFKC- and case-folded.
    assert seg.answer("  Ｔｏｏ  CROWDED ", 20) == ("Ｔｏｏ CROWDED", ["crowded"])
    # A word counts once per answer.
    assert seg.answer("太挤，太挤！", 20)[1] == ["太挤"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [("！！！", Code.EMPTY), ("……", Code.EMPTY), ("   ", Code.EMPTY), ("\u200b\u200b", Code.EMPTY),
     ("的了吗", Code.EMPTY), ("长" * 21, Code.TOO_LONG), (5, Code.INVALID)],
)  # fmt: skip
def test_an_answer_that_is_not_one_is_refused(seg: wc.Segmenter, raw: Any, code: Code) -> None:
    with pytest.raises(Rejection) as caught:
        seg.answer(raw, 20)
    assert caught.value.code == code


def test_stop_words_are_configurable(tmp_path: Path) -> None:
    listed = tmp_path / "stop.txt"
    listed.write_text("# ours\n地铁\n\nTHE  # folded\n", encoding="utf-8")
    words = wc.read_stopwords(listed)
    assert words == frozenset({"地铁", "the"})
    mine = wc.Segmenter(words)
    assert mine.words("地铁太挤了") == ["太挤", "了"]
    # The default list drops particles and pronouns, keeps words of substance.
    default = wc.read_stopwords()
    assert {"的", "了", "我", "觉得"} <= default and not {"好", "挤", "慢", "贵", "太挤"} & default
    assert len(default) >= 100


def test_a_hidden_word_is_folded_as_the_cloud_folds() -> None:
    assert wc.clean_word(" ＴＯＯ ") == "too"
    with pytest.raises(Rejection):
        wc.clean_word("！！")
