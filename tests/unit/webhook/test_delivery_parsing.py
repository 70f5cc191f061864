"""Delivery headers and bodies: JSON and form encodings, clear 400s, and no crash on any bytes."""

from __future__ import annotations

import contextlib
import json
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.domain.github import DeliveryHeaders, decode_payload, extract
from ecotrace.errors import ValidationError
from tests.unit.webhook.wh_helpers import raw


def test_headers_are_read_case_insensitively_and_keep_the_github_ones() -> None:
    head = DeliveryHeaders.parse(
        {
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
            "X-GitHub-Hook-ID": "292430182",
            "Content-Type": "application/json; charset=utf-8",
            "X-Hub-Signature-256": "sha256=abc",
        }
    )
    assert (head.event, head.hook_id, head.content_type) == ("push", "292430182", "application/json")
    assert head.github["x-github-hook-id"] == "292430182"
    assert len(head.row_id) <= 36


def test_redelivery_to_the_same_hook_maps_to_the_same_row_and_another_hook_does_not() -> None:
    def parsed(hook: str) -> DeliveryHeaders:
        return DeliveryHeaders.parse({"x-github-event": "push", "x-github-delivery": "g-1", "x-github-hook-id": hook})

    assert parsed("1").row_id == parsed("1").row_id
    assert parsed("1").row_id != parsed("2").row_id


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"x-github-delivery": "g"}, "x-github-event"),
        ({"x-github-event": "push"}, "x-github-delivery"),
        ({"x-github-event": "Push Event!", "x-github-delivery": "g"}, "x-github-event"),
        ({"x-github-event": "push", "x-github-delivery": "g" * 65}, "x-github-delivery"),
        ({"x-github-event": "push", "x-github-delivery": "g", "x-github-hook-id": "abc"}, "x-github-hook-id"),
    ],
)
def test_bad_headers_are_named(headers: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        DeliveryHeaders.parse(headers)


def test_form_encoded_payload_field_is_unwrapped() -> None:
    body = urlencode({"payload": raw("ping/payload.json").decode()}).encode()
    data = decode_payload(body, "application/x-www-form-urlencoded")
    assert data["hook_id"] == 109948940


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "JSON object"),
        (b"\xff\xfe{}", "application/json", "UTF-8"),
        (b"other=1", "application/x-www-form-urlencoded", "'payload'"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded", "not valid JSON"),
        (b"<xml/>", "application/xml", "content type"),
    ],
)
def test_bad_bodies_are_named(body: bytes, content_type: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        decode_payload(body, content_type)


def test_deeply_nested_json_is_a_clear_error_not_a_crash() -> None:
    with pytest.raises(ValidationError):
        decode_payload(b"[" * 100_000 + b"]" * 100_000, "application/json")


EVENTS = st.sampled_from(["push", "pull_request", "workflow_job", "workflow_run", "deployment_status", "ping", "x"])
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)


@given(
    body=st.binary(max_size=400),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded"]),
)
def test_any_bytes_either_decode_or_raise_a_validation_error(body: bytes, content_type: str) -> None:
    with contextlib.suppress(ValidationError):
        assert isinstance(decode_payload(body, content_type), dict)


@given(
    event=EVENTS,
    data=st.dictionaries(
        st.sampled_from(
            [
                "action",
                "commits",
                "repository",
                "sender",
                "pull_request",
                "workflow_job",
                "workflow_run",
                "deployment",
                "deployment_status",
                "hook_id",
                "ref",
            ]
        ),
        JSONISH,
        max_size=8,
    ),
)
def test_arbitrary_json_either_extracts_or_raises_a_validation_error(event: str, data: dict[str, object]) -> None:
    with contextlib.suppress(ValidationError):
        extract(event, json.loads(json.dumps(data)), "d")
