"""The start-up banner says what is served: a function domain only for functions anyone may call."""

from __future__ import annotations

import json
from pathlib import Path

from ecotrace_local.__main__ import banner
from ecotrace_local.stack import StackConfig


def _config(tmp_path: Path) -> StackConfig:
    functions = [
        {"$id": "hook", "execute": ["any"]},
        {"$id": "members", "execute": ["users"]},
        {"$id": "cron-only", "execute": [], "schedule": "0 */6 * * *"},
    ]
    (tmp_path / "appwrite.json").write_text(json.dumps({"projectId": "ecotrace", "functions": functions}))
    return StackConfig(root=tmp_path, db_path=tmp_path / "db.sqlite3", port=8787)


def test_only_public_functions_are_offered_a_domain(tmp_path: Path) -> None:
    text = banner(_config(tmp_path))
    assert "http://127.0.0.1:8787/functions/hook/" in text
    assert "8787/functions/members/" not in text
    assert "8787/functions/cron-only/" not in text
    assert "POST http://127.0.0.1:8787/v1/functions/members/executions" in text
    assert "0 */6 * * *" in text


def test_the_banner_names_endpoint_project_key_and_realtime(tmp_path: Path) -> None:
    text = banner(_config(tmp_path))
    assert "http://127.0.0.1:8787/v1" in text
    assert "ecotrace-local-dev-key" in text
    assert "ws://127.0.0.1:8787/v1/realtime?project=ecotrace" in text


def test_a_private_api_key_is_announced_but_never_printed(tmp_path: Path) -> None:
    config = _config(tmp_path)
    config.api_key = "a-private-key-0123456789abcdef"
    text = banner(config)
    assert "a-private-key-0123456789abcdef" not in text
    assert "set from ECOTRACE_LOCAL_API_KEY" in text
