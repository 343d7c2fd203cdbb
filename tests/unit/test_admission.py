"""``server.live.admission.Admission``: the counts behind the per-address cap and
the total cap on half-open connections (docs/reliability.md 31). The deadline
itself runs in tests/integration/test_half_open.py."""

from __future__ import annotations

from server.live.admission import Admission, pending_budget
from server.metrics import Metrics
from server.settings import Settings


def _admission(**settings: object) -> tuple[Admission, Metrics]:
    metrics = Metrics()
    made = Settings(**settings)  # type: ignore[arg-type]
    return Admission(made, metrics, pending_max=made.max_pending_connections), metrics


def test_half_open_connections_are_capped_per_address_and_counted_with_open_ones() -> None:
    admission, metrics = _admission(max_connections_per_ip=3)
    admission.open["1.2.3.4"] = 2  # two open websockets: they count, they do not block
    assert all(admission.begin("1.2.3.4") for _ in range(3))
    assert admission.count("1.2.3.4") == 5  # what the websocket endpoint compares
    assert not admission.begin("1.2.3.4")
    assert admission.begin("5.6.7.8")  # another address is not affected
    admission.end("1.2.3.4")
    assert admission.begin("1.2.3.4")
    assert metrics.half_open_closed_total.value(reason="per_address") == 1


def test_the_total_cap_holds_across_addresses() -> None:
    admission, metrics = _admission(max_pending_connections=2)
    assert admission.begin("10.0.0.1") and admission.begin("10.0.0.2")
    assert not admission.begin("10.0.0.3")
    admission.end("10.0.0.1")
    assert admission.begin("10.0.0.3")
    assert admission.pending_total == 2
    assert metrics.half_open_closed_total.value(reason="total") == 1


def test_a_trusted_proxy_is_not_capped_per_address() -> None:
    admission, _ = _admission(max_connections_per_ip=1, trusted_proxies=("10.1.1.1",))
    assert all(admission.begin("10.1.1.1") for _ in range(5))
    assert admission.begin("9.9.9.9") and not admission.begin("9.9.9.9")


def test_ending_more_than_began_never_goes_negative() -> None:
    admission, _ = _admission()
    admission.end("1.1.1.1")
    assert admission.pending_total == 0 and admission.count("1.1.1.1") == 0


def test_the_budget_is_at_most_a_quarter_of_the_descriptor_limit() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    budget = pending_budget(Settings(max_pending_connections=10**9))
    assert budget == soft // 4 or soft == resource.RLIM_INFINITY
    assert pending_budget(Settings(max_pending_connections=7)) == min(7, max(1, soft // 4))
