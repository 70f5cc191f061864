"""What a person may put in their profile, and their location standing in for an activity's unknown region."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.domain.carbon import CalculationConfig, plan_for
from ecotrace.domain.carbon.selfhosted import SelfHostedConfig
from ecotrace.domain.models import Activity, ActivityType
from ecotrace.domain.profile import Location, parse_change
from ecotrace.errors import ValidationError
from ecotrace.tables import users

CATALOGUE = ShippedFactors.load().catalogue


@pytest.mark.parametrize(
    ("given", "country", "region"),
    [
        ("DE", "DE", "DE"),
        ("deu", "DE", "DE"),
        ({"country": "DE"}, "DE", "DE"),
        ({"country": "US", "region": "CA"}, "US", "US-CA"),
        ({"country": "US", "state_province": "California"}, "US", "US-CA"),
        ("CA-ON", "CA", "CA-ON"),
        ("egrid:CAMX", "US", "egrid:CAMX"),
    ],
)
def test_locations_the_factors_know_are_accepted(given: Any, country: str, region: str) -> None:
    change = parse_change({"location": given}, CATALOGUE)
    assert change.get("location") == Location(country, region)
    assert users.columns_for(change) == {"country": country, "region": region}


@pytest.mark.parametrize(
    "given",
    [
        "Atlantis",
        "US-XX",
        "aws:eu-west-1",
        {"lat": 52.5, "lon": 13.4},
        {"country": "DE", "city": "Berlin"},
        42,
        "WORLD",
    ],
)
def test_other_locations_are_refused_with_a_reason(given: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_change({"location": given}, CATALOGUE)
    assert refused.value.details == {"field": "location"}


def test_fields_are_checked_and_unknown_ones_named() -> None:
    change = parse_change(
        {"display_name": "  Ada   Lovelace ", "leaderboard_visible": False, "preferences": {"units": "g"}}, CATALOGUE
    )
    assert users.columns_for(change) == {
        "display_name": "Ada Lovelace",
        "leaderboard_visible": False,
        "preferences": '{"units":"g"}',
    }
    assert users.columns_for(parse_change({"location": None, "display_name": None}, CATALOGUE)) == {
        "display_name": None,
        "country": None,
        "region": None,
    }
    for body, message in [
        ({}, "at least one"),
        ({"email": "a@b.c"}, "unknown profile field(s): email"),
        ({"account_id": "someone-else"}, "unknown profile field(s): account_id"),
        ({"leaderboard_visible": "no"}, "true or false"),
        ({"display_name": "x" * 101}, "at most 100"),
        ({"preferences": {"a": "x" * 5000}}, "at most 4096"),
        ({"preferences": {"a": {"b": {"c": {"d": {"e": 1}}}}}}, "4 levels"),
        ({"preferences": []}, "JSON object"),
    ]:
        with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
            parse_change(body, CATALOGUE)


def test_the_profile_shows_defaults_for_rows_written_before_it_existed() -> None:
    shown = users.profile_json({"$id": "gh_1", "username": "ada", "preferences": None})
    assert shown["leaderboard_visible"] is True
    assert shown["feed_show_login"] is False
    assert shown["location"] is None
    assert shown["preferences"] == {}


def activity(kind: ActivityType, **extra: Any) -> Activity:
    base: dict[str, Any] = {
        "id": "a-1",
        "user_id": "gh_1",
        "github_login": "ada",
        "type": kind,
        "repo_id": "1",
        "repo_full_name": "o/r",
        "external_id": "x",
        "source_event": "push",
        "timestamp": datetime(2026, 11, 25, tzinfo=UTC),
    }
    if kind is ActivityType.CI_RUN:
        base.update(source_event="workflow_job", duration_s=600.0, runner_labels=["ubuntu-latest"])
    return Activity(**{**base, **extra})


def test_the_profile_location_stands_in_for_an_unknown_region_with_the_reason() -> None:
    config = CalculationConfig(user_region="DE")
    for kind in (ActivityType.COMMIT, ActivityType.CI_RUN):
        plan = plan_for(activity(kind), config)
        assert plan.region == "DE"
        assert any("profile location DE" in text for _, text in plan.reasons), plan.reasons
        assert not any("assumed azure" in text or "server location assumed" in text for _, text in plan.reasons)


def test_a_reported_or_configured_location_beats_the_profile() -> None:
    config = CalculationConfig(user_region="DE", self_hosted=SelfHostedConfig(vcpu=4, region="FR"))
    assert plan_for(activity(ActivityType.COMMIT, region="SE"), config).region == "SE"
    runner = activity(ActivityType.CI_RUN, runner_labels=["self-hosted", "linux"])
    plan = plan_for(runner, config)
    assert plan.region == "FR"
    assert not any("profile location" in text for _, text in plan.reasons)
    assert plan_for(activity(ActivityType.COMMIT), CalculationConfig()).region == "azure:eastus"
