"""The sensitive-word check of one question (``python -m bench --only words``).

No hub and no Redis: this is exactly what ``ask`` adds per question, the
``sensitive.screen`` call against the deployment's list (``words`` entries,
hold and block mixed) plus a small broadcast list, over question-like texts
(Chinese with some Latin, punctuation and the spacing tricks the folding
undoes), a few percent of which contain a listed word. The lists are compiled
once, as a hub process does (``server/live/words.py``); the first pass over the
texts fills the folding table and is not timed.
"""

from __future__ import annotations

import random
import time
from typing import Any

from server.domain import sensitive

# Characters the words and the texts are drawn from: the first 3,000 of the
# CJK block, so texts share many characters with the words and the automaton
# follows many partial matches, as with real Chinese text.
_CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
_LATIN = ["ok", "app", "wifi", "5g", "ppt", "bus", "metro"]
_NOISE = ["，", "。", "？", " ", "！", "\u200b", "、", "…"]


def _word(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return rng.choice(_LATIN) + rng.choice(_LATIN)
    return "".join(rng.choices(_CJK, k=rng.randint(2, 5)))


def _text(rng: random.Random, words: list[str]) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(40, 200)):
        roll = rng.random()
        parts.append(rng.choice(_NOISE) if roll < 0.08 else rng.choice(_CJK))
    if rng.random() < 0.05:  # a listed word, spread out with a trick
        word = rng.choice(words)
        parts.insert(rng.randrange(len(parts)), " ".join(word))
    return "".join(parts)


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run(n_words: int, checks: int, seed: int = 6) -> dict[str, Any]:
    rng = random.Random(seed)
    words = list(dict.fromkeys(_word(rng) for _ in range(n_words * 2)))[:n_words]
    entries = [
        sensitive.WordEntry(
            w, sensitive.WordAction.BLOCK if i % 4 == 0 else sensitive.WordAction.HOLD
        )
        for i, w in enumerate(words)
    ]
    started = time.perf_counter()
    deployment = sensitive.Matcher(entries)
    build_s = time.perf_counter() - started
    broadcast = sensitive.Matcher(entries[:50])
    matchers = [deployment, broadcast]
    texts = [_text(rng, words) for _ in range(checks)]
    for text in texts:  # warm-up: the folding table learns every character
        sensitive.screen(text, matchers)
    timings: list[float] = []
    flagged = 0
    for text in texts:
        t0 = time.perf_counter_ns()
        flags = sensitive.screen(text, matchers)
        timings.append((time.perf_counter_ns() - t0) / 1000)
        flagged += flags is not None
    timings.sort()
    return {
        "words": deployment.size,
        "checks": checks,
        "chars_per_text": round(sum(map(len, texts)) / len(texts)),
        "flagged": flagged,
        "build_s": round(build_s, 3),
        "us_per_check_p50": round(_percentile(timings, 0.5), 1),
        "us_per_check_p99": round(_percentile(timings, 0.99), 1),
    }
