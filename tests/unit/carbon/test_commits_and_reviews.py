"""Commit and review coefficients: one lines-per-file figure for the webhook and the method, estimated lines
moving with its bounds, and a review costed as its server time."""

from __future__ import annotations

import pytest

from ecotrace.domain.carbon import calculate, default_methodology, plan_for
from ecotrace.domain.github import ESTIMATED_LINES_PER_FILE
from ecotrace.domain.models import Confidence
from tests.unit.carbon.carbon_builders import NOW, REPO_ROOT, make_activity, make_factor

M = default_methodology()


def test_the_webhook_and_the_method_use_one_lines_per_file_figure() -> None:
    assert ESTIMATED_LINES_PER_FILE == M.v("git.default_lines_per_file") == 20
    text = (REPO_ROOT / "METHODOLOGY.md").read_text(encoding="utf-8")
    assert "| `git.default_lines_per_file` | 20 | 5 - 40 |" in text


def test_estimated_lines_widen_the_range_with_the_coefficient_bounds() -> None:
    known = make_activity(type="commit", lines_added=40, lines_deleted=40, files_changed=4, source_event="push")
    estimated = known.model_copy(update={"lines_estimated": True})
    factor = make_factor(confidence=Confidence.MEDIUM)
    a, b = calculate(plan_for(known), factor, NOW), calculate(plan_for(estimated), factor, NOW)
    assert a.carbon_kg == pytest.approx(b.carbon_kg)  # same central lines
    assert b.carbon_kg_low < a.carbon_kg_low  # 80 lines x 5/20 at the low bound
    assert b.carbon_kg_high > a.carbon_kg_high  # x 40/20 at the high bound
    assert b.confidence == Confidence.MEDIUM


def test_a_review_is_its_server_time() -> None:
    review = make_activity(type="pr", source_event="pull_request_review", details={"action": "review"})
    result = calculate(plan_for(review), make_factor(415.755, Confidence.MEDIUM), NOW)
    # 2 vCPU-s at EPYC 3rd gen full load (2.0193 W) x Azure PUE 1.185, plus 2 vCPU-s of the host's embodied share
    server_kwh = 2 / 3600 * 2.0193277994791665 * 1.185 / 1000
    embodied_g = 1151.7e3 / 128 / 35040 * 2 / 3600
    assert result.carbon_kg * 1000 == pytest.approx(server_kwh * 415.755 + embodied_g, rel=1e-9)
    assert result.energy.network_kwh == result.energy.storage_kwh == 0
    assert not any("lines unknown" in r for r in result.confidence_reasons)
    assert result.sci_functional_unit == "pull_request"
