from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from server.domain import text as text_module
from server.domain.errors import Rejection
from server.domain.text import (
    BIDI_CONTROLS,
    INVISIBLE_LETTERS,
    ZERO_WIDTH,
    fingerprint,
    normalize_name,
    normalize_text,
)

# Characters that exercise every rule, mixed into arbitrary Unicode (surrogates too).
TRICKY = sorted(BIDI_CONTROLS | ZERO_WIDTH | INVISIBLE_LETTERS) + list(
    "\n\r\t\x0b\x00\x7f\x85 \u00a0\u3000\u2028\u2029\u0301\u0308\u0327\u20dd\u0e49e好."
)
tricky_text = st.text(
    st.one_of(st.sampled_from(TRICKY), st.characters(exclude_categories=())), max_size=60
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("  你好  ", "你好", id="strip"),
        pytest.param("a\u202eb\u2066c\u200fd\u061ce", "abcde", id="bidi-controls"),
        pytest.param("a\u200bb\u200dc\u2060d\ufeffe\u180ef", "abcdef", id="zero-width"),
        pytest.param("a\x00b\x07c\U000e0041d", "abcd", id="other-controls-and-tags"),
        pytest.param("a\tb", "a b", id="tab-is-space"),
        pytest.param("a   \u3000\u00a0 b", "a b", id="space-runs"),
        pytest.param("a\n\n\n\n\nb", "a\n\nb", id="at-most-two-newlines"),
        pytest.param("a \n \n \n b", "a\n\nb", id="blank-lines-with-spaces"),
        pytest.param("a\r\nb\rc\u2028d", "a\nb\nc\nd", id="line-breaks"),
        pytest.param("e\u0301", "\u00e9", id="nfc"),
        pytest.param("e\u200b\u0301", "\u00e9", id="nfc-after-removal"),
        pytest.param("a\u0300\u0301\u0302\u0303\u0304b", "\u00e0\u0301\u0302b", id="zalgo"),
        pytest.param("x\u0316\u0317\u0318\u0319", "x\u0316\u0317", id="zalgo-no-composition"),
        pytest.param("1\ufe0f\u20e3", "1\ufe0f\u20e3", id="keycap-kept"),
        pytest.param("问：为什么？\n答", "问：为什么？\n答", id="chinese-untouched"),
        pytest.param("敏\u3164感", "敏感", id="hangul-filler"),
        pytest.param("a\u115f\u1160b\uffa0c", "abc", id="hangul-jamo-and-half-width-fillers"),
        pytest.param("a\u2800b", "ab", id="braille-blank"),
        pytest.param("a\u034fb\u17b4\u17b5c", "abc", id="grapheme-joiner-khmer-inherent"),
        pytest.param("e\u034f\u0301", "\u00e9", id="nfc-after-blank-removal"),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw, 300) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "\n\n", "\u200b\u202e", "\t\r\n", "\u3164\u3164", "\u2800 \u115f\u1160\uffa0"],
)
def test_empty_text_is_refused(raw: str) -> None:
    with pytest.raises(Rejection) as info:
        normalize_text(raw, 300)
    assert info.value.code == "empty"


def test_limit_counts_normalised_code_points() -> None:
    assert normalize_text("好" * 10 + "\u200b" * 50 + "   ", 10) == "好" * 10
    with pytest.raises(Rejection) as info:
        normalize_text("好" * 11, 10)
    assert info.value.code == "too_long"
    assert "10" in info.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  \u200b ", ""),
        ("小\n\n明", "小 明"),
        ("\u202e张三\u202c", "张三"),
    ],
)
def test_normalize_name(raw: str | None, expected: str) -> None:
    assert normalize_name(raw, 24) == expected


def test_long_name_is_refused() -> None:
    with pytest.raises(Rejection) as info:
        normalize_name("名" * 25, 24)
    assert info.value.code == "too_long"


