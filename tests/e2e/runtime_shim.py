"""Stand-in for the open-runtimes Python server, run by a deployed function's own virtual environment.

Usage: python runtime_shim.py REQUEST.json  (cwd = the folder holding ``function/``)
It imports the entrypoint as ``function.src.main`` exactly as the runtime does, builds a context with the
request from the JSON file, calls ``main(context)`` and prints ``{"response": ..., "logs": [...]}``.
Standard library only: the venv holds nothing but the function's own requirements.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import inspect
import json
import sys
from typing import Any
from urllib.parse import parse_qsl


class Request:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.body_binary: bytes = base64.b64decode(spec.get("body_b64", ""))
        self.headers: dict[str, str] = {k.lower(): v for k, v in spec.get("headers", {}).items()}
        self.method: str = spec.get("method", "POST")
        self.path: str = spec.get("path", "/")
        self.query_string: str = spec.get("query_string", "")
        self.query = dict(parse_qsl(self.query_string))
        self.scheme, self.host, self.port = "http", "localhost", 80
        self.url = f"http://localhost{self.path}"

    @property
    def body_text(self) -> str:
        return self.body_binary.decode("utf-8")

    @property
    def body_json(self) -> Any:
        return json.loads(self.body_text)

    @property
    def body(self) -> str:
        return self.body_text


class Response:
    def json(self, obj: Any, statusCode: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "body": json.dumps(obj),
            "statusCode": statusCode,
            "headers": {"content-type": "application/json", **(headers or {})},
        }

    def text(self, body: str, statusCode: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return {"body": body, "statusCode": statusCode, "headers": headers or {}}

    def empty(self) -> dict[str, Any]:
        return {"body": "", "statusCode": 204, "headers": {}}


class Context:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.req = Request(spec)
        self.res = Response()
        self.logs: list[str] = []

    def log(self, *messages: Any) -> None:
        self.logs.append(" ".join(str(m) for m in messages))

    def error(self, *messages: Any) -> None:
        self.logs.append("ERROR " + " ".join(str(m) for m in messages))


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    module = importlib.import_module("function.src.main")
    context = Context(spec)
    result = module.main(context)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    print(json.dumps({"response": result, "logs": context.logs, "module_file": module.__file__}))


if __name__ == "__main__":
    main()
