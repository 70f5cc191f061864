"""``ecotrace.domain.github`` is a package of small modules; callers import every name from the package."""

from __future__ import annotations

import importlib

import ecotrace.domain.github as github

# Every public name the single-module ``domain/github.py`` had, before it became a package.
NAMES_BEFORE_THE_SPLIT = {
    "MAX_BODY_BYTES", "MAX_PUSH_COMMITS", "MIN_YEAR", "MAX_YEAR", "ESTIMATED_LINES_PER_FILE", "UtcDatetime",
    "GitHubId", "MAX_COUNT", "Count", "Account", "Repository", "Hook", "CommitPerson", "PushCommit", "PushEvent",
    "GitRef", "PullRequest", "PullRequestEvent", "WorkflowJob", "WorkflowJobEvent", "WorkflowRun",
    "WorkflowRunEvent", "Deployment", "DeploymentStatus", "DeploymentStatusEvent", "PingEvent", "DeliveryHeaders",
    "decode_payload", "M", "Outcome", "Actor", "RunLink", "Extraction", "activity_id", "commit_row_id",
    "job_row_id", "run_row_id", "estimate_lines", "PR_ACTIONS", "opens_pull_request", "DEPLOYMENT_STATES",
    "extract",
}  # fmt: skip


def test_every_name_of_the_old_module_is_importable_from_the_package() -> None:
    missing = {name for name in NAMES_BEFORE_THE_SPLIT if not hasattr(github, name)}
    assert not missing
    assert set(github.__all__) >= NAMES_BEFORE_THE_SPLIT


def test_the_names_exported_are_the_objects_their_modules_define() -> None:
    for name in github.__all__:
        value = getattr(github, name)
        home = getattr(value, "__module__", None)
        if isinstance(home, str) and home.startswith("ecotrace.domain.github."):
            assert getattr(importlib.import_module(home), name, value) is value
