from __future__ import annotations

import pytest

from server.domain.likes import LikeBuffer, format_count_zh


def test_add_drain_restore() -> None:
    buf = LikeBuffer()
    assert not buf and buf.drain() == {}
    buf.add("a", 3)
    buf.add("a", 2)
    buf.add("b", 0)
    buf.add("c", 1)
    assert buf.pending("a") == 5 and buf.pending("b") == 0
    deltas = buf.drain()
    assert deltas == {"a": 5, "c": 1}
    assert buf.pending("a") == 0 and not buf
    buf.add("a", 4)  # taps arriving while the flush is in flight
    buf.restore(deltas)  # ... which failed
    assert buf.drain() == {"a": 9, "c": 1}


def test_negative_add_is_a_bug() -> None:
    with pytest.raises(ValueError):
        LikeBuffer().add("a", -1)


@pytest.mark.parametrize(
    ("n", "shown"),
    [
        (0, "0"),
        (7, "7"),
        (9999, "9999"),
        (10_000, "1万"),
        (10_999, "1万"),
        (12_345, "1.2万"),
        (19_999, "1.9万"),
        (603_000, "60.3万"),
        (99_999_999, "9999.9万"),
        (100_000_000, "1亿"),
        (123_456_789, "1.2亿"),
        (1_000_000_000_000, "10000亿"),
        (-3, "0"),
    ],
)
def test_format_count_zh(n: int, shown: str) -> None:
    assert format_count_zh(n) == shown
