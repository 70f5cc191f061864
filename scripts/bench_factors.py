"""Benchmark emission-factor lookups: cold, warm (cache) and with the live source timing out.

    .venv/bin/python scripts/bench_factors.py            # print the table
    .venv/bin/python scripts/bench_factors.py --write    # also update the "emission factors" section of BENCHMARKS.md

The live source is a minimal Electricity Maps stand-in over real HTTP on 127.0.0.1 (answers in well under a
millisecond, or hangs past the client's read timeout), so the figures are EcoTrace's own cost plus loopback
HTTP, not Electricity Maps' latency. No store: the emission_factors table's cost is the Appwrite adapter's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from benchmarks_md import write_section

from ecotrace.adapters.electricity_maps import ElectricityMapsClient
from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.resilience import retry_policy
from ecotrace.services.emission_factors import EmissionFactorResolver

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key"
REGIONS: list[object] = [
    "DE",
    "FR",
    "US-CA",
    {"country": "US", "state_province": "TX"},
    "aws:eu-west-1",
    "azure:eastus",
    "gcp:europe-west1",
    "CA-ON",
    "US-CAL-CISO",
    "egrid:RFCW",
    "IND",
    "nowhere",
]
LIVE_ZONES = ["DE", "FR", "PL", "ES", "IT", "NL", "BE", "AT", "CH", "SE", "NO", "DK", "FI", "PT", "IE", "GB"]


class _State:
    hang_s = 0.0


def _handler(state: type[_State]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # one write per response: no Nagle / delayed-ACK stall between headers and body

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            if state.hang_s:
                time.sleep(state.hang_s)
            zone = self.path.split("zone=")[-1].split("&")[0]
            if "carbon-intensity" in self.path:
                body: dict[str, Any] = {
                    "zone": zone,
                    "carbonIntensity": 250,
                    "datetime": "2026-11-25T12:00:00.000Z",
                    "isEstimated": False,
                    "emissionFactorType": "lifecycle",
                }
            else:
                body = {"zone": zone, "renewablePercentage": 40, "fossilFreePercentage": 55}
            raw = json.dumps(body).encode()
            try:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@contextmanager
def live_server() -> Iterator[tuple[str, type[_State]]]:
    state = type("State", (_State,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v3", state
    finally:
        server.shutdown()
        server.server_close()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{_fmt(p50)} | {_fmt(p95)} | {len(ordered)}"


def _fmt(seconds: float) -> str:
    if seconds >= 0.1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def run(read_timeout_s: float) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    ShippedFactors._loaded = None
    load_s = timed(ShippedFactors.load)
    rows.append(("dataset load (first use in a process, parse emission_factors.json)", f"{_fmt(load_s)} | - | 1"))

    offline = EmissionFactorResolver.offline()
    rows.append(
        (
            "shipped tiers, first lookup of each region",
            summary([timed(partial(offline.resolve, r)) for r in REGIONS]),
        )
    )
    rows.append(
        ("shipped tiers, repeated lookups", summary([timed(partial(offline.resolve, r)) for r in REGIONS * 200]))
    )

    with live_server() as (url, state):
        client = ElectricityMapsClient(KEY, base_url=url, timeout=httpx.Timeout(read_timeout_s, connect=1.0))
        live = EmissionFactorResolver(ShippedFactors.load(), client)
        cold = [timed(partial(live.resolve, z)) for z in LIVE_ZONES]
        rows.append(("live, cold (2 loopback HTTP calls: intensity + breakdown)", summary(cold)))
        warm = [timed(partial(live.resolve, z)) for z in LIVE_ZONES * 100]
        rows.append(("live, warm (memory TTL cache hit)", summary(warm)))

        state.hang_s = read_timeout_s * 3
        dead_client = ElectricityMapsClient(KEY, base_url=url, timeout=httpx.Timeout(read_timeout_s, connect=1.0))
        dead = EmissionFactorResolver(
            ShippedFactors.load(), dead_client, retry=retry_policy(attempts=2, base_s=0.2, max_backoff_s=1.0)
        )
        failing = [timed(partial(dead.resolve, z)) for z in LIVE_ZONES[:3]]
        rows.append(
            (
                f"live timing out (read timeout {read_timeout_s} s, 2 attempts), until the breaker opens",
                summary(failing),
            )
        )
        fast = [timed(partial(dead.resolve, r)) for r in (LIVE_ZONES + REGIONS) * 50]
        rows.append(("live timing out, breaker open (fast-fail to the shipped tiers)", summary(fast)))
        state.hang_s = 0.0
        client.close()
        dead_client.close()
    return rows


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def table(rows: list[tuple[str, str]], read_timeout_s: float) -> str:
    lines = [
        "## emission factors",
        "",
        "Lookup latency of `EmissionFactorResolver.resolve` (median, 95th percentile, lookups).",
        f"Command: `.venv/bin/python scripts/bench_factors.py --write` (read timeout {read_timeout_s} s;",
        "production default 5 s). Machine: "
        + f"{platform.machine()}, Python {platform.python_version()}, {platform.system()}, "
        + f"1-minute load average {_load()} when measured (a shared machine: figures vary about 2x run to run).",
        "The live source is a loopback stand-in: real HTTP, no network latency. The slowest cold live lookup is",
        "the process's first: it builds the httpx client (TLS context included).",
        "",
        "| case | p50 | p95 | n |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | {figures} |" for name, figures in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--read-timeout-s", type=float, default=1.0)
    args = parser.parse_args(argv)
    text = table(run(args.read_timeout_s), args.read_timeout_s)
    sys.stdout.write(text)
    if args.write:
        write_section("emission-factors", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
