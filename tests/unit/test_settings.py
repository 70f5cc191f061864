"""Function settings: the design's variable names are honoured, conflicting ones refused with a clear message."""

from __future__ import annotations

import pytest

from ecotrace.errors import NotConfiguredError
from ecotrace.settings import Settings

BASE = {"APPWRITE_FUNCTION_API_ENDPOINT": "http://127.0.0.1:1/v1", "APPWRITE_FUNCTION_PROJECT_ID": "p"}


def test_appwrite_database_id_chooses_the_database() -> None:
    assert Settings.from_env({**BASE, "APPWRITE_DATABASE_ID": "carbon-prod"}).database_id == "carbon-prod"


def test_the_older_alias_still_works_and_the_default_is_ecotrace_main() -> None:
    assert Settings.from_env({**BASE, "ECOTRACE_DATABASE_ID": "legacy"}).database_id == "legacy"
    assert Settings.from_env(BASE).database_id == "ecotrace-main"


def test_both_names_with_the_same_value_are_fine() -> None:
    env = {**BASE, "APPWRITE_DATABASE_ID": "same", "ECOTRACE_DATABASE_ID": "same"}
    assert Settings.from_env(env).database_id == "same"


def test_both_names_with_different_values_are_refused_naming_both() -> None:
    env = {**BASE, "APPWRITE_DATABASE_ID": "a", "ECOTRACE_DATABASE_ID": "b"}
    with pytest.raises(NotConfiguredError) as caught:
        Settings.from_env(env)
    assert "APPWRITE_DATABASE_ID" in caught.value.message
    assert "ECOTRACE_DATABASE_ID" in caught.value.message
    assert caught.value.status == 503


def test_blank_values_count_as_unset() -> None:
    assert Settings.from_env({**BASE, "APPWRITE_DATABASE_ID": "  ", "ECOTRACE_DATABASE_ID": "x"}).database_id == "x"
