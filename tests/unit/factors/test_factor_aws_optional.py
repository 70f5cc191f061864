"""boto3 is an optional extra: without it the function imports, answers and reports AWS as not configured;
with it, every AWS client carries connect/read timeouts and bounded retries."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

from ecotrace.adapters import aws_carbon
from ecotrace.adapters.aws_carbon import AwsCarbonSource
from ecotrace.errors import NotConfiguredError
from ecotrace.resilience import CircuitBreaker
from ecotrace.services.api_integrations import Caller, aws_report_for, handle
from ecotrace.services.emission_factors import EmissionFactorResolver
from ecotrace.settings import Settings
from tests.unit.factors.factors_helpers import FakeMonotonic


def test_without_boto3_the_function_module_imports_and_answers() -> None:
    # A fresh interpreter where boto3 and botocore cannot be imported, as in a deployment without the extra.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["boto3"] = None
        sys.modules["botocore"] = None
        from ecotrace.services.api_integrations import Caller, handle
        from ecotrace.services.emission_factors import EmissionFactorResolver
        out = handle({"action": "health"}, Caller("service"), EmissionFactorResolver.offline())
        print(out["sources"]["aws_carbon"])
        out = handle({"action": "fetch_emission_factors", "region": "aws:eu-west-1"}, Caller("service"),
                     EmissionFactorResolver.offline())
        print(out["factor"]["source"])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["{'configured': False, 'boto3_installed': False}", "cloud_region"]


def test_without_boto3_a_configured_aws_report_is_a_named_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # a deployment without the extra: no boto3, no botocore
    monkeypatch.setitem(sys.modules, "botocore", None)
    monkeypatch.setitem(sys.modules, "botocore.exceptions", None)
    assert aws_carbon.boto3_available() is False
    with pytest.raises(NotConfiguredError, match="pip install"):
        _ = AwsCarbonSource().s3
    settings = Settings(endpoint="http://x/v1", project_id="p", env={"ECOTRACE_AWS_CARBON_S3_URI": "s3://b/p"})
    report = aws_report_for(settings)
    assert report is not None
    out = handle({"action": "refresh_cache"}, Caller("schedule"), EmissionFactorResolver.offline(), aws=report)
    assert out["aws_carbon"]["error"]["code"] == "not_configured"


def test_aws_clients_have_timeouts_and_bounded_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    source = AwsCarbonSource(region_name="eu-west-1", connect_timeout_s=2.5, read_timeout_s=7.0)
    for client in (source.s3, source.sustainability):
        config = client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (2.5, 7.0)
        assert config.retries["total_max_attempts"] == 4  # botocore's count: the first try and 3 retries


class CountingSource(AwsCarbonSource):
    """An AWS source whose S3 export read fails (or not) on demand and counts the calls that reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.fail = True

    def from_s3_export(
        self, bucket: str, prefix: str = "", *, max_files: int = 200
    ) -> list[aws_carbon.RegionEmissions]:
        self.calls += 1
        if self.fail:
            raise aws_carbon.AwsCarbonError("NoSuchBucket", "S3 list failed: NoSuchBucket (404)")
        return []


def test_aws_failures_open_its_breaker_and_health_shows_state_and_last_error() -> None:
    clock = FakeMonotonic()
    source = CountingSource()
    breaker = CircuitBreaker("aws_carbon", failure_threshold=2, cool_down_s=3600, clock=clock)
    settings = Settings(endpoint="http://x/v1", project_id="p", env={"ECOTRACE_AWS_CARBON_S3_URI": "s3://b/p"})
    report = aws_report_for(settings, source, breaker=breaker)
    assert report is not None
    resolver = EmissionFactorResolver.offline()

    def refresh() -> dict[str, Any]:
        out: dict[str, Any] = handle({"action": "refresh_cache"}, Caller("schedule"), resolver, aws=report)
        return out

    assert refresh()["aws_carbon"]["error"]["code"] == "upstream_error"
    assert refresh()["aws_carbon"]["error"]["code"] == "upstream_error"
    assert refresh()["aws_carbon"]["error"]["code"] == "circuit_open"  # not asked: the breaker is open
    assert source.calls == 2
    health = handle({"action": "health"}, Caller("user", "ada"), resolver, aws=report)["sources"]["aws_carbon"]
    assert (health["configured"], health["state"]) == (True, "open")
    assert "NoSuchBucket" in health["last_error"]

    clock.advance(3600)  # half-open: one probe; it succeeds and closes the breaker
    source.fail = False
    assert "error" not in refresh()["aws_carbon"]
    assert source.calls == 3
    health = handle({"action": "health"}, Caller("user", "ada"), resolver, aws=report)["sources"]["aws_carbon"]
    assert health["state"] == "closed"
