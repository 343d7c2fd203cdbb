"""Sensitive words: the lists moderators keep, and matching questions against them.

A word list maps words to an action: ``hold`` (the question waits for a
moderator, even on a broadcast without moderation) or ``block`` (it is stored
rejected, seen only by its asker and moderators). One list is deployment-wide,
one per broadcast; a question is screened against both (:func:`screen`).

Matching is done on a *folded* form of the text and of every word, so the
usual tricks do not get a word through:

* compatibility forms and width (NFKD: ``ｆｕｌｌ`` = ``full``, ``①`` = ``1``,
  half-width katakana = full-width), accents and other combining marks dropped;
* case (casefold);
* everything that is not a letter or a digit (spaces, punctuation, symbols,
  emoji, zero-width and other format characters) dropped, so ``敏 感``,
  ``敏.感`` and ``敏\\u200b感`` all read ``敏感``;
* runs of one character collapsed to one (``敏敏敏感`` reads ``敏感``; a word
  with a doubled character folds the same way, so it still matches).

Folding goes character by character, recording which original character each
folded one came from, so a match maps back to code-point offsets of the
original text (what the moderator sees highlighted). Decomposition (NFKD)
rather than NFKC is what makes that possible per character; two texts equal
under NFKC fold to the same string, so it is NFKC-equivalent and stronger.

The automaton is pyahocorasick's (C, no I/O), run over the folded text's
UTF-8 bytes (``_as_bytes``): a check costs a pass over the text plus one
automaton scan, independent of the list's size (``python -m bench --only
words``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import ahocorasick

from .errors import Code, Rejection
from .text import INVISIBLE_LETTERS

WORD_MAX_LEN = 50  # folded characters
WORD_RAW_MAX_LEN = 200  # characters as typed, before folding (spacing tricks included)
LIST_MAX_WORDS = 20_000  # per list


class WordAction(StrEnum):
    HOLD = "hold"  # the question waits in pending for a moderator
    BLOCK = "block"  # the question is stored rejected ("blocked"); only its asker sees it


@dataclass(frozen=True, slots=True)
class WordEntry:
    word: str  # as the moderator typed it (trimmed): what the console shows
    action: WordAction


@dataclass(frozen=True, slots=True)
class Flags:
    """What screening found: shown to moderators only, stored with the question."""

    action: WordAction  # block beats hold
    words: tuple[str, ...]  # the list entries that matched, in order of first match
    spans: tuple[tuple[int, int], ...]  # [start, end) code-point offsets, merged, sorted

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "words": list(self.words),
            "spans": [list(span) for span in self.spans],
        }


# --- folding ------------------------------------------------------------------------

# Letters and digits survive folding; marks, punctuation, symbols, separators
# and controls/format characters (zero-width ones included) do not, nor the
# blank "letters" (Hangul fillers...) that normalisation removes too.
_KEPT_CATEGORIES = frozenset("LN")
# Folded form of every character met so far, as a str.translate table: a check
# folds a whole question in C. Bounded; past the bound, the slow path folds.
_TABLE: dict[int, str] = {}
_KNOWN: set[str] = set()
_TABLE_MAX = 65_536  # distinct characters (Chinese text uses a few thousand)
_RUN = re.compile(r"(.)\1+", re.DOTALL)


def _fold_char(ch: str) -> str:
    found = _TABLE.get(ord(ch))
    if found is not None:
        return found
    # casefold can produce characters that decompose further ("İ" -> "i̇"), so
    # decompose again after it.
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", ch).casefold())
    out = "".join(
        c
        for c in folded
        if unicodedata.category(c)[0] in _KEPT_CATEGORIES and c not in INVISIBLE_LETTERS
    )
    if len(_TABLE) < _TABLE_MAX:
        _TABLE[ord(ch)] = out
        _KNOWN.add(ch)
    return out


def fold_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """The folded text, and for each folded character the first and last index
    of the original characters it stands for (a collapsed run spans several)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            if chars and chars[-1] == c:
                ends[-1] = i  # a repeat: it joins the previous character's span
                continue
            chars.append(c)
            starts.append(i)
            ends.append(i)
    return "".join(chars), starts, ends


def fold(text: str) -> str:
    """The folded form under which words and texts are compared.

    Same result as ``fold_with_offsets(text)[0]``, at C speed for characters
    seen before: this is the per-question path, offsets are only worked out
    when something matched."""
    for ch in set(text) - _KNOWN:
        _fold_char(ch)
        if ch not in _KNOWN:  # the table is full: fold the slow way
            return fold_with_offsets(text)[0]
    return _RUN.sub(r"\1", text.translate(_TABLE))


# --- lists ----------------------------------------------------------------------------


