"""Card payment links from the creditor's policy template, e.g. `https://pay.example/{agreement}/{n}`.

The template comes from configuration, so it is checked strictly: only known placeholders and
only https, so a typo cannot send a debtor to a broken or unencrypted page.
"""

from __future__ import annotations

import string
from urllib.parse import urlsplit

__all__ = ["PLACEHOLDERS", "PaymentLinkError", "card_link", "check_template"]

# `{n}` is the short form the policy examples use; `{installment}` says the same.
PLACEHOLDERS = frozenset({"agreement", "installment", "n"})


class PaymentLinkError(ValueError):
    """The policy's card-link template is unusable; the message says why."""


def check_template(template: str) -> None:
    """Raise `PaymentLinkError` unless `template` is an https URL with known placeholders."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise PaymentLinkError(f"card link template is malformed: {error}") from error
    unknown = sorted({name for name in fields if name not in PLACEHOLDERS})
    if unknown:
        known = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
        raise PaymentLinkError(
            f"card link template has unknown placeholders {unknown}; use {known}"
        )
    _require_https(_fill(template, agreement_id=1, installment=1))


def card_link(template: str, *, agreement_id: int, installment: int) -> str:
    """The card payment URL for one installment of one agreement."""
    check_template(template)
    if agreement_id < 1 or installment < 1:
        raise PaymentLinkError("agreement id and installment number must be positive")
    link = _fill(template, agreement_id=agreement_id, installment=installment)
    _require_https(link)
    return link


def _fill(template: str, *, agreement_id: int, installment: int) -> str:
    try:
        return template.format(agreement=agreement_id, installment=installment, n=installment)
    except (ValueError, KeyError, IndexError) as error:
        raise PaymentLinkError(f"card link template is malformed: {error}") from error


def _require_https(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise PaymentLinkError("card link must be an https:// URL with a host")
