"""Every message id the dialog may emit; the catalogs (`dialogs/locales`) hold the text.

Ids are dotted snake case and never change meaning: a changed text keeps its id, a different
idea gets a new one. Tests check that `ALL` and each catalog hold exactly the same ids.
"""

from __future__ import annotations

# Greeting and identity verification (nothing about a debt before verification).
GREETING_UNKNOWN = "greeting.unknown"
GREETING_KNOWN = "greeting.known"
GREETING_AGAIN = "greeting.again"
VERIFY_ASK_CPF = "verify.ask_cpf"
VERIFY_CPF_INVALID = "verify.cpf_invalid"
VERIFY_ASK_CPF_PREFIX = "verify.ask_cpf_prefix"
VERIFY_ASK_BIRTH_DATE = "verify.ask_birth_date"
VERIFY_FAILED = "verify.failed"
VERIFY_LOCKED = "verify.locked"
VERIFY_STILL_LOCKED = "verify.still_locked"
INVITE_INVALID = "invite.invalid"

# Balance (CDC art. 42-A: creditor name and document with every presentation of a debt).
BALANCE_INTRO_ONE = "balance.intro_one"
BALANCE_INTRO_MANY = "balance.intro_many"
BALANCE_DEBT = "balance.debt"
BALANCE_DEBT_WITH_PAYMENTS = "balance.debt_with_payments"
BALANCE_DEBT_NOT_DUE = "balance.debt_not_due"
BALANCE_TOTAL = "balance.total"
BALANCE_QUESTION = "balance.question"
BALANCE_NOTHING_OPEN = "balance.nothing_open"

# Offers and counter-offers.
OFFER_CASH = "offer.cash"
OFFER_CASH_NO_DISCOUNT = "offer.cash_no_discount"
OFFER_PLANS = "offer.plans"
OFFER_ASK_AMOUNT = "offer.ask_amount"
OFFER_COUNTER_AMOUNT = "offer.counter_amount"
OFFER_COUNTER_COUNT = "offer.counter_count"

# Payment channel, confirmation, agreement.
CHANNEL_ASK = "channel.ask"
AGREEMENT_SUMMARY = {
    "pix": "agreement.summary.pix",
    "boleto": "agreement.summary.boleto",
    "card": "agreement.summary.card",
}
AGREEMENT_SUMMARY_DOWN = {
    "pix": "agreement.summary_down.pix",
    "boleto": "agreement.summary_down.boleto",
    "card": "agreement.summary_down.card",
}
AGREEMENT_SUMMARY_CASH = {
    "pix": "agreement.summary_cash.pix",
    "boleto": "agreement.summary_cash.boleto",
    "card": "agreement.summary_cash.card",
}
AGREEMENT_CLOSED = "agreement.closed"
AGREEMENT_STATUS = "agreement.status"
AGREEMENT_SECOND_COPY = "agreement.second_copy"
AGREEMENT_MENU = "agreement.menu"
AGREEMENT_NONE = "agreement.none"
AGREEMENT_CHANNEL_CHANGED = {
    "pix": "agreement.channel_changed.pix",
    "boleto": "agreement.channel_changed.boleto",
    "card": "agreement.channel_changed.card",
}

# Payments.
PAYMENT_THANKS = "payment.thanks"
PAYMENT_COMPLETED = "payment.completed"
PAYMENT_COMPLETED_LISTING = "payment.completed_listing"
PAYMENT_MISMATCH = "payment.mismatch"
AGREEMENT_BROKEN = "agreement.broken"  # late beyond the grace days, nothing paid yet
AGREEMENT_BROKEN_PAID = "agreement.broken_paid"  # ... with what was paid deducted

# Promise to pay.
PROMISE_ASK_DATE = "promise.ask_date"
PROMISE_RECORDED = "promise.recorded"
PROMISE_TOO_LATE = "promise.too_late"
PROMISE_DATE_INVALID = "promise.date_invalid"

# Proactive messages (the cadence). Installment steps and outreach are the ids the policy
# names; with a debt they name the creditor and its document (CDC art. 42-A); to a chat not
# yet verified only `reminder.unverified` and `outreach.*`, which never mention money.
REMINDER_BEFORE_DUE = "reminder.before_due"
REMINDER_DUE_TODAY = "reminder.due_today"
REMINDER_OVERDUE = "reminder.overdue"
REMINDER_OVERDUE_AGAIN = "reminder.overdue_again"
REMINDER_UNVERIFIED = "reminder.unverified"
REMINDER_PROMISE_TODAY = "reminder.promise_today"
REMINDER_PROMISE_MISSED = "reminder.promise_missed"
OUTREACH_FIRST = "outreach.first"
OUTREACH_SECOND = "outreach.second"
OUTREACH_THIRD = "outreach.third"

