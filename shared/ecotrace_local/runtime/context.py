"""The open-runtimes ``context`` a function's ``main(context)`` receives, as Appwrite's Python runtime builds it
(open-runtimes ``runtimes/python/versions/latest/src``): ``context.req`` (raw body bytes plus text/JSON views,
lower-case headers, method, path, query, url), ``context.res`` builders returning plain
``{"body","statusCode","headers"}`` dicts, and ``context.log`` / ``context.error`` collected per execution."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class Request:
    """``context.req``. ``body_json`` raises (ValueError) on an empty or non-JSON body, as the runtime does."""

    def __init__(
        self,
        *,
        body_binary: bytes = b"",
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        path: str = "/",
        query_string: str = "",
        scheme: str = "http",
        host: str = "localhost",
        port: int = 80,
    ) -> None:
        self.body_binary = body_binary
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}
        self.method = method.upper()
        self.path = path or "/"
        self.query_string = query_string
        self.query: dict[str, str] = parse_query(query_string)
        self.scheme = scheme
        self.host = host
        self.port = port
        default_port = 443 if scheme == "https" else 80
        url = f"{scheme}://{host}"
        if port != default_port:
            url += f":{port}"
        url += self.path
        if query_string:
            url += f"?{query_string}"
        self.url = url

    @property
    def body_text(self) -> str:
        return self.body_binary.decode("utf-8")

    @property
    def body_json(self) -> Any:
        return json.loads(self.body_text)

    @property
    def body_raw(self) -> str:
        return self.body_text

    @property
    def body(self) -> Any:
        """Legacy view: parsed JSON for a JSON content-type ({} when empty), otherwise the text."""
        content_type = self.headers.get("content-type", "text/plain").lower()
        if content_type.startswith("application/json"):
            return self.body_json if self.body_binary else {}
        return self.body_text


def parse_query(query_string: str) -> dict[str, str]:
    """Like the runtime: split on ``&`` and the first ``=``, no percent-decoding, later keys win."""
    query: dict[str, str] = {}
    for param in query_string.split("&"):
        key, sep, value = param.partition("=")
        if key:
            query[key] = value if sep else ""
    return query


class Response:
    """``context.res``. Each builder returns ``{"body", "statusCode", "headers"}``; header dicts are copied."""

    def binary(self, data: bytes, statusCode: int = 200, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {"body": data, "statusCode": statusCode, "headers": dict(headers or {})}

    def text(self, body: str, statusCode: int = 200, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self.binary(body.encode("utf-8"), statusCode, headers)

    def send(self, body: Any, statusCode: int = 200, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {"body": body, "statusCode": statusCode, "headers": dict(headers or {})}

    def json(self, obj: Any, statusCode: int = 200, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        merged = {**dict(headers or {}), "content-type": "application/json"}
        return self.text(json.dumps(obj, separators=(",", ":")), statusCode, merged)

    def empty(self) -> dict[str, Any]:
        return self.text("", 204, {})

    def redirect(self, url: str, statusCode: int = 301, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        merged = {**dict(headers or {}), "location": url}
        return self.text("", statusCode, merged)


def _format_log(messages: tuple[Any, ...]) -> str:
    parts = []
    for message in messages:
        if isinstance(message, dict | list):
            parts.append(json.dumps(message))
        else:
            parts.append(str(message))
    return " ".join(parts)


class Context:
    def __init__(self, req: Request) -> None:
        self.req = req
        self.res = Response()
        self.logs: list[str] = []
        self.errors: list[str] = []

    def log(self, *messages: Any) -> None:
        self.logs.append(_format_log(messages))

    def error(self, *messages: Any) -> None:
        self.errors.append(_format_log(messages))
