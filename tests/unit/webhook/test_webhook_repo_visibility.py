"""A CI job in a private repository runs on GitHub's smaller private-repository runner: the webhook carries the
repository's visibility to the carbon method, which sizes the runner from it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ecotrace.domain.carbon.calculator import plan_for
from ecotrace.domain.github import extract
from tests.unit.webhook.wh_helpers import payload

JOB = "workflow_job/completed.success.with-organization.payload.json"
RUN = "workflow_run/completed.payload.json"
DEPLOY = "deployment_status/payload.json"


def with_visibility(name: str, private: bool | None) -> dict[str, Any]:
    data = copy.deepcopy(payload(name))
    if private is None:
        data["repository"].pop("private", None)
    else:
        data["repository"]["private"] = private
    return data


@pytest.mark.parametrize("name", [JOB, RUN, DEPLOY])
@pytest.mark.parametrize("private", [True, False])
def test_ci_and_deployment_activities_carry_the_repository_visibility(name: str, private: bool) -> None:
    event = name.split("/")[0]
    [activity, *_] = extract(event, with_visibility(name, private), "d1").activities
    assert activity.details["repo_private"] is private


def test_visibility_left_out_when_the_payload_does_not_say() -> None:
    [activity] = extract("workflow_job", with_visibility(JOB, None), "d1").activities
    assert "repo_private" not in activity.details


def test_a_private_repository_job_is_sized_as_githubs_private_runner() -> None:
    [public] = extract("workflow_job", with_visibility(JOB, False), "d1").activities
    [private] = extract("workflow_job", with_visibility(JOB, True), "d1").activities
    public_profile = plan_for(public).profile
    private_profile = plan_for(private).profile
    assert public_profile is not None
    assert private_profile is not None
    assert private_profile.vcpu < public_profile.vcpu
