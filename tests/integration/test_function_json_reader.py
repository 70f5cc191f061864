"""The functions' JSON reader (``ecotrace.entrypoints.http.request_json``) on the local stack: a body nested too
deeply for Python's parser, or holding what Appwrite could never store, is the caller's 400 with a clear message,
never a 500 with a traceback (issue 14, item 7), for carbon-calculator and api-integrations alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from appwrite.services.functions import Functions

from ecotrace.entrypoints.http import request_json
from ecotrace.errors import ValidationError
from ecotrace_local.testing import StackHandle
from tests.integration.project_stack import project_stack

# Each below api-integrations' 64 KiB body limit, so it is the nesting that is refused, not the size.
DEEP_BODIES = {
    "array-60k-deep": "[" * 60_000,
    "object-10k-deep": '{"a":' * 10_000 + "1" + "}" * 10_000,
    "within-recursion-limit-but-absurd": "[" * 900 + "]" * 900,
}


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    functions = ["carbon-calculator", "api-integrations"]
    with project_stack(tmp_path_factory.mktemp("json-reader"), functions=functions) as handle:
        yield handle


@pytest.mark.parametrize("function_id", ["carbon-calculator", "api-integrations"])
@pytest.mark.parametrize("name", sorted(DEEP_BODIES))
def test_a_deeply_nested_body_is_a_400_naming_the_problem(stack: StackHandle, function_id: str, name: str) -> None:
    functions = Functions(stack.user_client("alice"))
    execution = functions.create_execution(function_id, body=DEEP_BODIES[name])
    assert execution.responsestatuscode == 400, execution.responsebody
    answer = json.loads(execution.responsebody)
    assert answer["ok"] is False
    assert answer["error"] == "invalid_request"
    assert "nested" in answer["message"]
    assert execution.status.value == "completed"


def _context(raw: bytes) -> Any:
    return SimpleNamespace(req=SimpleNamespace(body_binary=raw))


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"[" * 100_000, "nested"),
        (b'{"a":' * 65 + b"1" + b"}" * 65, "nested"),
        (b'{"action":"\\ud800"}', "surrogate"),
        (b'{"\\udfff":1}', "surrogate"),
        (b'{"n":NaN}', "not valid JSON"),
        (b'{"n":Infinity}', "not valid JSON"),
    ],
)
def test_request_json_refuses_what_it_cannot_hand_on(raw: bytes, fragment: str) -> None:
    with pytest.raises(ValidationError) as err:
        request_json(_context(raw))
    assert fragment in err.value.message


def test_request_json_reads_ordinary_nesting() -> None:
    nested = b'{"a":' * 64 + b"1" + b"}" * 64
    assert request_json(_context(nested))["a"]["a"]["a"] is not None
    assert request_json(_context(b'{"action":"calculate","ids":["a1"]}')) == {"action": "calculate", "ids": ["a1"]}
