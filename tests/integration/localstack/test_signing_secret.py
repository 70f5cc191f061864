"""The secret that signs user JWTs and execution keys (issue 14, item 4): unless ``ECOTRACE_LOCAL_JWT_SECRET`` is
set, each data directory gets its own random one, kept beside the SQLite file (mode 0600), so a token signed
with a value anyone can read in the source never works, and a private ``ECOTRACE_LOCAL_API_KEY`` is not
undermined by a public signing secret."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import jwt
import pytest
import requests
from appwrite.exception import AppwriteException
from appwrite.services.account import Account
from appwrite.services.tables_db import TablesDB
from appwrite.services.users import Users

from ecotrace_local.storage.credentials import signing_secret
from ecotrace_local.testing import run_stack
from tests.integration.localstack.ls_support import DB, write_root

# What ECOTRACE_LOCAL_JWT_SECRET defaulted to before: in the public source, so anyone could sign with it.
OLD_PUBLIC_DEFAULT = "ecotrace-local-jwt-secret-dev-only-0001"
PRIVATE_KEY = {"ECOTRACE_LOCAL_API_KEY": "a-private-key-nobody-else-knows-0123456789"}


def _forged_execution_key(secret: str) -> str:
    claims = {"projectId": "ecotrace", "scopes": ["rows.read", "rows.write"], "exp": int(time.time()) + 3600}
    return "ephemeral_" + jwt.encode(claims, secret, algorithm="HS256")


def _forged_user_jwt(secret: str, user_id: str) -> str:
    ten_years = 10 * 365 * 86400
    return jwt.encode({"userId": user_id, "sessionId": "", "exp": int(time.time()) + ten_years}, secret, "HS256")


def test_tokens_signed_with_the_old_public_default_are_refused(tmp_path: Path) -> None:
    with run_stack(write_root(tmp_path / "root"), db_path=tmp_path / "data" / "db.sqlite3", env=PRIVATE_KEY) as stack:
        TablesDB(stack.client()).create_row(DB, "private", "p1", {"name": "only the key sees this"})
        Users(stack.client()).create("alice", name="alice")

        forged_key = TablesDB(stack.client(_forged_execution_key(OLD_PUBLIC_DEFAULT)))
        with pytest.raises(AppwriteException) as err:
            forged_key.list_rows(DB, "private")
        assert (err.value.code, err.value.type) == (401, "user_unauthorized")
        with pytest.raises(AppwriteException) as err:
            forged_key.create_row(DB, "private", "p2", {"name": "written by a forger"})
        assert err.value.code == 401

        account = Account(stack.guest_client().set_jwt(_forged_user_jwt(OLD_PUBLIC_DEFAULT, "alice")))
        with pytest.raises(AppwriteException) as err:
            account.get()
        assert (err.value.code, err.value.type) == (401, "user_jwt_invalid")
        assert TablesDB(stack.client()).list_rows(DB, "private").total == 1

        # What the stack itself mints still works.
        assert Account(stack.user_client("alice")).get().id == "alice"


def test_each_data_directory_has_its_own_secret_kept_across_restarts(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root")
    first_db, other_db = tmp_path / "one" / "db.sqlite3", tmp_path / "two" / "db.sqlite3"
    with run_stack(root, db_path=first_db) as stack:
        token = stack.user_jwt("alice")
    secret_file = first_db.with_name(first_db.name + ".jwt-secret")
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(secret_file.read_text().strip()) >= 43  # 32 random bytes, URL-safe base64
    assert [p.name for p in first_db.parent.iterdir() if p.name.endswith(".tmp")] == []

    with run_stack(root, db_path=first_db) as again:  # a restart on the same data directory
        assert Account(again.guest_client().set_jwt(token)).get().id == "alice"
    with run_stack(root, db_path=other_db) as other:
        Users(other.client()).create("alice", name="alice")
        response = requests.get(
            f"{other.endpoint}/account", headers={"X-Appwrite-Project": "ecotrace", "X-Appwrite-JWT": token}, timeout=5
        )
        assert (response.status_code, response.json()["type"]) == (401, "user_jwt_invalid")
    assert other_db.with_name(other_db.name + ".jwt-secret").read_text() != secret_file.read_text()


def test_a_configured_secret_is_used_and_no_file_is_made(tmp_path: Path) -> None:
    secret = "a-configured-secret-of-at-least-32-bytes"
    db_path = tmp_path / "data" / "db.sqlite3"
    with run_stack(write_root(tmp_path / "root"), db_path=db_path, env={"ECOTRACE_LOCAL_JWT_SECRET": secret}) as stack:
        Users(stack.client()).create("alice", name="alice")
        assert Account(stack.guest_client().set_jwt(_forged_user_jwt(secret, "alice"))).get().id == "alice"
    assert not db_path.with_name(db_path.name + ".jwt-secret").exists()


def test_concurrent_starts_agree_on_one_secret(tmp_path: Path) -> None:
    db_path = tmp_path / "fresh" / "db.sqlite3"
    found: list[str] = []
    threads = [threading.Thread(target=lambda: found.append(signing_secret(db_path, None))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8
    assert len(set(found)) == 1
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["db.sqlite3.jwt-secret"]
