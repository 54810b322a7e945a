"""Shared test inputs: the example policy and the conversation reference's sample debt."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dialogs.negotiation.policy import Policy, load_policy

REPO = Path(__file__).resolve().parents[3]
EXAMPLE_POLICY = REPO / "policy.example.toml"

TODAY = date(2026, 11, 25)
DUE = date(2026, 9, 5)  # 81 days before TODAY
PRINCIPAL = 240_000
SAMPLE_TOTAL = 251_280  # R$ 2.512,80 after multa and juros


def policy_with(**sections: str) -> Policy:
    """The example creditor plus extra TOML sections, e.g. offers='max_installments = 6'."""
    text = EXAMPLE_CREDITOR + "".join(f"\n[{name}]\n{body}\n" for name, body in sections.items())
    return load_policy(text)


EXAMPLE_CREDITOR = """
[creditor]
name = "Loja Exemplo Ltda"
document = "12.345.678/0001-95"
address = "Rua Exemplo, 100, Centro, São Paulo - SP, 01001-000"
pix_key = "12345678000195"
pix_city = "SAO PAULO"
"""
