"""The collection flow as data: (state, trigger) -> handler and the states it may lead to.

Lookup order for an event in state S with trigger T: (S, T), then (every state, T), then
(S, "*"), then (every state, "*"). Declared targets let `graph.to_mermaid()` draw the flow and
let the import-time check prove that every state is reachable from `new` and has a way out;
`step` refuses a handler that lands outside its declared targets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dialogs.flow import triggers as t
from dialogs.flow.handlers import (
    agent,
    agreement,
    common,
    dispute,
    negotiation,
    promise,
    reminders,
    verification,
)
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn

Handler = Callable[[Turn], Transition]
EVERY_STATE = None  # the row applies in every state unless the state has its own


class FlowDefinitionError(Exception):
    """The table is inconsistent (unreachable state, dead end, unknown trigger)."""


@dataclass(frozen=True, slots=True)
class Rule:
    handler: Handler
    targets: frozenset[State]
    may_stay: bool = False

    def allows(self, current: State, new: State) -> bool:
        return new in self.targets or (self.may_stay and new is current)


def rule(handler: Handler, *targets: State, stay: bool = False) -> Rule:
    return Rule(handler, frozenset(targets), stay)


S = State
ESCALATED = S.AWAITING_AGENT
VERIFIED_HOME = (S.BALANCE, S.AGREEMENT_ACTIVE)
GREETED = (S.AWAITING_CPF, S.VERIFYING, S.LOCKED, *VERIFIED_HOME)
# Handlers that re-ask and may escalate after too many misses.
NOT_UNDERSTOOD = rule(common.not_understood, ESCALATED, stay=True)
PLANS = rule(negotiation.offer_plans, S.CHOOSING_PLAN, S.BALANCE, ESCALATED)
AFTER_PICK = (S.CHOOSING_CHANNEL, S.CONFIRMING_AGREEMENT, S.CHOOSING_PLAN, S.BALANCE, ESCALATED)
COUNTER = rule(negotiation.counter_offer, S.CONFIRMING_COUNTER, *AFTER_PICK, stay=True)
PROMISE = rule(promise.promise, S.PROMISING, *VERIFIED_HOME)
DISPUTE = rule(dispute.start_dispute, S.COLLECTING_DISPUTE, ESCALATED)
CASH = rule(negotiation.offer_cash, S.CHOOSING_CHANNEL, S.CONFIRMING_AGREEMENT, S.BALANCE)
BALANCE = rule(negotiation.show_balance, S.BALANCE)
CHANNELS = ("channel_pix", "channel_boleto", "channel_card")

GLOBAL: dict[str, Rule] = {
    "opt_out": rule(common.opt_out, stay=True),
    t.OPT_OUT_SIGNAL: rule(common.opt_out_signal, stay=True),
    t.HELP: rule(common.help_, stay=True),
    t.MEDIA: rule(common.media, stay=True),
    t.RESTART: rule(verification.restart, *GREETED),
    t.INVITE: rule(verification.invite, S.LOCKED, stay=True),
    t.INVITE_RESOLVED: rule(verification.invite_resolved, *GREETED),
    t.DEBTOR_LOOKED_UP: rule(common.ignore, stay=True),
    t.REMINDER_DUE: rule(
        reminders.reminder_due, S.AGREEMENT_ACTIVE, S.BALANCE, ESCALATED, stay=True
    ),
    t.PAYMENT_CONFIRMED: rule(agreement.payment_confirmed, S.AGREEMENT_ACTIVE, S.CLOSED, ESCALATED),
    t.INSTALLMENT_CHECK: rule(agreement.installment_check, S.BALANCE, stay=True),
    t.AGENT_CLAIMED: rule(common.agent_claimed, ESCALATED),
    t.AGENT_RELEASED: rule(common.agent_released, *State),
    t.AGENT_CLOSED: rule(common.agent_closed, S.CLOSED),
    t.AGENT_PROPOSED_PLAN: rule(
        agent.proposed_plan, S.CONFIRMING_AGREEMENT, S.CHOOSING_CHANNEL, stay=True
    ),
    "human": rule(common.human, ESCALATED),
    "abuse": rule(common.abuse, ESCALATED, stay=True),
    "greet": rule(common.reprompt, stay=True),
    "thanks": rule(common.reprompt, stay=True),
    t.ANY_TRIGGER: NOT_UNDERSTOOD,
}

START = rule(verification.start_conversation, *GREETED)
NEGOTIATING: dict[str, Rule] = {
    "pay_full": CASH,
    "installments": rule(
        negotiation.installments, S.CHOOSING_PLAN, S.CONFIRMING_COUNTER, *AFTER_PICK
    ),
    "counter_offer": COUNTER,
    "already_paid": DISPUTE,
    "dispute": DISPUTE,
    t.NOT_RECOGNISED: DISPUTE,
    "cannot_pay": PROMISE,
    "promise_to_pay": PROMISE,
    "ask_balance": BALANCE,
    "ask_details": BALANCE,
}

PER_STATE: dict[State, dict[str, Rule]] = {
    S.NEW: {"greet": START, "thanks": START, t.ANY_TRIGGER: START},
    S.CLOSED: {
        "greet": START,
        "thanks": START,
        t.RECEIPT: rule(agreement.receipt, *GREETED, stay=True),
        t.ANY_TRIGGER: START,
    },
    S.AWAITING_CPF: {
        t.DEBTOR_LOOKED_UP: rule(
            verification.cpf_looked_up, S.VERIFYING, S.LOCKED, *VERIFIED_HOME, stay=True
        ),
        t.ANY_TRIGGER: rule(verification.cpf_answer, ESCALATED, stay=True),
    },
    S.VERIFYING: {
        t.ANY_TRIGGER: rule(
            verification.verification_answer, S.LOCKED, ESCALATED, *GREETED, stay=True
        ),
    },
    # At "Como prefere resolver?", a plain "não (posso agora)" means not now: agree on a date.
    S.BALANCE: {**NEGOTIATING, "deny": PROMISE, t.RECEIPT: rule(agreement.receipt, S.BALANCE)},
    S.CHOOSING_PLAN: {
        **NEGOTIATING,
        t.CHOOSE_PLAN: rule(negotiation.pick_plan, *AFTER_PICK),
        t.OTHER_AMOUNT: rule(negotiation.ask_amount, S.CHOOSING_PLAN),
        "installments": rule(
            negotiation.installments, S.CHOOSING_PLAN, S.CONFIRMING_COUNTER, *AFTER_PICK
        ),
    },
    S.CONFIRMING_COUNTER: {
        **NEGOTIATING,
        "affirm": rule(negotiation.accept_counter, *AFTER_PICK),
        t.CHOOSE_PLAN: rule(negotiation.pick_plan, *AFTER_PICK),
        "deny": PLANS,
        t.OTHER_OPTIONS: PLANS,
    },
    S.PROMISING: {
        "human": rule(common.human, ESCALATED),
        t.ANY_TRIGGER: rule(
            promise.promise_answer, S.PROMISING, *VERIFIED_HOME, ESCALATED, stay=True
        ),
    },
    S.CHOOSING_CHANNEL: {
        **NEGOTIATING,
        **{
            name: rule(
                negotiation.pick_channel, S.CONFIRMING_AGREEMENT, S.CHOOSING_CHANNEL, *PLANS.targets
            )
            for name in CHANNELS
        },
        t.CHANGE: PLANS,
        "deny": PLANS,
    },
    S.CONFIRMING_AGREEMENT: {
        **NEGOTIATING,
        "affirm": rule(negotiation.confirm_agreement, S.AGREEMENT_ACTIVE, S.BALANCE),
        **{
            name: rule(
                negotiation.pick_channel, S.CONFIRMING_AGREEMENT, S.CHOOSING_CHANNEL, *PLANS.targets
            )
            for name in CHANNELS
        },
        t.CHANGE: PLANS,
        "deny": PLANS,
    },
    S.AGREEMENT_ACTIVE: {
        "ask_balance": rule(agreement.status, S.AGREEMENT_ACTIVE),
        "ask_details": rule(agreement.status, S.AGREEMENT_ACTIVE),  # "quando vence?"
        t.RECEIPT: rule(agreement.receipt, S.AGREEMENT_ACTIVE),
        "second_copy": rule(agreement.second_copy, S.AGREEMENT_ACTIVE),
        **{name: rule(agreement.change_channel, S.AGREEMENT_ACTIVE) for name in CHANNELS},
        "already_paid": DISPUTE,
        "dispute": DISPUTE,
        "cannot_pay": PROMISE,
        "promise_to_pay": PROMISE,
    },
    S.COLLECTING_DISPUTE: {
        t.ANY_TRIGGER: rule(dispute.describe, ESCALATED, stay=True),
    },
    S.LOCKED: {
        # While locked only opt-out, agents and payments get through; the rest hears "later".
        **{
            name: rule(verification.locked, *GREETED, stay=True)
            for name in (t.HELP, t.MEDIA, t.RESTART, t.INVITE, "human", "abuse", "greet", "thanks")
        },
        t.ANY_TRIGGER: rule(verification.locked, *GREETED, stay=True),
    },
    S.AWAITING_AGENT: {
        # Queued for a person: a short notice once, never the bot flow again.
        **{
            name: rule(common.waiting_for_agent, stay=True)
            for name in (t.HELP, t.MEDIA, t.RESTART, t.INVITE, "human", "abuse", "greet", "thanks")
        },
        t.INVITE_RESOLVED: rule(common.ignore, stay=True),
        t.REMINDER_DUE: rule(agent.escalation_wait, stay=True),
        t.ANY_TRIGGER: rule(common.waiting_for_agent, stay=True),
    },
}


def lookup(state: State, trigger: str) -> Rule:
    own = PER_STATE.get(state, {})
    found = own.get(trigger) or GLOBAL.get(trigger) or own.get(t.ANY_TRIGGER)
    return found if found is not None else GLOBAL[t.ANY_TRIGGER]


AGENT_TRIGGERS = frozenset(
    {t.AGENT_CLAIMED, t.AGENT_RELEASED, t.AGENT_CLOSED, t.AGENT_PROPOSED_PLAN}
)


def edges(
    *, include_agents: bool = True, include_global: bool = True
) -> Mapping[State, Mapping[State, frozenset[str]]]:
    """state -> next state -> the triggers that lead there (for checks and drawing)."""
    graph: dict[State, dict[State, set[str]]] = {state: {} for state in State}
    for state in State:
        own = PER_STATE.get(state, {})
        for trigger in sorted({*own, *GLOBAL} if include_global else own):
            if not include_agents and trigger in AGENT_TRIGGERS:
                continue
            chosen = lookup(state, trigger)
            for target in chosen.targets:
                if target is not state:
                    graph[state].setdefault(target, set()).add(trigger)
    return {s: {n: frozenset(ts) for n, ts in nexts.items()} for s, nexts in graph.items()}


def check() -> None:
    """Every state reachable from `new` without agents, every state with a way out."""
    for state, rows in PER_STATE.items():
        unknown = set(rows) - t.TRIGGERS - {t.ANY_TRIGGER}
        if unknown:
            raise FlowDefinitionError(f"{state}: unknown triggers {sorted(unknown)}")
    unknown_global = set(GLOBAL) - t.TRIGGERS - {t.ANY_TRIGGER}
    if unknown_global:
        raise FlowDefinitionError(f"global rows: unknown triggers {sorted(unknown_global)}")
    bot_only = edges(include_agents=False)  # the bot alone must reach every state
    seen, frontier = {State.NEW}, [State.NEW]
    while frontier:
        for target in bot_only[frontier.pop()]:
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    unreachable = set(State) - seen
    if unreachable:
        raise FlowDefinitionError(f"unreachable from new: {sorted(unreachable)}")
    graph = edges()
    dead_ends = [state for state in State if not graph[state]]
    if dead_ends:
        raise FlowDefinitionError(f"no way out of: {sorted(dead_ends)}")


check()
