"""A/B variants: a debtor always sees the same variant, and groups follow the weights."""

from __future__ import annotations

from collections import Counter

import pytest

from dialogs.experiments import choose_variant
from dialogs.negotiation.policy import Policy, default_policy


def with_variants(weights: dict[str, tuple[int, ...]] | None = None) -> Policy:
    base = default_policy()
    messages = base.messages.model_copy(
        update={
            "ab_variants": {"outreach.first": ("outreach.first_b", "outreach.first_c")},
            "ab_weights": weights or {},
        }
    )
    return base.model_copy(update={"messages": messages})


def test_no_experiment_means_the_message_itself() -> None:
    assert choose_variant(default_policy(), "outreach.first", 42) == "outreach.first"


def test_a_debtor_always_gets_the_same_variant() -> None:
    policy = with_variants()
    first = [choose_variant(policy, "outreach.first", debtor) for debtor in range(1, 200)]
    again = [choose_variant(policy, "outreach.first", debtor) for debtor in range(1, 200)]
    assert first == again
    assert choose_variant(policy, "offer.cash", 7) == "offer.cash"


def test_equal_weights_split_debtors_evenly_within_tolerance() -> None:
    policy = with_variants()
    counts = Counter(choose_variant(policy, "outreach.first", d) for d in range(30000))
    assert set(counts) == {"outreach.first", "outreach.first_b", "outreach.first_c"}
    for count in counts.values():
        assert abs(count - 10000) < 400  # about 4 standard deviations


def test_weights_shift_the_split() -> None:
    policy = with_variants({"outreach.first": (2, 1, 1)})
    counts = Counter(choose_variant(policy, "outreach.first", d) for d in range(40000))
    assert abs(counts["outreach.first"] - 20000) < 500
    assert abs(counts["outreach.first_b"] - 10000) < 400
    assert abs(counts["outreach.first_c"] - 10000) < 400


def test_weights_must_match_the_variants() -> None:
    from dialogs.negotiation.policy import PolicyError, load_policy

    text = """
[creditor]
name = "Loja Exemplo Ltda"
document = "12.345.678/0001-95"
address = "Rua Exemplo, 100"
pix_key = "12345678000195"
pix_city = "SAO PAULO"

[messages]
ab_variants = { "outreach.first" = ["outreach.first_b"] }
ab_weights = { "outreach.first" = [1, 1, 1] }
"""
    with pytest.raises(PolicyError, match="give 2 weights"):
        load_policy(text)
