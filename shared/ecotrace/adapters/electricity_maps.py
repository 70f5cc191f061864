"""Electricity Maps API v3 client (httpx): latest carbon intensity and power breakdown for a zone or a point, and
the last 24 hours of hourly intensity.

``GET {base}/carbon-intensity/latest?zone=DE`` (or ``lat=&lon=``), ``GET {base}/power-breakdown/latest`` and
``GET {base}/carbon-intensity/history`` (``{"zone", "history": [...]}``: the last 24 hourly values, each shaped
like a latest answer; the free tier serves it for its one zone), header ``auth-token: <key>`` (facts:
../shared/reference/carbon-methodology.md). Every failure becomes an
:class:`ElectricityMapsError` with a ``kind``; ``transient`` says whether asking again may help. The key is
never put in a log line, a ``repr``, an error message or a returned value.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..clock import Clock, parse_iso, utc_now
from ..errors import UpstreamError

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.electricitymaps.com/v3"
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
MAX_BODY_BYTES = 256 * 1024


class ElectricityMapsError(UpstreamError):
    """kind: unauthorized | forbidden | zone_not_found | bad_request | rate_limited | server_error | timeout |
    connection | malformed | no_data | unexpected_status."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        http_status: int | None = None,
        transient: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        details: dict[str, object] = {"source": "electricity_maps", "kind": kind}
        if http_status is not None:
            details["http_status"] = http_status
        if retry_after_s is not None:
            details["retry_after_s"] = retry_after_s
        super().__init__(f"Electricity Maps: {message}", details=details)
        self.kind = kind
        self.http_status = http_status
        self.transient = transient
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Target:
    """What to ask for: a zone, or a point."""

    zone: str | None = None
    lat: float | None = None
    lon: float | None = None

    def params(self) -> dict[str, str]:
        if self.zone:
            return {"zone": self.zone}
        if self.lat is None or self.lon is None:
            raise ValueError("a target needs a zone or lat and lon")
        return {"lat": f"{self.lat:.4f}", "lon": f"{self.lon:.4f}"}

    def describe(self) -> str:
        return self.zone or f"lat={self.lat}, lon={self.lon}"


@dataclass(frozen=True)
class LiveReading:
    zone: str
    g_co2e_per_kwh: float
    renewable_percentage: float | None
    measured_at: datetime | None  # the hour the value is for ("datetime")
    is_estimated: bool
    estimation_method: str | None
    emission_factor_type: str | None  # "lifecycle" by default
    fetched_at: datetime
    breakdown_error: str | None = None  # why renewable_percentage is missing, when it is


