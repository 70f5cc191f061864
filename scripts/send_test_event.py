"""Send a first event: a signed sample GitHub push to the webhook function's domain on the local stack.

    .venv/bin/python scripts/send_test_event.py [--url URL] [--sample PATH] [--delivery GUID]

Signs ``scripts/samples/push.json`` (three commits) with ``GITHUB_WEBHOOK_SECRET`` (for local use it defaults to
``ecotrace-local-webhook-secret``; the function must run with the same value), posts it to
``http://127.0.0.1:${ECOTRACE_PORT:-8787}/functions/github-webhook/`` as GitHub would, then prints the
response and the activities it created. Run it twice: the second delivery has a new GUID, but its commits are
already recorded, so nothing is counted again.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from ecotrace_local.stack import LOCAL_DEFAULT_WEBHOOK_SECRET, local_settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "scripts" / "samples" / "push.json"
# For local development only (documented in the README); a deployment sets its own secret.
LOCAL_DEFAULT_SECRET = LOCAL_DEFAULT_WEBHOOK_SECRET


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def default_url() -> str:
    return f"http://127.0.0.1:{local_settings().get('ECOTRACE_PORT', '8787')}/functions/github-webhook/"


def send(url: str, body: bytes, secret: str, delivery: str, event: str = "push") -> httpx.Response:
    headers = {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/ecotrace-test",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-github-hook-id": "1",
        "x-hub-signature-256": signature(secret, body),
    }
    return httpx.post(url, content=body, headers=headers, timeout=httpx.Timeout(30.0, connect=3.0))


def describe(answer: dict[str, Any]) -> list[str]:
    lines = []
    for a in answer.get("activities") or []:
        carbon = a.get("carbon_kg")
        estimated = " (estimated)" if a.get("lines_estimated") else ""
        grams = "pending" if carbon is None else f"{carbon * 1000:.3g} g CO2e"
        lines.append(
            f"  {a['type']:<10} {a['external_id'][:12]:<12} user={a['user_id']:<14} "
            f"lines +{a.get('lines_added')}/-{a.get('lines_deleted')}{estimated}  carbon={grams}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--url", default=default_url())
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--delivery", default=None, help="x-github-delivery GUID (default: a new one)")
    args = parser.parse_args(argv)

    secret = local_settings().get("GITHUB_WEBHOOK_SECRET") or LOCAL_DEFAULT_SECRET
    body = args.sample.read_bytes()
    delivery = args.delivery or str(uuid.uuid4())
    try:
        response = send(args.url, body, secret, delivery)
    except httpx.HTTPError as exc:
        print(f"could not reach {args.url}: {exc}. Is `make dev` running?", file=sys.stderr)
        return 1
    print(f"POST {args.url}  x-github-delivery={delivery}")
    print(f"HTTP {response.status_code}")
    try:
        answer = response.json()
    except json.JSONDecodeError:
        print(response.text)
        return 1
    print(json.dumps(answer, indent=2))
    if response.status_code == 401:
        print("The signature was refused: run the stack and this script with the same GITHUB_WEBHOOK_SECRET.")
    elif response.status_code == 503 and answer.get("error") == "not_configured":
        print(f"The function has no secret: start `make dev` with GITHUB_WEBHOOK_SECRET={LOCAL_DEFAULT_SECRET}.")
    if not response.is_success:
        return 1
    lines = describe(answer)
    if lines:
        print(f"\nActivities created ({len(lines)}):")
        print("\n".join(lines))
    elif answer.get("already_recorded"):
        print(f"\nNo new activities: these {answer['already_recorded']} commits were already counted.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
