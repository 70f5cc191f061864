"""``python -m ecotrace_local``: serves on loopback, says where, stops cleanly, refuses remote hosts by default."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.integration.localstack.ls_support import write_root


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOTRACE_")}
    env.update(
        ECOTRACE_ROOT=str(root), ECOTRACE_PORT="0", ECOTRACE_DB=str(root / "db.sqlite3"), ECOTRACE_RUN_SCHEDULES="0"
    )
    env.update(extra)
    return env


def test_serves_prints_its_endpoints_and_stops_on_sigterm(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecotrace_local"],
        env=_env(root),
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 20
        while not any("Stop with Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
            assert time.monotonic() < deadline
        banner = "".join(lines)
        endpoint = re.search(r"REST endpoint\s+(http://127\.0\.0\.1:\d+/v1)", banner)
        assert endpoint is not None, banner
        assert "Project ID      ecotrace" in banner
        assert str(root / "db.sqlite3") in banner
        assert "/v1/realtime?project=ecotrace" in banner
        assert "scripts/send_test_event.py" in banner
        ping = requests.get(f"{endpoint.group(1)}/ping", headers={"X-Appwrite-Project": "ecotrace"}, timeout=5)
        assert ping.text == "Pong!"

        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert "stopped" in rest
        assert not (root / "db.sqlite3-wal").exists()  # closed cleanly
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def test_refuses_a_non_loopback_host_unless_allowed(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root")
    result = subprocess.run(
        [sys.executable, "-m", "ecotrace_local"],
        env=_env(root, ECOTRACE_HOST="0.0.0.0"),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert "ECOTRACE_ALLOW_REMOTE=1" in result.stderr
    assert not (root / "db.sqlite3").exists()


def test_bad_settings_are_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    root = write_root(tmp_path / "root")
    for env, fragment in (
        (_env(root, ECOTRACE_PORT="eighty"), "eighty"),
        (_env(tmp_path / "missing"), "appwrite.json"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "ecotrace_local"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        assert result.returncode == 2
        assert result.stderr.startswith("Cannot start the local stack:")
        assert fragment in result.stderr
        assert "Traceback" not in result.stderr