# Disputes, escalation, agents.
DISPUTE_ASK = {
    "dispute": "dispute.ask.dispute",
    "already_paid": "dispute.ask.already_paid",
    "not_recognised": "dispute.ask.not_recognised",
}
HANDOFF = "handoff"
AGENT_WAITING = "agent.waiting"
AGENT_CLAIMED = "agent.claimed"
AGENT_WAIT_UPDATE = "agent.wait_update"  # nobody claimed in time, inside support hours
AGENT_WAIT_AFTER_HOURS = "agent.wait_after_hours"  # nobody claimed in time, after hours
AGENT_PLAN_PROPOSED = "agent.plan_proposed"
ABUSE_CALM = "abuse.calm"

# Always available.
NOT_UNDERSTOOD = "general.not_understood"
HELP = "general.help"
MEDIA_UNSUPPORTED = "general.media_unsupported"
OPT_OUT_CONFIRMED = "opt_out.confirmed"

# Agent-facing escalation summaries (rendered in the console's locale), one per reason.
ESCALATION_SUMMARY = {
    reason: f"escalation.summary.{reason}"
    for reason in (
        "human_requested",
        "not_understood",
        "offer_stalled",
        "counter_offer_outside_policy",
        "dispute",
        "already_paid",
        "not_recognised",
        "abuse",
        "payment_mismatch",
        "missed_promise",
    )
}

# Button labels.
CHOICE_PAY_FULL = "choice.pay_full"
CHOICE_INSTALLMENTS = "choice.installments"
CHOICE_ALREADY_PAID = "choice.already_paid"
CHOICE_NOT_RECOGNISED = "choice.not_recognised"
CHOICE_HUMAN = "choice.human"
CHOICE_PLAN = "choice.plan"
CHOICE_PLAN_DOWN = "choice.plan_down"
CHOICE_OTHER_AMOUNT = "choice.other_amount"
CHOICE_ACCEPT_PLAN = "choice.accept_plan"
CHOICE_OTHER_OPTIONS = "choice.other_options"
CHOICE_CHANNEL = {
    "pix": "choice.channel.pix",
    "boleto": "choice.channel.boleto",
    "card": "choice.channel.card",
}
CHOICE_CONFIRM = "choice.confirm"
CHOICE_CHANGE = "choice.change"
CHOICE_SECOND_COPY = "choice.second_copy"
CHOICE_ASK_BALANCE = "choice.ask_balance"
CHOICE_RECEIPT = "choice.receipt"
CHOICE_YES = "choice.yes"
CHOICE_OTHER_DATE = "choice.other_date"


# Sent by the runtime, not the flow: payment instructions (`bot/payments/instructions.py`)
# with params number, count, amount (Money), due (date) and, for cards, link.
RUNTIME = {
    "nothing_due": "payment.nothing_due",
    "pix_caption": "payment.pix.caption",
    "card_link": "payment.card.link",
    "boleto_line": "payment.boleto.line",
    "boleto_pending": "payment.boleto.pending",
    # The agreement receipt (`bot/payments/receipt.py`), one line each; a paid line's `due` is
    # the day it was paid.
    "receipt_header": "receipt.header",
    "receipt_paid": "receipt.paid",
    "receipt_open": "receipt.open",
    "receipt_late": "receipt.late",
    "receipt_cancelled": "receipt.cancelled",
    "receipt_review": "receipt.review",
    "receipt_paid_total": "receipt.paid_total",
    "receipt_left": "receipt.left",
    "receipt_completed": "receipt.completed",
    "receipt_broken": "receipt.broken",
}


def _collect() -> frozenset[str]:
    ids: set[str] = set()
    for name, value in globals().items():
        if not name.isupper():
            continue
        if isinstance(value, str):
            ids.add(value)
        elif isinstance(value, dict):
            ids.update(value.values())
    return frozenset(ids)


ALL: frozenset[str] = _collect()
RUNTIME_IDS: frozenset[str] = frozenset(RUNTIME.values())
FLOW_IDS: frozenset[str] = ALL - RUNTIME_IDS