def _check_clean(out: str) -> None:
    for ch in out:
        assert ch not in BIDI_CONTROLS and ch not in ZERO_WIDTH and ch not in INVISIBLE_LETTERS
        assert ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    assert "\n\n\n" not in out and "  " not in out and "\t" not in out
    assert out == out.strip()
    assert unicodedata.is_normalized("NFC", out)
    run = 0
    for ch in out:
        run = run + 1 if unicodedata.category(ch) in ("Mn", "Me") else 0
        assert run <= 2


@given(tricky_text, st.integers(min_value=1, max_value=80))
def test_normalize_text_properties(raw: str, max_len: int) -> None:
    try:
        out = normalize_text(raw, max_len)
    except Rejection as r:
        assert r.code in ("empty", "too_long")
        return
    _check_clean(out)
    assert 0 < len(out) <= max_len
    assert normalize_text(out, max_len) == out


@given(tricky_text)
def test_normalize_name_properties(raw: str) -> None:
    out = normalize_name(raw, 1000)
    _check_clean(out)
    assert "\n" not in out
    assert normalize_name(out, 1000) == out


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("为什么涨价？", "为什么涨价"),
        ("Why the PRICE rise?!", "why the price rise"),
        ("ＡＢＣ１２３", "abc123"),
        ("好好好好好", "好好"),
        ("太贵了！！！！😡😡", "太贵了"),
        ("a b\nc", "abc"),
    ],
)
def test_fingerprint_matches_trivial_variants(a: str, b: str) -> None:
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("涨价", "降价"),
        ("好", "好好"),
        ("ab", "ba"),
        ("bus 111", "bus 11"),
        ("fare 1000", "fare 100"),
        ("票价10000元", "票价1000元"),
        ("１１１路", "11路"),  # full-width digits are digits too (NFKC)
    ],
)
def test_fingerprint_separates_different_texts(a: str, b: str) -> None:
    assert fingerprint(a) != fingerprint(b)


@given(
    st.text(st.characters(categories=("L", "P", "Zs")), max_size=12),
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=10**12),
)
@example("bus", 111, 11)
@example("fare", 1000, 100)
@example("", 0, 0)
def test_fingerprint_tells_every_two_numbers_apart(words: str, a: int, b: int) -> None:
    # However a number is written inside the same words, a different number is
    # a different question.
    assert (fingerprint(f"{words} {a}") == fingerprint(f"{words} {b}")) == (a == b)


HAN_OR_LATIN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.sampled_from("abcxyz")


@given(st.text(HAN_OR_LATIN, min_size=1, max_size=8), st.integers(3, 9))
def test_stretched_letters_still_fold(word: str, times: int) -> None:
    stretched = "".join(ch * times for ch in word)
    assert fingerprint(stretched) == fingerprint("".join(ch * 2 for ch in word))


def test_fingerprint_is_hex_sha256() -> None:
    fp = fingerprint("你好")
    assert len(fp) == 64 and int(fp, 16) >= 0


def test_characters_past_the_table_limit_follow_the_same_rule() -> None:
    # The per-character tables remember at most _TABLE_MAX code points; every
    # character after that is still decided by the rule, just not remembered.
    table = text_module._CharTable(lambda ch: None if ch == "x" else ch.upper())
    "".join(map(chr, range(0x4E00, 0x4E00 + text_module._TABLE_MAX))).translate(table)
    assert len(table) == text_module._TABLE_MAX
    assert "axb\u4e00".translate(table) == "AB\u4e00"
    assert len(table) == text_module._TABLE_MAX


@given(
    st.text(st.sampled_from([*sorted(INVISIBLE_LETTERS | ZERO_WIDTH), " ", "\u3000"]), min_size=1)
)
def test_a_text_of_blanks_only_is_empty(raw: str) -> None:
    with pytest.raises(Rejection) as info:
        normalize_text(raw, 300)
    assert info.value.code == "empty"
    assert normalize_name(raw, 300) == ""
