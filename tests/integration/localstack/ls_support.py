"""Shared data and helpers for the local stack's integration tests (imported by conftest and the tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from appwrite.services.tables_db import TablesDB

from ecotrace_local.testing import StackHandle

REPO_ROOT = Path(__file__).resolve().parents[3]
DB = "testdb"

NOTES_COLUMNS: list[dict[str, Any]] = [
    {"key": "title", "type": "string", "required": True, "array": False, "size": 10, "default": None},
    {"key": "body", "type": "string", "required": False, "array": False, "size": 200, "default": None},
    {"key": "slug", "type": "string", "required": False, "array": False, "size": 36, "default": None},
    {"key": "count", "type": "integer", "required": False, "array": False, "min": 0, "max": 100, "default": 0},
    {"key": "score", "type": "double", "required": False, "array": False, "min": 0, "default": None},
    {"key": "done", "type": "boolean", "required": False, "array": False, "default": False},
    {"key": "tags", "type": "string", "required": False, "array": True, "size": 20, "default": None},
    {
        "key": "kind",
        "type": "string",
        "required": False,
        "array": False,
        "format": "enum",
        "elements": ["a", "b"],
        "default": None,
    },
    {"key": "due", "type": "datetime", "required": False, "array": False, "default": None},
]

TEST_APPWRITE_JSON: dict[str, Any] = {
    "projectId": "ecotrace",
    "projectName": "EcoTrace test",
    "functions": [],
    "tablesDB": [{"$id": DB, "name": "Test", "enabled": True}],
    "tables": [
        {
            # Users create their own notes; each row carries its own permissions.
            "$id": "notes",
            "$permissions": ['create("users")'],
            "databaseId": DB,
            "name": "Notes",
            "enabled": True,
            "rowSecurity": True,
            "columns": NOTES_COLUMNS,
            "indexes": [
                {"key": "uniq_slug", "type": "unique", "status": "available", "columns": ["slug"], "orders": ["ASC"]},
                {"key": "idx_count", "type": "key", "status": "available", "columns": ["count"], "orders": ["DESC"]},
                {"key": "ft_body", "type": "fulltext", "status": "available", "columns": ["body"], "orders": []},
            ],
        },
        {
            # Readable by signed-in users, written only with a key.
            "$id": "board",
            "$permissions": ['read("users")'],
            "databaseId": DB,
            "name": "Board",
            "enabled": True,
            "rowSecurity": False,
            "columns": [
                {"key": "name", "type": "string", "required": True, "array": False, "size": 50, "default": None},
                {"key": "rank", "type": "integer", "required": False, "array": False, "default": None},
            ],
            "indexes": [],
        },
        {
            # No permissions at all: only API keys can use it.
            "$id": "private",
            "$permissions": [],
            "databaseId": DB,
            "name": "Private",
            "enabled": True,
            "rowSecurity": False,
            "columns": [
                {"key": "name", "type": "string", "required": True, "array": False, "size": 50, "default": None},
            ],
            "indexes": [],
        },
        {
            # Disabled: invisible to users, still usable with a key.
            "$id": "archive",
            "$permissions": ['read("any")', 'create("any")'],
            "databaseId": DB,
            "name": "Archive",
            "enabled": False,
            "rowSecurity": False,
            "columns": [
                {"key": "name", "type": "string", "required": False, "array": False, "size": 50, "default": None},
            ],
            "indexes": [],
        },
    ],
}


def write_root(root: Path, appwrite_json: dict[str, Any] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "appwrite.json").write_text(json.dumps(appwrite_json or TEST_APPWRITE_JSON), encoding="utf-8")
    return root


def note(title: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"title": title, **extra}


def count_rows(stack: StackHandle, table_id: str) -> int:
    return int(TablesDB(stack.client()).list_rows(DB, table_id).total)
