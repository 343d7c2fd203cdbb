"""Chinese spellings of one word: simplified/traditional, variant characters, pinyin.

The sensitive-word filter (``sensitive.py``) compares texts in a *canonical*
form in which every Chinese character is replaced, one by one, by its
simplified standard form (:func:`canonical_char`). A question is folded to it
character by character at check time (so offsets still map back); a word list
entry is compiled once into every key under which it may appear
(:func:`regional_forms`, :func:`pinyin_forms`, :func:`mixed_forms`). Matching stays one pass over
the question, whatever the list holds.

Sources, in the order applied to a character:

* OpenCC (the C++ library, its Python binding pinned in pyproject.toml) with
  its own dictionaries: ``t2s`` (traditional -> simplified), then ``tw2s`` and
  ``hk2s`` for the characters Taiwan and Hong Kong write differently (``裡``,
  ``著``). A character OpenCC leaves alone is already standard simplified.
* :data:`VARIANTS`, the variant characters (异体字) that OpenCC keeps as they
  are because they are not traditional forms, only non-standard ones
  (``儍`` for ``傻``). Taken from the State Council's 《通用规范汉字表》 (2013),
  appendix 1 (规范字与繁体字、异体字对照表), which absorbed the 1955
  《第一批异体字整理表》: only variants one still meets in typed text.

Per character, not per phrase: OpenCC's phrase tables (``乾隆`` keeps ``乾``)
need context, and a question must fold in one pass with offsets. Folding every
character to one form can only make two spellings meet, never part them; the
phrase-level regional vocabulary (``軟體`` for ``软件``) is handled on the list
side instead, where each word is converted whole by ``s2twp``/``tw2sp`` and
every result is compiled as a key of its own.

Pinyin comes from ``pypinyin`` (pinned), toneless, phrase-aware, with ``ü``
written both ``v`` (as typed on a keyboard) and ``u``. Spaces and full width
need no forms of their own: folding drops spaces and maps ``ＰＩＡＮ`` to
``pian``. Short words also get their half-pinyin spellings (``骗zi``).

The converters are built on first use (OpenCC reads its dictionaries then),
never at import.
"""

from __future__ import annotations

import itertools
from functools import cache

import opencc
from pypinyin import Style, lazy_pinyin, pinyin

# Variant character -> its standard simplified form (see the module docstring
# for the source). Only entries OpenCC's t2s/tw2s/hk2s leave unchanged are
# needed; tests/unit/test_domain_hanzi.py checks that every entry is needed and
# that every target is already canonical.
VARIANTS: dict[str, str] = {
    "儍": "傻",
    "躰": "体",
    "軆": "体",
    "菓": "果",
    "勅": "敕",
    "囘": "回",
    "廻": "回",
    "甦": "苏",
    "恠": "怪",
    "寃": "冤",
    "氷": "冰",
    "凢": "凡",
    "尅": "克",
    "冐": "冒",
    "呌": "叫",
    "婣": "姻",
    "媿": "愧",
    "徧": "遍",
    "悞": "误",
    "悮": "误",  # OpenCC's t2s turns 悞 into this one
    "慙": "惭",
    "挿": "插",
    "捄": "救",
    "搥": "捶",
    "暱": "昵",
    "朞": "期",
    "栢": "柏",
    "椀": "碗",
    "盌": "碗",
    "汚": "污",
    "烖": "灾",
    "牋": "笺",
    "甎": "砖",
    "畧": "略",
    "疎": "疏",
    "硏": "研",
    "礮": "炮",
    "砲": "炮",
    "\U0002afeb": "炮",  # OpenCC's t2s turns 礮 into this one
    "窻": "窗",
    "窓": "窗",
    "紥": "扎",
    "葠": "参",
    "蔴": "麻",
    "螡": "蚊",
    "覩": "睹",
    "讐": "仇",
    "踨": "踪",
    "逈": "迥",
    "鎗": "枪",
    "鞵": "鞋",
    "鬪": "斗",
    "鬭": "斗",
    "咊": "和",
    "槪": "概",
    "坿": "附",
    "毬": "球",
    "韮": "韭",
    "煑": "煮",
    "凷": "块",
    "仝": "同",
    "蕋": "蕊",
    "蘂": "蕊",
    "疉": "叠",
    "縂": "总",
    "麤": "粗",
    "偪": "逼",
    "傚": "效",
    "勦": "剿",
    "甞": "尝",
    "衇": "脉",
    "骽": "腿",
}

