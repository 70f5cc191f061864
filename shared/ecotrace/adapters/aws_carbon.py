"""AWS's own carbon figures for an account, per region (optional: ``pip install 'ecotrace[aws]'``).

Two sources, when AWS credentials are configured:

- the ``sustainability`` API, ``GetEstimatedCarbonEmissions`` grouped by ``REGION`` (monthly);
- the carbon emissions Data Export in S3 (CSV or CSV.gz files with ``usage_period_start``,
  ``usage_period_end``, ``region_code``, ``total_lbm_emissions_value`` / ``_unit``,
  ``total_mbm_emissions_value`` / ``_unit``, ``model_version``).

What they hold, and what they do not: AWS publishes *emissions* (MTCO2e, location- and market-based) per
account, region and service, never the energy behind them, so a grid intensity (g/kWh) cannot be derived from
them. EcoTrace therefore keeps the cloud-region grid factors from the shipped data and uses AWS's figures as
a per-region cross-check of the account's totals (see ``summarise``); it never turns them into a factor.

boto3 is imported lazily (it is an optional extra), every client has connect/read timeouts and bounded
retries, and AWS errors become :class:`AwsCarbonError` with ``transient`` set for throttling, 5xx and timeouts.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..errors import NotConfiguredError, UpstreamError

EMISSIONS_TYPES = ("TOTAL_LBM_CARBON_EMISSIONS", "TOTAL_MBM_CARBON_EMISSIONS")
MAX_EXPORT_BYTES = 50 * 1024 * 1024
TRANSIENT_CODES = {"ThrottlingException", "Throttling", "InternalServerException", "ServiceUnavailable", "SlowDown"}


class AwsCarbonError(UpstreamError):
    def __init__(self, kind: str, message: str, *, transient: bool = False) -> None:
        super().__init__(f"AWS carbon data: {message}", details={"source": "aws_carbon", "kind": kind})
        self.kind = kind
        self.transient = transient


@dataclass(frozen=True)
class RegionEmissions:
    region_code: str
    period_start: date
    period_end: date
    location_based_mtco2e: float | None
    market_based_mtco2e: float | None
    model_version: str | None
    origin: str  # sustainability_api | s3_export


def boto3_available() -> bool:
    try:
        import boto3  # noqa: F401
    except ImportError:
        return False
    return True


def _config(connect_timeout_s: float, read_timeout_s: float) -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=connect_timeout_s, read_timeout=read_timeout_s, retries={"max_attempts": 3, "mode": "standard"}
    )


def _translate(exc: Exception, what: str) -> AwsCarbonError | NotConfiguredError:
    if isinstance(exc, AwsCarbonError | NotConfiguredError):
        return exc  # ours already (boto3 missing, a refused file): botocore may not even be installed
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    if isinstance(exc, NoCredentialsError):
        return NotConfiguredError("AWS credentials are not configured")
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return AwsCarbonError("timeout", f"{what} timed out", transient=True)
    if isinstance(exc, EndpointConnectionError):
        return AwsCarbonError("connection", f"{what}: endpoint unreachable", transient=True)
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        transient = code in TRANSIENT_CODES or status >= 500
        return AwsCarbonError(code, f"{what} failed: {code} ({status or 'no status'})", transient=transient)
    return AwsCarbonError("unexpected", f"{what} failed: {type(exc).__name__}")


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date() if "T" in text else date.fromisoformat(text)


def _float(value: Any) -> float | None:
    if value in (None, ""):
        return None
    number = float(value)
    if number != number or number < 0:  # NaN or negative
        raise ValueError(f"not an emissions value: {value!r}")
    return number


class AwsCarbonSource:
    """Reads AWS's carbon figures. Pass clients in tests (moto S3, botocore Stubber); by default they are
    created on first use from the standard AWS credential chain."""

    def __init__(
        self,
        *,
        s3_client: Any = None,
        sustainability_client: Any = None,
        region_name: str = "us-east-1",
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 10.0,
    ) -> None:
        self._s3 = s3_client
        self._sustainability = sustainability_client
        self.region_name = region_name
        self._timeouts = (connect_timeout_s, read_timeout_s)

    def __repr__(self) -> str:
        return f"AwsCarbonSource(region_name={self.region_name!r})"

    def _client(self, service: str) -> Any:
        if not boto3_available():
            raise NotConfiguredError("boto3 is not installed: pip install 'ecotrace[aws]'")
        import boto3

        make: Any = boto3.client  # the service name is a runtime string, not one of the stubs' literals
        return make(service, region_name=self.region_name, config=_config(*self._timeouts))

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = self._client("s3")
        return self._s3

    @property
    def sustainability(self) -> Any:
        if self._sustainability is None:
            self._sustainability = self._client("sustainability")
        return self._sustainability

    # ---- the sustainability API ---------------------------------------------------------------------------
    def from_api(self, start: date, end: date, *, max_pages: int = 20) -> list[RegionEmissions]:
        """Monthly location- and market-based emissions per region for ``start`` <= month < ``end``."""
        out: list[RegionEmissions] = []
        token: str | None = None
        for _ in range(max_pages):
            request: dict[str, Any] = {
                "TimePeriod": {
                    "Start": datetime(start.year, start.month, start.day, tzinfo=UTC),
                    "End": datetime(end.year, end.month, end.day, tzinfo=UTC),
                },
                "GroupBy": ["REGION"],
                "EmissionsTypes": list(EMISSIONS_TYPES),
                "Granularity": "MONTHLY",
            }
            if token:
                request["NextToken"] = token
            try:
                page = self.sustainability.get_estimated_carbon_emissions(**request)
            except Exception as exc:
                raise _translate(exc, "sustainability GetEstimatedCarbonEmissions") from exc
            out.extend(self._parse_api_results(page.get("Results", [])))
            token = page.get("NextToken")
            if not token:
                return out
        raise AwsCarbonError("too_many_pages", f"more than {max_pages} pages of results; narrow the period")

    @staticmethod
    def _parse_api_results(results: Iterable[dict[str, Any]]) -> Iterator[RegionEmissions]:
        for item in results:
            try:
                values = item.get("EmissionsValues", {})
                lbm = values.get("TOTAL_LBM_CARBON_EMISSIONS")
                mbm = values.get("TOTAL_MBM_CARBON_EMISSIONS")
                for entry in (lbm, mbm):
                    if entry is not None and entry.get("Unit") != "MTCO2e":
                        raise ValueError(f"unexpected unit {entry.get('Unit')!r}")
                yield RegionEmissions(
                    region_code=str(item["DimensionsValues"].get("REGION", "unknown")),
                    period_start=_day(item["TimePeriod"]["Start"]),
                    period_end=_day(item["TimePeriod"]["End"]),
                    location_based_mtco2e=_float(lbm["Value"]) if lbm else None,
                    market_based_mtco2e=_float(mbm["Value"]) if mbm else None,
                    model_version=item.get("ModelVersion"),
                    origin="sustainability_api",
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise AwsCarbonError("malformed", f"unreadable API result: {exc}") from exc

    # ---- the S3 data export --------------------------------------------------------------------------------------
    def from_s3_export(self, bucket: str, prefix: str = "", *, max_files: int = 200) -> list[RegionEmissions]:
        """Every CSV / CSV.gz file under ``prefix``, summed per region and usage period (other formats skipped)."""
        keys: list[str] = []
        try:
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys += [str(o["Key"]) for o in page.get("Contents", []) if str(o["Key"]).endswith((".csv", ".csv.gz"))]
                if len(keys) > max_files:
                    raise AwsCarbonError("too_many_files", f"more than {max_files} export files under {prefix!r}")
        except AwsCarbonError:
            raise
        except Exception as exc:
            raise _translate(exc, f"S3 list s3://{bucket}/{prefix}") from exc
        totals: dict[tuple[str, date, date, str | None], list[float | None]] = {}
        for key in sorted(keys):
            for row in self._read_export(bucket, key):
                region = (row.get("region_code") or "").strip() or "global"
                try:
                    period = (region, _day(row["usage_period_start"]), _day(row["usage_period_end"]))
                    lbm, mbm = (
                        _float(row.get("total_lbm_emissions_value")),
                        _float(row.get("total_mbm_emissions_value")),
                    )
                except (KeyError, ValueError) as exc:
                    raise AwsCarbonError("malformed", f"unreadable row in s3://{bucket}/{key}: {exc}") from exc
                for unit_key in ("total_lbm_emissions_unit", "total_mbm_emissions_unit"):
                    unit = (row.get(unit_key) or "MTCO2e").strip()
                    if unit != "MTCO2e":
                        raise AwsCarbonError("malformed", f"unexpected unit {unit!r} in s3://{bucket}/{key}")
                slot = totals.setdefault((*period, row.get("model_version") or None), [None, None])
                slot[0] = lbm if slot[0] is None else slot[0] + (lbm or 0.0)
                slot[1] = mbm if slot[1] is None else slot[1] + (mbm or 0.0)
        return [
            RegionEmissions(region, start, end, lbm, mbm, model, "s3_export")
            for (region, start, end, model), (lbm, mbm) in sorted(totals.items(), key=lambda kv: str(kv[0]))
        ]

    def _read_export(self, bucket: str, key: str) -> Iterator[dict[str, str]]:
        try:
            obj = self.s3.get_object(Bucket=bucket, Key=key)
            if int(obj.get("ContentLength", 0)) > MAX_EXPORT_BYTES:
                raise AwsCarbonError("too_large", f"s3://{bucket}/{key} is larger than {MAX_EXPORT_BYTES} bytes")
            raw: bytes = obj["Body"].read(MAX_EXPORT_BYTES + 1)
        except AwsCarbonError:
            raise
        except Exception as exc:
            raise _translate(exc, f"S3 get s3://{bucket}/{key}") from exc
        if key.endswith(".gz"):
            try:
                raw = gzip.decompress(raw)
            except OSError as exc:
                raise AwsCarbonError("malformed", f"s3://{bucket}/{key} is not gzip") from exc
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise AwsCarbonError("malformed", f"s3://{bucket}/{key} is not UTF-8 text") from exc
        reader = csv.DictReader(io.StringIO(text))
        needed = {"usage_period_start", "usage_period_end", "region_code", "total_lbm_emissions_value"}
        missing = needed - set(reader.fieldnames or [])
        if missing:
            raise AwsCarbonError("malformed", f"s3://{bucket}/{key} lacks columns {sorted(missing)}")
        yield from reader


def summarise(rows: Iterable[RegionEmissions]) -> dict[str, Any]:
    """Totals per region (location- and market-based MTCO2e) for a report; no secrets, no account ids."""
    regions: dict[str, dict[str, float]] = {}
    periods: set[tuple[date, date]] = set()
    for row in rows:
        slot = regions.setdefault(row.region_code, {"location_based_mtco2e": 0.0, "market_based_mtco2e": 0.0})
        slot["location_based_mtco2e"] += row.location_based_mtco2e or 0.0
        slot["market_based_mtco2e"] += row.market_based_mtco2e or 0.0
        periods.add((row.period_start, row.period_end))
    return {
        "regions": {k: {n: round(v, 6) for n, v in totals.items()} for k, totals in sorted(regions.items())},
        "period_start": min((p[0] for p in periods), default=None),
        "period_end": max((p[1] for p in periods), default=None),
        "note": "AWS publishes emissions, not energy: these are a cross-check, not grid factors",
    }
