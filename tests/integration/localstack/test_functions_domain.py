"""A function's own HTTP domain (``/functions/<id>/...``): the raw request in, the function's raw response out."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import httpx
import pytest

from ecotrace_local.testing import StackHandle
from tests.integration.localstack.fn_samples import sample_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    with sample_stack(tmp_path_factory.mktemp("fndomain")) as handle:
        yield handle


def test_raw_body_reaches_the_function_byte_for_byte_and_the_raw_response_comes_back(stack: StackHandle) -> None:
    # Bytes a JSON round trip would change: key order, spacing, escapes, a non-UTF-8 byte.
    body = b'{"z": 1,  "a":"\\u00e9"}\n\xff'
    signature = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    response = httpx.post(
        f"{stack.base_url}/functions/raw/webhooks/github?delivery=1",
        content=body,
        headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
        timeout=10,
    )
    digest = hashlib.sha256(body).hexdigest()
    assert response.status_code == 418
    assert response.content == b"\x00\xffdigest:" + digest.encode()
    assert response.headers["x-digest"] == digest
    assert response.headers["x-signature-seen"] == signature
    assert response.headers["x-path"] == "/webhooks/github"
    assert response.headers["x-query"] == "delivery=1"
    assert response.headers["content-type"] == "application/octet-stream; charset=utf-8"


def test_domain_calls_are_http_triggered_with_no_user(stack: StackHandle) -> None:
    response = httpx.get(f"{stack.base_url}/functions/raw", timeout=10)
    assert response.headers["x-trigger"] == "http"
    assert response.headers["x-user"] == ""
    assert response.headers["x-path"] == "/"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_any_method_is_passed_on(stack: StackHandle, method: str) -> None:
    response = httpx.request(method, f"{stack.base_url}/functions/echo/a", timeout=10)
    assert response.status_code == 200
    assert response.json()["method"] == method


def test_headers_arrive_lower_cased_and_x_appwrite_headers_cannot_be_forged(stack: StackHandle) -> None:
    response = httpx.post(
        f"{stack.base_url}/functions/echo/",
        content=b"{}",
        headers={"X-GitHub-Event": "push", "X-Appwrite-User-Id": "mallory", "X-Appwrite-Trigger": "schedule"},
        timeout=10,
    )
    seen = response.json()["headers"]
    assert seen["x-github-event"] == "push"
    assert seen["x-appwrite-user-id"] == ""
    assert seen["x-appwrite-trigger"] == "http"
    assert response.headers["x-sample"] == "yes"


def test_a_failing_function_answers_500(stack: StackHandle) -> None:
    assert httpx.get(f"{stack.base_url}/functions/boom", timeout=10).status_code == 500


def test_unknown_function_domain_is_404(stack: StackHandle) -> None:
    response = httpx.get(f"{stack.base_url}/functions/nope/x", timeout=10)
    assert response.status_code == 404
    assert response.json()["type"] == "function_not_found"


@pytest.mark.parametrize("function_id", ["members-only", "nobody"])
def test_a_domain_serves_only_functions_anyone_may_execute(stack: StackHandle, function_id: str) -> None:
    response = httpx.get(f"{stack.base_url}/functions/{function_id}", timeout=10)
    assert response.status_code == 401
    assert response.json()["type"] == "user_unauthorized"


def test_a_body_over_20_mib_is_refused_before_the_function(stack: StackHandle) -> None:
    # The Python runtime's HTTP server takes at most 20 MiB (open-runtimes runtimes/python/versions/latest/src/
    # server.py: web.Application(client_max_size=20 * 1024 * 1024)); a bigger body never reaches main().
    limit = 20 * 1024 * 1024
    response = httpx.post(f"{stack.base_url}/functions/raw", content=b"x" * (limit + 1), timeout=30)
    assert response.status_code == 413
    assert str(limit) in response.text
    at_limit = httpx.post(f"{stack.base_url}/functions/raw", content=b"x" * limit, timeout=30)
    assert at_limit.status_code == 418  # the sample function's own answer: it ran


def test_domain_executions_are_recorded(stack: StackHandle) -> None:
    from appwrite.services.functions import Functions

    httpx.post(f"{stack.base_url}/functions/echo/recorded", content=b"{}", timeout=10)
    listed = Functions(stack.client()).list_executions("echo")
    assert any(e.requestpath == "/recorded" and e.trigger.value == "http" for e in listed.executions)