@dataclass(frozen=True)
class HistoryReading:
    """One hour of ``/carbon-intensity/history``."""

    zone: str
    measured_at: datetime  # the hour the value is for
    g_co2e_per_kwh: float
    is_estimated: bool
    emission_factor_type: str | None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def _number(body: dict[str, Any], key: str, *, lo: float, hi: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ElectricityMapsError("malformed", f"{key} is not a number")
    if not lo <= float(value) <= hi:
        raise ElectricityMapsError("malformed", f"{key}={value} is outside {lo}..{hi}")
    return float(value)


class ElectricityMapsClient:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("an Electricity Maps API key is required")
        if None in (timeout.connect, timeout.read, timeout.write, timeout.pool):
            raise ValueError("every phase of the request needs a timeout (connect, read, write, pool)")
        self._key = api_key.strip()
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._transport = transport
        self._clock = clock
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"ElectricityMapsClient(base_url={self.base_url!r}, api_key='***')"

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url,
                timeout=self._timeout,
                transport=self._transport,
                headers={"auth-token": self._key, "accept": "application/json"},
                follow_redirects=False,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    def _get(self, path: str, target: Target) -> dict[str, Any]:
        try:
            response = self._http().get(path, params=target.params())
        except httpx.TimeoutException as exc:
            raise ElectricityMapsError("timeout", f"{path} timed out ({type(exc).__name__})", transient=True) from exc
        except httpx.TransportError as exc:
            raise ElectricityMapsError(
                "connection", f"{path} failed: {self._redact(type(exc).__name__)}", transient=True
            ) from exc
        status = response.status_code
        if status != 200:
            raise self._status_error(path, target, response)
        raw = response.content
        if len(raw) > MAX_BODY_BYTES:
            raise ElectricityMapsError("malformed", f"{path} body is {len(raw)} bytes", http_status=status)
        try:
            body = response.json()
        except ValueError:
            raise ElectricityMapsError(
                "malformed", f"{path} returned a body that is not JSON", http_status=200
            ) from None
        if not isinstance(body, dict):
            raise ElectricityMapsError("malformed", f"{path} returned JSON that is not an object", http_status=200)
        if body.get("status") not in (None, "ok"):  # legacy CO2 Signal shape: {"status": "no-data", ...}
            raise ElectricityMapsError("no_data", f"no data for {target.describe()} (status {body.get('status')!r})")
        return body

    def _status_error(self, path: str, target: Target, response: httpx.Response) -> ElectricityMapsError:
        status = response.status_code
        said = ""
        try:
            body = response.json()
            if isinstance(body, dict):
                parts = [str(body[k]) for k in ("error", "message") if isinstance(body.get(k), str) and body[k]]
                said = " - ".join(parts)[:200]
        except ValueError:
            pass
        said = self._redact(said)
        suffix = f": {said}" if said else ""
        if status == 401:
            return ElectricityMapsError("unauthorized", f"API key rejected (401){suffix}", http_status=status)
        if status == 403:
            return ElectricityMapsError("forbidden", f"not allowed for this key (403){suffix}", http_status=status)
        if status == 404:
            return ElectricityMapsError(
                "zone_not_found", f"no zone {target.describe()} (404){suffix}", http_status=status
            )
        if status == 400:
            return ElectricityMapsError("bad_request", f"request refused (400){suffix}", http_status=status)
        if status == 429:
            after = parse_retry_after(response.headers.get("retry-after"), self._clock())
            return ElectricityMapsError(
                "rate_limited", f"rate limited (429){suffix}", http_status=status, transient=True, retry_after_s=after
            )
        if status >= 500:
            return ElectricityMapsError("server_error", f"{path} failed ({status})", http_status=status, transient=True)
        return ElectricityMapsError("unexpected_status", f"{path} answered {status}", http_status=status)

    def carbon_intensity(self, target: Target) -> dict[str, Any]:
        body = self._get("/carbon-intensity/latest", target)
        value = _number(body, "carbonIntensity", lo=0, hi=5000)
        if value is None:
            raise ElectricityMapsError("malformed", f"no carbonIntensity for {target.describe()}", http_status=200)
        if not isinstance(body.get("zone"), str) or not body["zone"]:
            raise ElectricityMapsError("malformed", "carbon intensity answer has no zone", http_status=200)
        return body

    def power_breakdown(self, target: Target) -> dict[str, Any]:
        body = self._get("/power-breakdown/latest", target)
        _number(body, "renewablePercentage", lo=0, hi=100)
        _number(body, "fossilFreePercentage", lo=0, hi=100)
        return body

    def history(self, target: Target) -> list[HistoryReading]:
        """The last 24 hourly values for ``target``, oldest first; an hour without a value is left out."""
        body = self._get("/carbon-intensity/history", target)
        items = body.get("history")
        if not isinstance(items, list):
            raise ElectricityMapsError("malformed", "history answer has no history list", http_status=200)
        out: list[HistoryReading] = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("datetime"), str):
                continue
            value = _number(item, "carbonIntensity", lo=0, hi=5000)
            zone = item.get("zone") or body.get("zone")
            if value is None or not isinstance(zone, str):
                continue
            try:
                measured_at = parse_iso(item["datetime"])
            except ValueError:
                raise ElectricityMapsError("malformed", "history datetime is not ISO 8601", http_status=200) from None
            factor_type = item.get("emissionFactorType")
            out.append(
                HistoryReading(
                    zone=zone,
                    measured_at=measured_at,
                    g_co2e_per_kwh=value,
                    is_estimated=bool(item.get("isEstimated", False)),
                    emission_factor_type=factor_type if isinstance(factor_type, str) else None,
                )
            )
        return sorted(out, key=lambda reading: reading.measured_at)

    def latest(self, target: Target, *, with_breakdown: bool = True) -> LiveReading:
        """Latest intensity for ``target``, plus the renewable share from the power breakdown when available.

        A failing breakdown does not fail the reading (the intensity is what matters); the reason is kept.
        """
        body = self.carbon_intensity(target)
        fetched_at = self._clock()
        renewable: float | None = None
        breakdown_error: str | None = None
        if with_breakdown:
            try:
                renewable = _number(self.power_breakdown(target), "renewablePercentage", lo=0, hi=100)
            except ElectricityMapsError as exc:
                if exc.kind in ("unauthorized",):
                    raise
                breakdown_error = exc.message
        measured_at: datetime | None = None
        stamp = body.get("datetime")
        if isinstance(stamp, str):
            try:
                measured_at = parse_iso(stamp)
            except ValueError:
                raise ElectricityMapsError("malformed", "datetime is not ISO 8601", http_status=200) from None
        method = body.get("estimationMethod")
        factor_type = body.get("emissionFactorType")
        return LiveReading(
            zone=str(body["zone"]),
            g_co2e_per_kwh=float(body["carbonIntensity"]),
            renewable_percentage=renewable,
            measured_at=measured_at,
            is_estimated=bool(body.get("isEstimated", False)),
            estimation_method=method if isinstance(method, str) else None,
            emission_factor_type=factor_type if isinstance(factor_type, str) else None,
            fetched_at=fetched_at,
            breakdown_error=breakdown_error,
        )
