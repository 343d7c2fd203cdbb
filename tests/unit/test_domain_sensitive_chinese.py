"""The filter knows Chinese: traditional and simplified, regional usage, variant
characters and, per word, pinyin (whole Latin tokens only)."""

from __future__ import annotations

import opencc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import hanzi
from server.domain.errors import Rejection
from server.domain.sensitive import (
    PINYIN_MIN_LEN,
    Flags,
    Matcher,
    WordAction,
    WordEntry,
    fold,
    parse_text_list,
    screen,
    validate_entries,
)

HOLD, BLOCK = WordAction.HOLD, WordAction.BLOCK

LIST = Matcher(
    [
        WordEntry("骗子", BLOCK, pinyin=True),
        WordEntry("傻瓜", HOLD, pinyin=True),
        WordEntry("傻", HOLD, pinyin=True),
        WordEntry("软件", HOLD),
        WordEntry("鼠标", HOLD),
        WordEntry("騙局", HOLD),  # typed in traditional characters
        WordEntry("笨蛋", HOLD),  # no pinyin mark
    ]
)


def marked(text: str, flags: Flags | None) -> list[str]:
    assert flags is not None, text
    return [text[a:b] for a, b in flags.spans]


CASES = [
    # (id, text, highlighted, words)
    ("traditional", "他是騙子嗎", ["騙子"], ["骗子"]),
    ("simplified of a traditional word", "这是骗局", ["骗局"], ["騙局"]),
    ("traditional of a traditional word", "這是騙局", ["騙局"], ["騙局"]),
    ("variant character", "你这个儍瓜", ["儍瓜"], ["傻", "傻瓜"]),
    ("traditional with spacing tricks", "騙 . 子！", ["騙 . 子"], ["骗子"]),
    ("Taiwan usage", "這個軟體不好用", ["軟體"], ["软件"]),
    ("Taiwan usage, simplified characters", "这个软体", ["软体"], ["软件"]),
    ("Taiwan word for mouse", "滑鼠壞了", ["滑鼠"], ["鼠标"]),
    ("Hong Kong characters", "騙子啊，裡面", ["騙子"], ["骗子"]),
    ("pinyin", "he is a pianzi", ["pianzi"], ["骗子"]),
    ("pinyin with spaces", "PIAN ZI!", ["PIAN ZI"], ["骗子"]),
    ("full-width pinyin", "你是ＰＩＡＮＺＩ", ["ＰＩＡＮＺＩ"], ["骗子"]),
    # "ｓｈａ" alone is a whole token too: 傻 matches as well as 傻瓜.
    ("full-width pinyin with spaces", "ｓｈａ　ｇｕａ", ["ｓｈａ　ｇｕａ"], ["傻", "傻瓜"]),
    ("spelled out", "p-i-a-n-z-i", ["p-i-a-n-z-i"], ["骗子"]),
    ("pinyin between Chinese", "骗pianzi吗", ["pianzi"], ["骗子"]),
    ("pinyin with a zero width space", "pian\u200bzi", ["pian\u200bzi"], ["骗子"]),
    ("pinyin next to digits", "shagua123", ["shagua"], ["傻瓜"]),
    ("accented pinyin", "piànzi", ["piànzi"], ["骗子"]),
    ("repeated letters", "piaaanzii", ["piaaanzii"], ["骗子"]),
    ("inside a word, then whole", "xpianzi 和 pianzi", ["pianzi"], ["骗子"]),
    ("half pinyin", "他是骗zi吧", ["骗zi"], ["骗子"]),
    ("half pinyin, the other half", "PIAN子！", ["PIAN子"], ["骗子"]),
    ("half pinyin, traditional", "騙 zi", ["騙 zi"], ["骗子"]),
    ("half pinyin, three characters", "你个sha瓜", ["sha瓜"], ["傻", "傻瓜"]),
    ("half pinyin next to other Latin", "app里有骗zi", ["骗zi"], ["骗子"]),
    ("whole, then inside a word", "PianZi, not pianzix", ["PianZi"], ["骗子"]),
]


