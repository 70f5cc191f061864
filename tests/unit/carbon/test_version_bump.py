"""A method-version bump (here from 2026.11.1, whose memory term moves Example 1) makes ``recalculate`` rewrite
the figures stored under the old version: the activity's carbon columns, a new ``calculations`` row, and the
user's total. (Rollup tables do not exist yet; when they do, this is where their rewrite is checked.)"""

from __future__ import annotations

import pytest

from ecotrace.domain.carbon import calculation_id, default_methodology
from ecotrace.domain.models import Confidence, EmissionFactor
from ecotrace.entrypoints.http import Invocation
from ecotrace.services.calculate import CarbonCalculator
from ecotrace.tables.activities import to_row as activity_row
from tests.fakes.memory_store import MemoryStore
from tests.unit.carbon.carbon_builders import NOW, make_activity, make_factor

OLD, NEW = "2026.11.1", default_methodology().version
ALICE = "acct-alice"


class EastUs:
    def resolve(self, region: str | None) -> EmissionFactor:
        return make_factor(confidence=Confidence.MEDIUM)


def test_the_shipped_version_is_a_bump_over_the_first() -> None:
    assert NEW == "2026.12.2"
    assert NEW not in (OLD, "2026.12.1")


def test_a_version_bump_recalculates_rows_stored_under_the_old_method() -> None:
    # GIVEN Example 1's job stored under 2026.11.1 with that method's figure (1.091 g, the double-counted memory)
    store = MemoryStore(clock=lambda: NOW)
    store.seed("users", "gh_1", {"github_id": "1", "username": "alice", "account_id": ALICE})
    store.seed("user_stats", "gh_1", {"user_id": "gh_1", "github_login": "alice", "carbon_kg": 0.0010909562})
    job = make_activity(id="j1", duration_s=600, runner_labels=["ubuntu-latest"], details={"repo_private": False})
    row = activity_row(job, [f'read("user:{ALICE}")'])
    row.update(
        carbon_kg=0.0010909562,
        carbon_kg_low=0.0005362,
        carbon_kg_high=0.001815,
        methodology_version=OLD,
        calculation_id=calculation_id("j1", OLD),
    )
    store.seed("activities", "j1", row)
    store.seed("calculations", calculation_id("j1", OLD), {"activity_id": "j1", "methodology_version": OLD})
    calculator = CarbonCalculator(store, EastUs(), clock=lambda: NOW)
    # WHEN the user recalculates
    answer = calculator.handle({"action": "recalculate"}, Invocation("http", ALICE, None, "k"))
    # THEN the row carries the new version and Example 1's new figure (0.9622 g, bounds 0.1893-1.654 g)
    assert (answer["recalculated"], answer["methodology_version"]) == (1, NEW)
    (stored,) = store.rows("activities")
    assert stored["methodology_version"] == NEW
    assert stored["carbon_kg"] * 1000 == pytest.approx(0.9622, abs=5e-5)
    assert stored["carbon_kg_low"] * 1000 == pytest.approx(0.1893, abs=5e-5)
    assert stored["carbon_kg_high"] * 1000 == pytest.approx(1.654, abs=5e-4)
    assert stored["calculation_id"] == calculation_id("j1", NEW)
    # AND the old audit row is kept beside the new one; the user's total moved by the difference
    assert {r["methodology_version"] for r in store.rows("calculations")} == {OLD, NEW}
    (stats,) = store.rows("user_stats")
    assert stats["carbon_kg"] == pytest.approx(stored["carbon_kg"])
    # AND a second run finds nothing stale
    again = calculator.handle({"action": "recalculate"}, Invocation("http", ALICE, None, "k"))
    assert again["recalculated"] == 0
