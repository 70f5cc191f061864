"""Each function as Appwrite deploys it: the project's build script makes its folder, the function's own build
command installs it into a fresh virtual environment, and the entrypoint is imported as ``function.src.main``
(only that folder exists there) and answers a real request against the local stack."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecotrace_local.testing import StackHandle, run_stack

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SHIM = Path(__file__).with_name("runtime_shim.py")
FUNCTIONS = {f["$id"]: f for f in json.loads((ROOT / "appwrite.json").read_text(encoding="utf-8"))["functions"]}
SECRET = "bundle-test-secret"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    env = {"GITHUB_WEBHOOK_SECRET": SECRET, "ECOTRACE_RUN_SCHEDULES": "0"}
    with run_stack(ROOT, db_path=tmp_path_factory.mktemp("bundles") / "db.sqlite3", env=env) as handle:
        yield handle


def _ping() -> tuple[dict[str, str], bytes]:
    body = json.dumps({"zen": "Design for failure.", "hook_id": 30, "hook": {"id": 30, "type": "Repository"}})
    raw = body.encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "x-github-event": "ping",
        "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "x-github-hook-id": "30",
        "x-hub-signature-256": signature,
        "user-agent": "GitHub-Hookshot/044aadd",
    }
    return headers, raw


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


# function id -> (trigger, extra headers, body, check of the parsed JSON response)
Check = Callable[[int, dict[str, Any]], None]


def _check_webhook(status: int, body: dict[str, Any]) -> None:
    assert status == 200
    assert "30" in json.dumps(body)  # the hook id is echoed


def _check_factor(status: int, body: dict[str, Any]) -> None:
    assert status == 200
    factor = body["factor"]
    assert factor["zone"] == "DE"
    assert factor["g_co2e_per_kwh"] > 0


def _check_leaderboard(status: int, body: dict[str, Any]) -> None:
    assert status == 200
    assert body["ok"] is True


def _check_estimate(status: int, body: dict[str, Any]) -> None:
    assert status == 200
    assert body["result"]["carbon_kg"] > 0


SMOKE: dict[str, tuple[str, dict[str, str], bytes, Check]] = {
    "github-webhook": ("http", *_ping(), _check_webhook),
    "api-integrations": (
        "http",
        {"x-appwrite-user-id": "user-1", "content-type": "application/json"},
        _json({"action": "fetch_emission_factors", "region": "DE"}),
        _check_factor,
    ),
    "leaderboard-updater": ("schedule", {}, b"", _check_leaderboard),
    "carbon-calculator": (
        "http",
        {"x-appwrite-user-id": "user-1", "content-type": "application/json"},
        _json(
            {
                "action": "estimate",
                "activity": {"type": "ci_run", "duration_s": 600, "runner_labels": ["ubuntu-latest"]},
            }
        ),
        _check_estimate,
    ),
}


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_deployed_bundle_installs_imports_and_answers(function_id: str, stack: StackHandle, tmp_path: Path) -> None:
    config = FUNCTIONS[function_id]
    assert config["path"] == f"dist/functions/{function_id}"
    dist = tmp_path / "dist"
    script = ROOT / "scripts" / "build_functions.py"
    subprocess.run([sys.executable, str(script), "--out", str(dist), function_id], check=True)
    built = dist / function_id
    # Only the function's folder is uploaded; the runtime places it at .../function.
    app = tmp_path / "server"
    shutil.copytree(built, app / "function")
    assert not (app / "function" / "shared").exists()
    shutil.copy(SHIM, app / SHIM.name)  # beside function/, as the runtime's server sits beside it

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    build = subprocess.run(
        config["commands"], shell=True, cwd=app / "function", env=env, capture_output=True, text=True, check=False
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]

    trigger, headers, body, check = SMOKE[function_id]
    key = stack.stack.credentials.mint_function_key(config["scopes"], 900)
    request = {
        "method": "POST",
        "path": "/",
        "headers": {**headers, "x-appwrite-trigger": trigger, "x-appwrite-key": key},
        "body_b64": base64.b64encode(body).decode(),
    }
    (tmp_path / "request.json").write_text(json.dumps(request), encoding="utf-8")
    run_env = {
        **env,
        "APPWRITE_FUNCTION_API_ENDPOINT": stack.endpoint,
        "APPWRITE_FUNCTION_PROJECT_ID": stack.project_id,
        "APPWRITE_FUNCTION_ID": function_id,
        "GITHUB_WEBHOOK_SECRET": SECRET,
    }
    run = subprocess.run(
        [str(venv / "bin" / "python"), SHIM.name, str(tmp_path / "request.json")],
        cwd=app,
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    # The entrypoint and the core both came from the deployed folder and its venv, not from this checkout.
    assert Path(out["module_file"]).resolve() == (app / "function" / "src" / "main.py").resolve()
    response = out["response"]
    check(int(response["statusCode"]), json.loads(response["body"]))
