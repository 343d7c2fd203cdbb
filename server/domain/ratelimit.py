"""Token buckets: a per-key budget of actions that refills with time.

Time is an argument (``now_ms``), never read here, so tests drive it exactly and
the hub passes its own monotonic clock.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class TokenBucket:
    # Tokens added per second of elapsed time.
    rate_per_s: float
    # Capacity: the most a key can spend at once after being idle.
    burst: float
    tokens: float
    # The latest time seen; never moves backwards (see take).
    updated_ms: int

    @classmethod
    def full(cls, rate: float, burst: float, now_ms: int) -> TokenBucket:
        return cls(rate_per_s=rate, burst=burst, tokens=burst, updated_ms=now_ms)

    def take(self, n: int, now_ms: int) -> int:
        """Grant up to ``n`` whole tokens now; return how many were granted.

        Partial grants are the point: a like message carrying 50 taps when 20
        remain counts 20, rather than losing all 50.

        A clock going backwards refills nothing and does not move ``updated_ms``
        back, so the same interval is never credited twice.
        """
        elapsed = now_ms - self.updated_ms
        if elapsed > 0:
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate_per_s / 1000.0)
            self.updated_ms = now_ms
        granted = max(0, min(n, math.floor(self.tokens)))
        self.tokens -= granted
        return granted


class BucketMap:
    """Token buckets by key with a bounded memory footprint.

    Keys are viewer ids, so a viewer who reconnects (to this process) keeps the
    same bucket. Past ``max_keys`` the least recently used buckets are dropped;
    a dropped key comes back with a full bucket, which only favours viewers idle
    long enough to have been evicted.
    """

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets

    def take(self, key: str, n: int, now_ms: int) -> int:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket.full(self.rate, self.burst, now_ms)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(n, now_ms)
