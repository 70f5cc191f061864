"""The function's use case: who may call, which actions, and the optional AWS report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ecotrace.adapters.aws_carbon import AwsCarbonSource
from ecotrace.entrypoints.http import Invocation
from ecotrace.errors import ForbiddenError, UnauthorizedError, ValidationError
from ecotrace.resilience import CircuitBreaker
from ecotrace.services.api_integrations import Caller, aws_report_for, handle, identify_caller, resolver_for
from ecotrace.services.emission_factors import EmissionFactorResolver
from ecotrace.settings import Settings
from tests.fakes.memory_store import MemoryStore


def settings(**env: str) -> Settings:
    return Settings(endpoint="http://x/v1", project_id="p", env=env)


def invocation(**headers: str) -> Invocation:
    return Invocation.from_headers(headers)


def test_without_a_token_configured_a_userless_execution_is_an_api_key_caller() -> None:
    # Appwrite refuses guests before the function runs (execute = users): only key executions come user-less
    assert identify_caller(invocation(), {}, settings()).kind == "service"


def test_users_schedules_and_token_holders_are_callers() -> None:
    conf = settings(ECOTRACE_SERVICE_TOKEN="s3cret-token")
    assert identify_caller(invocation(**{"x-appwrite-user-id": "ada"}), {}, conf) == Caller("user", "ada")
    assert identify_caller(invocation(**{"x-appwrite-trigger": "schedule"}), {}, conf).kind == "schedule"
    token = {"x-ecotrace-service-token": "s3cret-token"}
    assert identify_caller(invocation(), token, conf).kind == "service"


@pytest.mark.parametrize(
    ("env", "headers"),
    [
        ({"ECOTRACE_SERVICE_TOKEN": "s3cret-token"}, {}),
        ({"ECOTRACE_SERVICE_TOKEN": "s3cret-token"}, {"x-ecotrace-service-token": ""}),
        ({"ECOTRACE_SERVICE_TOKEN": "s3cret-token"}, {"x-ecotrace-service-token": "s3cret-tokeN"}),
    ],
)
def test_with_a_token_configured_userless_callers_without_it_are_refused(
    env: dict[str, str], headers: dict[str, str]
) -> None:
    with pytest.raises(UnauthorizedError):
        identify_caller(invocation(), headers, settings(**env))


@pytest.fixture
def resolver() -> EmissionFactorResolver:
    return EmissionFactorResolver.offline()


def test_fetch_answers_the_seed_shape(resolver: EmissionFactorResolver) -> None:
    out = handle(
        {"action": "fetch_emission_factors", "region": {"country": "US", "state_province": "CA"}},
        Caller("user", "ada"),
        resolver,
    )
    assert out["factor"]["region"] == "US-CA"
    assert out["factor"]["factor_kg_co2_per_kwh"] == pytest.approx(out["factor"]["g_co2e_per_kwh"] / 1000)
    assert out["factor"]["confidence_rating"] == out["factor"]["confidence"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"action": 7},
        {"action": "fetch_emission_factors"},
        {"action": "fetch_emission_factors_batch", "regions": []},
        {"action": "fetch_emission_factors_batch", "regions": ["DE"] * 51},
    ],
)
def test_bad_bodies_are_named(resolver: EmissionFactorResolver, body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        handle(body, Caller("user", "ada"), resolver)


def test_a_schedule_with_no_body_refreshes(resolver: EmissionFactorResolver) -> None:
    out = handle({}, Caller("schedule"), resolver)
    assert out["refresh"]["skipped_reason"]


def test_users_cannot_refresh(resolver: EmissionFactorResolver) -> None:
    with pytest.raises(ForbiddenError):
        handle({"action": "refresh_cache"}, Caller("user", "ada"), resolver)


def test_health_lists_every_source(resolver: EmissionFactorResolver) -> None:
    sources = handle({"action": "health"}, Caller("user", "ada"), resolver)["sources"]
    assert set(sources) == {"electricity_maps", "emission_factors_table", "shipped", "aws_carbon"}
    assert sources["aws_carbon"]["configured"] is False


def test_aws_report_is_off_unless_configured() -> None:
    assert aws_report_for(settings()) is None


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="exports")
        yield client


def test_refresh_adds_the_aws_export_summary_for_server_callers(resolver: EmissionFactorResolver, s3: Any) -> None:
    s3.put_object(
        Bucket="exports",
        Key="carbon/part.csv",
        Body=b"usage_period_start,usage_period_end,region_code,total_lbm_emissions_value,total_mbm_emissions_value\n"
        b"2026-10-01,2026-11-01,eu-west-1,0.75,0.1\n",
    )
    report = aws_report_for(settings(ECOTRACE_AWS_CARBON_S3_URI="s3://exports/carbon/"), AwsCarbonSource(s3_client=s3))
    out = handle({"action": "refresh_cache"}, Caller("service"), resolver, aws=report)
    assert out["aws_carbon"]["s3_export"]["regions"]["eu-west-1"]["location_based_mtco2e"] == 0.75


def test_an_aws_failure_is_reported_not_raised(resolver: EmissionFactorResolver, s3: Any) -> None:
    conf = settings(ECOTRACE_AWS_CARBON_S3_URI="s3://missing-bucket/x")
    report = aws_report_for(conf, AwsCarbonSource(s3_client=s3), breaker=CircuitBreaker("aws_carbon"))
    out = handle({"action": "refresh_cache"}, Caller("schedule"), resolver, aws=report)
    assert out["aws_carbon"]["error"]["code"] == "upstream_error"


def test_each_execution_gets_its_own_store_while_caches_and_breakers_are_shared() -> None:
    # Two executions at once in one process: neither may write through the other's (short-lived) key.
    conf = Settings(endpoint="http://x/v1", project_id="p", env={}, electricity_maps_api_key="k-shared-test")
    first_store, second_store = MemoryStore(), MemoryStore()
    first = resolver_for(conf, first_store)
    second = resolver_for(conf, second_store)
    assert (first.store, second.store) == (first_store, second_store)
    assert first.live_breaker is second.live_breaker  # one breaker per process and source
    first.live_breaker.record_failure(RuntimeError("down"))
    assert second.health()["sources"]["electricity_maps"]["consecutive_failures"] == 1
