"""Redaction, the one place secrets and e-mail addresses leave what EcoTrace writes."""

from __future__ import annotations

from ecotrace.domain.redaction import MASK, Redactor


def test_known_secrets_and_credential_shapes_are_masked() -> None:
    redactor = Redactor.of(["webhook-secret-123", "em-key-abc-999", None, "short"])
    text = (
        "secret webhook-secret-123 key em-key-abc-999 token gho_16C7e42F292c6912E7710c838347Ae178B4a "
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJhIn0.c2lnbmF0dXJl key ephemeral_abcdefghijklmnopqrstu "
        "Authorization: Bearer abcdef123456 password=hunter22 mail ada@example.org short"
    )
    out = redactor.text(text)
    for leaked in (
        "webhook-secret-123",
        "em-key-abc-999",
        "gho_16C7",
        "eyJhbGci",
        "ephemeral_abc",
        "abcdef123456",
        "hunter22",
        "ada@example.org",
    ):
        assert leaked not in out, leaked
    assert "short" in out  # a 5-character "secret" would mask ordinary words: not taken
    assert out.count(MASK) >= 7


def test_answers_keep_email_addresses_but_not_secrets() -> None:
    redactor = Redactor.of(["webhook-secret-123"], emails=False)
    assert redactor.text("ada@example.org webhook-secret-123") == f"ada@example.org {MASK}"


def test_values_under_credential_keys_are_masked_whole_at_any_depth() -> None:
    redactor = Redactor.of([])
    data = {"github_token": "abc", "nested": [{"apiKey": "zzz", "note": "fine"}], "token_count": None}
    assert redactor.value(data) == {
        "github_token": MASK,
        "nested": [{"apiKey": MASK, "note": "fine"}],
        "token_count": None,
    }
