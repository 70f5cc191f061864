"""Point the Appwrite CLI at the local stack without editing appwrite.json, and back.

    .venv/bin/python scripts/appwrite_local.py on          # make cli-local
    .venv/bin/python scripts/appwrite_local.py cli ARGS    # make appwrite ARGS="push tables --all"
    .venv/bin/python scripts/appwrite_local.py off         # make cli-cloud

appwrite-cli 12 reads ``appwrite.config.json`` before ``appwrite.json`` (in the working directory or a parent), and
the project file's ``endpoint`` wins over ``appwrite client --endpoint`` (lib/config.js, lib/sdks.js). So ``on``
writes a git-ignored ``appwrite.config.json``: appwrite.json with the local endpoint. While it exists, every CLI
command in the checkout talks to the local stack (and ``pull`` writes into it, not into appwrite.json); ``off``
deletes it before you deploy to Cloud.

``cli`` runs the CLI from ``node_modules`` (``make node``) with its own home folder
``.ecotrace/appwrite-cli`` whose global settings hold the local endpoint and key (``appwrite client --endpoint
--key``), so your own ``appwrite login`` for Cloud is neither used nor changed. The stack must be running.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ecotrace_local.stack import DEFAULT_LOCAL_API_KEY, local_settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "appwrite.config.json"


def local_endpoint(root: Path) -> str:
    settings = local_settings(root=root)
    return f"http://127.0.0.1:{settings.get('ECOTRACE_PORT', '8787')}/v1"


def switch_on(root: Path, endpoint: str) -> Path:
    """Write ``appwrite.config.json``: ``appwrite.json`` with ``endpoint``."""
    data = json.loads((root / "appwrite.json").read_text(encoding="utf-8"))
    data["endpoint"] = endpoint
    target = root / CONFIG
    target.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
    return target


def switch_off(root: Path) -> bool:
    target = root / CONFIG
    if target.exists():
        target.unlink()
        return True
    return False


def cli_binary(root: Path) -> str:
    local = root / "node_modules" / ".bin" / "appwrite"
    if local.exists():
        return str(local)
    found = shutil.which("appwrite")
    if found is None:
        raise FileNotFoundError("appwrite-cli is not installed: run `make node` (or npm install -g appwrite-cli@12)")
    return found


def configured(home: Path, endpoint: str, key: str) -> bool:
    """Whether the CLI's current global entry (``~/.appwrite/prefs.json``) already has this endpoint and key."""
    try:
        prefs = json.loads((home / ".appwrite" / "prefs.json").read_text(encoding="utf-8"))
        entry = prefs[prefs["current"]]
        return bool(entry.get("endpoint") == endpoint and entry.get("key") == key)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def run_cli(root: Path, endpoint: str, key: str, args: list[str], home: Path | None = None) -> int:
    """Run ``appwrite ARGS`` in ``root`` against ``endpoint`` with the key, in an isolated CLI home."""
    switch_on(root, endpoint)
    binary = cli_binary(root)
    home = home or root / ".ecotrace" / "appwrite-cli"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(home), "NO_UPDATE_NOTIFIER": "1"}
    client = subprocess.run(
        [binary, "client", "--endpoint", endpoint, "--key", key],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if client.returncode != 0:
        print(f"appwrite client --endpoint {endpoint} failed: is the local stack running (make dev)?", file=sys.stderr)
        return client.returncode
    return subprocess.run([binary, *args], cwd=root, env=env, stdin=subprocess.DEVNULL, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=ROOT, help="the folder holding appwrite.json")
    parser.add_argument("--endpoint", default=None, help="default: http://127.0.0.1:$ECOTRACE_PORT/v1")
    parser.add_argument("--key", default=None, help="default: $ECOTRACE_LOCAL_API_KEY or the local default")
    parser.add_argument("command", choices=["on", "off", "cli"])
    parser.add_argument("args", nargs=argparse.REMAINDER, help="for cli: the CLI's arguments")
    options = parser.parse_args(argv)
    root = options.root.resolve()
    endpoint = options.endpoint or local_endpoint(root)
    if options.command == "on":
        target = switch_on(root, endpoint)
        print(f"wrote {target.name}: the Appwrite CLI in {root} now talks to {endpoint}")
        print('run it with: make appwrite ARGS="push tables --all"   (back to Cloud: make cli-cloud)')
        return 0
    if options.command == "off":
        removed = switch_off(root)
        print(f"removed {CONFIG}: the CLI reads appwrite.json again" if removed else f"no {CONFIG} to remove")
        return 0
    key = options.key or local_settings(root=root).get("ECOTRACE_LOCAL_API_KEY") or DEFAULT_LOCAL_API_KEY
    return run_cli(root, endpoint, key, options.args)


if __name__ == "__main__":
    sys.exit(main())
