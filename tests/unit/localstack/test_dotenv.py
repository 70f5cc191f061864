"""``.env`` files as developers write them (the forms python-dotenv and docker compose accept)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ecotrace_local.stack import read_dotenv


def _read(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return read_dotenv(path)


def test_common_forms(tmp_path: Path) -> None:
    text = (
        "# a comment\n"
        "\n"
        "PLAIN=value\n"
        "export EXPORTED=yes\n"
        "SPACED = around \n"
        'DOUBLE="two words"\n'
        "SINGLE='it''s'\n"
        "HASHED=abc # trailing comment\n"
        'QUOTED_HASH="abc # kept"\n'
        "URL=http://127.0.0.1:8787/v1#frag\n"
        "EMPTY=\n"
        "not a setting\n"
    )
    assert _read(tmp_path, text) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "around",
        "DOUBLE": "two words",
        "SINGLE": "it''s",
        "HASHED": "abc",
        "QUOTED_HASH": "abc # kept",
        "URL": "http://127.0.0.1:8787/v1#frag",
        "EMPTY": "",
    }


def test_a_missing_file_is_no_settings(tmp_path: Path) -> None:
    assert read_dotenv(tmp_path / "absent.env") == {}


names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,20}", fullmatch=True)
values = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\"'#\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))


@given(st.dictionaries(names, values, max_size=8))
def test_quoted_values_round_trip(settings: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".env"
        path.write_text("".join(f'{k}="{v}"\n' for k, v in settings.items()), encoding="utf-8")
        assert read_dotenv(path) == settings
