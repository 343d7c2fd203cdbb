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
  with a doubled character folds the same way, so it still matches);
* every Chinese character to its standard simplified form (``騙`` reads
  ``骗``, the variant ``儍`` reads ``傻``: ``hanzi.canonical_char``).

A list entry is compiled under every key it may appear as: its folded form,
the same word in Taiwan and Hong Kong usage (``软件`` also as ``軟體``), and,
when the entry is marked ``pinyin``, its toneless pinyin (``pianzi``; with
spaces and in full width too, since folding removes spaces and width). A
pinyin key only counts when it covers whole Latin tokens of the question
(``pian zi`` and ``骗pianzi吗`` yes, ``Shanghai`` for ``sha`` no): pinyin
syllables are everyday English letters, and only a whole-token match is
someone writing the word in pinyin.

Folding goes character by character, recording which original character each
folded one came from, so a match maps back to code-point offsets of the
original text (what the moderator sees highlighted). Decomposition (NFKD)
rather than NFKC is what makes that possible per character; two texts equal
under NFKC fold to the same string, so it is NFKC-equivalent and stronger.

The automaton is pyahocorasick's (C, no I/O), run over the folded text's
UTF-8 bytes (``as_bytes``): a check costs a pass over the text plus one
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

from . import hanzi
from .errors import Code, Rejection
from .text import INVISIBLE_LETTERS

WORD_MAX_LEN = 50  # folded characters
WORD_RAW_MAX_LEN = 200  # characters as typed, before folding (spacing tricks included)
LIST_MAX_WORDS = 20_000  # per list
# Pinyin keys shorter than this are not compiled ("e", "er", "an" are English
# and pinyin alike); a pinyin mark on a word with no longer key is refused.
PINYIN_MIN_LEN = 3
PINYIN_MARK = "+pinyin"  # suffix of the stored action of a pinyin-marked word


class WordAction(StrEnum):
    HOLD = "hold"  # the question waits in pending for a moderator
    BLOCK = "block"  # the question is stored rejected ("blocked"); only its asker sees it


@dataclass(frozen=True, slots=True)
class WordEntry:
    word: str  # as the moderator typed it (trimmed): what the console shows
    action: WordAction
    pinyin: bool = False  # also match its toneless pinyin (whole Latin tokens only)

    def stored(self) -> str:
        """The value stored in the list's hash: ``hold``, ``block``, with
        ``+pinyin`` when marked (``lua/words_put.lua`` stores it as given)."""
        return self.action.value + (PINYIN_MARK if self.pinyin else "")

    @classmethod
    def from_stored(cls, word: str, value: str) -> WordEntry:
        """The entry of a stored hash field; an unknown action counts as hold."""
        base, mark, _ = value.partition(PINYIN_MARK)
        action = WordAction.BLOCK if base == WordAction.BLOCK else WordAction.HOLD
        return cls(word, action, bool(mark))


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
        hanzi.canonical_char(c)
        for c in folded
        if unicodedata.category(c)[0] in _KEPT_CATEGORIES and c not in INVISIBLE_LETTERS
    )
    if len(_TABLE) < _TABLE_MAX:
        _TABLE[ord(ch)] = out
        _KNOWN.add(ch)
    return out


