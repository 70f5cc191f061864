"""The fair score on the REAL carbon method: splitting the same work never improves a rank; doing it on a smaller
runner or a cleaner grid does not worsen it (and lowers the carbon).

A developer's period of work (commits with their lines, pull requests, CI jobs on one runner, a deployment) is
calculated with ``domain.carbon`` (``plan_for`` + ``calculate``), counted with ``domain.rollups.contribution`` and
ranked with ``domain.ranking`` among other developers. Then the same work is split (a commit's lines over two
commits; a CI job's minutes over two jobs on the same runner; a pull request's steps over two pull requests) or
moved (a smaller runner, a cleaner grid), and ranked again. Other developers' scores are kept away from the
subject's by more than float rounding (splitting a CI job can move the carbon by an ulp either way: the method
prices a job by its minutes alone, with no per-job overhead)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from hypothesis import assume, given
from hypothesis import strategies as st

from ecotrace.domain.carbon import apply_result, calculate, plan_for
from ecotrace.domain.models import Activity
from ecotrace.domain.ranking import UserTotals, rank_users
from ecotrace.domain.rollups import facts_of
from tests.unit.carbon.carbon_builders import make_factor
from tests.unit.ranking.rollup_helpers import period_totals

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DAY_PERIOD_KEY = "2026-11-25"
RUNNERS = ["linux-2-cores", "linux-4-cores", "linux-8-cores", "linux-16-cores", "linux-64-cores"]


@dataclass(frozen=True)
class Work:
    commits: tuple[int, ...]  # lines changed per commit
    jobs: tuple[int, ...]  # minutes per CI job
    prs: tuple[int, ...]  # steps per pull request (the opening, then synchronizes)
    runner: int  # index into RUNNERS
    deployments: int
    grid_g_per_kwh: float


def activities_of(work: Work, user: str = "gh_subject") -> list[Activity]:
    out: list[Activity] = []
    base = {"user_id": user, "github_login": user, "repo_id": "1", "repo_full_name": "o/r", "timestamp": NOW}
    for i, lines in enumerate(work.commits):
        out.append(Activity(id=f"c{i}", type="commit", external_id=f"c{i}", source_event="push",
                            lines_added=lines, lines_deleted=0, files_changed=1, **base))  # fmt: skip
    for i, minutes in enumerate(work.jobs):
        out.append(Activity(id=f"j{i}", type="ci_run", external_id=f"j{i}", source_event="workflow_job",
                            duration_s=60.0 * minutes, runner_labels=[RUNNERS[work.runner]], **base))  # fmt: skip
    for i, steps in enumerate(work.prs):
        for s in range(steps):
            stage = "opened" if s == 0 else "synchronize"
            out.append(Activity(id=f"p{i}.{s}", type="pr", external_id=f"pr:{i}:{stage}:{s}",
                                source_event="pull_request", **base))  # fmt: skip
    for i in range(work.deployments):
        out.append(Activity(id=f"d{i}", type="deployment", external_id=f"d{i}", source_event="deployment_status",
                            duration_s=120.0, runner_labels=[RUNNERS[work.runner]], **base))  # fmt: skip
    factor = make_factor(work.grid_g_per_kwh, region="WORLD")
    return [apply_result(a, calculate(plan_for(a), factor, NOW)) for a in out]


def totals_of(work: Work) -> UserTotals:
    from ecotrace.domain.ranking import PeriodType, period_for

    day = period_for(PeriodType.DAILY, NOW)
    (totals,) = period_totals(day, [facts_of(a) for a in activities_of(work)]).values()
    return totals


def rank_among(subject: UserTotals, others: Sequence[tuple[float, int]]) -> int:
    people = [subject] + [
        UserTotals(f"gh_{i}", f"dev{i}", carbon_kg=c, activity_count=1, lines_changed=lines)
        for i, (c, lines) in enumerate(others)
    ]
    return next(e.rank for e in rank_users(people) if e.totals.user_id == subject.user_id)


def away_from(scores: Sequence[float]) -> st.SearchStrategy[list[tuple[float, int]]]:
    """Other developers whose scores differ from each of ``scores`` by more than float rounding."""

    def far(person: tuple[float, int]) -> bool:
        score = person[0] * 1000.0 / person[1]
        return all(abs(score - s) > 1e-9 * max(abs(s), 1e-12) for s in scores)

    return st.lists(st.tuples(st.floats(1e-9, 1e-1), st.integers(1, 20_000)).filter(far), max_size=12)


work = st.builds(
    Work,
    commits=st.lists(st.integers(2, 5000), min_size=1, max_size=5).map(tuple),
    jobs=st.lists(st.integers(2, 120), max_size=4).map(tuple),
    prs=st.lists(st.integers(2, 4), max_size=2).map(tuple),
    runner=st.integers(1, len(RUNNERS) - 1),
    deployments=st.integers(0, 2),
    grid_g_per_kwh=st.floats(20, 900),
)


def split(work: Work, what: str, index: int, share: float) -> Work:
    """The same work in more pieces: one commit's lines over two commits, one job's minutes over two jobs on the
    same runner, or one pull request's steps over two pull requests."""
    if what == "commit":
        i = index % len(work.commits)
        lines = work.commits[i]
        first = max(1, min(lines - 1, round(lines * share)))
        return replace(work, commits=(*work.commits[:i], first, lines - first, *work.commits[i + 1 :]))
    if what == "job" and work.jobs:
        i = index % len(work.jobs)
        minutes = work.jobs[i]
        first = max(1, min(minutes - 1, round(minutes * share)))
        return replace(work, jobs=(*work.jobs[:i], first, minutes - first, *work.jobs[i + 1 :]))
    if what == "pr" and work.prs:
        i = index % len(work.prs)
        steps = work.prs[i]
        first = max(1, min(steps - 1, round(steps * share)))
        return replace(work, prs=(*work.prs[:i], first, steps - first, *work.prs[i + 1 :]))
    return work


