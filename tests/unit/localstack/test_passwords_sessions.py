"""Password hashes and session credentials of the local stack's accounts (storage/passwords.py, sessions.py)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecotrace_local.errors import AppwriteError
from ecotrace_local.storage.passwords import check_password, hash_password, verify_password
from ecotrace_local.storage.sessions import decode_credential, encode_credential


def test_a_hash_is_salted_verifies_and_holds_no_password() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second  # salted
    assert "correct horse" not in first
    assert first.startswith("scrypt$14$8$1$")
    assert verify_password("correct horse", first)
    assert not verify_password("correct horsf", first)


@pytest.mark.parametrize(
    "stored", [None, "", "plain", "scrypt$14$8$1$!!$!!", "scrypt$99$8$1$AAAA$AAAA", "bcrypt$x$y$z$a$b"]
)
def test_a_malformed_hash_never_matches(stored: str | None) -> None:
    assert not verify_password("anything", stored)


@pytest.mark.parametrize("value", ["short", "x" * 257, None, 12345678])
def test_passwords_outside_8_to_256_characters_are_refused(value: object) -> None:
    with pytest.raises(AppwriteError) as refused:
        check_password(value)
    assert refused.value.message == "Invalid `password` param: Password must be between 8 and 256 characters long."


def test_the_credential_is_appwrite_base64_json() -> None:
    credential = encode_credential("u1", "s" * 256)
    assert json.loads(base64.b64decode(credential)) == {"id": "u1", "secret": "s" * 256}
    assert decode_credential(credential) == ("u1", "s" * 256)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_anything_else_decodes_to_no_session(value: str) -> None:
    decoded = decode_credential(value)
    assert decoded is None or all(isinstance(part, str) and part for part in decoded)
