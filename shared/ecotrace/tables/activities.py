"""The ``activities`` table: one row per Activity (``ecotrace.domain.models``), id ``$id``.

Stored as Appwrite JSON: datetimes in ISO form, ``details`` as a compact JSON string (sorted keys), every string
through ``tables.text`` (user text is never read by Appwrite as an update operator, and reads back as sent). Readers:
:func:`from_row` (the whole activity, validated) and :func:`facts_from_row` (the few columns ranking reads, for
the leaderboard's scans of every row; never raises).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import annotated_types

from ..clock import parse_iso, to_iso
from ..domain.carbon import CarbonResult
from ..domain.github import opens_pull_request
from ..domain.models import Activity
from ..domain.ranking import ACTIVITY_TYPES, ActivityFacts, is_bot_login, utc
from ..domain.validation import validated
from ..ports import Row
from .text import read_row, read_text, stored_row

NAME = "activities"
USER_COLUMN = "user_id"  # a per-person table: the person's rows are erased and exported by it

# Who and where an activity is: kept as first written when a row is rewritten.
IDENTITY_COLUMNS = ("$id", "$permissions", "user_id", "github_login", "is_bot", "repo_id", "repo_full_name")
CARBON_COLUMNS = (
    "carbon_kg",
    "carbon_kg_low",
    "carbon_kg_high",
    "energy_kwh",
    "calculation_confidence",
    "methodology_version",
    "calculation_id",
    "calculated_at",
)
# What reconciliation selects when it reads activities (read by facts_from_row).
RANKING_COLUMNS = (
    "user_id",
    "external_id",
    "github_login",
    "is_bot",
    "type",
    "counted",
    "carbon_kg",
    "carbon_kg_low",
    "carbon_kg_high",
    "energy_kwh",
    "timestamp",
    "lines_added",
    "lines_deleted",
    "duration_s",
)
_FIELDS = set(Activity.model_fields) - {"id"}
# Column sizes, as the model (which mirrors schema/tables.json) bounds them.
_SIZES = {
    name: meta.max_length
    for name, field in Activity.model_fields.items()
    for meta in field.metadata
    if isinstance(meta, annotated_types.MaxLen)
}


def _details_json(details: Mapping[str, Any]) -> str:
    return json.dumps(details, separators=(",", ":"), sort_keys=True, default=str)


def to_row(activity: Activity, permissions: Iterable[str] = ()) -> Row:
    """An Activity as a row, with its ``$id`` and ``$permissions``."""
    data = activity.model_dump(mode="json", exclude={"id"})
    data["timestamp"] = to_iso(activity.timestamp)
    data["calculated_at"] = to_iso(activity.calculated_at) if activity.calculated_at else None
    data["details"] = _details_json(activity.details)
    return {"$id": activity.id, "$permissions": list(permissions), **stored_row(data, _SIZES)}


def rewrite_row(activity: Activity) -> Row:
    """The data that rewrites an existing row with ``activity``: every column but who and where it is."""
    return {k: v for k, v in to_row(activity).items() if k not in IDENTITY_COLUMNS}


def columns(activity: Activity, names: Iterable[str]) -> Row:
    """Some columns of the activity's row (for an update of just those)."""
    row = to_row(activity)
    return {name: row[name] for name in names}


def carbon_columns(carbon: CarbonResult | Activity) -> Row:
    """The row's carbon columns, from a result or from an activity it was applied to (the same values)."""
    confidence = carbon.confidence if isinstance(carbon, CarbonResult) else carbon.calculation_confidence
    return {
        "carbon_kg": carbon.carbon_kg,
        "carbon_kg_low": carbon.carbon_kg_low,
        "carbon_kg_high": carbon.carbon_kg_high,
        "energy_kwh": carbon.energy_kwh,
        "calculation_confidence": confidence.value if confidence is not None else None,
        "methodology_version": carbon.methodology_version,
        "calculation_id": carbon.calculation_id,
        "calculated_at": to_iso(carbon.calculated_at) if carbon.calculated_at else None,
    }


def erased_columns(row: Mapping[str, Any], erase: Callable[[str], str]) -> Row:
    """The ``title``, ``repo_full_name`` and ``details`` of a row with ``erase`` applied to their text (someone's
    name taken out); empty when nothing changes."""
    out: Row = {}
    for column in ("title", "repo_full_name"):
        text = row.get(column)
        if isinstance(text, str) and erase(text) != text:
            out[column] = erase(text)
    try:
        details = json.loads(row.get("details") or "{}")
    except (json.JSONDecodeError, TypeError):
        details = {}
    if isinstance(details, dict):
        cleaned = {k: erase(v) if isinstance(v, str) else v for k, v in details.items()}
        if cleaned != details:
            out["details"] = _details_json(cleaned)
    return out


def from_row(row: Mapping[str, Any]) -> Activity:
    """A row as an Activity; a malformed row raises ValidationError naming the column."""
    data: dict[str, Any] = {k: v for k, v in read_row(row).items() if k in _FIELDS}
    data["id"] = row.get("$id")
    details = data.get("details")
    if isinstance(details, str):
        try:
            data["details"] = json.loads(details) if details else {}
        except json.JSONDecodeError:
            data["details"] = {}
    if not isinstance(data.get("details"), dict):
        data["details"] = {}
    if data.get("runner_labels") is None:
        data["runner_labels"] = []
    for key in ("is_bot", "lines_estimated"):
        if data.get(key) is None:
            data.pop(key, None)
    if data.get("counted") is None:
        data["counted"] = True
    return validated(Activity, data, "activity")


def facts_from_row(row: Mapping[str, Any]) -> ActivityFacts | None:
    """The RANKING_COLUMNS of a row (what ``domain.rollups.contribution`` counts); None when it is malformed (no
    user, unknown type, bad timestamp, negative carbon)."""
    user_id = row.get("user_id")
    kind = row.get("type")
    stamp = row.get("timestamp")
    if not isinstance(user_id, str) or not user_id or kind not in ACTIVITY_TYPES:
        return None
    try:
        moment = stamp if isinstance(stamp, datetime) else parse_iso(str(stamp))
        moment = utc(moment)
    except (ValueError, TypeError):
        return None
    carbon = row.get("carbon_kg")
    if carbon is not None:
        if isinstance(carbon, bool) or not isinstance(carbon, int | float) or not 0 <= carbon < float("inf"):
            return None
        carbon = float(carbon)
    bounds = [row.get(c) for c in ("carbon_kg_low", "carbon_kg_high", "energy_kwh")]
    low, high, energy = (_non_negative_float(b) if b is not None else None for b in bounds)
    login = row.get("github_login")
    login = read_text(login) if isinstance(login, str) and login else user_id
    return ActivityFacts(
        user_id=user_id,
        github_login=login,
        is_bot=bool(row.get("is_bot")) or is_bot_login(login),
        type=str(kind),
        counted=row.get("counted") is not False,
        carbon_kg=carbon,
        timestamp=moment,
        lines_changed=_non_negative_int(row.get("lines_added")) + _non_negative_int(row.get("lines_deleted")),
        duration_s=_non_negative_float(row.get("duration_s")),
        opens_pr=opens_pull_request(
            str(kind), read_text(row["external_id"]) if isinstance(row.get("external_id"), str) else None
        ),
        carbon_kg_low=low,
        carbon_kg_high=high,
        energy_kwh=energy,
    )


def _non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        return 0
    return int(value)


def _non_negative_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0 or value == float("inf"):
        return 0.0
    return float(value)
