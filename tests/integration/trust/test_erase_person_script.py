"""scripts/erase_person.py: an operator erases someone who never signed up, by GitHub login or id."""

from __future__ import annotations

import pytest

from ecotrace_local.testing import StackHandle
from scripts import erase_person
from tests.integration.trust.trust_world import BOB, Person, deliver, everything, push

CAROL = Person(7003, "carol-c", "Carol Coder", "carol@example.org", "acct-carol", "gho_unused0000000000000000")


def env(stack: StackHandle) -> dict[str, str]:
    return {
        "APPWRITE_ENDPOINT": stack.endpoint,
        "APPWRITE_PROJECT_ID": stack.project_id,
        "APPWRITE_API_KEY": stack.api_key,
    }


@pytest.mark.parametrize("who", [["--login", "carol-c"], ["--github-id", "7003"]])
def test_someone_who_never_signed_up_is_erased_and_nobody_else_is_touched(
    stack: StackHandle, who: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert deliver(stack, "push", push(CAROL, [(CAROL, "f1" * 20, "Carol's first")]), "d-carol").status_code == 200
    bobs = push(BOB, [(BOB, "f2" * 20, "mine"), (CAROL, "f3" * 20, "hers, pushed by Bob")])
    assert deliver(stack, "push", bobs, "d-bob").status_code == 200
    bob_before = sorted(r["$id"] for r in everything(stack)["activities"] if r["user_id"] == BOB.user_id)

    assert erase_person.main([*who, "--dry-run"], env=env(stack)) == 0
    dry = capsys.readouterr().out
    assert "users rows: gh_7003" in dry
    assert "activities: 1 rows" in dry
    assert "naming them: 2" in dry
    assert any(r["user_id"] == CAROL.user_id for r in everything(stack)["activities"])  # a dry run changes nothing

    assert erase_person.main([*who, "--yes"], env=env(stack)) == 0
    assert "done" in capsys.readouterr().out
    after = everything(stack)
    text = str(after).lower()
    for trace in ("carol-c", "carol@example.org", "carol coder", "gh_7003"):
        assert trace not in text, trace
    assert sorted(r["$id"] for r in after["activities"] if r["user_id"] == BOB.user_id) == bob_before
