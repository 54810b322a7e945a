"""Greeting and identity: nothing about a debt until the person proves who they are.

A CPF that is not on file and a wrong answer get the same words, so the bot never reveals
whether someone owes anything; after `max_attempts` failures the contact is locked.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from dialogs import messages as m
from dialogs.documents import normalize_cpf
from dialogs.flow import guards, views
from dialogs.flow.actions import (
    Action,
    LinkDebtor,
    LockContact,
    LookupDebtor,
    MarkVerified,
    ResolveInvite,
)
from dialogs.flow.context import Context
from dialogs.flow.events import DebtorLookedUp, InviteResolved
from dialogs.flow.handlers.common import not_understood
from dialogs.flow.snapshots import DebtorSnapshot
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn
from dialogs.flow.views import BIRTH_DATE, CPF_PREFIX, say
from dialogs.frozen import evolve
from dialogs.negotiation.policy import Policy

_CPF_IN_TEXT = re.compile(r"\d{3}\.?\d{3}\.?\d{3}[-.\s]?\d{2}")
_DIGITS = re.compile(r"\d")
_DATE_IN_TEXT = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})")
_CENTURY_PIVOT = 30  # "15/03/85" is 1985, "15/03/05" is 2005


def questions_for(
    debtor: DebtorSnapshot, policy: Policy, *, knows_full_cpf: bool
) -> tuple[str, ...]:
    """What to ask per `verification.method`; a full CPF already answers the CPF question."""
    method = policy.verification.method
    wanted: list[str] = []
    if method in ("cpf_prefix", "both") or debtor.birth_date is None:
        wanted.append(CPF_PREFIX)
    if method in ("birth_date", "both") and debtor.birth_date is not None:
        wanted.append(BIRTH_DATE)
    if knows_full_cpf:
        wanted = [q for q in wanted if q != CPF_PREFIX]
    return tuple(wanted)


def _after_verified(turn: Turn, context: Context, *before: Action) -> Transition:
    """Verified: show the agreement if there is one, else the balance."""
    if guards.has_active_agreement(context):
        return turn.go(
            State.AGREEMENT_ACTIVE, *before, views.agreement_status(context), context=context
        )
    debts = views.balance(context, turn.policy, turn.today)
    return turn.go(State.BALANCE, *before, *debts, context=context)


def _verified(turn: Turn, context: Context, *before: Action) -> Transition:
    assert context.debtor is not None
    debtor_id = context.debtor.debtor_id
    context = evolve(
        context, verified_debtor_id=debtor_id, questions=(), failed_attempts=0, locked_until=None
    )
    return _after_verified(turn, context, *before, MarkVerified(debtor_id))


def _ask_questions(turn: Turn, context: Context, *before: Action) -> Transition:
    assert context.debtor is not None
    questions = questions_for(context.debtor, turn.policy, knows_full_cpf=False)
    context = evolve(context, questions=questions)
    return turn.go(
        State.VERIFYING, *before, views.verification_question(questions[0]), context=context
    )


def _locked(turn: Turn) -> Transition:
    return turn.go(State.LOCKED, say(m.VERIFY_STILL_LOCKED))


def start_conversation(turn: Turn) -> Transition:
    """First contact (or back after closing): greet discreetly, then verify or show the balance."""
    context = turn.context
    if guards.is_locked(context, turn.now):
        return _locked(turn)
    if guards.is_verified(context):
        assert context.debtor is not None
        hello = say(m.GREETING_AGAIN, name=context.debtor.first_name)
        return _after_verified(turn, context, hello)
    if context.debtor is not None:
        return _ask_questions(turn, context, views.greeting(context, turn.policy))
    return turn.go(State.AWAITING_CPF, views.greeting(context, turn.policy), say(m.VERIFY_ASK_CPF))


def restart(turn: Turn) -> Transition:
    """ "menu" or /start: back to the balance when verified, else the greeting."""
    context = turn.context
    if guards.is_verified(context):
        return _after_verified(turn, evolve(context, last_question="", plan=None))
    return start_conversation(turn)


def invite(turn: Turn) -> Transition:
    """A deep link: redeem the token; the answer comes back as `InviteResolved`."""
    if guards.is_locked(turn.context, turn.now):
        return _locked(turn)
    return turn.stay(ResolveInvite(turn.arg))


def invite_resolved(turn: Turn) -> Transition:
    event = turn.event
    assert isinstance(event, InviteResolved)
    if event.outcome != "ok" or event.debtor is None:
        if guards.is_verified(turn.context):
            return _after_verified(turn, turn.context, say(m.INVITE_INVALID))
        return turn.go(
            State.AWAITING_CPF,
            views.greeting(turn.context, turn.policy),
            say(m.INVITE_INVALID),
            say(m.VERIFY_ASK_CPF),
        )
    context = turn.context.with_debtor(event.debtor)
    link = LinkDebtor(event.debtor.debtor_id)
    if guards.is_verified(context):
        hello = say(m.GREETING_AGAIN, name=event.debtor.first_name)
        return _after_verified(turn, context, link, hello)
    return _ask_questions(turn, context, link, views.greeting(context, turn.policy))


def _failed(turn: Turn, retry: tuple[Action, ...]) -> Transition:
    """A wrong answer or an unknown CPF, in the same words; lock after too many."""
    context = evolve(turn.context, failed_attempts=turn.context.failed_attempts + 1)
    if guards.attempts_exhausted(context, turn.policy):
        minutes = turn.policy.verification.lock_minutes
        until = turn.now + timedelta(minutes=minutes)
        context = evolve(context, locked_until=until, failed_attempts=0, questions=())
        return turn.go(
            State.LOCKED, LockContact(until), say(m.VERIFY_LOCKED, minutes=minutes), context=context
        )
    return turn.stay(say(m.VERIFY_FAILED), *retry, context=context)


def _find_cpf(turn: Turn) -> str | None:
    if (cpf := normalize_cpf(turn.text)) is not None:
        return cpf
    for candidate in _CPF_IN_TEXT.findall(turn.text):
        if (cpf := normalize_cpf(candidate)) is not None:
            return cpf
    entity = turn.entities.get("cpf")
    return normalize_cpf(entity) if isinstance(entity, str) else None


def cpf_answer(turn: Turn) -> Transition:
    """Unknown contact typed something while we wait for a CPF."""
    if not _DIGITS.search(turn.text):
        return not_understood(turn)
    cpf = _find_cpf(turn)
    if cpf is None:
        return turn.stay(say(m.VERIFY_CPF_INVALID))
    return turn.stay(LookupDebtor(cpf))


def cpf_looked_up(turn: Turn) -> Transition:
    event = turn.event
    assert isinstance(event, DebtorLookedUp)
    if event.debtor is None:
        return _failed(turn, (say(m.VERIFY_ASK_CPF),))
    context = turn.context.with_debtor(event.debtor)
    questions = questions_for(event.debtor, turn.policy, knows_full_cpf=True)
    if not questions:
        return _verified(turn, context)  # MarkVerified links the contact too
    context = evolve(context, questions=questions)
    return turn.go(
        State.VERIFYING,
        LinkDebtor(event.debtor.debtor_id),
        views.verification_question(questions[0]),
        context=context,
    )


def _parse_birth_date(text: str) -> date | None:
    digits = "".join(_DIGITS.findall(text))
    match = _DATE_IN_TEXT.search(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
    elif len(digits) == 8:
        day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
    else:
        return None
    if year < 100:
        year += 1900 if year > _CENTURY_PIVOT else 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _answer_is_right(question: str, text: str, debtor: DebtorSnapshot) -> bool:
    if question == BIRTH_DATE:
        return debtor.birth_date is not None and _parse_birth_date(text) == debtor.birth_date
    digits = "".join(_DIGITS.findall(text))
    return digits == debtor.cpf[:3] or digits == debtor.cpf


def verification_answer(turn: Turn) -> Transition:
    context = turn.context
    if context.debtor is None:
        return start_conversation(turn)
    if guards.is_verified(context):
        return _after_verified(turn, context)
    questions = context.questions or questions_for(
        context.debtor, turn.policy, knows_full_cpf=False
    )
    question = questions[0]
    if not _DIGITS.search(turn.text):
        return not_understood(turn)
    if not _answer_is_right(question, turn.text, context.debtor):
        return _failed(turn, (views.verification_question(question),))
    remaining = questions[1:]
    context = evolve(context, questions=remaining, not_understood_count=0)
    if remaining:
        return turn.stay(views.verification_question(remaining[0]), context=context)
    return _verified(turn, context)


def locked(turn: Turn) -> Transition:
    """Neutral "try later" while locked; once the lock has passed, start over."""
    if not guards.is_locked(turn.context, turn.now):
        context = evolve(turn.context, locked_until=None, failed_attempts=0)
        return start_conversation(evolve(turn, context=context))
    return turn.stay(say(m.VERIFY_STILL_LOCKED))
