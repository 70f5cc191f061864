"""Retention: delivery bodies are not kept for ever. Run by the ``api-integrations`` hourly schedule, in slices.

- A **processed** delivery's body (with the commit authors' names and e-mails in it) is dropped
  ``ECOTRACE_DELIVERY_RETENTION_DAYS`` (default 30) after it was received; its row stays, without the body and
  the sender's login, so a redelivery is still recognised as one (GitHub redelivers for 3 days).
- A **failed** or unfinished one keeps its body so it can be replayed (``scripts/replay_deliveries.py``) until
  ``ECOTRACE_FAILED_DELIVERY_RETENTION_DAYS`` (default 90); then the body goes too and the row's ``error`` says
  so: that delivery was never counted, and GitHub no longer has it either.
- Rate-limit counters past their window are deleted.

Each run does at most ``slices`` bulk requests of ``slice_rows`` rows per kind and stops early when the time
budget is spent; what is left waits for the next hour. One bulk update sets the same columns on up to
``slice_rows`` rows in one request, so an hourly run keeps up with far more than the design's 100,000 deliveries
a day (4,200 an hour).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from appwrite.query import Query

from ..clock import Clock, to_iso, utc_now
from ..errors import NotConfiguredError
from ..ports import Store
from ..tables import deliveries, rate_limits
from ..tables.deliveries import DeliveryStatus

DEFAULT_DAYS = 30
DEFAULT_FAILED_DAYS = 90
SLICE_ROWS = 500
SLICES = 10
BUDGET_S = 10.0  # of api-integrations' 30 s: the hourly factor refresh runs in the same execution


@dataclass(frozen=True)
class RetentionPolicy:
    processed_days: float = DEFAULT_DAYS
    failed_days: float = DEFAULT_FAILED_DAYS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RetentionPolicy:
        values = []
        for name, default in (
            ("ECOTRACE_DELIVERY_RETENTION_DAYS", DEFAULT_DAYS),
            ("ECOTRACE_FAILED_DELIVERY_RETENTION_DAYS", DEFAULT_FAILED_DAYS),
        ):
            raw = env.get(name, "").strip()
            try:
                value = float(raw) if raw else float(default)
            except ValueError:
                raise NotConfiguredError(f"{name} must be a number of days, got {raw!r}") from None
            if not value > 0:
                raise NotConfiguredError(f"{name} must be more than 0 days, got {raw!r}")
            values.append(value)
        return cls(*values)


@dataclass
class PurgeReport:
    processed_bodies: int = 0
    failed_bodies: int = 0
    rate_limit_rows: int = 0
    complete: bool = True  # False: rows are left for the next run
    cutoffs: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def failed_note(days: float, purged_at: str) -> str:
    return (
        f"body purged on {purged_at} after {days:g} days without a successful replay: this delivery was never "
        "counted, and GitHub keeps deliveries for 3 days only"
    )


def purge(
    store: Store,
    policy: RetentionPolicy,
    *,
    clock: Clock = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    budget_s: float = BUDGET_S,
    slice_rows: int = SLICE_ROWS,
    slices: int = SLICES,
) -> PurgeReport:
    now = clock()
    started = monotonic()
    processed_before = to_iso(now - timedelta(days=policy.processed_days))
    failed_before = to_iso(now - timedelta(days=policy.failed_days))
    report = PurgeReport(cutoffs={"processed_before": processed_before, "failed_before": failed_before})
    gone = {"body": None, "body_sha256": None, "sender_login": None}
    kinds: list[tuple[str, Callable[[], int]]] = [
        (
            "processed_bodies",
            lambda: store.update_where(
                deliveries.NAME,
                gone,
                [
                    Query.equal("status", DeliveryStatus.PROCESSED.value),
                    Query.less_than("received_at", processed_before),
                    Query.is_not_null("body"),
                ],
                limit=slice_rows,
            ),
        ),
        (
            "failed_bodies",
            lambda: store.update_where(
                deliveries.NAME,
                {**gone, "error": failed_note(policy.failed_days, to_iso(now))},
                [
                    Query.equal("status", [DeliveryStatus.FAILED.value, DeliveryStatus.RECEIVED.value]),
                    Query.less_than("received_at", failed_before),
                    Query.is_not_null("body"),
                ],
                limit=slice_rows,
            ),
        ),
        (
            "rate_limit_rows",
            lambda: store.delete_where(
                rate_limits.NAME, [Query.less_than("expires_at", to_iso(now))], limit=min(slice_rows, 1000)
            ),
        ),
    ]
    for name, run in kinds:
        for _ in range(slices):
            if monotonic() - started > budget_s:
                report.complete = False
                return report
            count = run()
            setattr(report, name, getattr(report, name) + count)
            if count < slice_rows:
                break
        else:
            report.complete = False
    return report
