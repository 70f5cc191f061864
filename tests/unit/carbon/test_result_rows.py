"""A result's two storage shapes agree with schema/tables.json, and the calculation id is deterministic."""

from __future__ import annotations

import json
from typing import Any

from ecotrace.domain.carbon import apply_result, calculate, calculation_id, default_methodology, plan_for
from ecotrace.domain.models import Activity
from ecotrace.ports import check_row_id
from ecotrace.tables.activities import carbon_columns as activity_carbon_columns
from ecotrace.tables.calculations import to_row as calculation_row
from tests.unit.carbon.carbon_builders import NOW, REPO_ROOT, make_activity, make_factor

TABLES = {t["$id"]: t for t in json.loads((REPO_ROOT / "schema/tables.json").read_text(encoding="utf-8"))["tables"]}
PY_TYPES: dict[str, Any] = {"string": str, "double": float, "integer": int, "boolean": bool, "datetime": str}


def check_against_schema(table: str, row: dict[str, Any], *, full: bool) -> None:
    columns = {c["key"]: c for c in TABLES[table]["columns"]}
    data = {k: v for k, v in row.items() if not k.startswith("$")}
    assert set(data) <= set(columns), set(data) - set(columns)
    if full:
        missing = {k for k, c in columns.items() if c.get("required") and data.get(k) is None}
        assert not missing
    for key, value in data.items():
        column = columns[key]
        if value is None:
            continue
        assert isinstance(value, PY_TYPES[column["type"]]), (key, value)
        if column["type"] == "string":
            assert len(value) <= column.get("size", 255), key
            if "elements" in column:
                assert value in column["elements"], key


def result_for(activity: Activity) -> Any:
    return calculate(plan_for(activity), make_factor(), NOW)


def test_calculation_row_fits_the_calculations_table() -> None:
    for activity in (
        make_activity(runner_labels=["x" * 100] * 40, duration_s=60),
        make_activity(type="commit", lines_added=3),
        make_activity(type="deployment", details={"artifact_bytes": 1e6}),
        make_activity(type="pr", counted=False),
    ):
        row = calculation_row(result_for(activity))
        check_against_schema("calculations", row, full=True)
        for column in ("energy_breakdown", "emission_factor", "confidence_reasons", "inputs"):
            text = row[column]
            compact = json.dumps(json.loads(text), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
            assert text == compact


def test_activity_columns_fit_the_activities_table() -> None:
    columns = activity_carbon_columns(result_for(make_activity(duration_s=60)))
    check_against_schema("activities", columns, full=False)
    assert set(columns) == {
        "carbon_kg",
        "carbon_kg_low",
        "carbon_kg_high",
        "energy_kwh",
        "calculation_confidence",
        "methodology_version",
        "calculation_id",
        "calculated_at",
    }
    assert columns["calculated_at"] == "2026-11-25T12:00:00.000+00:00"


def test_calculation_id_is_deterministic_valid_and_per_version() -> None:
    version = default_methodology().version
    a = calculation_id("x" * 36, version)
    assert a == calculation_id("x" * 36, version)
    assert check_row_id(a) == a
    assert len(a) <= 36
    assert a != calculation_id("x" * 36, "2027.1.1")
    assert a != calculation_id("y" * 36, version)


def test_recalculating_gives_the_same_row() -> None:
    activity = make_activity(type="commit", lines_added=10, lines_deleted=2, files_changed=1)
    first = calculation_row(result_for(activity))
    second = calculation_row(result_for(apply_result(activity, result_for(activity))))
    assert first == second


def test_apply_result_fills_the_activity() -> None:
    activity = make_activity(duration_s=60, runner_labels=["ubuntu-latest"])
    result = result_for(activity)
    filled = apply_result(activity, result)
    assert filled.carbon_kg == result.carbon_kg
    assert filled.calculation_id == result.calculation_id
    assert filled.methodology_version == default_methodology().version
    assert filled.calculated_at == NOW
    assert activity.carbon_kg is None  # the input is not changed