def fold_with_offsets(text: str, upto: int | None = None) -> tuple[str, list[int], list[int]]:
    """The folded text, and for each folded character the first and last index
    of the original characters it stands for (a collapsed run spans several).

    With ``upto``, stops once folded characters ``0..upto`` are complete (the
    rest of a long question is not walked for a match near its start)."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            if chars and chars[-1] == c:
                ends[-1] = i  # a repeat: it joins the previous character's span
                continue
            if upto is not None and len(chars) > upto:
                return "".join(chars), starts, ends
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


def pinyin_keys(folded: str) -> set[str]:
    """The pinyin keys of a folded word (and of its regional forms)."""
    if not hanzi.has_han(folded):
        return set()
    keys = {fold(p) for form in _regional_keys(folded) for p in hanzi.pinyin_forms(form)}
    return {k for k in keys if len(k) >= PINYIN_MIN_LEN}


def mixed_keys(folded: str) -> set[str]:
    """The half-character, half-pinyin keys of a folded word (``骗zi``)."""
    return {fold(m) for form in _regional_keys(folded) for m in hanzi.mixed_forms(form)}


def _regional_keys(folded: str) -> set[str]:
    if not hanzi.has_han(folded):
        return {folded}
    return {k for k in map(fold, hanzi.regional_forms(folded)) if k} | {folded}


def validate_entries(
    raw: Iterable[tuple[object, ...]], max_words: int = LIST_MAX_WORDS
) -> list[WordEntry]:
    """Validate a whole list (word, action[, pinyin]) as a moderator submits it.

    Words are trimmed; a word must fold to 1-``WORD_MAX_LEN`` characters; a
    pinyin mark is a boolean (absent: false), allowed on a word with Chinese
    characters whose pinyin is at least ``PINYIN_MIN_LEN`` letters. Two
    entries that fold alike (``騙子`` and ``骗子`` included) are one entry
    (the first spelling kept, block beating hold, a pinyin mark kept). Raises
    ``Rejection(Code.INVALID)`` naming the first bad entry.
    """
    by_key: dict[str, WordEntry] = {}
    for index, item in enumerate(raw, 1):
        word, action = item[0], item[1]
        mark = item[2] if len(item) > 2 else None
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
        if mark is not None and not isinstance(mark, bool):
            raise Rejection(Code.INVALID, f"word {index}: pinyin must be true or false")
        key = fold(word)
        if not key:
            raise Rejection(Code.INVALID, f"word {index}: no letters or digits in {word[:40]!r}")
        if len(key) > WORD_MAX_LEN:
            raise Rejection(Code.INVALID, f"word {index}: longer than {WORD_MAX_LEN} characters")
        if mark and not pinyin_keys(key):
            raise Rejection(
                Code.INVALID,
                f"word {index}: pinyin needs Chinese characters whose pinyin has at least "
                f"{PINYIN_MIN_LEN} letters",
            )
        old = by_key.get(key)
        if old is None:
            by_key[key] = WordEntry(word, act, bool(mark))
        else:
            block = WordAction.BLOCK in (act, old.action)
            by_key[key] = WordEntry(
                old.word, WordAction.BLOCK if block else WordAction.HOLD, old.pinyin or bool(mark)
            )
    if len(by_key) > max_words:
        raise Rejection(Code.INVALID, f"{len(by_key)} words; a list holds at most {max_words}")
    return list(by_key.values())


def parse_text_list(text: str, max_words: int = LIST_MAX_WORDS) -> list[WordEntry]:
    """The import format: one word per line, optionally ``<TAB>block`` or
    ``<TAB>hold`` (default hold), optionally then ``<TAB>pinyin`` (the pinyin
    mark; ``word<TAB>pinyin`` keeps the default action); blank lines and
    ``#`` comment lines ignored."""
    raw: list[tuple[object, ...]] = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word, action, mark = stripped, "hold", False
        head, tab, last = stripped.rpartition("\t")
        if tab and last.strip().lower() == "pinyin":
            word, mark = head.strip(), True
        if "\t" in word:
            word, _, given = word.rpartition("\t")
            action = given.strip().lower() or "hold"
            if action not in (WordAction.HOLD, WordAction.BLOCK):
                raise Rejection(
                    Code.INVALID, f"line {number}: after the tab write hold or block (then pinyin)"
                )
        try:
            validate_entries([(word, action, mark)], max_words)
        except Rejection as exc:
            detail = exc.message.split(": ", 1)[-1]
            raise Rejection(Code.INVALID, f"line {number}: {detail}") from None
        raw.append((word, action, mark))
    return validate_entries(raw, max_words)


# --- matching ---------------------------------------------------------------------------


def as_bytes(folded: str) -> str:
    """The folded text's UTF-8 bytes, one character per byte (latin-1).

    pyahocorasick looks a node's children up by a linear scan: on Chinese text
    the root has thousands of children and a check took ~80 us per question
    with 10,000 words. Over bytes a node has at most 256 (in practice a few
    dozen), and the check is ~9x faster. UTF-8 is self-synchronising, so a
    word's bytes only ever match at character boundaries."""
    return folded.encode("utf-8").decode("latin-1")


class Matcher:
    """One list compiled into an Aho-Corasick automaton (immutable once built).

    ``size`` counts the list's distinct entries, ``keys`` the forms they were
    compiled under (regional spellings, pinyin)."""

    __slots__ = ("_automaton", "keys", "size")

    def __init__(self, entries: Iterable[WordEntry]) -> None:
        automaton = ahocorasick.Automaton()
        bases: set[str] = set()
        for entry in entries:
            base = fold(entry.word)
            if not base:
                continue
            bases.add(base)
            forms = [(key, False) for key in _regional_keys(base)]
            if entry.pinyin:
                forms += [(key, True) for key in pinyin_keys(base) | mixed_keys(base)]
            for form, token in forms:
                key = as_bytes(form)
                old = automaton.get(key, None)
                word, action = entry.word, entry.action
                if old is not None:
                    # One key, two entries: the first spelling, block beating
                    # hold, and a substring match beating a whole-token one.
                    word, token = old[0], old[3] and token
                    if old[1] is WordAction.BLOCK:
                        action = WordAction.BLOCK
                automaton.add_word(key, (word, action, len(key), token))
        self.size = len(bases)
        self.keys = len(automaton)
        if self.keys:
            automaton.make_automaton()
        self._automaton = automaton

    def find(self, encoded: str) -> list[tuple[int, int, str, WordAction, bool]]:
        """Matches in a folded text as ``as_bytes`` gives it: (start, end
        exclusive, word, action, whole tokens only), offsets in bytes."""
        if not self.keys:
            return []
        return [
            (end + 1 - length, end + 1, word, action, token)
            for end, (word, action, length, token) in self._automaton.iter(encoded)
        ]