def validate_entries(
    raw: Iterable[tuple[object, object]], max_words: int = LIST_MAX_WORDS
) -> list[WordEntry]:
    """Validate a whole list (word, action) as a moderator submits it.

    Words are trimmed; a word must fold to 1-``WORD_MAX_LEN`` characters. Two
    entries that fold alike are one entry (the first spelling kept, block
    beating hold). Raises ``Rejection(Code.INVALID)`` naming the first bad entry.
    """
    by_key: dict[str, WordEntry] = {}
    for index, (word, action) in enumerate(raw, 1):
        if not isinstance(word, str):
            raise Rejection(Code.INVALID, f"word {index}: expected a string")
        word = word.strip()
        if len(word) > WORD_RAW_MAX_LEN:
            raise Rejection(
                Code.INVALID, f"word {index}: longer than {WORD_RAW_MAX_LEN} characters"
            )
        if action is None:
            act = WordAction.HOLD
        elif isinstance(action, str) and action in (WordAction.HOLD, WordAction.BLOCK):
            act = WordAction(action)
        else:
            raise Rejection(Code.INVALID, f"word {index}: action must be hold or block")
        key = fold(word)
        if not key:
            raise Rejection(Code.INVALID, f"word {index}: no letters or digits in {word[:40]!r}")
        if len(key) > WORD_MAX_LEN:
            raise Rejection(Code.INVALID, f"word {index}: longer than {WORD_MAX_LEN} characters")
        old = by_key.get(key)
        if old is None:
            by_key[key] = WordEntry(word, act)
        elif act is WordAction.BLOCK and old.action is not WordAction.BLOCK:
            by_key[key] = WordEntry(old.word, act)
    if len(by_key) > max_words:
        raise Rejection(Code.INVALID, f"{len(by_key)} words; a list holds at most {max_words}")
    return list(by_key.values())


def parse_text_list(text: str, max_words: int = LIST_MAX_WORDS) -> list[WordEntry]:
    """The import format: one word per line, optionally ``<TAB>block`` or
    ``<TAB>hold`` (default hold); blank lines and ``#`` comment lines ignored."""
    raw: list[tuple[object, object]] = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word, action = stripped, "hold"
        if "\t" in stripped:
            word, _, given = stripped.rpartition("\t")
            action = given.strip().lower()
            if action not in (WordAction.HOLD, WordAction.BLOCK):
                raise Rejection(Code.INVALID, f"line {number}: after the tab write hold or block")
        try:
            validate_entries([(word, action)], max_words)
        except Rejection as exc:
            detail = exc.message.split(": ", 1)[-1]
            raise Rejection(Code.INVALID, f"line {number}: {detail}") from None
        raw.append((word, action))
    return validate_entries(raw, max_words)


# --- matching ---------------------------------------------------------------------------


def _as_bytes(folded: str) -> str:
    """The folded text's UTF-8 bytes, one character per byte (latin-1).

    pyahocorasick looks a node's children up by a linear scan: on Chinese text
    the root has thousands of children and a check took ~80 us per question
    with 10,000 words. Over bytes a node has at most 256 (in practice a few
    dozen), and the check is ~9x faster. UTF-8 is self-synchronising, so a
    word's bytes only ever match at character boundaries."""
    return folded.encode("utf-8").decode("latin-1")


class Matcher:
    """One list compiled into an Aho-Corasick automaton (immutable once built)."""

    __slots__ = ("_automaton", "size")

    def __init__(self, entries: Iterable[WordEntry]) -> None:
        automaton = ahocorasick.Automaton()
        for entry in entries:
            key = _as_bytes(fold(entry.word))
            if not key:
                continue
            old = automaton.get(key, None)
            if old is None or (entry.action is WordAction.BLOCK and old[1] is not WordAction.BLOCK):
                automaton.add_word(key, (entry.word, entry.action, len(key)))
        self.size = len(automaton)
        if self.size:
            automaton.make_automaton()
        self._automaton = automaton

    def find(self, encoded: str) -> list[tuple[int, int, str, WordAction]]:
        """Matches in a folded text as ``_as_bytes`` gives it: (start, end
        exclusive, word, action), offsets in bytes."""
        if not self.size:
            return []
        return [
            (end + 1 - length, end + 1, word, action)
            for end, (word, action, length) in self._automaton.iter(encoded)
        ]


EMPTY = Matcher(())


def screen(text: str, matchers: Sequence[Matcher]) -> Flags | None:
    """Screen ``text`` against every list; ``None`` when nothing matched."""
    if all(not m.size for m in matchers):
        return None
    folded = fold(text)
    encoded = _as_bytes(folded)
    hits = [hit for matcher in matchers for hit in matcher.find(encoded)]
    if not hits:
        return None
    # Offsets: bytes -> folded characters -> original characters.
    char_at = [i for i, ch in enumerate(folded) for _ in range(len(ch.encode("utf-8")))]
    hits = [(char_at[a], char_at[b - 1] + 1, w, act) for a, b, w, act in hits]
    _, starts, ends = fold_with_offsets(text)
    hits.sort(key=lambda h: (h[0], h[1]))
    action = WordAction.BLOCK if any(h[3] is WordAction.BLOCK for h in hits) else WordAction.HOLD
    words = tuple(dict.fromkeys(h[2] for h in hits))
    spans: list[list[int]] = []
    for start, end, _, _ in hits:
        a, b = starts[start], ends[end - 1] + 1
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return Flags(action, words, tuple((a, b) for a, b in spans))
