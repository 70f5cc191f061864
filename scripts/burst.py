"""A burst of deliveries from ONE sender (issue 14 item 1): pushes and a CI matrix of workflow_job events, sent
at once to the webhook. Shared by the test (tests/integration/webhook/test_one_sender_burst.py, as
``scripts.burst``) and the benchmark (scripts/bench_contention.py)."""

from __future__ import annotations

import copy
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ecotrace.domain.signature import sign

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "github-webhooks"
PUSH = "push/with-new-branch.payload.json"
JOB = "workflow_job/completed.success.with-organization.payload.json"
SENDER = {"login": "matrix-dev", "id": 4_242_424, "type": "User"}


@dataclass(frozen=True)
class Delivery:
    event: str
    body: bytes
    delivery_id: str


@dataclass(frozen=True)
class BurstResult:
    statuses: tuple[int, ...]
    latencies_s: tuple[float, ...]
    wall_s: float

    @property
    def per_s(self) -> float:
        return len(self.statuses) / self.wall_s

    def percentile_s(self, q: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def burst(pushes: int = 30, jobs: int = 20, commits: int = 3, tag: str = "b", senders: int = 1) -> list[Delivery]:
    """``pushes`` pushes of ``commits`` new commits and a ``jobs``-job matrix of one workflow run, all by one sender
    (``senders`` > 1 spreads them over that many people instead: the contention-free baseline)."""
    out: list[Delivery] = []

    def fixture(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        return data

    def sender(i: int) -> dict[str, Any]:
        return SENDER if senders == 1 else {**SENDER, "login": f"dev-{i % senders}", "id": 5_000_000 + i % senders}

    push, job = fixture(PUSH), fixture(JOB)
    for i in range(pushes):
        data = copy.deepcopy(push)
        template = data["commits"][0]
        data["commits"] = []
        for c in range(commits):
            commit = copy.deepcopy(template)
            commit["id"] = hashlib.sha1(f"{tag}/{i}/{c}".encode()).hexdigest()  # noqa: S324 - an id, not security
            commit["modified"] = ["README.md", f"src/m{c}.py"]
            data["commits"].append(commit)
        data["head_commit"] = copy.deepcopy(data["commits"][-1])
        data["sender"] = sender(i)
        out.append(Delivery("push", _body(data), f"{tag}-push-{i}"))
    for j in range(jobs):
        data = copy.deepcopy(job)
        data["workflow_job"].update(id=9_000_000 + j, run_id=8_000_000, run_attempt=1, name=f"matrix ({j})")
        data["sender"] = sender(pushes + j)
        out.append(Delivery("workflow_job", _body(data), f"{tag}-job-{j}"))
    return out


def _body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def send_all(url: str, secret: str, deliveries: list[Delivery], clients: int = 50) -> BurstResult:
    """Send every delivery at once (``clients`` at a time), each signed; statuses and latencies in order."""

    def one(delivery: Delivery) -> tuple[int, float]:
        headers = {
            "x-github-event": delivery.event,
            "x-github-delivery": delivery.delivery_id,
            "x-github-hook-id": "292430182",
            "content-type": "application/json",
            "x-hub-signature-256": sign(secret, delivery.body),
        }
        started = time.perf_counter()
        response = httpx.post(url, content=delivery.body, headers=headers, timeout=60)
        return response.status_code, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(one, deliveries))
    wall = time.perf_counter() - started
    return BurstResult(tuple(s for s, _ in results), tuple(t for _, t in results), wall)


def expected_counts(pushes: int, jobs: int, commits: int) -> dict[str, int]:
    return {"commit_count": pushes * commits, "ci_run_count": jobs, "activity_count": pushes * commits + jobs}
