"""GitHub webhook signatures: HMAC-SHA256 of the raw request body, hex, prefixed ``sha256=``.

Source: docs.github.com "Validating webhook deliveries" (github/docs
content/webhooks/using-webhooks/validating-webhook-deliveries.md). The digest covers the exact bytes
received, so for ``application/x-www-form-urlencoded`` deliveries it covers the form body, not the JSON
inside its ``payload`` field. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac

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
