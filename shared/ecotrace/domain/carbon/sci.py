"""SCI per functional unit for a repository and period, from stored results: carbon per merged pull request,
per deployment and per CI minute, each with its range. Pure: the caller reads the rows.

SCI = (E x I + M) per R (ISO/IEC 21031:2024). Each stored activity already holds its E x I + M (central, low,
high); here they are summed over the work that makes up one R and divided by the number of R:

- **merged pull request**: its lifecycle steps (``pr`` rows: opened, synchronize, reviews, merged), the commits
  pushed to its head branch up to the merge (or whose sha was one of its heads), and the CI runs of its head
  commits (``ci_run`` rows whose ``details.head_sha`` is one of its heads). A commit or CI run is attributed to
  one pull request at most (the first merged);
- **deployment**: every ``deployment`` row;
- **CI minute**: every counted ``ci_run`` row with a known duration, per minute of that duration.

Bounds are summed like the central values (interval arithmetic, as for each activity).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_LISTED_PRS = 50


@dataclass(frozen=True, slots=True)
class StoredWork:
    """What the SCI report needs of one stored activity."""

    id: str
    type: str
    external_id: str
    ref: str | None
    timestamp: datetime
    counted: bool
    duration_s: float | None
    details: dict[str, Any]
    carbon_kg: float
    carbon_kg_low: float
    carbon_kg_high: float


@dataclass(slots=True)
class _Sum:
    count: int = 0
    g: float = 0.0
    low_g: float = 0.0
    high_g: float = 0.0
    ids: list[str] = field(default_factory=list)

    def add(self, work: StoredWork) -> None:
        self.count += 1
        self.g += work.carbon_kg * 1000
        self.low_g += work.carbon_kg_low * 1000
        self.high_g += work.carbon_kg_high * 1000

    def per(self, units: float) -> dict[str, float | None]:
        if units <= 0:
            return {"carbon_g": None, "carbon_g_low": None, "carbon_g_high": None}
        return {"carbon_g": self.g / units, "carbon_g_low": self.low_g / units, "carbon_g_high": self.high_g / units}

    def total(self) -> dict[str, float]:
        return {"carbon_g": self.g, "carbon_g_low": self.low_g, "carbon_g_high": self.high_g}


def _pr_number(work: StoredWork) -> int | None:
    parts = work.external_id.split(":")
    if work.type == "pr" and len(parts) >= 3 and parts[0] == "pr" and parts[1].isdigit():
        return int(parts[1])
    return None


def _head(work: StoredWork) -> str | None:
    sha = work.details.get("head_sha")
    return sha.lower() if isinstance(sha, str) and sha else None


def _known_minutes(work: StoredWork) -> float | None:
    if work.details.get("duration_known") is False or work.duration_s is None or not work.duration_s > 0:
        return None
    return work.duration_s / 60


def sci_per_unit(rows: Iterable[StoredWork]) -> dict[str, Any]:
    """The report (JSON-ready): ``per_merged_pr``, ``per_deployment``, ``per_ci_minute``, each with
    ``units``, ``carbon_g`` (per unit) and its ``_low`` / ``_high``, and the totals they divide."""
    work = sorted(rows, key=lambda w: (w.timestamp, w.id))
    prs: dict[int, list[StoredWork]] = {}
    for w in work:
        if (number := _pr_number(w)) is not None:
            prs.setdefault(number, []).append(w)
    merged = []
    for number, steps in prs.items():
        merge = next((s for s in steps if s.details.get("action") == "merged"), None)
        if merge is not None:
            merged.append((merge.timestamp, number, merge, steps))
    merged.sort(key=lambda item: (item[0], item[1]))

    taken: set[str] = set()
    per_pr: list[dict[str, Any]] = []
    all_prs = _Sum()
    parts = {"pr_steps": _Sum(), "commits": _Sum(), "ci": _Sum()}
    for merged_at, number, merge, steps in merged:
        heads = {h for h in map(_head, steps) if h}
        branch = f"refs/heads/{merge.ref}" if merge.ref else None
        mine = {"pr_steps": list(steps), "commits": [], "ci": []}
        for w in work:
            if w.id in taken:
                continue
            if w.type == "commit" and (
                w.external_id.lower() in heads or (branch is not None and w.ref == branch and w.timestamp <= merged_at)
            ):
                mine["commits"].append(w)
            elif w.type == "ci_run" and w.counted and _head(w) in heads:
                mine["ci"].append(w)
        pr_sum = _Sum()
        for part, items in mine.items():
            for item in items:
                taken.add(item.id)
                parts[part].add(item)
                pr_sum.add(item)
        all_prs.g += pr_sum.g
        all_prs.low_g += pr_sum.low_g
        all_prs.high_g += pr_sum.high_g
        if len(per_pr) < MAX_LISTED_PRS:
            per_pr.append(
                {
                    "number": number,
                    "merged_at": merged_at.isoformat(),
                    "activities": pr_sum.count,
                    "commits": len(mine["commits"]),
                    "ci_runs": len(mine["ci"]),
                    **pr_sum.total(),
                }
            )

    deployments, ci = _Sum(), _Sum()
    minutes = 0.0
    ci_without_duration = 0
    for w in work:
        if w.type == "deployment":
            deployments.add(w)
        elif w.type == "ci_run" and w.counted:
            if (m := _known_minutes(w)) is None:
                ci_without_duration += 1
                continue
            ci.add(w)
            minutes += m
    return {
        "per_merged_pr": {
            "units": len(merged),
            **all_prs.per(len(merged)),
            "total": all_prs.total(),
            "breakdown_g": {name: s.g for name, s in parts.items()},
            "pull_requests": per_pr,
        },
        "per_deployment": {
            "units": deployments.count,
            **deployments.per(deployments.count),
            "total": deployments.total(),
        },
        "per_ci_minute": {
            "units": minutes,
            **ci.per(minutes),
            "total": ci.total(),
            "ci_runs": ci.count,
            "ci_runs_without_duration": ci_without_duration,
        },
    }
