"""Card links come only from safe policy templates."""

from __future__ import annotations

import pytest

from bot.payments.links import PaymentLinkError, card_link, check_template


@pytest.mark.parametrize(
    "template",
    ["https://pay.example/{agreement}/{n}", "https://pay.example/{agreement}/{installment}"],
)
def test_link_is_filled_from_the_template(template: str) -> None:
    assert card_link(template, agreement_id=42, installment=3) == "https://pay.example/42/3"


def test_placeholders_may_appear_in_the_query_string() -> None:
    link = card_link(
        "https://pay.example/checkout?ref=Q{agreement:08d}&n={n}", agreement_id=42, installment=2
    )

    assert link == "https://pay.example/checkout?ref=Q00000042&n=2"


@pytest.mark.parametrize(
    "template",
    [
        "https://pay.example/{agreement}/{debtor}",
        "https://pay.example/{cpf}",
        "https://pay.example/{agreement.__class__}",
        "https://pay.example/{0}",
    ],
)
def test_unknown_placeholders_are_rejected(template: str) -> None:
    with pytest.raises(PaymentLinkError, match="unknown placeholders"):
        card_link(template, agreement_id=1, installment=1)


@pytest.mark.parametrize(
    "template",
    ["http://pay.example/{agreement}", "javascript:alert({n})", "pay.example/{agreement}", ""],
)
def test_non_https_templates_are_rejected(template: str) -> None:
    with pytest.raises(PaymentLinkError, match="https"):
        check_template(template)


def test_malformed_template_is_rejected() -> None:
    with pytest.raises(PaymentLinkError, match="malformed"):
        check_template("https://pay.example/{agreement")
