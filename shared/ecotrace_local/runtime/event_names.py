"""Event names and realtime channels for a row write, as Appwrite 1.9.6 generates them.

Appwrite (``src/Appwrite/Event/Event.php`` ``generateEvents``, server 1.9.6) expands one row event into every
combination of its ids with ``*`` wildcards, at four levels (row + action, row, table, database), and mirrors each
name to the legacy ``databases.D.collections.T.documents`` form and, for a database created through TablesDB, to
``tablesdb.D.tables.T.rows``. The result for a TablesDB database has 64 names, for a legacy one 42; the exact
order (the first name is what ``x-appwrite-event`` carries) is pinned by a unit test against the list in
``appwrite-row-events.json`` of the reference notes.

Realtime channels (``Messaging/Adapter/Realtime.php``): 16 per row write.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

# create -> create; update, increment, decrement -> update; upsert -> upsert; delete -> delete.
ACTION_EVENT = {
    "create": "create",
    "update": "update",
    "increment": "update",
    "decrement": "update",
    "upsert": "upsert",
    "delete": "delete",
}


# Appwrite walks the event's parameter keys in the order they were set. A row create sets (database, table, row);
# update, upsert and delete set one more key between database and table (None here: wildcarding it changes no
# name). That order decides the order of the wildcard variants, hence which name comes where.
_CREATE_KEYS: tuple[int | None, ...] = (0, 1, 2)
_OTHER_KEYS: tuple[int | None, ...] = (0, None, 1, 2)


def _wildcard_sets(keys: Sequence[int | None]) -> list[frozenset[int]]:
    """Which id positions (0 database, 1 table, 2 row) become ``*``, in Appwrite's order.

    Order: none, all, then for every ordered triple of keys (a, b, c) with c differing from a and b:
    {c}, {c, b}, {b}. Duplicates are dropped later, after restricting to the positions a level has."""
    real = frozenset(k for k in keys if k is not None)
    sets: list[frozenset[int]] = [frozenset(), real]
    for a in keys:
        for b in keys:
            for c in keys:
                if c in (a, b):
                    continue
                sets.extend(frozenset(k for k in group if k is not None) for group in ((c,), (c, b), (b,)))
    return sets


_TABLESDB = "tablesdb"
_COLLECTIONS = "collections"
_TABLES = "tables"


def _form(style: str, ids: Sequence[str]) -> str:
    """One name in one style for a level given by the number of ids (3 row, 2 table, 1 database)."""
    head = "tablesdb" if style == _TABLESDB else "databases"
    container, item = ("collections", "documents") if style == _COLLECTIONS else ("tables", "rows")
    name = f"{head}.{ids[0]}"
    if len(ids) >= 2:
        name += f".{container}.{ids[1]}"
    if len(ids) == 3:
        name += f".{item}.{ids[2]}"
    return name


def _generate(database_id: str, table_id: str, row_id: str, verb: str, tablesdb: bool) -> list[str]:
    keys = _CREATE_KEYS if verb == "create" else _OTHER_KEYS
    styles: tuple[str, ...]
    if tablesdb:
        styles = (_TABLESDB, _COLLECTIONS, _TABLES)
    else:
        styles = (_COLLECTIONS, _TABLES) if verb == "create" else (_TABLES, _COLLECTIONS)
    ids = (database_id, table_id, row_id)
    names: list[str] = []
    seen: set[str] = set()
    for level, suffix in ((3, f".{verb}"), (3, ""), (2, ""), (1, "")):
        for wild in _wildcard_sets(keys):
            concrete = [("*" if i in wild else ids[i]) for i in range(level)]
            for style in styles:
                name = _form(style, concrete) + suffix
                if name not in seen:
                    seen.add(name)
                    names.append(name)
    return names


# Placeholders no id can contain (ids are [A-Za-z0-9._-]): the expansion is done once per action and style, then
# every write only substitutes its ids (about 1.5 ms per write down to a few microseconds).
_DB, _TB, _ROW = "\x00", "\x01", "\x02"


@functools.lru_cache(maxsize=32)
def _template(verb: str, tablesdb: bool) -> tuple[str, ...]:
    return tuple(_generate(_DB, _TB, _ROW, verb, tablesdb))


def row_event_names(database_id: str, table_id: str, row_id: str, action: str, *, tablesdb: bool = True) -> list[str]:
    """All event names of one row write, in Appwrite's order, without duplicates."""
    verb = ACTION_EVENT.get(action, action)
    names: list[str] = []
    seen: set[str] = set()
    for template in _template(verb, tablesdb):
        name = template.replace(_DB, database_id).replace(_TB, table_id).replace(_ROW, row_id)
        if name not in seen:  # ids that equal each other can make two templates one name
            seen.add(name)
            names.append(name)
    return names


def row_channels(database_id: str, table_id: str, row_id: str, action: str) -> list[str]:
    """The 16 realtime channels a row write is published on (8 bases, each also with ``.<action>``)."""
    verb = ACTION_EVENT.get(action, action)
    bases = [
        "documents",
        f"databases.{database_id}.collections.{table_id}.documents",
        f"databases.{database_id}.collections.{table_id}.documents.{row_id}",
        "rows",
        f"databases.{database_id}.tables.{table_id}.rows",
        f"databases.{database_id}.tables.{table_id}.rows.{row_id}",
        f"tablesdb.{database_id}.tables.{table_id}.rows",
        f"tablesdb.{database_id}.tables.{table_id}.rows.{row_id}",
    ]
    return bases + [f"{base}.{verb}" for base in bases]


def execution_event_names(function_id: str, execution_id: str, action: str) -> list[str]:
    """Names of an execution event (``functions.F.executions.E.<action>`` with wildcards and parents)."""
    names: list[str] = []
    for fn in (function_id, "*"):
        for ex in (execution_id, "*"):
            names.append(f"functions.{fn}.executions.{ex}.{action}")
    for fn in (function_id, "*"):
        for ex in (execution_id, "*"):
            names.append(f"functions.{fn}.executions.{ex}")
    names.extend([f"functions.{function_id}", "functions.*"])
    return names


def execution_channels(function_id: str, execution_id: str) -> list[str]:
    return ["executions", f"executions.{execution_id}", f"functions.{function_id}"]