# Per-character conversions, in order; the first that changes a character is
# taken (its result is looked up in VARIANTS again: t2s writes 悞 as 悮).
_CHAR_CONFIGS = ("t2s", "tw2s", "hk2s")
# Whole-word conversions a list entry is compiled under, applied to its
# canonical (simplified) form: Taiwan's phrase vocabulary both ways (s2twp:
# 软件 -> 軟體, tw2sp: 滑鼠 -> 鼠标). Character-level conversions (s2t, s2hk...)
# add nothing: their results fold back to the same canonical key (measured on
# 12,000 entries: the same 16,018 keys with all eight configs).
_WORD_CONFIGS = ("s2twp", "tw2sp")
# Heteronym readings are tried only while their combinations stay this few
# (a word of many heteronyms would otherwise add keys that match English).
MAX_READINGS = 4


@cache
def converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@cache
def canonical_char(ch: str) -> str:
    """The standard simplified form of one character (itself if it is one, or
    if it is no Chinese character at all)."""
    if ch.isascii():
        return ch
    out = ch
    for _ in range(3):  # OpenCC may answer with a variant the table knows
        step = VARIANTS.get(out, out)
        for config in _CHAR_CONFIGS:
            converted = converter(config).convert(step)
            if len(converted) == 1 and converted != step:
                step = converted
                break
        step = VARIANTS.get(step, step)
        if step == out:
            break
        out = step
    return out


def canonical(text: str) -> str:
    return "".join(canonical_char(ch) for ch in text)


def regional_forms(word: str) -> set[str]:
    """``word`` as written in the other scripts and regions (itself included),
    each in canonical form: the keys a list entry is compiled under."""
    return {canonical(word)} | {canonical(converter(c).convert(word)) for c in _WORD_CONFIGS}


def has_han(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f" for ch in text)


def pinyin_forms(word: str) -> set[str]:
    """Toneless pinyin of ``word``, lower case, syllables joined: the
    phrase-aware reading, and every heteronym combination while they are at
    most ``MAX_READINGS``; ``ü`` both as ``v`` and as ``u``. Characters that
    are not Chinese (Latin letters, digits) are kept as they are."""
    simplified = canonical(word)
    readings = {"".join(lazy_pinyin(simplified, style=Style.NORMAL, v_to_u=True))}
    per_char = pinyin(simplified, style=Style.NORMAL, heteronym=True, v_to_u=True)
    combinations = 1
    for options in per_char:
        combinations *= len(options)
    if combinations <= MAX_READINGS:
        readings |= {"".join(parts) for parts in itertools.product(*per_char)}
    forms = set()
    for reading in readings:
        low = reading.lower()
        forms |= {low.replace("ü", "v"), low.replace("ü", "u")}
    return forms


# Mixed spellings are made for words of this many characters at most (2**n - 2
# forms each), and use only syllables of at least 2 letters: a lone "a" or "e"
# beside a character is English as often as pinyin.
MIXED_MAX_CHARS = 4
_MIXED_MIN_SYLLABLE = 2


def mixed_forms(word: str) -> set[str]:
    """``word`` written half in characters, half in pinyin (``骗zi``,
    ``pian子``): each character or its (phrase-aware, toneless) syllable, at
    least one of each. Only for words of 2 to ``MIXED_MAX_CHARS`` Chinese
    characters and nothing else."""
    simplified = canonical(word)
    if not 2 <= len(simplified) <= MIXED_MAX_CHARS or not all(has_han(c) for c in simplified):
        return set()
    syllables = lazy_pinyin(simplified, style=Style.NORMAL, v_to_u=True)
    if len(syllables) != len(simplified):
        return set()
    forms = set()
    for mask in range(1, 2 ** len(simplified) - 1):
        parts = [syllables[i] if mask >> i & 1 else ch for i, ch in enumerate(simplified)]
        if any(
            mask >> i & 1 and len(syllables[i]) < _MIXED_MIN_SYLLABLE for i in range(len(parts))
        ):
            continue
        form = "".join(parts).lower()
        forms |= {form.replace("ü", "v"), form.replace("ü", "u")}
    return forms
