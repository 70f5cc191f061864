"""The web SDK tests (``tests/web/*.test.mjs``, Node's test runner with the official npm ``appwrite`` SDK) against
a local stack this module starts, and the dashboard's browser test (``dashboard.browser.mjs``, playwright-core
driving Debian's ``chromium``). ``make test`` installs what they need first (``make node``, ``make browser``);
run through pytest directly without it, they skip and say what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecotrace_local.testing import StackHandle, run_stack

ROOT = Path(__file__).resolve().parents[2]
WEB = Path(__file__).resolve().parent
NODE_MODULES = ROOT / "node_modules"
SECRET = "web-tests-webhook-secret"
ARTIFACTS = ROOT / ".artifacts"
CHROMIUM = os.environ.get("ECOTRACE_CHROMIUM", "/usr/bin/chromium")


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("SKIPPED LOUDLY: Node.js is not installed; the web SDK and browser tests need it (make node)")
    if not (NODE_MODULES / "appwrite").is_dir():
        pytest.skip("SKIPPED LOUDLY: node_modules is missing: run `make node` (make test does it)")
    return found


def node_flags(binary: str) -> list[str]:
    major = int(subprocess.run([binary, "-p", "process.versions.node.split('.')[0]"], capture_output=True,
                               text=True, check=True).stdout.strip())  # fmt: skip
    return ["--experimental-websocket"] if major < 22 else []  # WebSocket is global from Node 22 on


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StackHandle, StackHandle]]:
    """The project's stack (``make dev``'s defaults: the GitHub stand-in) and one whose sessions last 1 s."""
    base = tmp_path_factory.mktemp("web")
    env = {"ECOTRACE_RUN_SCHEDULES": "0", "GITHUB_WEBHOOK_SECRET": SECRET}
    short = {**env, "ECOTRACE_SESSION_DURATION_S": "1"}
    with (
        run_stack(ROOT, db_path=base / "main.sqlite3", env=env, dev_defaults=True) as main,
        run_stack(ROOT, db_path=base / "short.sqlite3", env=short) as short_lived,
    ):
        yield main, short_lived


def run_node(args: list[str], stack: StackHandle, extra: dict[str, str], timeout_s: float) -> None:
    binary = node()
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR", "LANG")},
        "ECOTRACE_ENDPOINT": stack.endpoint,
        "ECOTRACE_BASE_URL": stack.base_url,
        "ECOTRACE_API_KEY": stack.api_key,
        "ECOTRACE_WEBHOOK_SECRET": SECRET,
        "NODE_NO_WARNINGS": "1",
        **extra,
    }
    result = subprocess.run(
        [binary, *node_flags(binary), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s
    )
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("name", ["account.test.mjs", "same_rows.test.mjs"])
def test_web_sdk(stacks: tuple[StackHandle, StackHandle], name: str) -> None:
    main, short_lived = stacks
    main.reset()
    run_node(["--test", str(WEB / name)], main, {"ECOTRACE_SHORT_SESSION_ENDPOINT": short_lived.endpoint}, 120)


def test_dashboard_in_headless_chromium(stacks: tuple[StackHandle, StackHandle]) -> None:
    main, _ = stacks
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"SKIPPED LOUDLY: no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium when run as root "
            "(apt-get install -y chromium); without root, install it yourself or set ECOTRACE_CHROMIUM"
        )
    main.reset()
    ARTIFACTS.mkdir(exist_ok=True)
    extra = {
        "ECOTRACE_CHROMIUM": CHROMIUM,
        "ECOTRACE_ARTIFACTS": str(ARTIFACTS),
        "ECOTRACE_SAMPLE_PUSH": str(ROOT / "scripts" / "samples" / "push.json"),
    }
    run_node([str(WEB / "dashboard.browser.mjs")], main, extra, 180)
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
