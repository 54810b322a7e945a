"""Named conditions the handlers branch on: small pure functions, one question each."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dialogs.flow.context import Context
from dialogs.negotiation.policy import Policy

MIN_DESCRIPTION_WORDS = 5  # "eu ja paguei metade disso" already says enough for an agent


def is_verified(context: Context) -> bool:
    return context.verified


def is_locked(context: Context, now: datetime) -> bool:
    return context.locked_until is not None and now < context.locked_until


def lock_expired(context: Context, now: datetime) -> bool:
    return context.locked_until is not None and now >= context.locked_until


def attempts_exhausted(context: Context, policy: Policy) -> bool:
    return context.failed_attempts >= policy.verification.max_attempts


def has_active_agreement(context: Context) -> bool:
    return context.active_agreement is not None


def too_many_not_understood(context: Context, policy: Policy) -> bool:
    return context.not_understood_count >= policy.escalation.max_not_understood


def offers_stalled(context: Context, policy: Policy) -> bool:
    """The plan list was already shown `max_offer_revisits` times without a decision."""
    return context.offer_revisits >= policy.escalation.max_offer_revisits


def already_abusive(context: Context) -> bool:
    return context.abuse_count > 0


def promise_within_limit(day: date, today: date, policy: Policy) -> bool:
    return today <= day <= today + timedelta(days=policy.offers.promise_max_days)


def promise_beyond_limit(day: date, today: date, policy: Policy) -> bool:
    return day > today + timedelta(days=policy.offers.promise_max_days)


def single_payment_channel(policy: Policy) -> bool:
    return len(policy.channels.payment) == 1


def channel_enabled(channel: str, policy: Policy) -> bool:
    return channel in policy.channels.payment


def describes_enough(text: str) -> bool:
    return len(text.split()) >= MIN_DESCRIPTION_WORDS
