"""The project's users (Appwrite's User model): the ``_users`` system table and the only SQL that touches it.

A user may hold a password hash (``passwords.py``; never part of the JSON) and preferences. Sessions, identities
and tokens are ``sessions.py``'s; the account rules that combine both are ``accounts.py``'s.
"""

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
# Columns added after the first release: applied to an existing data file on start.
LATER_COLUMNS = {
    "password_hash": "ALTER TABLE _users ADD COLUMN password_hash TEXT",
    "password_update": "ALTER TABLE _users ADD COLUMN password_update TEXT NOT NULL DEFAULT ''",
    "prefs": "ALTER TABLE _users ADD COLUMN prefs TEXT NOT NULL DEFAULT '{}'",
}
MAX_PAGE = 5000


def user_not_found() -> AppwriteError:
    return AppwriteError(404, "user_not_found", "User with the requested ID could not be found.")


def user_already_exists() -> AppwriteError:
    return AppwriteError(
        409, "user_already_exists", "A user with the same id, email, or phone already exists in this project."
    )


def _user_json(record: sqlite3.Row) -> dict[str, Any]:
    email = record["email"] or ""
    return {
        "$id": record["id"],
        "$createdAt": record["created_at"],
        "$updatedAt": record["updated_at"],
        "name": record["name"],
        "registration": record["created_at"],
        "status": bool(record["status"]),
        "labels": json.loads(record["labels"]),
        "passwordUpdate": record["password_update"],
        "email": email,
        "phone": record["phone"],
        "emailVerification": bool(record["email_verification"]),
        "emailCanonical": email.lower() or None,
        "phoneVerification": False,
        "mfa": False,
        "prefs": json.loads(record["prefs"]) or {},
        "targets": [],
        "accessedAt": record["updated_at"],
    }


class Users:
    def __init__(self, db: Database) -> None:
        self._db = db
        db.ensure(USERS_DDL)
        present = {str(r[1]) for r in db.read(lambda w: w.conn.execute("PRAGMA table_info(_users)").fetchall())}
        missing = [ddl for column, ddl in LATER_COLUMNS.items() if column not in present]
        if missing:
            db.ensure(missing)

    def get(self, user_id: str) -> dict[str, Any] | None:
        """The User JSON, or None."""

        def read(w: Writer) -> dict[str, Any] | None:
            record = w.conn.execute("SELECT * FROM _users WHERE id = ?", (user_id,)).fetchone()
            return None if record is None else _user_json(record)

        return self._db.read(read)

    def find_by_email(self, email: str) -> tuple[dict[str, Any], str | None] | None:
        """The user whose e-mail is ``email`` (case-insensitive) and its password hash, or None."""

        def read(w: Writer) -> tuple[dict[str, Any], str | None] | None:
            record = w.conn.execute("SELECT * FROM _users WHERE lower(email) = lower(?)", (email,)).fetchone()
            return None if record is None else (_user_json(record), record["password_hash"])

        return self._db.read(read)

    def create(
        self,
        user_id: str,
        email: str | None = None,
        name: str = "",
        *,
        password_hash: str | None = None,
        email_verified: bool = False,
    ) -> dict[str, Any]:
        """Create a user (``unique()`` allowed). 409 ``user_already_exists`` on a taken id or email."""
        if user_id == "unique()":
            user_id = new_unique_id()
        stamp = now_iso()

        def write(w: Writer) -> dict[str, Any]:
            conn = w.conn
            if conn.execute("SELECT 1 FROM _users WHERE id = ?", (user_id,)).fetchone():
                raise user_already_exists()
            if email and conn.execute("SELECT 1 FROM _users WHERE lower(email) = lower(?)", (email,)).fetchone():
                raise user_already_exists()
            conn.execute(
                "INSERT INTO _users(id, email, name, email_verification, password_hash, password_update, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (user_id, email or None, name, int(email_verified), password_hash,
                 stamp if password_hash else "", stamp, stamp),
            )  # fmt: skip
            return _user_json(conn.execute("SELECT * FROM _users WHERE id = ?", (user_id,)).fetchone())

        return self._db.write(write)

    def update_prefs(self, user_id: str, prefs: dict[str, Any]) -> dict[str, Any]:
        """Replace the user's preferences; the updated User JSON. 404 if there is no such user."""
        stamp = now_iso()

        def write(w: Writer) -> dict[str, Any]:
            changed = w.conn.execute(
                "UPDATE _users SET prefs = ?, updated_at = ? WHERE id = ?", (json.dumps(prefs), stamp, user_id)
            ).rowcount
            if not changed:
                raise user_not_found()
            return _user_json(w.conn.execute("SELECT * FROM _users WHERE id = ?", (user_id,)).fetchone())

        return self._db.write(write)

    def page(self, limit: int = 25, offset: int = 0, search: str = "") -> tuple[int, list[dict[str, Any]]]:
        """``(total, users)``: users oldest first, ``search`` matching id, e-mail or name (substring)."""
        where, params = "", []
        if search:
            where = "WHERE id LIKE ? OR email LIKE ? OR name LIKE ?"
            params = [f"%{search}%"] * 3

        def read(w: Writer) -> tuple[int, list[dict[str, Any]]]:
            total = int(w.conn.execute(f"SELECT COUNT(*) FROM _users {where}", params).fetchone()[0])  # noqa: S608
            records = w.conn.execute(
                f"SELECT * FROM _users {where} ORDER BY created_at, id LIMIT ? OFFSET ?",  # noqa: S608
                [*params, max(0, min(limit, MAX_PAGE)), max(0, offset)],
            ).fetchall()
            return total, [_user_json(r) for r in records]

        return self._db.read(read)

    def clear(self) -> None:
        """Delete every user (the test harness's reset)."""
        self._db.write(lambda w: w.conn.execute("DELETE FROM _users"))
