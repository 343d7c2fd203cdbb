"""Like taps: the per-process buffer between flushes, and how a total is shown."""

from __future__ import annotations

from collections.abc import Mapping


class LikeBuffer:
    """Tap counts of one hub process, per broadcast, not yet written to Redis.

    A like storm is thousands of taps a second; the hub adds them here and
    flushes one delta per broadcast every ``likes_flush_ms``. Contract with the
    flusher: ``drain()`` hands over everything accumulated so far; if the write
    fails, ``restore()`` gives it back so no tap is lost (and none is counted
    twice, because the drained deltas are no longer in the buffer meanwhile).
    """

    def __init__(self) -> None:
        self._pending: dict[str, int] = {}

    def add(self, bid: str, n: int) -> None:
        if n < 0:
            raise ValueError(f"cannot add {n} likes")
        if n:
            self._pending[bid] = self._pending.get(bid, 0) + n

    def drain(self) -> dict[str, int]:
        """Return the non-zero deltas and start afresh."""
        deltas = {bid: n for bid, n in self._pending.items() if n}
        self._pending = {}
        return deltas

    def restore(self, deltas: Mapping[str, int]) -> None:
        """Put back the deltas of a failed flush, on top of what came in since."""
        for bid, n in deltas.items():
            self.add(bid, n)

    def pending(self, bid: str) -> int:
        return self._pending.get(bid, 0)

    def __bool__(self) -> bool:
        return bool(self._pending)


_WAN = 10_000
_YI = 100_000_000


def _scaled(n: int, unit: int, suffix: str) -> str:
    # Integer arithmetic, rounding down: 19_999 is "1.9万", never "2万", so the
    # screen never claims more likes than were counted.
    tenths = n // (unit // 10)
    whole, frac = divmod(tenths, 10)
    return f"{whole}{suffix}" if frac == 0 else f"{whole}.{frac}{suffix}"


def format_count_zh(n: int) -> str:
    """A count as Chinese viewers read it: 9999, 1万, 60.3万, 1.2亿."""
    if n < _WAN:
        return str(max(n, 0))  # a negative count is a bug upstream; show nothing odd
    if n < _YI:
        return _scaled(n, _WAN, "万")
    return _scaled(n, _YI, "亿")
