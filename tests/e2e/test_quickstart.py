"""The README's quick start on a running stack: the command `make dev` runs serves on loopback, the README's
first-event command gets its push counted with carbon, the data survives a restart, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(port: int, db: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ECOTRACE_"))}
    env.update({"ECOTRACE_PORT": str(port), "ECOTRACE_DB": str(db), "ECOTRACE_RUN_SCHEDULES": "0"})
    # exactly what `make dev` runs after installing
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecotrace_local"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health/version", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the local stack did not come up: " + (proc.stdout.read() if proc.stdout else ""))


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, out


def test_readme_quick_start_is_the_two_make_targets() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick, flags=re.M)
    assert commands == ["make dev", "make test"]
    assert "dev: $(STAMP)" in MAKEFILE
    assert "-m ecotrace_local" in MAKEFILE
    assert "test: $(STAMP)" in MAKEFILE
    assert ".venv/bin/python scripts/send_test_event.py" in quick
    assert "bash .ci/run" not in quick
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_make_dev_serves_the_first_event_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "local.sqlite3"
    proc = start(port, db)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ECOTRACE_"))}
        env["ECOTRACE_PORT"] = str(port)
        first = subprocess.run(
            [sys.executable, "scripts/send_test_event.py"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert first.returncode == 0, first.stdout + first.stderr
        assert "commit" in first.stdout
        assert "g CO2e" in first.stdout  # each activity printed with its carbon figure
        assert "pending" not in first.stdout
    finally:
        code, out = stop(proc)
    assert code == 0, out
    # what it serves, and how to send a first event, is printed
    assert f"http://127.0.0.1:{port}/v1" in out
    assert f"http://127.0.0.1:{port}/functions/github-webhook/" in out
    assert "scripts/send_test_event.py" in out
    assert "LOCAL DEVELOPMENT secret" in out  # the dev default secret is announced loudly
    assert db.exists()

    # the SQLite file survives a restart: the activities are still there
    proc = start(port, db)
    try:
        rows = httpx.get(
            f"http://127.0.0.1:{port}/v1/tablesdb/ecotrace-main/tables/activities/rows",
            headers={"x-appwrite-project": "ecotrace", "x-appwrite-key": "ecotrace-local-dev-key"},
            timeout=10,
        ).json()
        assert rows["total"] >= 1
        assert all(r["carbon_kg"] > 0 for r in rows["rows"])
    finally:
        code, _ = stop(proc)
    assert code == 0


def test_settings_in_dot_env_serve_both_the_stack_and_the_first_event(tmp_path: Path) -> None:
    # GIVEN a checkout whose .env sets its own port and webhook secret (what the make dev warning advises)
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("appwrite.json", "functions"):
        (root / name).symlink_to(ROOT / name)
    port = free_port()
    (root / ".env").write_text(
        f"# local settings\nECOTRACE_PORT={port}\nexport GITHUB_WEBHOOK_SECRET='from-dot-env'\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ECOTRACE_"))}
    env.update({"ECOTRACE_ROOT": str(root), "ECOTRACE_DB": str(tmp_path / "db.sqlite3"), "ECOTRACE_RUN_SCHEDULES": "0"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecotrace_local"], cwd=root, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/health/version", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        # WHEN the README's first-event command runs with nothing but the .env to go on
        sent = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "send_test_event.py")],
            cwd=root, env={k: v for k, v in env.items() if k != "ECOTRACE_DB"}, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
    finally:
        code, out = stop(proc)
    # THEN it found the stack on the .env port and signed with the .env secret
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "g CO2e" in sent.stdout
    assert code == 0
    assert "LOCAL DEVELOPMENT secret" not in out  # the .env secret was used, not the dev default


def test_non_loopback_bind_is_refused_without_explicit_opt_in(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOTRACE_")}
    env.update({"ECOTRACE_HOST": "0.0.0.0", "ECOTRACE_DB": str(tmp_path / "x.sqlite3")})
    result = subprocess.run(
        [sys.executable, "-m", "ecotrace_local"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert "ECOTRACE_ALLOW_REMOTE" in result.stderr
