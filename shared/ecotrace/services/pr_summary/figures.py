"""A pull request's CI carbon, from stored rows, and its two renderings (a commit status line, a comment). Pure.

- *So far*: every counted CI row (jobs, and runs without jobs) of the pull request's head commits: the ``head_sha``
  of its ``opened`` and ``synchronize`` steps. Central, low and high are the rows' sums; the confidence is the
  lowest of theirs.
- *Against the base branch*: a commit's CI carbon is that of all its workflow runs; the head commit's is compared
  with the median over the base branch's commits in the last days (:data:`BASE_DAYS`).
Rows whose carbon is not calculated yet are counted as pending, not guessed.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from ...domain.models import Activity, Confidence

BASE_DAYS = 30
CONTEXT = "EcoTrace / CI carbon"  # the commit status' context: one per commit, replaced on each post
MARKER = "<!-- ecotrace:pr-summary -->"  # the comment EcoTrace edits
MAX_STATUS_CHARS = 140  # GitHub refuses a longer commit status description (422)


@dataclass(frozen=True)
class Figures:
    number: int
    base_ref: str
    head_sha: str
    carbon_kg: float
    carbon_kg_low: float
    carbon_kg_high: float
    confidence: Confidence | None
    runs: int
    jobs: int
    pending: int  # CI rows not calculated yet
    head_kg: float | None  # the head commit's CI carbon
    base_median_kg: float | None  # the median base-branch commit's
    base_commits: int
    method_url: str
    method_version: str | None

    @property
    def change(self) -> float | None:
        """The head commit against the typical base-branch commit, as a fraction (+0.15: 15 % more)."""
        if self.head_kg is None or not self.base_median_kg:
            return None
        return self.head_kg / self.base_median_kg - 1.0


def _run_key(row: Activity) -> tuple[int, int]:
    return int(row.details.get("run_id") or 0), int(row.details.get("run_attempt") or 1)


def per_commit(rows: Iterable[Activity]) -> dict[str, float]:
    """CI carbon per head commit (counted rows with carbon)."""
    out: dict[str, float] = {}
    for row in rows:
        sha = row.details.get("head_sha")
        if row.counted and isinstance(sha, str) and sha and row.carbon_kg is not None:
            out[sha] = out.get(sha, 0.0) + row.carbon_kg
    return out


def figures(
    number: int,
    base_ref: str,
    head_sha: str,
    head_shas: set[str],
    pr_rows: Iterable[Activity],
    base_rows: Iterable[Activity],
    method_url: str,
) -> Figures:
    mine = [r for r in pr_rows if r.counted and r.details.get("head_sha") in head_shas]
    done = [r for r in mine if r.carbon_kg is not None]
    levels = [r.calculation_confidence for r in done if r.calculation_confidence is not None]
    base = per_commit(r for r in base_rows if r.details.get("head_sha") not in head_shas)
    versions = sorted({r.methodology_version for r in done if r.methodology_version})
    head = per_commit(mine).get(head_sha)
    return Figures(
        number=number,
        base_ref=base_ref,
        head_sha=head_sha,
        carbon_kg=sum(r.carbon_kg or 0.0 for r in done),
        carbon_kg_low=sum(r.carbon_kg_low if r.carbon_kg_low is not None else r.carbon_kg or 0.0 for r in done),
        carbon_kg_high=sum(r.carbon_kg_high if r.carbon_kg_high is not None else r.carbon_kg or 0.0 for r in done),
        confidence=Confidence.lowest(*levels) if levels else None,
        runs=len({_run_key(r) for r in mine}),
        jobs=sum(1 for r in mine if r.details.get("kind") == "workflow_job"),
        pending=len(mine) - len(done),
        head_kg=head,
        base_median_kg=statistics.median(base.values()) if base else None,
        base_commits=len(base),
        method_url=method_url,
        method_version=versions[-1] if versions else None,
    )


def grams(kg: float) -> str:
    """Three significant figures, in g (kg from 1,000 g)."""
    g = kg * 1000.0
    if g >= 1000:
        return f"{g / 1000:.3g} kg"
    return f"{g:.3g} g" if g >= 0.01 else f"{g:.2g} g"


def _change(f: Figures) -> str | None:
    change = f.change
    return None if change is None else f"{change * 100:+.0f}%"


def status_line(f: Figures) -> str:
    """The commit status' description (at most 140 characters)."""
    confidence = f.confidence.value if f.confidence else "pending"
    text = (
        f"CI {grams(f.carbon_kg)} CO2e ({grams(f.carbon_kg_low)}-{grams(f.carbon_kg_high)}, {confidence}), "
        f"{f.runs} run{'s' if f.runs != 1 else ''}"
    )
    change = _change(f)
    if change is not None:
        text += f"; head {change} vs {f.base_ref}"
    if f.pending:
        text += f"; {f.pending} pending"
    return text if len(text) <= MAX_STATUS_CHARS else text[: MAX_STATUS_CHARS - 1] + "…"


def comment_body(f: Figures) -> str:
    confidence = f.confidence.value if f.confidence else "pending"
    lines = [
        MARKER,
        "### EcoTrace: CI carbon of this pull request",
        "",
        "| | CO2e | range | confidence |",
        "|---|---|---|---|",
        f"| head commits so far ({f.runs} runs, {f.jobs} jobs) | {grams(f.carbon_kg)} | "
        f"{grams(f.carbon_kg_low)} to {grams(f.carbon_kg_high)} | {confidence} |",
    ]
    if f.head_kg is not None:
        lines.append(f"| head commit `{f.head_sha[:7]}` | {grams(f.head_kg)} | | |")
    if f.base_median_kg is not None:
        lines.append(
            f"| typical commit on `{f.base_ref}` (median of {f.base_commits}, last {BASE_DAYS} days) | "
            f"{grams(f.base_median_kg)} | | |"
        )
    lines.append("")
    change = _change(f)
    if change is not None:
        lines.append(f"Head commit against `{f.base_ref}`'s typical commit: **{change}**.")
    else:
        lines.append(f"No calculated CI on `{f.base_ref}` in the last {BASE_DAYS} days to compare with.")
    if f.pending:
        lines.append(f"{f.pending} CI rows are not calculated yet; they are added when they are.")
    version = f" (version {f.method_version})" if f.method_version else ""
    lines.append(
        f"How these figures are made: [EcoTrace's method]({f.method_url}){version}. This comment is edited "
        "in place as CI runs."
    )
    return "\n".join(lines)
