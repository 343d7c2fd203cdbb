"""Word-cloud answers: validation, normalisation and segmentation into words.

An answer is normalised as any single-line text (``server/domain/text.py``:
NFKC, invisible characters dropped, spacing collapsed), refused when over the
poll's limit (``too_long``) or when nothing of it is a letter or a digit
(``empty``: "！！！" or "……" is not an answer). Its words are what jieba
segments it into (the precise mode, with its HMM for words outside the
dictionary), case-folded, with punctuation-only tokens and stop words dropped,
each word counted once per answer: "地铁太挤" gives 地铁, 太挤 and "太挤了" gives
太挤, so both answers meet on 太挤.

jieba's dictionary (~350,000 entries) loads in about a second and holds tens
of MB; a ``Segmenter`` loads it once, at start-up (the hub builds one), never
on a viewer's first answer (docs/performance.md, "wordcloud").
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import jieba

from .errors import Code, Rejection
from .text import normalize_name

DEFAULT_STOPWORDS = Path(__file__).with_name("data") / "stopwords_zh.txt"
WORD_MAX_LEN = 20  # a token longer than this (a pasted URL...) is cut to it
WORDS_PER_ANSWER = 10  # at most this many words of one answer count


def read_stopwords(path: Path | None = None) -> frozenset[str]:
    """A stop-word file: one word per line, ``#`` comments, blank lines ignored."""
    lines = (path or DEFAULT_STOPWORDS).read_text(encoding="utf-8").splitlines()
    return frozenset(
        w for line in lines if (w := _fold(line.split("#", 1)[0].strip()))
    )  # fmt: skip


def _fold(token: str) -> str:
    return unicodedata.normalize("NFKC", token).casefold().strip()


def _has_word_char(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def clean_answer(raw: object, max_len: int) -> str:
    """The answer as stored and shown; ``Rejection`` if it is not one."""
    if not isinstance(raw, str):
        raise Rejection(Code.INVALID, "the answer must be a string")
    text = normalize_name(raw, max_len)
    if not text:
        raise Rejection(Code.EMPTY, "the answer is empty")
    if not _has_word_char(text):
        raise Rejection(Code.EMPTY, "the answer has no letters or digits")
    return text


class Segmenter:
    """jieba with its dictionary loaded, and the stop words."""

    def __init__(self, stopwords: Iterable[str] | None = None) -> None:
        self._jieba = jieba.Tokenizer()
        jieba.setLogLevel(60)  # no "Building prefix dict..." lines in the hub's log
        self._jieba.initialize()
        self.stopwords = frozenset(stopwords) if stopwords is not None else read_stopwords()

    def words(self, text: str) -> list[str]:
        """The distinct words of ``text`` that count, in order of appearance."""
        out: list[str] = []
        for token in self._jieba.cut(_fold(text), HMM=True):
            word = token.strip()[:WORD_MAX_LEN]
            if not word or not _has_word_char(word) or word in self.stopwords or word in out:
                continue
            out.append(word)
            if len(out) == WORDS_PER_ANSWER:
                break
        return out

    def answer(self, raw: object, max_len: int) -> tuple[str, list[str]]:
        """A viewer's answer: (clean text, its words); ``Rejection`` if unfit."""
        text = clean_answer(raw, max_len)
        words = self.words(text)
        if not words:
            raise Rejection(Code.EMPTY, "the answer has no words to count (only stop words)")
        return text, words


def clean_word(raw: object) -> str:
    """A word a moderator hides, folded as the cloud folds words."""
    if not isinstance(raw, str):
        raise Rejection(Code.INVALID, "the word must be a string")
    word = _fold(raw)[:WORD_MAX_LEN]
    if not word or not _has_word_char(word):
        raise Rejection(Code.EMPTY, "the word is empty")
    return word


_SHARED: list[Segmenter] = []
_STOPWORDS: list[Path | None] = [None]  # the deployment's stop-word file (configure())
_BUILD = threading.Lock()  # one build, whichever thread asks first


def configure(stopwords: Path | None) -> None:
    """The stop-word file the process's segmenter is built with (None: the default list)."""
    _STOPWORDS[0] = stopwords


def shared_segmenter() -> Segmenter:
    """The process's segmenter, built once (blocking: about a second). The hub
    builds it in a thread at start-up, so no viewer waits for the dictionary."""
    if not _SHARED:
        with _BUILD:
            if not _SHARED:
                _SHARED.append(Segmenter(read_stopwords(_STOPWORDS[0])))
    return _SHARED[0]


def loaded() -> Segmenter | None:
    """The segmenter if it is built already, else None (never blocks)."""
    return _SHARED[0] if _SHARED else None
