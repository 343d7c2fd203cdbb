from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.domain.ratelimit import BucketMap, TokenBucket


def test_full_bucket_grants_up_to_burst() -> None:
    b = TokenBucket.full(20.0, 200.0, now_ms=0)
    assert b.take(150, 0) == 150
    assert b.take(100, 0) == 50  # partial grant
    assert b.take(1, 0) == 0


def test_refill_by_elapsed_time_capped_at_burst() -> None:
    b = TokenBucket(rate_per_s=10.0, burst=5.0, tokens=0.0, updated_ms=1000)
    assert b.take(5, 1250) == 2  # 2.5 tokens: whole ones only
    assert b.take(5, 1300) == 1  # 0.5 + 0.5
    assert b.take(100, 1_000_000) == 5  # never above burst


def test_clock_going_backwards_refills_nothing() -> None:
    b = TokenBucket(rate_per_s=1.0, burst=10.0, tokens=0.0, updated_ms=10_000)
    assert b.take(1, 5_000) == 0
    assert b.updated_ms == 10_000
    assert b.take(1, 10_999) == 0  # the interval 5000..10000 is not credited
    assert b.take(1, 11_000) == 1


def test_non_positive_requests_grant_nothing() -> None:
    b = TokenBucket.full(1.0, 3.0, 0)
    assert b.take(0, 0) == 0 and b.take(-5, 0) == 0
    assert b.tokens == 3.0


@given(
    rate=st.floats(min_value=0.0, max_value=1000.0),
    burst=st.floats(min_value=0.0, max_value=1000.0),
    steps=st.lists(
        st.tuples(st.integers(min_value=-500, max_value=5000), st.integers(0, 1000)), max_size=40
    ),
)
def test_never_grants_more_than_burst_plus_refill(
    rate: float, burst: float, steps: list[tuple[int, int]]
) -> None:
    b = TokenBucket.full(rate, burst, 0)
    now = latest = 0
    granted = 0
    for dt, n in steps:
        now += dt
        latest = max(latest, now)
        got = b.take(n, now)
        assert 0 <= got <= max(n, 0)
        granted += got
        assert granted <= burst + rate * latest / 1000 + 1e-6
        assert 0 <= b.tokens <= burst


def test_bucket_map_keeps_a_bucket_per_key() -> None:
    m = BucketMap(rate=0.0, burst=3.0)
    assert m.take("alice", 2, 0) == 2
    assert m.take("alice", 2, 0) == 1  # reconnecting alice keeps her bucket
    assert m.take("bob", 2, 0) == 2


def test_bucket_map_evicts_least_recently_used() -> None:
    m = BucketMap(rate=0.0, burst=1.0, max_keys=2)
    assert m.take("a", 1, 0) == 1
    assert m.take("b", 1, 0) == 1
    assert m.take("a", 1, 1) == 0  # touch a: b is now least recently used
    assert m.take("c", 1, 2) == 1
    assert len(m) == 2
    assert "b" not in m and "a" in m and "c" in m
    assert m.take("a", 1, 3) == 0  # a survived with its empty bucket
    assert m.take("b", 1, 4) == 1  # b came back full
