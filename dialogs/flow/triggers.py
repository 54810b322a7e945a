"""Turn an event into a trigger name: the column of the transition table.

Buttons and free text meet here: tapping [Parcelar] and typing "quero parcelar" both become
the trigger `installments`, so the table has one row for both. A few words (help, menu,
opt-out keywords) are matched exactly before the NLU because they must never be misread.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Final

from dialogs.flow.events import (
    AgentClaimed,
    AgentClosed,
    AgentProposedPlan,
    AgentReleased,
    AgentSays,
    ButtonPressed,
    DebtorLookedUp,
    Event,
    InviteResolved,
    MediaReceived,
    OptOutSignal,
    PaymentConfirmed,
    ReminderDue,
    StartRequested,
    TextReceived,
)
from dialogs.nlu import understand

# Intents of `dialogs.nlu.understand` (also triggers, under the same names).
INTENTS: Final = frozenset(
    {
        "greet", "affirm", "deny", "pay_full", "installments", "ask_balance", "ask_details",
        "already_paid", "dispute", "cannot_pay", "promise_to_pay", "counter_offer", "human",
        "opt_out", "channel_pix", "channel_boleto", "channel_card", "second_copy", "thanks",
        "abuse", "unknown",
    }
)  # fmt: skip

# Triggers that only buttons, commands or system events produce.
HELP: Final = "help"
RESTART: Final = "restart"
INVITE: Final = "invite"
MEDIA: Final = "media"
NOT_RECOGNISED: Final = "not_recognised"
CHOOSE_PLAN: Final = "choose_plan"
OTHER_AMOUNT: Final = "other_amount"
OTHER_OPTIONS: Final = "other_options"
OTHER_DATE: Final = "other_date"
CHANGE: Final = "change"
INVITE_RESOLVED: Final = "invite_resolved"
DEBTOR_LOOKED_UP: Final = "debtor_looked_up"
REMINDER_DUE: Final = "reminder_due"
PAYMENT_CONFIRMED: Final = "payment_confirmed"
AGENT_CLAIMED: Final = "agent_claimed"
AGENT_RELEASED: Final = "agent_released"
AGENT_CLOSED: Final = "agent_closed"
AGENT_PROPOSED_PLAN: Final = "agent_proposed_plan"
OPT_OUT_SIGNAL: Final = "opt_out_signal"
RECEIPT: Final = "receipt"  # the agreement and the payments made ("resumo do acordo")
INSTALLMENT_CHECK: Final = "installment_check"  # ReminderDue(kind="installment_check")
ANY_TRIGGER: Final = "*"  # a state's catch-all row

BUTTON_TRIGGERS: Final = frozenset(
    {"pay_full", "installments", "already_paid", NOT_RECOGNISED, "human", "second_copy",
     "ask_balance", OTHER_OPTIONS, OTHER_DATE, CHANGE, RECEIPT}
)  # fmt: skip
BUTTON_ALIASES: Final[Mapping[str, str]] = {"confirm": "affirm", "yes": "affirm", "no": "deny"}
CHANNEL_PREFIX: Final = "ch:"
PLAN_PREFIX: Final = "plan:"
OTHER_PLAN: Final = "plan:other"

TRIGGERS: Final = frozenset(
    INTENTS
    | BUTTON_TRIGGERS
    | {
        HELP, RESTART, INVITE, MEDIA, CHOOSE_PLAN, OTHER_AMOUNT, INVITE_RESOLVED,
        DEBTOR_LOOKED_UP, REMINDER_DUE, PAYMENT_CONFIRMED, AGENT_CLAIMED, AGENT_RELEASED,
        AGENT_CLOSED, OPT_OUT_SIGNAL, AGENT_PROPOSED_PLAN, INSTALLMENT_CHECK,
    }
)  # fmt: skip

_HELP_WORDS: Final = frozenset({"ajuda", "help", "ayuda", "/help", "/ajuda", "?", "socorro"})
_RESTART_WORDS: Final = frozenset(
    {"/start", "menu", "/menu", "inicio", "comecar", "recomecar", "voltar", "start"}
)
_OPT_OUT_WORDS: Final = frozenset({"parar", "sair", "stop", "cancelar", "pare", "/stop"})
# "resumo do acordo", "me manda o comprovante": a receipt. A bare "comprovante" stays with the
# NLU ("segue o comprovante" means the debtor already paid).
_RECEIPT_REQUEST: Final = re.compile(
    r"/?(?:(?:me )?(?:manda|mande|envia|envie|quero|queria|preciso(?: d[oe])?|ver|"
    r"pode(?: me)? (?:mandar|enviar))(?: (?:o|a|os|as|um|uma|meu|minha))? comprovantes?|"
    r"(?:(?:me )?(?:manda|mande|envia|envie|quero|queria|preciso(?: d[oe])?|ver|"
    r"pode(?: me)? (?:mandar|enviar))(?: (?:o|a|os|as|um|uma|meu|minha))? )?"
    r"(?:resumo|recibos?|extrato|comprovantes))"
    r"(?: (?:do|de|dos|das) (?:meu |minha |meus |minhas )?(?:acordo|pagamentos?|parcelas?))?"
)


def _command_word(text: str) -> str:
    """Lower case, no accents, no trailing punctuation: "Início!" -> "inicio"."""
    folded = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return plain.rstrip(".!? ") or plain


class Classified:
    """The trigger and its details; a plain class with slots keeps `step` fast."""

    __slots__ = ("arg", "entities", "text", "trigger")

    def __init__(
        self,
        trigger: str,
        *,
        arg: str = "",
        text: str = "",
        entities: Mapping[str, object] | None = None,
    ) -> None:
        self.trigger = trigger
        self.arg = arg
        self.text = text
        self.entities: Mapping[str, object] = entities or {}


def classify_button(choice: str) -> Classified:
    if choice in BUTTON_TRIGGERS:
        return Classified(choice)
    if choice in BUTTON_ALIASES:
        return Classified(BUTTON_ALIASES[choice])
    if choice.startswith(CHANNEL_PREFIX):
        return Classified(f"channel_{choice.removeprefix(CHANNEL_PREFIX)}")
    if choice == OTHER_PLAN:
        return Classified(OTHER_AMOUNT)
    if choice.startswith(PLAN_PREFIX):
        return Classified(CHOOSE_PLAN, arg=choice.removeprefix(PLAN_PREFIX))
    return Classified("unknown")


def classify_text(text: str, locale: str, today: date) -> Classified:
    word = _command_word(text)
    if word in _OPT_OUT_WORDS:
        return Classified("opt_out", text=text)
    if word in _HELP_WORDS:
        return Classified(HELP, text=text)
    if word in _RESTART_WORDS:
        return Classified(RESTART, text=text)
    if _RECEIPT_REQUEST.fullmatch(word):
        return Classified(RECEIPT, text=text)
    understanding = understand(text, locale, today=today)
    intent = understanding.intent if understanding.intent in INTENTS else "unknown"
    return Classified(intent, text=text, entities=understanding.entities)


def classify(event: Event, locale: str, today: date) -> Classified:
    match event:
        case TextReceived(text=text):
            return classify_text(text, locale, today)
        case ButtonPressed(choice=choice):
            return classify_button(choice)
        case StartRequested(payload=payload):
            return Classified(INVITE, arg=payload) if payload else Classified(RESTART)
        case MediaReceived():
            return Classified(MEDIA)
        case InviteResolved():
            return Classified(INVITE_RESOLVED)
        case DebtorLookedUp():
            return Classified(DEBTOR_LOOKED_UP)
        case ReminderDue(kind="installment_check"):
            return Classified(INSTALLMENT_CHECK)
        case ReminderDue():
            return Classified(REMINDER_DUE)
        case PaymentConfirmed():
            return Classified(PAYMENT_CONFIRMED)
        case AgentClaimed():
            return Classified(AGENT_CLAIMED)
        case AgentReleased():
            return Classified(AGENT_RELEASED)
        case AgentClosed():
            return Classified(AGENT_CLOSED)
        case AgentProposedPlan():
            return Classified(AGENT_PROPOSED_PLAN)
        case OptOutSignal():
            return Classified(OPT_OUT_SIGNAL)
        case AgentSays():
            raise ValueError("agent messages go straight to the debtor, never through the dialog")
