"""A/B message variants: which variant of a message a debtor sees, the same one every time.

Sticky without storing anything: the variant comes from a hash of the experiment (the base
message id) and the debtor id, so the cadence, the dialog and the reports all agree on who
saw what, on any machine, and a debtor never sees two versions of the same message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from dialogs.negotiation.policy import Policy

_BUCKETS = 2**64


def variants_of(policy: Policy, message_id: str) -> tuple[str, ...]:
    """The base message first, then its alternatives; just the base when it is no experiment."""
    return (message_id, *policy.messages.ab_variants.get(message_id, ()))


def weights_of(policy: Policy, message_id: str) -> tuple[int, ...]:
    """One weight per entry of `variants_of` (equal shares unless the policy says otherwise)."""
    variants = variants_of(policy, message_id)
    return policy.messages.ab_weights.get(message_id, (1,) * len(variants))


def bucket(experiment: str, debtor_id: int) -> float:
    """A uniform, deterministic position in [0, 1) for this debtor in this experiment."""
    digest = hashlib.sha256(f"{experiment}\x00{debtor_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _BUCKETS


def pick(variants: Sequence[str], weights: Sequence[int], position: float) -> str:
    """The variant whose share of the cumulative weights contains `position`."""
    total = sum(weights)
    threshold = position * total
    running = 0
    for variant, weight in zip(variants, weights, strict=True):
        running += weight
        if threshold < running:
            return variant
    return variants[-1]


def choose_variant(policy: Policy, message_id: str, debtor_id: int) -> str:
    """The message id this debtor gets for `message_id` (itself when there is no experiment)."""
    variants = variants_of(policy, message_id)
    if len(variants) == 1:
        return message_id
    return pick(variants, weights_of(policy, message_id), bucket(message_id, debtor_id))
