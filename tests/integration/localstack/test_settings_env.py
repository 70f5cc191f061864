"""Where the local stack's settings come from: ``.env`` in the checkout, then the environment (which wins).

Issue 2: the local API key comes from ``ECOTRACE_LOCAL_API_KEY`` (a documented default otherwise); function
variables such as ``GITHUB_WEBHOOK_SECRET`` come from ``make dev``'s environment or a ``.env`` file.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests

from ecotrace_local.stack import local_settings
from ecotrace_local.testing import StackHandle, run_stack
from tests.integration.localstack.fn_samples import write_root

README = Path(__file__).resolve().parents[3] / "shared" / "ecotrace_local" / "README.md"


def _env_seen_by_function(stack: StackHandle) -> dict[str, str]:
    answer = requests.post(f"{stack.base_url}/functions/echo/", data=b"{}", timeout=10)
    assert answer.status_code == 200, answer.text
    env: dict[str, str] = answer.json()["env"]
    return env


def _rows_status(stack: StackHandle, key: str) -> int:
    headers = {"X-Appwrite-Project": stack.project_id, "X-Appwrite-Key": key}
    return requests.get(f"{stack.endpoint}/tablesdb/db/tables/seen/rows", headers=headers, timeout=10).status_code


def documented_default_key() -> str:
    match = re.search(r"^\| `ECOTRACE_LOCAL_API_KEY` \| `([^`]+)` \|", README.read_text(encoding="utf-8"), re.M)
    assert match is not None, "the README's settings table must give the key's default"
    return match.group(1)


def test_dotenv_gives_function_variables_and_the_api_key(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root")
    (root / ".env").write_text(
        "# local settings\nSAMPLE_SETTING='from .env'\nECOTRACE_LOCAL_API_KEY=key-from-dotenv\n", encoding="utf-8"
    )
    with run_stack(root, db_path=tmp_path / "db.sqlite3", env={"ECOTRACE_RUN_SCHEDULES": "0"}) as stack:
        assert _env_seen_by_function(stack)["SAMPLE_SETTING"] == "from .env"
        assert _rows_status(stack, "key-from-dotenv") == 200
        assert _rows_status(stack, documented_default_key()) == 401


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root")
    (root / ".env").write_text("SAMPLE_SETTING=from-dotenv\nECOTRACE_LOCAL_API_KEY=key-from-dotenv\n", encoding="utf-8")
    env = {"SAMPLE_SETTING": "from-env", "ECOTRACE_LOCAL_API_KEY": "key-from-env", "ECOTRACE_RUN_SCHEDULES": "0"}
    with run_stack(root, db_path=tmp_path / "db.sqlite3", env=env) as stack:
        assert _env_seen_by_function(stack)["SAMPLE_SETTING"] == "from-env"
        assert _rows_status(stack, "key-from-env") == 200
        assert _rows_status(stack, "key-from-dotenv") == 401


def test_without_settings_the_documented_default_key_works(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root")
    with run_stack(root, db_path=tmp_path / "db.sqlite3", env={"ECOTRACE_RUN_SCHEDULES": "0"}) as stack:
        assert stack.project_id == "ecotrace"
        assert _rows_status(stack, documented_default_key()) == 200
        assert _rows_status(stack, "some-other-key") == 401


def test_scripts_read_the_same_settings_as_the_stack(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root")
    (root / ".env").write_text("ECOTRACE_PORT=8799\nGITHUB_WEBHOOK_SECRET=from-dotenv\n", encoding="utf-8")
    settings = local_settings({"GITHUB_WEBHOOK_SECRET": "from-env"}, root)
    assert settings["ECOTRACE_PORT"] == "8799"
    assert settings["GITHUB_WEBHOOK_SECRET"] == "from-env"
