"""False positives under control: ordinary civic questions against a realistic
list (``moderation_list.py``) are never held, while the same list catches the
disguised spellings it is for."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.domain.sensitive import Matcher, WordAction, as_bytes, fold, screen, validate_entries
from tests.unit.moderation_list import build

CORPUS = Path(__file__).with_name("civic_questions.txt")


def questions() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(validate_entries(build()))


def test_the_corpus_and_the_list_are_the_size_asked_for(matcher: Matcher) -> None:
    corpus = questions()
    assert len(corpus) >= 300
    assert len(set(corpus)) == len(corpus)
    entries = validate_entries(build())
    assert matcher.size == len(entries) >= 2_000
    assert sum(e.pinyin for e in entries) >= 50
    assert sum(e.action is WordAction.BLOCK for e in entries) >= 500


def test_no_ordinary_question_is_held(
    matcher: Matcher, record_property: pytest.RecordProperty
) -> None:
    corpus = questions()
    held = {q: flags.words for q in corpus if (flags := screen(q, [matcher])) is not None}
    record_property("false_positives", len(held))
    print(f"false positives: {len(held)} of {len(corpus)} questions, {matcher.size} words")
    assert not held, f"{len(held)} false positives: {held}"


def test_the_whole_token_rule_is_what_keeps_pinyin_out(matcher: Matcher) -> None:
    # Without the rule the corpus would be held: pinyin keys do occur inside
    # its Latin words ("Hanjiang" holds hanjian, the pinyin of 汉奸).
    inside = [q for q in questions() if any(hit[4] for hit in matcher.find(as_bytes(fold(q))))]
    assert inside


DISGUISED = [
    ("你就是个shabi", "傻逼"),
    ("ＳＨＡ　ＢＩ主持人", "傻逼"),
    ("儍逼主持人", "傻逼"),
    ("兼職刷單，日結", "兼职刷单"),
    ("出 售 銀 行 卡", "出售银行卡"),
    ("想赚钱加 v x 私聊", "加vx"),
    ("加薇信领福利", "加薇信"),
    ("这里有人搞 shua dan", "刷单"),
    ("代開發票，量大從優", "代开发票"),
    ("占位人物甲子怎么看", "占位人物甲子"),
    ("澳門賭場，首充送", "澳门赌场"),
]


@pytest.mark.parametrize(("text", "word"), DISGUISED)
def test_the_list_catches_disguised_spellings(matcher: Matcher, text: str, word: str) -> None:
    flags = screen(text, [matcher])
    assert flags is not None, text
    assert any(fold(w) == fold(word) for w in flags.words), flags.words
