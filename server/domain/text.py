"""Text normalisation of everything a viewer or moderator types.

Contracts (checked by property tests):

* the result never contains a control or format character other than ``"\\n"``,
  never a bidi override (which could flip the overlay's text direction), never a
  zero-width character, never more than two combining marks in a row (no
  "Zalgo" text climbing over the line above), never more than two newlines in a
  row, never leading or trailing whitespace;
* ``normalize_text(normalize_text(x)) == normalize_text(x)``: the store may
  normalise again (an edit, a replay) without changing what was shown;
* length limits count code points of the *normalised* text, so what the viewer
  sees counted is what is stored.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable

from .errors import Code, Rejection

# Named explicitly although the category rule below catches them too: these are
# the ones that matter (they reorder or hide text), and the list documents that.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
# ZWJ goes too, although it joins emoji sequences (a family emoji shows as its
# members): hidden joiners are a favourite way around duplicate and word filters.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")
# Blank characters that Unicode classes as letters or symbols, not as spaces or
# format characters, so neither the category rule nor NFC/NFKC removes them:
# the Hangul fillers (Lo: U+115F, U+1160, U+3164 and its half-width form
# U+FFA0), the Braille blank (So: U+2800), the combining grapheme joiner
# (Mn: U+034F) and the Khmer inherent vowels (Mn: U+17B4, U+17B5). They draw
# nothing: `敏\u3164感` would slip past a word list and a text made only of
# them would show as an empty card. Unicode's Default_Ignorable_Code_Point set
# minus what the category rule drops already, and minus the variation
# selectors, which choose an emoji's presentation (the keycap "1\ufe0f\u20e3").
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")
_INVISIBLE = BIDI_CONTROLS | ZERO_WIDTH | INVISIBLE_LETTERS
# Controls, format characters and lone surrogates (Cs cannot be encoded as
# UTF-8 and would crash the encoder). "\n" and spacing controls are handled first.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

# Line breaks other than "\n" become "\n" (a pasted Windows or Word text keeps its
# paragraphs instead of running them together).
_LINE_BREAKS = frozenset("\r\x85\u2028\u2029")
# Horizontal controls that act as spacing become a space rather than vanishing.
_SPACING_CONTROLS = frozenset("\t\x0b\x0c")

MAX_COMBINING = 2
_MARKS = ("Mn", "Me")

_SPACE_RUN = re.compile(r" {2,}")
_NEWLINE_RUN = re.compile(r"\n{3,}")
# Three or more of one character that is not a digit: digits are significant
# ("bus 111" and "bus 11" are different questions), letters stretched for
# emphasis ("好好好好") are not.
_REPEAT_RUN = re.compile(r"(\D)\1{2,}")

# Code points a table remembers at most (each entry is a few dozen bytes); past
# that, new characters are still mapped correctly, just not remembered.
_TABLE_MAX = 1 << 16


class _CharTable(dict[int, int | str | None]):
    """A ``str.translate`` table that decides each code point on first sight.

    The rules below are per character; a Python loop over every character of
    every question cost more hub CPU than decoding the frame and acknowledging
    it. ``translate`` runs the loop in C and asks ``rule`` only about
    characters it has not met before (the questions of one audience draw on a
    few thousand distinct ones). ``rule`` returns the character itself to keep
    it, another string to replace it, or ``None`` to drop it.
    """

    def __init__(self, rule: Callable[[str], str | None]) -> None:
        super().__init__()
        self._rule = rule

    def __missing__(self, cp: int) -> int | str | None:
        ch = chr(cp)
        out = self._rule(ch)
        mapped: int | str | None = cp if out == ch else out
        if len(self) < _TABLE_MAX:
            self[cp] = mapped
        return mapped


def _visible(ch: str) -> str | None:
    if ch == "\n" or ch in _LINE_BREAKS:
        return "\n"
    if ch in _SPACING_CONTROLS:
        return " "
    category = unicodedata.category(ch)
    if ch in _INVISIBLE or category in _DROPPED_CATEGORIES:
        return None
    # Every space separator (NBSP, ideographic space...) counts as one space:
    # runs of them are a layout trick, not content. Done before NFC, which is
    # the same: no space separator composes with a neighbour, and the two that
    # NFC changes (U+2000, U+2001) become space separators (U+2002, U+2003).
    return " " if category == "Zs" else ch


# Line breaks, spacing controls, invisible characters and space separators, in one pass.
_VISIBLE = _CharTable(_visible)
# Keeps only combining marks: an empty result means _limit_marks has nothing to do.
_ONLY_MARKS = _CharTable(lambda ch: ch if unicodedata.category(ch) in _MARKS else None)
# What a fingerprint ignores: whitespace, punctuation, symbols, separators, controls.
_FP_IGNORED = _CharTable(
    lambda ch: None if ch.isspace() or unicodedata.category(ch)[0] in "PSZC" else ch
)


def _drop_invisible(raw: str) -> str:
    return raw.replace("\r\n", "\n").translate(_VISIBLE)


def _limit_marks(text: str) -> str:
    if not text.translate(_ONLY_MARKS):
        return text
    out: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.category(ch) in _MARKS:
            run += 1
            if run > MAX_COMBINING:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def _clean(raw: str, *, single_line: bool) -> str:
    # NFC after dropping invisible characters: a removed format character between
    # a base and its mark would otherwise leave an uncomposed pair behind, and a
    # second pass would then compose it (breaking idempotence).
    text = unicodedata.normalize("NFC", _drop_invisible(raw))
    if single_line:
        text = text.replace("\n", " ")
    text = _SPACE_RUN.sub(" ", text)
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    text = _NEWLINE_RUN.sub("\n\n", text)
    return _limit_marks(text).strip()


def _check_length(text: str, max_len: int, what: str) -> None:
    if len(text) > max_len:
        raise Rejection(
            Code.TOO_LONG,
            f"{what} is {len(text)} characters long; the limit is {max_len}",
        )


def normalize_text(raw: str, max_len: int) -> str:
    """Clean a multi-line text; refuse it if empty or longer than ``max_len``."""
    text = _clean(raw, single_line=False)
    if not text:
        raise Rejection(Code.EMPTY, "the text is empty")
    _check_length(text, max_len, "the text")
    return text


def normalize_name(raw: str | None, max_len: int) -> str:
    """Clean a single-line name; ``""`` when absent (the caller picks a default)."""
    if raw is None:
        return ""
    name = _clean(raw, single_line=True)
    _check_length(name, max_len, "the name")
    return name


def fingerprint(text: str) -> str:
    """Key under which two texts count as the same question.

    Insensitive to width and compatibility forms (NFKC), case, whitespace,
    punctuation, symbols and emoji, and to stretched letters ("好好好好" and
    "好好" match), so trivial variations of one question are refused as
    duplicates. Digits are never squeezed: "fare 1000" and "fare 100" are two
    questions. Not a security boundary: a determined spammer is the rate
    limit's job.
    """
    kept = unicodedata.normalize("NFKC", text).casefold().translate(_FP_IGNORED)
    squeezed = _REPEAT_RUN.sub(r"\1\1", kept)
    return hashlib.sha256(squeezed.encode("utf-8")).hexdigest()