@pytest.mark.parametrize(
    ("text", "spans", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_chinese_spellings_are_seen_through(text: str, spans: list[str], words: list[str]) -> None:
    flags = screen(text, [LIST])
    assert marked(text, flags) == spans
    assert flags is not None and list(flags.words) == words


def test_block_carries_to_every_form() -> None:
    for text in ("騙子", "pianzi", "ＰＩＡＮ ＺＩ"):
        flags = screen(text, [LIST])
        assert flags is not None and flags.action is BLOCK, text


ORDINARY = [
    "Shanghai Metro 的 App 能查换乘吗",  # sha in Shanghai
    "上海地铁 Metro App 什么时候支持 NFC",
    "My son studies at Shaanxi Normal University",
    "The bus to Shahe leaves at 7",
    "请问 ShaGuang 公司的招聘信息在哪里",
    "pianzhi 和 pianziyuan 都不是词",  # pianzi inside longer tokens
    "I downloaded the app called xpianzi",
    "骗zip 不是词：zip 是压缩包",  # a mixed key's Latin end inside a longer word
    "xpian子 也不算",
    "笨 dan 不算，没有拼音标记的词 bendan 也不算",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_pinyin_keys_match_whole_tokens_only(text: str) -> None:
    assert screen(text, [LIST]) is None


def test_unmarked_words_have_no_pinyin_and_latin_words_keep_substrings() -> None:
    assert screen("bendan", [LIST]) is None
    # A Latin word typed into the list (not pinyin) matches inside tokens, as before.
    latin = Matcher([WordEntry("vx", HOLD)])
    assert marked("加vx123", screen("加vx123", [latin])) == ["vx"]
    # The same key from a pinyin mark and from a plain Latin word: the plain one wins.
    both = Matcher([WordEntry("骗子", HOLD, pinyin=True), WordEntry("pianzi", BLOCK)])
    flags = screen("xpianzix", [both])
    assert flags is not None and flags.action is BLOCK


def test_matcher_counts_entries_and_keys() -> None:
    m = Matcher([WordEntry("骗子", HOLD, pinyin=True), WordEntry("騙子", BLOCK)])
    assert m.size == 1  # one entry, folded alike
    assert m.keys == 4  # 骗子, pianzi, and the mixed 骗zi and pian子
    assert screen("騙子", [m]) is not None and screen("騙子", [m]).action is BLOCK  # type: ignore[union-attr]


# --- the variant table and the canonical form -------------------------------------------


def test_every_variant_is_needed_and_maps_to_a_canonical_character() -> None:
    plain = [opencc.OpenCC(c) for c in ("t2s", "tw2s", "hk2s")]
    for variant, standard in hanzi.VARIANTS.items():
        assert hanzi.canonical_char(variant) == standard, variant
        assert hanzi.canonical_char(standard) == standard, standard
        if variant not in ("悮", "\U0002afeb"):  # what OpenCC itself answers for 悞, 礮
            assert all(c.convert(variant) != standard for c in plain), variant


@given(st.text(alphabet="騙骗子儍傻瓜軟體软件裡面著着ab PIAN，\u200b", max_size=30))
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def test_mixed_forms() -> None:
    assert hanzi.mixed_forms("骗子") == {"骗zi", "pian子"}
    assert len(hanzi.mixed_forms("傻逼玩意")) == 2**4 - 2
    # One character, or more than MIXED_MAX_CHARS, or Latin inside: none.
    assert hanzi.mixed_forms("傻") == set()
    assert hanzi.mixed_forms("一二三四五") == set()
    assert hanzi.mixed_forms("骗子app") == set()
    # A one-letter syllable is never written out ("e" is English too).
    assert hanzi.mixed_forms("饿死") == {"饿si"}


def test_pinyin_forms() -> None:
    assert hanzi.pinyin_forms("骗子") == {"pianzi"}
    assert hanzi.pinyin_forms("騙子") == {"pianzi"}
    # ü both as typed on a keyboard (v) and without its dots (u).
    assert {"lvcha", "lucha"} <= hanzi.pinyin_forms("绿茶")


# --- the mark in lists --------------------------------------------------------------------


def test_validate_entries_with_the_pinyin_mark() -> None:
    entries = validate_entries(
        [("骗子", "block", True), ("騙子", "hold", False), ("傻瓜", None, None), ("笨蛋", "hold")]
    )
    assert entries == [
        WordEntry("骗子", BLOCK, pinyin=True),  # 騙子 folded into it
        WordEntry("傻瓜", HOLD),
        WordEntry("笨蛋", HOLD),
    ]
    # The mark is kept whichever spelling carried it.
    assert validate_entries([("騙子", "hold"), ("骗子", "hold", True)]) == [
        WordEntry("騙子", HOLD, pinyin=True)
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([("骗子", "hold", "yes")], "word 1: pinyin must be true or false"),
        ([("骗子", "hold", 1)], "word 1: pinyin must be true or false"),
        ([("ok", "hold"), ("bad", "hold", True)], "word 2: pinyin needs Chinese characters"),
        ([("啊", "hold", True)], f"at least {PINYIN_MIN_LEN} letters"),
    ],
)
def test_invalid_pinyin_marks(raw: list[tuple[object, ...]], message: str) -> None:
    with pytest.raises(Rejection, match=message) as info:
        validate_entries(raw)
    assert info.value.code == "invalid"


def test_stored_value_round_trip() -> None:
    for entry in (
        WordEntry("骗子", BLOCK, pinyin=True),
        WordEntry("骗子", HOLD, pinyin=True),
        WordEntry("骗子", BLOCK),
        WordEntry("骗子", HOLD),
    ):
        assert WordEntry.from_stored(entry.word, entry.stored()) == entry
    assert WordEntry("骗子", BLOCK, pinyin=True).stored() == "block+pinyin"
    assert WordEntry.from_stored("词", "hold") == WordEntry("词", HOLD)
    assert WordEntry.from_stored("词", "???") == WordEntry("词", HOLD)


def test_text_import_pinyin_column() -> None:
    text = "骗子\tblock\tpinyin\n傻瓜\tpinyin\n笨蛋\t\tPinyin\n敏感\tblock\n"
    assert parse_text_list(text) == [
        WordEntry("骗子", BLOCK, pinyin=True),
        WordEntry("傻瓜", HOLD, pinyin=True),
        WordEntry("笨蛋", HOLD, pinyin=True),
        WordEntry("敏感", BLOCK),
    ]
    with pytest.raises(Rejection, match="line 1: after the tab write hold or block"):
        parse_text_list("骗子\tdelete\tpinyin\n")
    with pytest.raises(Rejection, match="line 2: pinyin needs Chinese characters"):
        parse_text_list("好\nabc\tpinyin\n")
