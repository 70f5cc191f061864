"""The health action on the local stack: an active database probe that notices an outage, cache hit rates, and
the realtime hub's subscribers."""

from __future__ import annotations

from ecotrace_local.testing import StackHandle
from tests.integration.trust.trust_world import ADA, RealtimeRecorder, build_world, call_api


def test_health_probes_the_database_counts_cache_hits_and_realtime_subscribers(stack: StackHandle) -> None:
    build_world(stack)
    for _ in range(3):
        call_api(stack, ADA, {"action": "fetch_emission_factors", "region": "DE"})
    with RealtimeRecorder(stack, stack.user_jwt(ADA.account), ["rows", "account"]):
        status, health = call_api(stack, ADA, {"action": "health"})
    assert status == 200, health
    assert health["database"]["status"] == "pass"
    assert health["database"]["latency_ms"] >= 0
    assert health["realtime"]["available"] is True
    assert health["realtime"]["connections"] == 1
    assert health["realtime"]["channels"] == {"rows": 1, "account": 1, f"account.{ADA.account}": 1}
    cache = health["cache"]
    assert cache["lookups"] >= 3
    assert cache["memory_hits"] >= 2  # the first live fetch is remembered for the next two
    assert 0 < cache["hit_rate"] <= 1
    assert set(health["sources"]) == {"electricity_maps", "emission_factors_table", "shipped", "aws_carbon"}


def test_the_database_probe_reports_an_outage(stack: StackHandle) -> None:
    fault = stack.stack.faults.add(method="GET", path_pattern=r"/tables/emission_factors/rows$", status=503, times=0)
    try:
        status, health = call_api(stack, ADA, {"action": "health"})
    finally:
        stack.stack.faults.remove(fault)
    assert status == 200
    assert health["database"]["status"] == "fail"
    assert health["database"]["error"] == "storage_unavailable"
