"""One error tree for EcoTrace. Adapters translate vendor errors into these (``raise ... from exc``);
``ecotrace.entrypoints.http`` maps them to HTTP status codes at the edge."""

from __future__ import annotations


class EcoTraceError(Exception):
    """Base of every error EcoTrace raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ValidationError(EcoTraceError):
    """The caller sent something malformed: bad JSON, wrong types, missing fields."""

    status = 400
    code = "invalid_request"


class UnprocessableError(ValidationError):
    """Well-formed input that cannot be processed, now or on any retry (the store refuses data derived from it)."""

    status = 422
    code = "unprocessable"


class SignatureError(EcoTraceError):
    """A webhook delivery whose signature is missing or wrong."""

    status = 401
    code = "invalid_signature"


class NotConfiguredError(EcoTraceError):
    """A required setting (secret, key) is absent, so the request is refused."""

    status = 503
    code = "not_configured"


class UnauthorizedError(EcoTraceError):
    status = 401
    code = "unauthorized"


class ForbiddenError(EcoTraceError):
    status = 403
    code = "forbidden"


class NotFoundError(EcoTraceError):
    status = 404
    code = "not_found"


class ConflictError(EcoTraceError):
    """Another writer got there first (duplicate id, concurrent delivery)."""

    status = 409
    code = "conflict"


class LimitReachedError(EcoTraceError):
    """An increment with a bound (``max``) would pass it; nothing changed (Appwrite: 400 ``column_limit_exceeded``)."""

    status = 409
    code = "limit_reached"


class RateLimitedError(EcoTraceError):
    """The caller used up its budget for the current window; the answer carries ``Retry-After``."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, details: dict[str, object] | None = None) -> None:
        super().__init__(message, details={**(details or {}), "retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


class PayloadTooLargeError(EcoTraceError):
    status = 413
    code = "payload_too_large"


class StorageError(EcoTraceError):
    """The store (Appwrite) failed or timed out; the operation may be retried later."""

    status = 503
    code = "storage_unavailable"


class UpstreamError(EcoTraceError):
    """An external API (Electricity Maps, GitHub, AWS) failed."""

    status = 502
    code = "upstream_error"


class CircuitOpenError(UpstreamError):
    """A source's circuit breaker is open: the call was not attempted."""

    code = "circuit_open"
