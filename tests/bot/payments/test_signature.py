"""Only the holder of the webhook secret can confirm a payment."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.payments.signature import sign, verify

SECRET = b"payments-webhook-secret"
BODY = b'{"txid":"Q00000042N003","amount":"125.00"}'


def test_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    expected = hmac.new(SECRET, BODY, hashlib.sha256).hexdigest()

    assert sign(SECRET, BODY) == f"sha256={expected}"


def test_own_signature_verifies() -> None:
    assert verify(SECRET, BODY, sign(SECRET, BODY))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        sign(b"other-secret", BODY),
        sign(SECRET, BODY + b" "),
        sign(SECRET, BODY)[:-1] + "0",
        sign(SECRET, BODY).removeprefix("sha256="),
        "sha256=não-hex",
    ],
)
def test_wrong_missing_or_malformed_signatures_fail(header: str | None) -> None:
    assert not verify(SECRET, BODY, header)


def test_empty_secret_never_verifies() -> None:
    assert not verify(b"", BODY, sign(b"", BODY))


def test_comparison_goes_through_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)

    assert verify(SECRET, BODY, sign(SECRET, BODY))
    assert not verify(SECRET, BODY, "sha256=" + "0" * 64)
    assert len(calls) == 2
