"""The circuit breaker (time injected) and the retry policy (transient errors only)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecotrace.adapters.electricity_maps import ElectricityMapsError
from ecotrace.errors import CircuitOpenError
from ecotrace.resilience import BreakerState, CircuitBreaker, retry_call, retry_policy
from tests.unit.factors.factors_helpers import FakeMonotonic


class Source:
    """A pretend upstream: fails while ``up`` is False, counts the calls that reached it."""

    def __init__(self) -> None:
        self.up = False
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if not self.up:
            raise ElectricityMapsError("timeout", "timed out", transient=True)
        return "reading"


def test_breaker_opens_fails_fast_half_opens_and_closes(monotonic: FakeMonotonic) -> None:
    source = Source()
    breaker = CircuitBreaker("em", failure_threshold=3, cool_down_s=60, clock=monotonic)

    # GIVEN a dead source: three consecutive failures open the circuit
    for _ in range(3):
        with pytest.raises(ElectricityMapsError):
            breaker.call(source)
    assert breaker.state is BreakerState.OPEN
    assert source.calls == 3

    # WHEN open: calls fail fast without reaching the source, and say when to retry
    with pytest.raises(CircuitOpenError) as caught:
        breaker.call(source)
    assert source.calls == 3
    assert caught.value.details["retry_in_s"] == 60
    monotonic.advance(59.9)
    with pytest.raises(CircuitOpenError):
        breaker.call(source)
    assert source.calls == 3

    # THEN after the cool-down one probe goes through; failing, it re-opens for a full cool-down
    monotonic.advance(0.1)
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(ElectricityMapsError):
        breaker.call(source)
    assert source.calls == 4
    assert breaker.state is BreakerState.OPEN
    monotonic.advance(30)
    with pytest.raises(CircuitOpenError):
        breaker.call(source)

    # AND a successful probe closes it
    monotonic.advance(30)
    source.up = True
    assert breaker.call(source) == "reading"
    assert breaker.state is BreakerState.CLOSED
    assert breaker.snapshot()["consecutive_failures"] == 0


def test_half_open_admits_one_probe_at_a_time(monotonic: FakeMonotonic) -> None:
    breaker = CircuitBreaker("em", failure_threshold=1, cool_down_s=10, clock=monotonic)
    with pytest.raises(ElectricityMapsError):
        breaker.call(Source())
    monotonic.advance(10)
    probes: list[str] = []

    def slow_probe() -> str:
        # while this probe is in flight, a second caller is refused
        with pytest.raises(CircuitOpenError):
            breaker.call(lambda: "second")
        probes.append("probe")
        return "ok"

    assert breaker.call(slow_probe) == "ok"
    assert probes == ["probe"]
    assert breaker.state is BreakerState.CLOSED


def test_success_resets_the_failure_count(monotonic: FakeMonotonic) -> None:
    source = Source()
    breaker = CircuitBreaker("em", failure_threshold=3, cool_down_s=10, clock=monotonic)
    for _ in range(2):
        with pytest.raises(ElectricityMapsError):
            breaker.call(source)
    source.up = True
    breaker.call(source)
    source.up = False
    for _ in range(2):
        with pytest.raises(ElectricityMapsError):
            breaker.call(source)
    assert breaker.state is BreakerState.CLOSED


def test_answers_that_are_not_outages_do_not_open_it(monotonic: FakeMonotonic) -> None:
    breaker = CircuitBreaker(
        "em",
        failure_threshold=1,
        clock=monotonic,
        counts_as_failure=lambda exc: getattr(exc, "kind", "") != "zone_not_found",
    )

    def not_found() -> None:
        raise ElectricityMapsError("zone_not_found", "no zone XX", http_status=404)

    with pytest.raises(ElectricityMapsError):
        breaker.call(not_found)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.snapshot()["last_error"] == "upstream_error: Electricity Maps: no zone XX"


def failing(*errors: ElectricityMapsError) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "ok"

    return calls, fn


@pytest.mark.parametrize(
    "error",
    [
        ElectricityMapsError("timeout", "t", transient=True),
        ElectricityMapsError("connection", "c", transient=True),
        ElectricityMapsError("server_error", "503", http_status=503, transient=True),
        ElectricityMapsError("rate_limited", "429", http_status=429, transient=True),
    ],
)
def test_transient_errors_are_retried_with_bounded_backoff(error: ElectricityMapsError) -> None:
    sleeps: list[float] = []
    calls, fn = failing(error, error)
    assert retry_call(fn, retry_policy(attempts=3, base_s=0.1, max_backoff_s=0.5, sleep=sleeps.append)) == "ok"
    assert len(calls) == 3
    assert len(sleeps) == 2
    assert all(0 <= s <= 0.5 for s in sleeps)


@pytest.mark.parametrize(("kind", "status"), [("unauthorized", 401), ("forbidden", 403), ("zone_not_found", 404)])
def test_client_errors_are_never_retried(kind: str, status: int) -> None:
    sleeps: list[float] = []
    calls, fn = failing(ElectricityMapsError(kind, kind, http_status=status))
    with pytest.raises(ElectricityMapsError):
        retry_call(fn, retry_policy(attempts=5, sleep=sleeps.append))
    assert (len(calls), sleeps) == (1, [])


def test_attempts_are_bounded_and_the_last_error_surfaces() -> None:
    errors = [ElectricityMapsError("server_error", f"boom {i}", http_status=500, transient=True) for i in range(9)]
    calls, fn = failing(*errors)
    with pytest.raises(ElectricityMapsError, match="boom 2"):
        retry_call(fn, retry_policy(attempts=3, sleep=lambda s: None))
    assert len(calls) == 3


def test_retry_after_is_honoured_within_the_cap() -> None:
    sleeps: list[float] = []
    calls, fn = failing(ElectricityMapsError("rate_limited", "429", transient=True, retry_after_s=2.0))
    retry_call(fn, retry_policy(retry_after_cap_s=5, sleep=sleeps.append))
    assert sleeps == [2.0]
    assert len(calls) == 2


def test_retry_after_beyond_the_cap_ends_the_retries() -> None:
    sleeps: list[float] = []
    calls, fn = failing(ElectricityMapsError("rate_limited", "429", transient=True, retry_after_s=3600.0))
    with pytest.raises(ElectricityMapsError):
        retry_call(fn, retry_policy(retry_after_cap_s=5, sleep=sleeps.append))
    assert (sleeps, len(calls)) == ([], 1)


def test_backoff_is_jittered_within_exponential_bounds() -> None:
    # Full jitter: each wait is drawn from [0, base * 2**(n-1)], capped; many callers do not retry in step.
    first: list[float] = []
    second: list[float] = []
    for _ in range(40):
        sleeps: list[float] = []
        error = ElectricityMapsError("server_error", "503", http_status=503, transient=True)
        _, fn = failing(error, error)
        retry_call(fn, retry_policy(attempts=3, base_s=0.1, max_backoff_s=0.15, sleep=sleeps.append))
        first.append(sleeps[0])
        second.append(sleeps[1])
    assert all(0 <= s <= 0.1 for s in first)
    assert all(0 <= s <= 0.15 for s in second)  # 0.2 before the cap
    assert len(set(first)) > 10  # random, not a fixed schedule
    assert len(set(second)) > 10
    assert max(second) > 0.1  # the second window is wider than the first


def test_an_answer_that_is_not_an_outage_ends_a_run_of_failures(monotonic: FakeMonotonic) -> None:
    # timeout, timeout, then a 404 (the source answered: it is up), then a timeout: not three in a row
    breaker = CircuitBreaker(
        "em",
        failure_threshold=3,
        clock=monotonic,
        counts_as_failure=lambda exc: getattr(exc, "kind", "") != "zone_not_found",
    )
    dead = Source()

    def not_found() -> None:
        raise ElectricityMapsError("zone_not_found", "no zone XX", http_status=404)

    for fn in (dead, dead, not_found, dead):
        with pytest.raises(ElectricityMapsError):
            breaker.call(fn)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.snapshot()["consecutive_failures"] == 1


def test_a_long_retry_after_holds_the_breaker_open_that_long(monotonic: FakeMonotonic) -> None:
    # A 429 asking to wait longer than the cool-down: the source said when to come back, so no call before then.
    breaker = CircuitBreaker("em", failure_threshold=3, cool_down_s=60, clock=monotonic)
    calls: list[int] = []

    def throttled() -> None:
        calls.append(1)
        raise ElectricityMapsError("rate_limited", "429", http_status=429, transient=True, retry_after_s=600.0)

    with pytest.raises(ElectricityMapsError):
        breaker.call(throttled)
    assert breaker.state is BreakerState.OPEN  # at once, not after three
    assert breaker.snapshot()["retry_in_s"] == 600
    monotonic.advance(599)
    with pytest.raises(CircuitOpenError):
        breaker.call(throttled)
    assert len(calls) == 1
    monotonic.advance(1)
    assert breaker.state is BreakerState.HALF_OPEN


def test_a_short_retry_after_counts_as_one_failure(monotonic: FakeMonotonic) -> None:
    breaker = CircuitBreaker("em", failure_threshold=3, cool_down_s=60, clock=monotonic)

    def throttled() -> None:
        raise ElectricityMapsError("rate_limited", "429", http_status=429, transient=True, retry_after_s=5.0)

    with pytest.raises(ElectricityMapsError):
        breaker.call(throttled)
    assert breaker.state is BreakerState.CLOSED


def test_an_absurd_retry_after_holds_the_breaker_at_most_a_day(monotonic: FakeMonotonic) -> None:
    breaker = CircuitBreaker("em", failure_threshold=3, cool_down_s=60, clock=monotonic)

    def throttled() -> None:
        raise ElectricityMapsError("rate_limited", "429", http_status=429, transient=True, retry_after_s=1e12)

    with pytest.raises(ElectricityMapsError):
        breaker.call(throttled)
    monotonic.advance(24 * 3600)
    assert breaker.state is BreakerState.HALF_OPEN
