"""The direct-execution request body: {"periods": [...], "now": "..."}; bad input is a clear 400."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecotrace.domain.ranking import PeriodType
from ecotrace.errors import ValidationError
from ecotrace.services.leaderboard import LeaderboardOptions, parse_run_request


def test_empty_body_means_every_period_now() -> None:
    request = parse_run_request({})
    assert request.period_types == tuple(PeriodType)
    assert request.now is None


def test_periods_and_now_for_a_backfill() -> None:
    request = parse_run_request({"periods": ["weekly", "daily", "weekly"], "now": "2026-11-03T12:00:00Z"})
    assert request.period_types == (PeriodType.WEEKLY, PeriodType.DAILY)
    assert request.now == datetime(2026, 11, 3, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"periods": ["yearly"]}, "unknown period"),
        ({"periods": []}, "non-empty list"),
        ({"periods": "daily"}, "non-empty list"),
        ({"now": "next tuesday"}, "not an ISO 8601 time"),
        ({"now": 1764000000}, "ISO 8601 string"),
        ({"period": ["daily"]}, "unknown field"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        parse_run_request(body)
    assert info.value.status == 400


def test_options_from_the_function_environment() -> None:
    options = LeaderboardOptions.from_env({"LEADERBOARD_MIN_ACTIVITIES": "3", "LEADERBOARD_TIME_BUDGET_S": "45"})
    assert (options.min_activities, options.time_budget_s, options.page_size) == (3, 45.0, 1000)
    assert LeaderboardOptions.from_env({}).time_budget_s == 45.0  # of the function's 60 s
    assert LeaderboardOptions.from_env({"LEADERBOARD_TIME_BUDGET_S": "0"}).time_budget_s is None
    with pytest.raises(ValidationError, match="min_activities"):
        LeaderboardOptions.from_env({"LEADERBOARD_MIN_ACTIVITIES": "0"})
    with pytest.raises(ValidationError, match="bad leaderboard setting"):
        LeaderboardOptions.from_env({"LEADERBOARD_PAGE_SIZE": "many"})