EMPTY = Matcher(())

# Characters that are part of the letter before them rather than a boundary.
_INSIDE_TOKEN = frozenset({"Mn", "Me", "Cf"})


def _latin_next_to(text: str, i: int, step: int) -> bool:
    """Whether the first visible character from ``i`` on (going ``step``)
    folds to a Latin letter: then a match ending there splits a token."""
    while 0 <= i < len(text):
        ch = text[i]
        if unicodedata.category(ch) not in _INSIDE_TOKEN:
            folded = _fold_char(ch)
            letter = folded[-1:] if step < 0 else folded[:1]
            return "a" <= letter <= "z"
        i += step
    return False


class _GapTable(dict[int, str]):
    """``str.translate`` table: a character's folded form, or ``"\x00"`` for a
    character that folds to nothing and separates tokens (spaces,
    punctuation), or nothing for one that sits inside a token (combining
    marks, format characters). Filled on first sight, bounded."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        out = _fold_char(ch) or ("" if unicodedata.category(ch) in _INSIDE_TOKEN else "\x00")
        if len(self) < _TABLE_MAX:
            self[cp] = out
        return out


_GAPS = _GapTable()
_TOKEN_PATTERNS: dict[str, re.Pattern[str]] = {}


def _latin_edges(key: str) -> tuple[bool, bool]:
    """Whether a pinyin key starts and ends with a Latin letter: those ends
    must not touch another Latin letter (a mixed key such as ``骗zi`` has one)."""
    return "a" <= key[0] <= "z", "a" <= key[-1] <= "z"


def _whole_token_pattern(key: str) -> re.Pattern[str]:
    """``key`` (folded) as whole tokens of a gap-marked text: each character
    possibly repeated (folding collapses runs), separators allowed between
    characters, no Latin letter just outside a Latin end."""
    found = _TOKEN_PATTERNS.get(key)
    if found is None:
        lead, trail = _latin_edges(key)
        body = "\x00*".join(re.escape(c) + "+" for c in key)
        found = re.compile(("(?<![a-z])" if lead else "") + body + ("(?![a-z])" if trail else ""))
        if len(_TOKEN_PATTERNS) < _TABLE_MAX:
            _TOKEN_PATTERNS[key] = found
    return found


def _drop_split_tokens(
    text: str, encoded: str, found: list[tuple[int, int, str, WordAction, bool]]
) -> list[tuple[int, int, str, WordAction, bool]]:
    """Drop whole-token hits whose key occurs nowhere in ``text`` as whole
    tokens (``sha`` in ``Shanghai``), at C speed: no offsets are worked out
    for a question whose only hits are pinyin inside English words. Hits that
    pass are checked one by one once offsets are known."""
    marked = text.translate(_GAPS)
    return [
        hit
        for hit in found
        if not hit[4] or _whole_token_pattern(_key_of(encoded, hit)).search(marked)
    ]


def _key_of(encoded: str, hit: tuple[int, int, str, WordAction, bool]) -> str:
    return encoded[hit[0] : hit[1]].encode("latin-1").decode("utf-8")


def screen(text: str, matchers: Sequence[Matcher]) -> Flags | None:
    """Screen ``text`` against every list; ``None`` when nothing matched."""
    if all(not m.keys for m in matchers):
        return None
    folded = fold(text)
    encoded = as_bytes(folded)
    found = [hit for matcher in matchers for hit in matcher.find(encoded)]
    if any(hit[4] for hit in found):
        found = _drop_split_tokens(text, encoded, found)
    if not found:
        return None
    # Offsets: bytes -> folded characters -> original characters.
    raw = encoded.encode("latin-1")

    def char_at(byte: int) -> int:  # byte offset -> folded character (hits are on boundaries)
        return len(raw[:byte].decode("utf-8"))

    last = max(char_at(hit[1]) for hit in found) - 1
    _, starts, ends = fold_with_offsets(text, upto=last)
    hits: list[tuple[int, int, str, WordAction]] = []
    for a, b, word, act, token in found:
        start, end = starts[char_at(a)], ends[char_at(b) - 1] + 1
        if token:
            lead, trail = _latin_edges(_key_of(encoded, (a, b, word, act, token)))
            if (lead and _latin_next_to(text, start - 1, -1)) or (
                trail and _latin_next_to(text, end, 1)
            ):
                continue  # a pinyin key inside a longer Latin word: not the word
        hits.append((start, end, word, act))
    if not hits:
        return None
    hits.sort(key=lambda h: (h[0], h[1]))
    action = WordAction.BLOCK if any(h[3] is WordAction.BLOCK for h in hits) else WordAction.HOLD
    words = tuple(dict.fromkeys(h[2] for h in hits))
    spans: list[list[int]] = []
    for a, b, _, _ in hits:
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return Flags(action, words, tuple((a, b) for a, b in spans))
