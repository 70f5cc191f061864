"""Who may start a backfill of what: a signed-in user for what their linked GitHub account can read (their token
proves it and is used for the checks only), an operator for any repository or organisation."""

from __future__ import annotations

import json

import pytest

from ecotrace.errors import ForbiddenError, UnauthorizedError, ValidationError
from ecotrace.services.backfill.start import Requester
from tests.fakes.github_api import FakeGitHub
from tests.fakes.memory_store import MemoryStore
from tests.integration.backfill.bf_helpers import OTHER, OTHER_ID, REPO, populate, run_to_end, wire
from tests.unit.webhook.wh_helpers import FakeClock

ALICE_TOKEN = "gho_alice0123456789"


@pytest.fixture
def linked(store: MemoryStore, github: FakeGitHub) -> None:
    """Alice signed up: her users row carries her Appwrite account, and GitHub knows her token."""
    github.add_user(ALICE_TOKEN, 1001, "alice")
    store.seed("users", "gh_1001", {"github_id": "1001", "username": "alice", "account_id": "acct-alice"})


def _start(wired, **body):  # type: ignore[no-untyped-def]
    request = {"action": "backfill", "include_commits": False, **body}
    return wired.starter.start(request, Requester("user", "acct-alice"))


@pytest.mark.usefixtures("linked")
def test_a_user_backfills_what_their_github_account_can_read(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    populate(github, clock.now, runs=2, jobs_per_run=1)
    populate(github, clock.now, repo=OTHER, repo_id=OTHER_ID, runs=1, jobs_per_run=1, first_run_id=800_000)
    github.hide(OTHER, ALICE_TOKEN)  # private, and Alice is not a member (the deployment's token could read it)
    wired = wire(store, github, clock)
    answer = _start(wired, repositories=[REPO, OTHER], github_token=ALICE_TOKEN)
    backfill_id = answer["backfill"]["id"]
    run_to_end(wired, backfill_id, clock)

    row = store.get("backfills", backfill_id)
    assert row is not None
    repos = {entry["repo"]: entry for entry in json.loads(row["repos"])}
    assert repos[REPO]["status"] == "done"
    assert repos[OTHER]["status"] == "no_access"
    assert "your GitHub account cannot read" in repos[OTHER]["error"]["message"]
    assert row["jobs_imported"] == 2  # nothing of the repository she cannot read
    assert (row["user_id"], row["account_id"], row["requested_by"]) == ("gh_1001", "acct-alice", "user")
    assert row["$permissions"] == ['read("user:acct-alice")']  # her dashboard can subscribe to it
    assert answer["channel"] == f"databases.ecotrace-main.tables.backfills.rows.{backfill_id}"
    imports = [r for r in github.requests if "/actions/" in r.path]
    assert all(r.headers["authorization"] == f"Bearer {github.token}" for r in imports)  # her token: checks only
    assert ALICE_TOKEN not in json.dumps(store.tables)


@pytest.mark.usefixtures("linked")
def test_an_organisation_backfill_covers_the_repositories_the_user_sees(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    populate(github, clock.now, runs=1, jobs_per_run=1)
    populate(github, clock.now, repo=OTHER, repo_id=OTHER_ID, runs=1, jobs_per_run=1, first_run_id=800_000)
    github.hide(OTHER, ALICE_TOKEN)
    wired = wire(store, github, clock)
    answer = _start(wired, organization="octo-org", github_token=ALICE_TOKEN)
    assert [entry["repo"] for entry in answer["backfill"]["repos"]] == [REPO]


def test_a_user_must_have_linked_their_github_account(store: MemoryStore, github: FakeGitHub, clock: FakeClock) -> None:
    github.add_user(ALICE_TOKEN, 1001, "alice")
    wired = wire(store, github, clock)
    with pytest.raises(ForbiddenError, match="link your GitHub account"):
        _start(wired, repositories=[REPO], github_token=ALICE_TOKEN)


@pytest.mark.usefixtures("linked")
def test_the_token_must_be_the_linked_accounts(store: MemoryStore, github: FakeGitHub, clock: FakeClock) -> None:
    github.add_user("gho_mallory", 666, "mallory")
    wired = wire(store, github, clock)
    with pytest.raises(ForbiddenError, match="mallory"):
        _start(wired, repositories=[REPO], github_token="gho_mallory")
    with pytest.raises(UnauthorizedError):
        _start(wired, repositories=[REPO], github_token="gho_unknown")
    with pytest.raises(ValidationError, match="github_token"):
        _start(wired, repositories=[REPO])
    assert store.rows("backfills") == []


@pytest.mark.parametrize(
    "body",
    [
        {"repositories": ["not a repo"]},
        {"repositories": [REPO], "organization": "octo-org"},
        {},
        {"repositories": [REPO], "days": 0},
        {"repositories": [REPO], "days": 401},
        {"repositories": [REPO], "surprise": 1},
        {"repositories": [f"o/r{i}" for i in range(51)]},
    ],
)
def test_bad_requests_are_refused_before_anything_is_asked(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock, body: dict
) -> None:
    wired = wire(store, github, clock)
    with pytest.raises(ValidationError):
        wired.starter.start({"action": "backfill", **body}, Requester("operator"))
    assert github.requests == []
    assert store.rows("backfills") == []


def test_the_same_request_the_same_day_is_the_same_backfill(
    store: MemoryStore, github: FakeGitHub, clock: FakeClock
) -> None:
    populate(github, clock.now, runs=1, jobs_per_run=1)
    wired = wire(store, github, clock)
    first = wired.starter.start({"action": "backfill", "repositories": [REPO]}, Requester("operator"))
    again = wired.starter.start({"action": "backfill", "repositories": [REPO.upper()]}, Requester("operator"))
    assert again["already_started"] is True
    assert again["backfill"]["id"] == first["backfill"]["id"]
    assert len(store.rows("backfills")) == 1
