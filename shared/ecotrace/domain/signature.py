"""GitHub webhook signatures: HMAC-SHA256 of the raw request body, hex, prefixed ``sha256=``.

Source: docs.github.com "Validating webhook deliveries" (github/docs
content/webhooks/using-webhooks/validating-webhook-deliveries.md). The digest covers the exact bytes
received, so for ``application/x-www-form-urlencoded`` deliveries it covers the form body, not the JSON
inside its ``payload`` field. Pure: no I/O.

Rotation (:class:`WebhookSecrets`): GitHub signs with one secret per hook, and the secret cannot change in GitHub
and in Appwrite at the same instant. So during a rotation the webhook accepts the new secret and the previous
one, the previous only until an explicit end time; after it, only the new one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import SignatureError

PREFIX = "sha256="
_HEX_LEN = 64


def sign(secret: str | bytes, body: bytes) -> str:
    """The ``x-hub-signature-256`` header value GitHub sends for ``body``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(secret: str | bytes, body: bytes, header: str | None) -> None:
    """Raise :class:`SignatureError` unless ``header`` is the signature of ``body`` under ``secret``.

    The comparison is constant-time over the whole header value.
    """
    if not header:
        raise SignatureError("missing x-hub-signature-256 header: the delivery is not signed")
    value = header.strip()
    if not value.startswith(PREFIX) or len(value) != len(PREFIX) + _HEX_LEN:
        raise SignatureError("x-hub-signature-256 must be 'sha256=' followed by 64 hex digits")
    expected = sign(secret, body)
    if not hmac.compare_digest(expected.encode("ascii"), value.lower().encode("ascii", "replace")):
        raise SignatureError("x-hub-signature-256 does not match the body: wrong secret or altered payload")


def verify_any(secrets: Sequence[str | bytes], body: bytes, header: str | None) -> int:
    """Like :func:`verify` with several accepted secrets; returns the index of the one that signed ``body``.

    Every secret is compared (no early exit), each in constant time."""
    if not secrets:
        raise SignatureError("no webhook secret is configured")
    matched = -1
    errors: list[SignatureError] = []
    for index, secret in enumerate(secrets):
        try:
            verify(secret, body, header)
        except SignatureError as exc:
            errors.append(exc)
            continue
        if matched < 0:
            matched = index
    if matched < 0:
        raise errors[0]
    return matched


@dataclass(frozen=True)
class WebhookSecrets:
    """The secrets a delivery may be signed with: ``current``, and ``previous`` while ``now < previous_until``.

    ``previous`` without an end time is never accepted (a rotation that never ends would keep a retired secret
    valid forever); :attr:`previous_ignored` says why, for the health answer and the logs."""

    current: str | None = field(default=None, repr=False)
    previous: str | None = field(default=None, repr=False)
    previous_until: datetime | None = None
    previous_ignored: str = ""

    def accepted(self, now: datetime) -> tuple[str, ...]:
        keys = [self.current] if self.current else []
        if self.previous and self.previous_until is not None and now < self.previous_until:
            keys.append(self.previous)
        return tuple(keys)

    def describe(self, now: datetime) -> dict[str, object]:
        """The rotation's state without any secret: for health and logs."""
        rotating = len(self.accepted(now)) > 1
        out: dict[str, object] = {"configured": bool(self.current), "rotating": rotating}
        if self.previous_until is not None and self.previous:
            out["previous_accepted_until"] = self.previous_until.isoformat()
        if self.previous_ignored:
            out["previous_ignored"] = self.previous_ignored
        return out