@given(work, st.sampled_from(["commit", "job", "pr"]), st.integers(0, 10), st.floats(0.05, 0.95), st.data())
def test_splitting_the_same_work_never_improves_a_rank(
    before_work: Work, what: str, index: int, share: float, data: st.DataObject
) -> None:
    after_work = split(before_work, what, index, share)
    assume(after_work != before_work)
    before, after = totals_of(before_work), totals_of(after_work)
    assert after.lines_changed == before.lines_changed  # R does not change
    assert after.carbon_kg >= before.carbon_kg * (1 - 1e-12)  # each piece carries its own overhead, or none
    others = data.draw(away_from([before.carbon_per_kloc_kg, after.carbon_per_kloc_kg]))
    assert rank_among(after, others) >= rank_among(before, others)


@given(work, st.data())
def test_the_same_work_on_a_smaller_runner_never_worsens_a_rank(before_work: Work, data: st.DataObject) -> None:
    assume(before_work.jobs or before_work.deployments)
    smaller = replace(before_work, runner=before_work.runner - 1)
    before, after = totals_of(before_work), totals_of(smaller)
    assert after.lines_changed == before.lines_changed
    assert after.carbon_kg < before.carbon_kg
    others = data.draw(away_from([before.carbon_per_kloc_kg, after.carbon_per_kloc_kg]))
    assert rank_among(after, others) <= rank_among(before, others)


@given(work, st.floats(0.1, 0.9), st.data())
def test_the_same_work_on_a_cleaner_grid_never_worsens_a_rank(
    before_work: Work, cleaner: float, data: st.DataObject
) -> None:
    greener = replace(before_work, grid_g_per_kwh=before_work.grid_g_per_kwh * cleaner)
    before, after = totals_of(before_work), totals_of(greener)
    assert after.carbon_kg < before.carbon_kg
    others = data.draw(away_from([before.carbon_per_kloc_kg, after.carbon_per_kloc_kg]))
    assert rank_among(after, others) <= rank_among(before, others)


def test_the_old_score_rewarded_splitting_and_this_one_does_not() -> None:
    # one CI job and one commit, against the same work with the commit split into 50 commits of 20 lines
    one = Work(commits=(1000,), jobs=(10,), prs=(), runner=1, deployments=0, grid_g_per_kwh=400.0)
    many = replace(one, commits=(20,) * 50)
    a, b = totals_of(one), totals_of(many)
    assert b.carbon_per_activity_kg < a.carbon_per_activity_kg / 20  # per activity, splitting looked 20x better
    assert b.carbon_per_kloc_kg >= a.carbon_per_kloc_kg  # per kloc it is no better
