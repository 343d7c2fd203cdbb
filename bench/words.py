"""The sensitive-word check of one question (``python -m bench --only words``).

No hub and no Redis: this is exactly what ``ask`` adds per question, the
``sensitive.screen`` call against the deployment's list (``words`` entries,
hold and block mixed) plus a small broadcast list, over question-like texts
(Chinese with some Latin, punctuation and the spacing tricks the folding
undoes), a few percent of which contain a listed word. The list is written as
a Chinese moderation team's would be: part of its entries in traditional
characters (pasted from a Taiwan or Hong Kong list) and a fifth marked
``pinyin``, so the automaton holds every entry's regional forms and pinyin
keys; the texts carry Latin words and pinyin (whole-token checks), and the
listed words they hide come in traditional characters and in pinyin too. The
lists are compiled once, as a hub process does (``server/live/words.py``:
``build_s`` is that compile time); the first pass over the texts fills the
folding table and is not timed.
"""

from __future__ import annotations

import gc
import random
import time
from typing import Any

from server.domain import hanzi, sensitive

# Characters the words and the texts are drawn from: the first 3,000 of the
# CJK block that are their own simplified form, so texts share many
# characters with the words and the automaton follows many partial matches,
# as with real Chinese text.
_CJK = [c for c in map(chr, range(0x4E00, 0x4E00 + 4000)) if sensitive.fold(c) == c][:3000]
_LATIN = ["ok", "app", "wifi", "5g", "ppt", "bus", "metro"]
# Latin words of questions: English, place names in pinyin, brand names.
_TOKENS = ["Shanghai", "Metro", "App", "WiFi", "Jiangsu", "Hanjiang", "iPhone", "KPI", "PM2.5"]
_NOISE = ["，", "。", "？", " ", "！", "\u200b", "、", "…"]
_TRADITIONAL_EVERY = 2  # every other entry is converted to traditional (many have no other form)
_PINYIN_EVERY = 5  # one entry in five carries the pinyin mark


def _word(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(_LATIN) + rng.choice(_LATIN)
    return "".join(rng.choices(_CJK, k=rng.randint(2, 5)))


def _hidden(rng: random.Random, entry: sensitive.WordEntry) -> str:
    """A listed word as a question would hide it: spread out, in the other
    script, or (for a marked word) in pinyin."""
    roll = rng.random()
    if entry.pinyin and roll < 0.4:
        return " " + " ".join(sorted(sensitive.pinyin_keys(sensitive.fold(entry.word)))[0]) + " "
    if roll < 0.7 and hanzi.has_han(entry.word):
        simplified = hanzi.canonical(entry.word)
        if simplified != entry.word:
            return simplified
        return hanzi.converter("s2t").convert(entry.word)
    return " ".join(entry.word)


def _text(rng: random.Random, entries: list[sensitive.WordEntry]) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(40, 200)):
        roll = rng.random()
        if roll < 0.08:
            parts.append(rng.choice(_NOISE))
        elif roll < 0.10:
            parts.append(f" {rng.choice(_TOKENS)} ")
        else:
            parts.append(rng.choice(_CJK))
    if rng.random() < 0.05:  # a listed word, with a trick
        parts.insert(rng.randrange(len(parts)), _hidden(rng, rng.choice(entries)))
    return "".join(parts)


def _entries(rng: random.Random, n_words: int) -> list[sensitive.WordEntry]:
    """``n_words`` entries that fold apart, some traditional, some marked pinyin."""
    to_traditional = hanzi.converter("s2tw")
    by_key: dict[str, str] = {}
    while len(by_key) < n_words:
        word = _word(rng)
        by_key.setdefault(sensitive.fold(word), word)
    entries = []
    for i, word in enumerate(by_key.values()):
        if i % _TRADITIONAL_EVERY == 1:
            word = to_traditional.convert(word)
        action = sensitive.WordAction.BLOCK if i % 4 == 0 else sensitive.WordAction.HOLD
        pinyin = i % _PINYIN_EVERY == 2 and bool(sensitive.pinyin_keys(sensitive.fold(word)))
        entries.append(sensitive.WordEntry(word, action, pinyin))
    return entries


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run(n_words: int, checks: int, seed: int = 6) -> dict[str, Any]:
    rng = random.Random(seed)
    entries = _entries(rng, n_words)
    started = time.perf_counter()
    deployment = sensitive.Matcher(entries)
    build_s = time.perf_counter() - started
    broadcast = sensitive.Matcher(entries[:50])
    matchers = [deployment, broadcast]
    texts = [_text(rng, entries) for _ in range(checks)]
    for text in texts:  # warm-up: the folding table learns every character
        sensitive.screen(text, matchers)
    # As in a hub process: server/app.py freezes what exists once it started,
    # pypinyin's tables (loaded on import) included, so the collector's full
    # passes do not walk their 200,000 objects (30 ms a pass when they do).
    gc.collect()
    gc.freeze()
    timings: list[float] = []
    cpu: list[
        float
    ] = []  # the thread's CPU time: what a busy machine's scheduling adds is not in it
    flagged = 0
    try:
        for text in texts:
            t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
            flags = sensitive.screen(text, matchers)
            timings.append((time.perf_counter_ns() - t0) / 1000)
            cpu.append((time.thread_time_ns() - c0) / 1000)
            flagged += flags is not None
    finally:
        gc.unfreeze()
    timings.sort()
    cpu.sort()
    return {
        "words": deployment.size,
        "traditional": sum(hanzi.canonical(e.word) != e.word for e in entries),
        "pinyin": sum(e.pinyin for e in entries),
        "keys": deployment.keys,
        "checks": checks,
        "chars_per_text": round(sum(map(len, texts)) / len(texts)),
        "flagged": flagged,
        "build_s": round(build_s, 3),
        "us_per_check_p50": round(_percentile(timings, 0.5), 1),
        "us_per_check_p99": round(_percentile(timings, 0.99), 1),
        "cpu_us_per_check_p99": round(_percentile(cpu, 0.99), 1),
    }
