"""A delivery's headers and body: the event name, delivery GUID and hook id, and the JSON payload. Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from ...errors import ValidationError
from .ids import _digest

MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB (docs: webhooks payload cap)
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_GUID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


@dataclass(frozen=True)
class DeliveryHeaders:
    event: str
    delivery_id: str
    hook_id: str | None
    signature: str | None
    content_type: str
    github: dict[str, str]  # every x-github-* header, for the delivery record

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> DeliveryHeaders:
        low = {str(k).lower(): str(v) for k, v in headers.items()}
        event = low.get("x-github-event", "").strip()
        if not event:
            raise ValidationError("missing x-github-event header")
        if not _EVENT_NAME.match(event):
            raise ValidationError("x-github-event must be a GitHub event name such as 'push'")
        delivery = low.get("x-github-delivery", "").strip()
        if not delivery:
            raise ValidationError("missing x-github-delivery header")
        if not _GUID.match(delivery):
            raise ValidationError("x-github-delivery must be a delivery GUID (at most 64 chars of A-Z a-z 0-9 . _ : -)")
        hook = low.get("x-github-hook-id", "").strip() or None
        if hook is not None and not (hook.isascii() and hook.isdigit() and len(hook) <= 20):
            raise ValidationError("x-github-hook-id must be a number")
        github = {k: v[:512] for k, v in sorted(low.items()) if k.startswith("x-github-")}
        return cls(
            event=event,
            delivery_id=delivery,
            hook_id=hook,
            signature=low.get("x-hub-signature-256"),
            content_type=low.get("content-type", "application/json").split(";")[0].strip().lower(),
            github=github,
        )

    @property
    def row_id(self) -> str:
        """The webhook_deliveries row id: the same for a redelivery of this event to this hook."""
        return "d_" + _digest(f"{self.hook_id or '-'}:{self.delivery_id}")


def decode_payload(body: bytes, content_type: str) -> dict[str, Any]:
    """The JSON object of a delivery; ``payload=`` form bodies are unwrapped. ValidationError otherwise."""
    if content_type == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=1000)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(f"form body is not valid UTF-8 urlencoded data: {exc}") from exc
        values = form.get("payload")
        if not values:
            raise ValidationError("form-encoded delivery has no 'payload' field")
        text: str | bytes = values[0]
    elif content_type in ("application/json", "") or content_type.endswith("+json"):
        try:
            text = body.decode("utf-8")  # GitHub: treat the payload as UTF-8
        except UnicodeDecodeError as exc:
            raise ValidationError(f"payload is not valid UTF-8: {exc}") from exc
    else:
        raise ValidationError(f"unsupported content type {content_type!r}: use application/json")
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValidationError(f"payload is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError("payload must be a JSON object")
    return data


def _problem(event: str, exc: PydanticValidationError) -> ValidationError:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return ValidationError(
        f"{event} payload is not what GitHub sends: " + "; ".join(parts) + more,
        details={"fields": [".".join(str(p) for p in e["loc"]) for e in exc.errors()[:20]]},
    )


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], event: str, payload: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(payload)
    except PydanticValidationError as exc:
        raise _problem(event, exc) from exc
    except (RecursionError, OverflowError) as exc:  # pathological nesting or numbers
        raise ValidationError(f"{event} payload cannot be read: {type(exc).__name__}") from exc
