"""The project's users (Appwrite's User model): the ``_users`` system table and the only SQL that touches it."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..errors import AppwriteError
from .database import Database, Writer
from .ids import new_unique_id
from .timestamps import now_iso

USERS_DDL = (
    "CREATE TABLE IF NOT EXISTS _users (id TEXT PRIMARY KEY, email TEXT, name TEXT NOT NULL DEFAULT '', "
    "phone TEXT NOT NULL DEFAULT '', labels TEXT NOT NULL DEFAULT '[]', "
    "email_verification INTEGER NOT NULL DEFAULT 0, status INTEGER NOT NULL DEFAULT 1, "
    "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS _users_email ON _users(email)",
)


def user_not_found() -> AppwriteError:
    return AppwriteError(404, "user_not_found", "User with the requested ID could not be found.")


def _user_already_exists() -> AppwriteError:
    return AppwriteError(
        409, "user_already_exists", "A user with the same id, email, or phone already exists in this project."
    )


def _user_json(record: sqlite3.Row) -> dict[str, Any]:
    return {
        "$id": record["id"],
        "$createdAt": record["created_at"],
        "$updatedAt": record["updated_at"],
        "name": record["name"],
        "registration": record["created_at"],
        "status": bool(record["status"]),
        "labels": json.loads(record["labels"]),
        "passwordUpdate": "",
        "email": record["email"] or "",
        "phone": record["phone"],
        "emailVerification": bool(record["email_verification"]),
        "phoneVerification": False,
        "mfa": False,
        "prefs": {},
        "targets": [],
        "accessedAt": record["updated_at"],
    }


class Users:
    def __init__(self, db: Database) -> None:
        self._db = db
        db.ensure(USERS_DDL)

    def get(self, user_id: str) -> dict[str, Any] | None:
        """The User JSON, or None."""

        def read(w: Writer) -> dict[str, Any] | None:
            record = w.conn.execute("SELECT * FROM _users WHERE id = ?", (user_id,)).fetchone()
            return None if record is None else _user_json(record)

        return self._db.read(read)

    def create(self, user_id: str, email: str | None = None, name: str = "") -> dict[str, Any]:
        """Create a user (``unique()`` allowed). 409 ``user_already_exists`` on a taken id or email."""
        if user_id == "unique()":
            user_id = new_unique_id()
        stamp = now_iso()

        def write(w: Writer) -> dict[str, Any]:
            conn = w.conn
            if conn.execute("SELECT 1 FROM _users WHERE id = ?", (user_id,)).fetchone():
                raise _user_already_exists()
            if email and conn.execute("SELECT 1 FROM _users WHERE email = ?", (email,)).fetchone():
                raise _user_already_exists()
            conn.execute(
                "INSERT INTO _users(id, email, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, email or None, name, stamp, stamp),
            )
            return _user_json(conn.execute("SELECT * FROM _users WHERE id = ?", (user_id,)).fetchone())

        return self._db.write(write)

    def clear(self) -> None:
        """Delete every user (the test harness's reset)."""
        self._db.write(lambda w: w.conn.execute("DELETE FROM _users"))
