"""A person's data inside a GitHub delivery payload: find it (for their export) and take it out (for their
erasure). Pure: no I/O.

Who :class:`Person` is: their GitHub ids, logins, e-mail addresses and names. A payload names them through

- account objects (``sender``, ``pull_request.user``, ``repository.owner``, ``workflow_run.actor`` ...: an
  object with a ``login`` and an ``id``) whose id or login is theirs; such an object also teaches the walk their
  login (a renamed account keeps its id);
- commit people (``commits[].author`` / ``committer``, ``head_commit.*``: ``name``, ``email``, ``username``)
  whose username or e-mail is theirs, and the ``pusher`` (``name`` is the login); these teach their e-mail and
  name as written in the commit;
- text: their e-mail addresses anywhere (``Co-authored-by:`` trailers), their names as written in their commits,
  and their login as a word (``@ada``, ``ada/project``, ``https://github.com/ada``; logins of 3+ characters).

Taking it out replaces every string of such an object with ``[erased]`` and every number with 0 (so the payload
still reads as GitHub's shape), and those words in text with ``[erased]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

ERASED = "[erased]"
MIN_LOGIN_WORD = 3  # shorter logins are matched as whole values only: as words they would hit ordinary text
MIN_NAME_CHARS = 4
MAX_FRAGMENT = 500  # characters of a matched text an export quotes
KEEP = frozenset({"type", "user_view_type", "site_admin", "date"})  # not about who: kept


@dataclass(frozen=True)
class Person:
    github_ids: frozenset[int] = frozenset()
    logins: frozenset[str] = frozenset()  # lower case
    emails: frozenset[str] = frozenset()  # lower case
    names: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        github_ids: Iterable[int | str | None] = (),
        logins: Iterable[str | None] = (),
        emails: Iterable[str | None] = (),
        names: Iterable[str | None] = (),
    ) -> Person:
        ids = frozenset(int(i) for i in github_ids if i is not None and str(i).isdigit() and int(i) > 0)
        return cls(
            ids,
            frozenset(x.strip().lower() for x in logins if x and x.strip()),
            frozenset(x.strip().lower() for x in emails if x and "@" in x),
            frozenset(x.strip() for x in names if x and len(x.strip()) >= MIN_NAME_CHARS),
        )

    def with_(self, logins: Iterable[str] = (), emails: Iterable[str] = (), names: Iterable[str] = ()) -> Person:
        more = Person.of((), logins, emails, names)
        return Person(self.github_ids, self.logins | more.logins, self.emails | more.emails, self.names | more.names)

    @property
    def empty(self) -> bool:
        return not (self.github_ids or self.logins or self.emails)


@dataclass
class Found:
    """Where a payload names the person (``path`` like ``commits[0].author``) and what is there."""

    person: Person
    places: list[dict[str, Any]] = field(default_factory=list)

    @property
    def names_them(self) -> bool:
        return bool(self.places)


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any, str | None]]:
    """(path, value, key) of every object and string, depth first."""
    if isinstance(value, dict):
        yield path, value, path.rsplit(".", 1)[-1] if path else None
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value, None


def _account(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("login"), str) and isinstance(obj.get("id"), int)


def _commit_person(obj: dict[str, Any], key: str | None) -> bool:
    return not _account(obj) and (key == "pusher" or "email" in obj or "username" in obj) and "name" in obj


def _lower(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _is_theirs(obj: dict[str, Any], key: str | None, person: Person) -> bool:
    if _account(obj):
        return obj["id"] in person.github_ids or _lower(obj["login"]) in person.logins
    if _commit_person(obj, key):
        names = _lower(obj.get("username")) in person.logins or _lower(obj.get("email")) in person.emails
        return names or (key == "pusher" and _lower(obj.get("name")) in person.logins)
    return False


def learn(payload: Any, person: Person) -> Person:
    """The person as this payload shows them: logins of their accounts (by id), then e-mails and names of their
    commit people."""
    logins = [
        str(obj["login"])
        for _, obj, _ in _walk(payload)
        if isinstance(obj, dict) and _account(obj) and obj["id"] in person.github_ids
    ]
    person = person.with_(logins=logins)
    emails: list[str] = []
    names: list[str] = []
    for _, obj, key in _walk(payload):
        if isinstance(obj, dict) and _commit_person(obj, key) and _is_theirs(obj, key, person):
            emails.append(str(obj.get("email") or ""))
            names.append(str(obj.get("name") or ""))
    return person.with_(emails=emails, names=names)


def _text_pattern(person: Person) -> re.Pattern[str] | None:
    parts = [re.escape(e) for e in sorted(person.emails, key=len, reverse=True)]
    parts += [re.escape(n) for n in sorted(person.names, key=len, reverse=True)]
    words = [login for login in person.logins if len(login) >= MIN_LOGIN_WORD]
    if words:
        parts.append(
            r"(?<![A-Za-z0-9-])(?:"
            + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
            + r")(?![A-Za-z0-9-])"
        )
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def find(payload: Any, person: Person) -> Found:
    """Every place the payload names the person (objects whole, texts as fragments)."""
    person = learn(payload, person)
    found = Found(person)
    pattern = _text_pattern(person)
    inside: list[str] = []  # paths of objects already reported: their strings are not reported again
    for path, value, key in _walk(payload):
        if isinstance(value, dict):
            if _is_theirs(value, key, person):
                found.places.append({"path": path or "$", "value": value})
                inside.append(path)
        elif any(path.startswith(p + ".") for p in inside if p):
            continue
        elif _lower(value) in person.logins or (pattern is not None and pattern.search(value)):
            found.places.append({"path": path, "text": value[:MAX_FRAGMENT]})
    return found


def _erase_object(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in KEEP or isinstance(value, bool) or value is None:
            out[key] = value
        elif isinstance(value, str):
            out[key] = ERASED
        elif isinstance(value, int | float):
            out[key] = 0
        else:
            out[key] = value
    return out


def erase(payload: Any, person: Person) -> tuple[Any, Person, bool]:
    """The payload without the person's data, the person as learnt from it, and whether anything changed."""
    person = learn(payload, person)
    pattern = _text_pattern(person)
    changed = False

    def visit(value: Any, key: str | None) -> Any:
        nonlocal changed
        if isinstance(value, dict):
            if _is_theirs(value, key, person):
                changed = True
                value = _erase_object(value)
            return {k: visit(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [visit(item, key) for item in value]
        if isinstance(value, str) and value != ERASED:
            if _lower(value) in person.logins:
                changed = True
                return ERASED
            if pattern is not None:
                new = pattern.sub(ERASED, value)
                if new != value:
                    changed = True
                return new
        return value

    return visit(payload, None), person, changed


def erase_text(value: str, person: Person) -> str:
    """A text (an activity's title) without the person's login, e-mails or names."""
    if _lower(value) in person.logins:
        return ERASED
    pattern = _text_pattern(person)
    return pattern.sub(ERASED, value) if pattern is not None else value
