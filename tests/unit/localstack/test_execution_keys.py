"""Execution keys are verified once and then remembered: the remembered answer still honours expiry and
revocation exactly as a fresh signature check would."""

from __future__ import annotations

import time

import pytest

from ecotrace_local.errors import AppwriteError
from ecotrace_local.storage.credentials import Credentials


def _credentials() -> Credentials:
    return Credentials("ecotrace", "project-key", "a-signing-secret-of-at-least-32-bytes")


def test_a_verified_key_is_refused_once_it_expires() -> None:
    creds = _credentials()
    key = creds.mint_function_key(["rows.read"], ttl_s=1)
    expires = int(time.time()) + 1
    caller = creds.key_caller(key)
    assert caller.scopes == frozenset({"rows.read"})
    assert creds.key_caller(key) == caller  # the remembered answer
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(AppwriteError) as err:
        creds.key_caller(key)
    assert (err.value.status, err.value.type) == (401, "project_key_expired")


def test_a_verified_key_is_refused_once_revoked() -> None:
    creds = _credentials()
    key = creds.mint_function_key(["rows.write"], ttl_s=60)
    creds.key_caller(key)
    creds.revoke_function_key(key)
    with pytest.raises(AppwriteError) as err:
        creds.key_caller(key)
    assert (err.value.status, err.value.type) == (401, "user_unauthorized")


def test_a_key_signed_by_someone_else_is_never_remembered() -> None:
    creds = _credentials()
    other = Credentials("ecotrace", "project-key", "another-secret-of-at-least-32-bytes!!")
    forged = other.mint_function_key(["rows.write"], ttl_s=60)
    for _ in range(2):
        with pytest.raises(AppwriteError):
            creds.key_caller(forged)
