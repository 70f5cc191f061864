"""Erase everything EcoTrace stores about a person, by GitHub login or id: for someone who never signed up (and
so cannot call ``delete_my_data`` themselves), or on an operator's behalf.

    .venv/bin/python scripts/erase_person.py --login octocat --dry-run     # what is stored, nothing changed
    .venv/bin/python scripts/erase_person.py --github-id 583231 --yes

The same erasure as the ``delete_my_data`` action (``ecotrace.services.personal_data``): their leaderboard
entries and every aggregate others see, their data inside kept delivery bodies (someone else's delivery keeps
its row, with their data replaced by ``[erased]``), their rows in every per-person table, their ``users`` row
last. It runs in steps until done; stopped part-way, running it again continues. Their Appwrite account (if they
have one) is Appwrite's: delete it in the console. GitHub activity of theirs that arrives later is recorded again.

Connection: ``APPWRITE_ENDPOINT``, ``APPWRITE_PROJECT_ID``, ``APPWRITE_API_KEY`` (a server key with ``rows.read``
and ``rows.write``; default: the local stack's), see ``ecotrace.entrypoints.operator``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from ecotrace.entrypoints.operator import script_settings, script_store
from ecotrace.errors import EcoTraceError
from ecotrace.services.personal_data import PersonalData, Subject, subject_for_github

MAX_STEPS = 10_000


def describe(subject: Subject) -> str:
    person = subject.person
    who = ", ".join(sorted(person.logins)) or "no login"
    ids = ", ".join(str(i) for i in sorted(person.github_ids)) or "no id"
    return f"GitHub {who} ({ids}); users rows: {', '.join(subject.user_ids) or 'none'}"


def dry_run(data: PersonalData, subject: Subject) -> None:
    counts: dict[str, int] = {}
    named = 0
    cursor: object = None
    for _ in range(MAX_STEPS):
        page = data.export(subject, cursor)
        for table, rows in page["tables"].items():
            counts[table] = counts.get(table, 0) + len(rows)
        named += len(page["deliveries"])
        if page["done"]:
            break
        cursor = page["next_cursor"]
    for table, count in sorted(counts.items()):
        print(f"  {table}: {count} rows")
    print(f"  webhook_deliveries naming them: {named}")


def erase(data: PersonalData, subject: Subject) -> dict[str, int]:
    totals: dict[str, int] = {}
    cursor: object = None
    for _ in range(MAX_STEPS):
        page = data.erase(subject, cursor)
        for table, count in page["removed"].items():
            totals[table] = totals.get(table, 0) + count
        for what, count in page["deliveries"].items():
            totals[f"deliveries {what}"] = totals.get(f"deliveries {what}", 0) + count
        if page["done"]:
            return totals
        cursor = page["next_cursor"]
    raise RuntimeError("the erasure did not finish: run the script again to continue")


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Erase a person's data by GitHub login or id.")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--login", help="their GitHub login")
    who.add_argument("--github-id", type=int, help="their numeric GitHub id")
    parser.add_argument("--dry-run", action="store_true", help="count what is stored; change nothing")
    parser.add_argument("--yes", action="store_true", help="erase without asking")
    args = parser.parse_args(argv)
    env = dict(os.environ if env is None else env)
    try:
        settings = script_settings(env)
        store = script_store(settings, env)
        subject = subject_for_github(store, login=args.login, github_id=args.github_id)
        print(describe(subject))
        data = PersonalData(store, budget_s=None)
        if args.dry_run:
            dry_run(data, subject)
            return 0
        if not args.yes and input("erase everything stored about them? [y/N] ").strip().lower() != "y":
            print("nothing changed")
            return 1
        for what, count in sorted(erase(data, subject).items()):
            print(f"  {what}: {count}")
        print("done")
        return 0
    except EcoTraceError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
