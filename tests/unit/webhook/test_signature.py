"""Signatures: GitHub's documented vector, constant-time verification, and form bodies signed as sent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.domain.signature import sign, verify
from ecotrace.errors import SignatureError

# docs.github.com "Validating webhook deliveries": the documented test values.
DOC_SECRET = "It's a Secret to Everybody"
DOC_PAYLOAD = b"Hello, World!"
DOC_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_githubs_documented_test_vector() -> None:
    assert sign(DOC_SECRET, DOC_PAYLOAD) == DOC_SIGNATURE
    verify(DOC_SECRET, DOC_PAYLOAD, DOC_SIGNATURE)


def test_upper_case_hex_is_accepted() -> None:
    verify(DOC_SECRET, DOC_PAYLOAD, "sha256=" + DOC_SIGNATURE.removeprefix("sha256=").upper())


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0",
        DOC_SIGNATURE.removeprefix("sha256="),
        DOC_SIGNATURE[:-1],
        DOC_SIGNATURE[:-1] + "0",
        "sha256=" + "z" * 64,
        "sha256=é" + "0" * 63,
    ],
)
def test_missing_or_wrong_signatures_are_refused(header: str | None) -> None:
    with pytest.raises(SignatureError):
        verify(DOC_SECRET, DOC_PAYLOAD, header)


def test_a_different_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify("another secret", DOC_PAYLOAD, DOC_SIGNATURE)


def test_form_deliveries_are_signed_over_the_form_bytes_not_the_json_inside() -> None:
    form = b"payload=%7B%22zen%22%3A%22Keep+it+logically+awesome.%22%7D"
    signature = sign(DOC_SECRET, form)
    verify(DOC_SECRET, form, signature)
    with pytest.raises(SignatureError):
        verify(DOC_SECRET, b'{"zen":"Keep it logically awesome."}', signature)


@given(secret=st.text(min_size=1, max_size=40), body=st.binary(max_size=300), flip=st.integers(min_value=0))
def test_any_change_to_the_body_breaks_the_signature(secret: str, body: bytes, flip: int) -> None:
    signature = sign(secret, body)
    verify(secret, body, signature)
    if body:
        i = flip % len(body)
        changed = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]
        with pytest.raises(SignatureError):
            verify(secret, changed, signature)
    with pytest.raises(SignatureError):
        verify(secret, body + b" ", signature)


def test_the_comparison_is_hmac_compare_digest_over_the_whole_value(monkeypatch: pytest.MonkeyPatch) -> None:
    # Timing cannot be asserted in a unit test; what can be is that every verdict comes from the constant-time
    # comparison (a plain == would leak how many leading characters matched).
    import ecotrace.domain.signature as signature

    calls: list[tuple[bytes, bytes]] = []
    real = signature.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    verify(DOC_SECRET, DOC_PAYLOAD, DOC_SIGNATURE)
    with pytest.raises(SignatureError):
        verify(DOC_SECRET, DOC_PAYLOAD, DOC_SIGNATURE[:-1] + "0")
    assert [len(a) for a, _ in calls] == [len(DOC_SIGNATURE)] * 2
    monkeypatch.setattr(signature.hmac, "compare_digest", lambda a, b: False)
    with pytest.raises(SignatureError):  # the verdict is the comparison's, not a second check
        verify(DOC_SECRET, DOC_PAYLOAD, DOC_SIGNATURE)
