"""The states a collection conversation can be in; the values are stored in the database."""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    NEW = "new"
    AWAITING_CPF = "awaiting_cpf"  # unknown contact: we ask the full CPF
    VERIFYING = "verifying"  # known debtor (invite/phone): first CPF digits and/or birth date
    LOCKED = "locked"  # too many failed verifications; neutral "try later"
    BALANCE = "balance"  # debts shown, main menu
    CHOOSING_PLAN = "choosing_plan"
    CONFIRMING_COUNTER = "confirming_counter"  # "a opção mais próxima é 9x…, fica bom?"
    PROMISING = "promising"  # agreeing on a date the debtor will pay
    CHOOSING_CHANNEL = "choosing_channel"
    CONFIRMING_AGREEMENT = "confirming_agreement"
    AGREEMENT_ACTIVE = "agreement_active"
    COLLECTING_DISPUTE = "collecting_dispute"  # asking for a short description
    AWAITING_AGENT = "awaiting_agent"  # escalated and queued for a person
    CLOSED = "closed"
