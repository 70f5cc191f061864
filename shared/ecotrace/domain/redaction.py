"""Redaction: the one place that takes secrets and personal data out of what EcoTrace writes to logs and answers.
Pure: no I/O.

Two kinds of things go: the known secret values of this deployment (webhook secrets, API keys and tokens, the
execution's key, a user's JWT: passed in), and anything shaped like a credential or an e-mail address (GitHub
tokens, JWTs, Appwrite keys, bearer headers, ``password=...`` pairs). Values under keys that name a credential
(``token``, ``secret``, ``password``, ``jwt``, ``authorization``, ``api_key`` ...) are replaced whole. Answers
keep e-mail addresses (a person's export holds their own); logs never do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MASK = "[redacted]"
MIN_SECRET_CHARS = 6  # shorter "secrets" would mask ordinary words; such a secret is no secret anyway

_PATTERNS = (
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})"),  # GitHub tokens
    re.compile(r"\beyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]+"),  # JWTs (Appwrite user JWTs, execution keys)
    re.compile(r"\b(?:ephemeral|standard|dynamic)_[\w.-]{16,}"),  # Appwrite API keys
    re.compile(r"(?i)\bbearer\s+[\w.~+/=-]{8,}"),
    re.compile(r"(?i)\b(?:password|passwd|secret|api[_-]?key|token)\b[\"']?\s*[:=]\s*[\"']?[^\s\"',;}&]{4,}"),
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SECRET_KEY = re.compile(r"(?i)(token|secret|password|passwd|jwt|authorization|api[_-]?key|x-appwrite-key)")


@dataclass(frozen=True)
class Redactor:
    secrets: tuple[str, ...] = field(default=(), repr=False)
    emails: bool = True  # also mask e-mail addresses (logs); answers pass emails=False

    @classmethod
    def of(cls, secrets: Iterable[str | None], *, emails: bool = True) -> Redactor:
        kept = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
        return cls(tuple(kept), emails)

    def text(self, value: str) -> str:
        for secret in self.secrets:  # longest first, so a secret inside another is masked with it
            if secret in value:
                value = value.replace(secret, MASK)
        for pattern in _PATTERNS:
            value = pattern.sub(MASK, value)
        if self.emails:
            value = _EMAIL.sub("[email]", value)
        return value

    def value(self, data: Any) -> Any:
        """``data`` (JSON-like) with every string redacted and credential-named keys masked whole."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, Mapping):
            return {
                str(key): (MASK if _SECRET_KEY.search(str(key)) and item not in (None, "", False) else self.value(item))
                for key, item in data.items()
            }
        if isinstance(data, list | tuple):
            return [self.value(item) for item in data]
        return data
