"""Finding and erasing one person inside GitHub payloads, leaving everyone else as they were."""

from __future__ import annotations

import copy
import json
from typing import Any

from ecotrace.domain.personal_data import ERASED, Person, erase, find
from tests.unit.webhook.wh_helpers import payload

ADA = {"login": "ada-l", "id": 7001, "node_id": "U_ada", "avatar_url": "https://avatars/u/7001", "type": "User"}
BOB = {"login": "bobby", "id": 7002, "node_id": "U_bob", "avatar_url": "https://avatars/u/7002", "type": "User"}


def push_by_bob_with_a_commit_by_ada() -> dict[str, Any]:
    data = payload("push/with-new-branch.payload.json")
    data["sender"] = copy.deepcopy(BOB)
    data["pusher"] = {"name": "bobby", "email": "bob@example.org"}
    data["repository"]["owner"] = {**copy.deepcopy(BOB)}
    data["repository"]["full_name"] = "bobby/tools"
    commit = data["commits"][0]
    commit["author"] = {"name": "Ada Lovelace", "email": "ada@example.org", "username": "ada-l"}
    commit["committer"] = {"name": "Bob B", "email": "bob@example.org", "username": "bobby"}
    commit["message"] = "Fix the loom\n\nCo-authored-by: Ada Lovelace <ada@example.org>\nThanks @ada-l"
    data["head_commit"] = copy.deepcopy(commit)
    return data


def text(data: Any) -> str:
    return json.dumps(data).lower()


def test_a_commit_author_is_found_by_login_and_taught_her_email_and_name() -> None:
    data = push_by_bob_with_a_commit_by_ada()
    found = find(data, Person.of([7001], ["ada-l"]))
    assert "ada@example.org" in found.person.emails
    assert "Ada Lovelace" in found.person.names
    paths = {place["path"] for place in found.places}
    assert {"commits[0].author", "head_commit.author", "commits[0].message"} <= paths
    assert "sender" not in paths
    assert "pusher" not in paths


def test_erasing_her_leaves_no_trace_of_her_and_everything_of_bob() -> None:
    data = push_by_bob_with_a_commit_by_ada()
    erased, _, changed = erase(data, Person.of([7001], ["ada-l"]))
    assert changed
    out = text(erased)
    for trace in ("ada-l", "ada@example.org", "ada lovelace", "7001"):
        assert trace not in out, trace
    assert erased["commits"][0]["author"] == {"name": ERASED, "email": ERASED, "username": ERASED}
    assert erased["sender"] == BOB
    assert erased["repository"]["full_name"] == "bobby/tools"
    assert erased["commits"][0]["committer"]["email"] == "bob@example.org"
    assert erased["commits"][0]["message"].startswith("Fix the loom")
    assert erased["commits"][0]["id"] == data["commits"][0]["id"]  # the work itself stays countable


def test_a_renamed_account_is_found_by_its_id_and_its_old_login_learnt() -> None:
    data = push_by_bob_with_a_commit_by_ada()
    data["sender"] = {**ADA, "login": "ada-old"}
    data["commits"][0]["author"]["username"] = "ada-old"
    erased, learnt, changed = erase(data, Person.of([7001], ["ada-l"]))
    assert changed
    assert "ada-old" in learnt.logins
    assert "ada-old" not in text(erased)
    assert erased["sender"]["id"] == 0
    assert erased["sender"]["login"] == ERASED


def test_a_payload_that_does_not_name_her_is_unchanged() -> None:
    data = payload("pull_request/opened.payload.json")
    before = copy.deepcopy(data)
    erased, _, changed = erase(data, Person.of([7001], ["ada-l"], ["ada@example.org"]))
    assert not changed
    assert erased == before
    assert not find(data, Person.of([7001], ["ada-l"])).names_them


def test_short_logins_are_matched_as_whole_values_only() -> None:
    data = {"sender": {"login": "al", "id": 5}, "title": "al fixed alignment", "assignee": "al"}
    erased, _, _ = erase(data, Person.of([5]))
    assert erased == {"sender": {"login": ERASED, "id": 0}, "title": "al fixed alignment", "assignee": ERASED}
