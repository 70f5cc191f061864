"""Every activity type the code knows has its place in the schema and the method (see ARCHITECTURE.md, "a new
activity type"): adding one to ``ActivityType`` without the rest fails here, not on the first delivery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecotrace.domain.carbon import SCI_UNITS
from ecotrace.domain.models import ActivityType
from ecotrace.domain.stats import count_total

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schema" / "tables.json").read_text(encoding="utf-8"))
TABLES: dict[str, dict[str, Any]] = {t["$id"]: {c["key"]: c for c in t["columns"]} for t in SCHEMA["tables"]}
TYPES = [t.value for t in ActivityType]


@pytest.mark.parametrize(
    ("table", "column"), [("activities", "type"), ("calculations", "activity_type"), ("activity_feed", "activity_type")]
)
def test_the_schema_enumerates_exactly_the_activity_types(table: str, column: str) -> None:
    assert TABLES[table][column]["elements"] == TYPES


@pytest.mark.parametrize("table", ["user_stats", "leaderboards", "rollups"])
def test_each_activity_type_has_an_integer_count_column(table: str) -> None:
    for kind in ActivityType:
        assert TABLES[table][count_total(kind)]["type"] == "integer", (table, kind)


def test_each_activity_type_has_a_functional_unit() -> None:
    assert set(SCI_UNITS) == set(ActivityType)
