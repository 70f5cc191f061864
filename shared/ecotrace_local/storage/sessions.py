"""Account sessions, OAuth2 identities and one-time tokens: the ``_sessions``, ``_identities`` and ``_tokens``
system tables and the only SQL on them (Appwrite 1.9.6, ``app/controllers/api/account.php``; utopia-php/auth).

- A session's secret is 256 hex characters (``Token`` proof, 128 random bytes); only its SHA-256 is stored. The
  client holds ``base64(json {"id": <userId>, "secret": <secret>})`` (:func:`encode_credential`), sent back as the
  cookie ``a_session_<project>``, ``X-Appwrite-Session`` or ``X-Fallback-Cookies``.
- A session lasts the project's session duration (Appwrite's default: one year); an expired session is ignored
  as if it did not exist. A user keeps at most :data:`MAX_SESSIONS`; the oldest go first.
- An identity links a provider account (``github``, its user id) to one user, with its latest access token.
- A token (OAuth2 token flow) is a 64-hex secret, stored hashed, used once, valid for a minute.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .database import Database, Writer
from .ids import new_unique_id
from .timestamps import format_datetime, now_iso

SESSIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS _sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, secret_hash TEXT NOT NULL, "
    "provider TEXT NOT NULL, provider_uid TEXT NOT NULL DEFAULT '', "
    "provider_access_token TEXT NOT NULL DEFAULT '', factors TEXT NOT NULL DEFAULT '[]', "
    "ip TEXT NOT NULL DEFAULT '', expire_at REAL NOT NULL, created_at TEXT NOT NULL, seq INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS _sessions_user ON _sessions(user_id, seq)",
    "CREATE TABLE IF NOT EXISTS _identities (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, provider TEXT NOT NULL, "
    "provider_uid TEXT NOT NULL, provider_email TEXT NOT NULL DEFAULT '', "
    "provider_access_token TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
    "UNIQUE(provider, provider_uid))",
    "CREATE TABLE IF NOT EXISTS _tokens (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, secret_hash TEXT NOT NULL, "
    "provider TEXT NOT NULL, expire_at REAL NOT NULL)",
)
SESSION_SECRET_BYTES = 128  # 256 hex characters (Appwrite TOKEN_LENGTH_SESSION)
TOKEN_SECRET_BYTES = 32  # 64 hex characters (TOKEN_LENGTH_OAUTH2)
TOKEN_TTL_S = 60
MAX_SESSIONS = 10  # APP_LIMIT_USER_SESSIONS_DEFAULT
DEFAULT_SESSION_DURATION_S = 31_536_000  # TOKEN_EXPIRATION_LOGIN_LONG: one year


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def encode_credential(user_id: str, secret: str) -> str:
    """What the client holds for a session (utopia-php/auth ``Store::encode``)."""
    raw = json.dumps({"id": user_id, "secret": secret}, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def decode_credential(value: str) -> tuple[str, str] | None:
    """``(userId, secret)`` from a session credential; None for anything malformed."""
    try:
        data = json.loads(base64.b64decode(value.strip(), validate=False))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    user_id, secret = data.get("id"), data.get("secret")
    if not isinstance(user_id, str) or not isinstance(secret, str) or not user_id or not secret:
        return None
    return user_id, secret


@dataclass(frozen=True)
class NewSession:
    """A session just created: its JSON (as its owner sees it, ``current``) and the credential to hand out."""

    session: dict[str, Any]
    credential: str
    expire_at: float


def _session_json(record: sqlite3.Row, current_id: str | None) -> dict[str, Any]:
    expire = format_datetime(datetime.fromtimestamp(record["expire_at"], UTC))
    return {
        "$id": record["id"],
        "$createdAt": record["created_at"],
        "$updatedAt": record["created_at"],
        "userId": record["user_id"],
        "expire": expire,
        "provider": record["provider"],
        "providerUid": record["provider_uid"],
        "providerAccessToken": record["provider_access_token"],
        "providerAccessTokenExpiry": "",
        "providerRefreshToken": "",
        "ip": record["ip"],
        "osCode": "",
        "osName": "",
        "osVersion": "",
        "clientType": "",
        "clientCode": "",
        "clientName": "",
        "clientVersion": "",
        "clientEngine": "",
        "clientEngineVersion": "",
        "deviceName": "",
        "deviceBrand": "",
        "deviceModel": "",
        "countryCode": "--",
        "countryName": "Unknown",
        "current": record["id"] == current_id,
        "factors": json.loads(record["factors"]),
        "secret": "",  # a sensitive field: Appwrite shows it to API keys only, and the client has it already
        "mfaUpdatedAt": "",
    }


def _identity_json(record: sqlite3.Row) -> dict[str, Any]:
    return {
        "$id": record["id"],
        "$createdAt": record["created_at"],
        "$updatedAt": record["updated_at"],
        "userId": record["user_id"],
        "provider": record["provider"],
        "providerUid": record["provider_uid"],
        "providerEmail": record["provider_email"],
        "providerAccessToken": record["provider_access_token"],
        "providerAccessTokenExpiry": "",
        "providerRefreshToken": "",
        "providerIdToken": "",
    }


class Sessions:
    def __init__(self, db: Database, duration_s: int = DEFAULT_SESSION_DURATION_S) -> None:
        self._db = db
        self.duration_s = duration_s
        db.ensure(SESSIONS_DDL)

    # ---- sessions

    def create(
        self,
        user_id: str,
        *,
        provider: str,
        provider_uid: str = "",
        provider_access_token: str = "",
        factors: tuple[str, ...] = (),
        ip: str = "",
    ) -> NewSession:
        """A new session for ``user_id``; the user's oldest sessions beyond :data:`MAX_SESSIONS` are deleted."""
        session_id = new_unique_id()
        secret = secrets.token_hex(SESSION_SECRET_BYTES)
        expire_at = time.time() + self.duration_s
        stamp = now_iso()

        def write(w: Writer) -> dict[str, Any]:
            conn = w.conn
            seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM _sessions").fetchone()[0])
            conn.execute(
                "INSERT INTO _sessions(id, user_id, secret_hash, provider, provider_uid, provider_access_token, "
                "factors, ip, expire_at, created_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, user_id, _hash(secret), provider, provider_uid, provider_access_token,
                 json.dumps(list(factors)), ip, expire_at, stamp, seq),
            )  # fmt: skip
            conn.execute(
                "DELETE FROM _sessions WHERE user_id = ? AND id NOT IN "
                "(SELECT id FROM _sessions WHERE user_id = ? ORDER BY seq DESC LIMIT ?)",
                (user_id, user_id, MAX_SESSIONS),
            )
            record = conn.execute("SELECT * FROM _sessions WHERE id = ?", (session_id,)).fetchone()
            return _session_json(record, session_id)

        session = self._db.write(write)
        return NewSession(session, encode_credential(user_id, secret), expire_at)

    def verify(self, credential: str) -> tuple[str, str] | None:
        """``(userId, sessionId)`` of the live session a credential names; None if malformed, unknown or expired."""
        decoded = decode_credential(credential)
        if decoded is None:
            return None
        user_id, secret = decoded
        record = self._db.read(
            lambda w: w.conn.execute(
                "SELECT id FROM _sessions WHERE user_id = ? AND secret_hash = ? AND expire_at > ?",
                (user_id, _hash(secret), time.time()),
            ).fetchone()
        )
        return None if record is None else (user_id, str(record["id"]))

    def is_active(self, user_id: str, session_id: str) -> bool:
        record = self._db.read(
            lambda w: w.conn.execute(
                "SELECT 1 FROM _sessions WHERE id = ? AND user_id = ? AND expire_at > ?",
                (session_id, user_id, time.time()),
            ).fetchone()
        )
        return record is not None

    def get(self, user_id: str, session_id: str, current_id: str | None) -> dict[str, Any] | None:
        record = self._db.read(
            lambda w: w.conn.execute(
                "SELECT * FROM _sessions WHERE id = ? AND user_id = ? AND expire_at > ?",
                (session_id, user_id, time.time()),
            ).fetchone()
        )
        return None if record is None else _session_json(record, current_id)

    def of_user(self, user_id: str, current_id: str | None) -> list[dict[str, Any]]:
        records = self._db.read(
            lambda w: w.conn.execute(
                "SELECT * FROM _sessions WHERE user_id = ? AND expire_at > ? ORDER BY seq", (user_id, time.time())
            ).fetchall()
        )
        return [_session_json(r, current_id) for r in records]

    def delete(self, user_id: str, session_id: str) -> bool:
        """Delete one of the user's sessions; False if it had no such session."""
        count = self._db.write(
            lambda w: (
                w.conn.execute("DELETE FROM _sessions WHERE id = ? AND user_id = ?", (session_id, user_id)).rowcount
            )
        )
        return bool(count)

    def delete_all(self, user_id: str) -> int:
        count = self._db.write(lambda w: w.conn.execute("DELETE FROM _sessions WHERE user_id = ?", (user_id,)).rowcount)
        return int(count)

    # ---- identities

    def identity_owner(self, provider: str, provider_uid: str) -> str | None:
        record = self._db.read(
            lambda w: w.conn.execute(
                "SELECT user_id FROM _identities WHERE provider = ? AND provider_uid = ?", (provider, provider_uid)
            ).fetchone()
        )
        return None if record is None else str(record["user_id"])

    def save_identity(self, user_id: str, provider: str, provider_uid: str, email: str, access_token: str) -> None:
        """Create the identity, or refresh its e-mail and access token (it stays with the user who has it)."""
        stamp = now_iso()

        def write(w: Writer) -> None:
            w.conn.execute(
                "INSERT INTO _identities(id, user_id, provider, provider_uid, provider_email, provider_access_token, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(provider, provider_uid) DO UPDATE "
                "SET provider_email = excluded.provider_email, "
                "provider_access_token = excluded.provider_access_token, updated_at = excluded.updated_at",
                (new_unique_id(), user_id, provider, provider_uid, email, access_token, stamp, stamp),
            )

        self._db.write(write)

    def identities(self, user_id: str) -> list[dict[str, Any]]:
        records = self._db.read(
            lambda w: w.conn.execute(
                "SELECT * FROM _identities WHERE user_id = ? ORDER BY created_at, id", (user_id,)
            ).fetchall()
        )
        return [_identity_json(r) for r in records]

    def identity_token(self, user_id: str, provider: str) -> tuple[str, str] | None:
        """``(providerUid, accessToken)`` of the user's identity with ``provider``."""
        record = self._db.read(
            lambda w: w.conn.execute(
                "SELECT provider_uid, provider_access_token FROM _identities WHERE user_id = ? AND provider = ? "
                "ORDER BY updated_at DESC LIMIT 1",
                (user_id, provider),
            ).fetchone()
        )
        return None if record is None else (str(record[0]), str(record[1]))

    # ---- one-time tokens (OAuth2 token flow)

    def create_token(self, user_id: str, provider: str) -> str:
        """A one-time secret for ``POST /v1/account/sessions/token``, valid for :data:`TOKEN_TTL_S`."""
        secret = secrets.token_hex(TOKEN_SECRET_BYTES)
        self._db.write(
            lambda w: w.conn.execute(
                "INSERT INTO _tokens(id, user_id, secret_hash, provider, expire_at) VALUES (?, ?, ?, ?, ?)",
                (new_unique_id(), user_id, _hash(secret), provider, time.time() + TOKEN_TTL_S),
            )
        )
        return secret

    def consume_token(self, user_id: str, secret: str) -> str | None:
        """The provider of the unexpired token ``secret`` of ``user_id``, deleting it (once only); else None."""

        def write(w: Writer) -> str | None:
            w.conn.execute("DELETE FROM _tokens WHERE expire_at <= ?", (time.time(),))
            record = w.conn.execute(
                "SELECT id, provider FROM _tokens WHERE user_id = ? AND secret_hash = ?", (user_id, _hash(secret))
            ).fetchone()
            if record is None:
                return None
            w.conn.execute("DELETE FROM _tokens WHERE id = ?", (record["id"],))
            return str(record["provider"])

        return self._db.write(write)

    def clear(self) -> None:
        """Forget every session, identity and token (the test harness's reset)."""

        def wipe(w: Writer) -> None:
            for table in ("_sessions", "_identities", "_tokens"):
                w.conn.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names

        self._db.write(wipe)
