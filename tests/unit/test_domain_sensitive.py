"""Sensitive words: folding, matching, spans in the original text, list validation."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.errors import Rejection
from server.domain.sensitive import (
    EMPTY,
    LIST_MAX_WORDS,
    WORD_MAX_LEN,
    Flags,
    Matcher,
    WordAction,
    WordEntry,
    fold,
    fold_with_offsets,
    parse_text_list,
    screen,
    validate_entries,
)
from server.domain.text import INVISIBLE_LETTERS, normalize_text

HOLD, BLOCK = WordAction.HOLD, WordAction.BLOCK


def matcher(*words: tuple[str, WordAction]) -> Matcher:
    return Matcher(WordEntry(w, a) for w, a in words)


LIST = matcher(("敏感", HOLD), ("违禁品", BLOCK), ("bad word", HOLD))


def marked(text: str, flags: Flags | None) -> list[str]:
    """The original substrings the spans point at (what the console highlights)."""
    assert flags is not None
    return [text[a:b] for a, b in flags.spans]


# --- the tricks a word must not get through ----------------------------------------

TRICKS = [
    ("plain", "这个敏感话题", ["敏感"]),
    ("full width latin", "ＢＡＤ　ＷＯＲＤ here", ["ＢＡＤ　ＷＯＲＤ"]),
    ("upper case", "a BAD WORD", ["BAD WORD"]),
    ("zero width inside", "敏\u200b感", ["敏\u200b感"]),
    ("zero-width joiner and BOM", "敏\u200d\ufeff感", ["敏\u200d\ufeff感"]),
    ("spaces", "敏 感", ["敏 感"]),
    ("ideographic space and tab", "敏\u3000\t感", ["敏\u3000\t感"]),
    ("punctuation", "敏。感！", ["敏。感"]),
    ("symbols and emoji", "敏★😀感", ["敏★😀感"]),
    ("repeated characters", "敏敏敏感感", ["敏敏敏感感"]),
    ("repeated latin", "baaad  wooord", ["baaad  wooord"]),
    ("combining marks", "ba\u0301d word", ["ba\u0301d word"]),
    ("circled letters", "ⓑⓐⓓ ⓦⓞⓡⓓ!", ["ⓑⓐⓓ ⓦⓞⓡⓓ"]),
    ("NFKC ligature", "bad \ufb00word", []),  # "ﬀ" folds to "ff": not the word
    ("hangul filler", "敏\u3164感", ["敏\u3164感"]),
    ("half-width hangul filler", "敏\uffa0感", ["敏\uffa0感"]),
    ("hangul jamo fillers", "敏\u115f\u1160感", ["敏\u115f\u1160感"]),
    ("braille blank", "敏\u2800感", ["敏\u2800感"]),
]


@pytest.mark.parametrize(("text", "spans"), [t[1:] for t in TRICKS], ids=[t[0] for t in TRICKS])
def test_tricks_are_seen_through(text: str, spans: list[str]) -> None:
    flags = screen(text, [LIST])
    if not spans:
        assert flags is None
        return
    assert marked(text, flags) == spans


def test_nfkc_forms_fold_alike() -> None:
    # Each pair is equal under NFKC; so must their folded forms be.
    for a, b in [
        ("ｶﾞ", "ガ"),
        ("①", "1"),
        ("Ⅻ", "XII"),
        ("ﬁ", "fi"),
        ("㍿", "株式会社"),
        ("\u00e9", "e\u0301"),
    ]:
        assert fold(a) == fold(b), (a, b)
    assert fold("İstanbul") == "istanbul"
    assert fold("敏 感。") == "敏感"


def test_words_are_folded_like_texts() -> None:
    # A word typed with the same tricks still matches the plain text, and vice versa.
    tricky = matcher(("敏 感！", HOLD), ("ＦＵＬＬ", BLOCK), ("好好学习", HOLD))
    assert marked("很敏感", screen("很敏感", [tricky])) == ["敏感"]
    assert marked("full", screen("full", [tricky])) == ["full"]
    # "好好学习" folds to "好学习": a doubled character in a word still matches.
    assert marked("要好好学习呀", screen("要好好学习呀", [tricky])) == ["好好学习"]


def test_spans_are_code_point_offsets_of_the_original_text() -> None:
    text = "🙂第一，敏 感。第二，违禁品！"
    flags = screen(text, [LIST])
    assert flags is not None
    assert flags.spans == ((4, 7), (11, 14))
    assert marked(text, flags) == ["敏 感", "违禁品"]
    assert flags.to_dict() == {
        "action": "block",
        "words": ["敏感", "违禁品"],
        "spans": [[4, 7], [11, 14]],
    }


def test_overlapping_matches_merge_into_one_span() -> None:
    m = matcher(("ab", HOLD), ("bc", HOLD), ("cd", HOLD))
    flags = screen("xabcdx", [m])
    assert flags is not None
    assert flags.spans == ((1, 5),)
    assert flags.words == ("ab", "bc", "cd")


def test_block_beats_hold_within_and_across_lists() -> None:
    hold = screen("敏感", [LIST])
    assert hold is not None and hold.action is HOLD
    both = screen("敏感 违禁品", [LIST])
    assert both is not None and both.action is BLOCK
    # The same word held by the deployment and blocked by the broadcast: blocked.
    local = matcher(("敏感", BLOCK))
    across = screen("敏感", [LIST, local])
    assert across is not None and across.action is BLOCK
    # In one list, the block spelling wins too.
    one = matcher(("敏感", HOLD), ("敏 感", BLOCK))
    found = screen("敏感", [one])
    assert found is not None and found.action is BLOCK


def test_clean_text_and_empty_lists() -> None:
    assert screen("地铁几点收班？", [LIST]) is None
    assert screen("敏感", []) is None
    assert screen("敏感", [EMPTY, EMPTY]) is None
    assert EMPTY.size == 0


@given(st.text(max_size=60))
def test_fast_fold_equals_the_offset_fold(text: str) -> None:
    folded, starts, ends = fold_with_offsets(text)
    assert fold(text) == folded
    assert len(starts) == len(ends) == len(folded)
    assert all(0 <= a <= b < len(text) for a, b in zip(starts, ends, strict=True))
    assert starts == sorted(starts)


@given(st.text(max_size=40), st.text(alphabet="敏感abc", min_size=1, max_size=4))
def test_a_word_inside_any_text_is_found(prefix: str, word: str) -> None:
    m = matcher((word, HOLD))
    flags = screen(prefix + "|" + word, [m])
    assert flags is not None
    # The highlighted text folds to something containing the word.
    text = prefix + "|" + word
    assert any(fold(word) in fold(text[a:b]) for a, b in flags.spans)


# --- lists --------------------------------------------------------------------------------


def test_validate_entries() -> None:
    entries = validate_entries([(" 敏感 ", "hold"), ("违禁品", None), ("敏 感", "block")])
    # Trimmed, default hold, and two spellings of one folded word are one entry.
    assert entries == [WordEntry("敏感", BLOCK), WordEntry("违禁品", HOLD)]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([(5, "hold")], "word 1: expected a string"),
        ([("ok", "hold"), ("  ", "hold")], "word 2: no letters or digits"),
        ([("！？", "hold")], "word 1: no letters or digits"),
        ([("敏感", "delete")], "word 1: action must be hold or block"),
        ([("长短" * (WORD_MAX_LEN // 2 + 1), "hold")], f"longer than {WORD_MAX_LEN} characters"),
        ([("x" * 201, "hold")], "longer than 200 characters"),
    ],
)
def test_invalid_entries(raw: list[tuple[object, object]], message: str) -> None:
    with pytest.raises(Rejection, match=message) as info:
        validate_entries(raw)
    assert info.value.code == "invalid"


def test_a_word_of_the_longest_length_is_fine() -> None:
    # Spacing does not count: 50 letters spread out with spaces still fold to 50.
    assert validate_entries([(" ".join("长短" * 25), "hold")])[0].action is HOLD


def test_list_size_limit() -> None:
    # Distinct after folding (no doubled character: "词11" would fold to "词1").
    words = [(chr(0x4E00 + i // 150) + chr(0x5000 + i % 150), "hold") for i in range(20_001)]
    assert LIST_MAX_WORDS == 20_000
    with pytest.raises(Rejection, match=f"at most {LIST_MAX_WORDS}"):
        validate_entries(words)
    assert len(validate_entries(words[:3], max_words=3)) == 3


def test_text_import_format() -> None:
    text = "\ufeff# 本场敏感词\n敏感\n\n违禁品\tblock\n  bad word \tHOLD \r\n#注释\tblock\n"
    assert parse_text_list(text) == [
        WordEntry("敏感", HOLD),
        WordEntry("违禁品", BLOCK),
        WordEntry("bad word", HOLD),
    ]
    assert parse_text_list("") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("好\n敏感\tdelete\n", "line 2: after the tab write hold or block"),
        ("好\n\n。。。\n", "line 3: no letters or digits"),
    ],
)
def test_text_import_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(Rejection, match=message):
        parse_text_list(text)


def test_ten_thousand_words_build_and_check_quickly() -> None:
    """Not a benchmark (see ``python -m bench --only words``): a guard against a
    build or check that became quadratic."""
    rng = random.Random(4)
    cjk = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    words = {"".join(rng.choices(cjk, k=rng.randint(2, 5))) for _ in range(10_000)}
    started = time.perf_counter()
    m = Matcher(WordEntry(w, HOLD) for w in words)
    assert m.size == len({fold(w) for w in words})
    assert time.perf_counter() - started < 10
    text = "".join(rng.choices(cjk, k=300))
    hidden = sorted(words)[17]
    flags = screen(text + hidden, [m])
    assert flags is not None and hidden in flags.words
    started = time.perf_counter()
    for _ in range(100):
        screen(text, [m])
    assert (time.perf_counter() - started) / 100 < 0.05


def test_spans_in_mixed_scripts() -> None:
    # Matching runs over UTF-8 bytes: 1-, 3- and 4-byte characters side by side
    # must still give character offsets.
    text = "5G网络 ＢＡＤ word𠀋敏感, bad-word!"
    m = matcher(("敏感", HOLD), ("bad word", HOLD), ("𠀋", HOLD))
    flags = screen(text, [m])
    assert marked(text, flags) == ["ＢＡＤ word𠀋敏感", "bad-word"]
    assert flags is not None and flags.words == ("bad word", "𠀋", "敏感")


@pytest.mark.parametrize("blank", sorted(INVISIBLE_LETTERS))
def test_a_normalised_question_with_a_blank_letter_inside_a_word_is_blocked(blank: str) -> None:
    # What commands.execute screens: the normalised text.
    flags = screen(normalize_text(f"这个敏{blank}感话题，违{blank}禁{blank}品", 300), [LIST])
    assert flags is not None and flags.action == BLOCK
    assert flags.words == ("敏感", "违禁品")
