"""What the debtor sees when an agent proposes a plan, and while nobody has claimed the chat."""

from __future__ import annotations

from datetime import datetime

from dialogs.flow import State
from dialogs.flow.actions import CreateAgreement, ScheduleJob
from dialogs.flow.context import ChosenPlan
from dialogs.flow.escalation import ESCALATION_WAIT
from dialogs.flow.events import AgentClaimed, AgentProposedPlan, ReminderDue
from dialogs.negotiation.offers import build_plan
from tests.dialogs.flow.driver import SAO_PAULO, Conversation, verified


def _agent_plan(total_cents: int, count: int) -> ChosenPlan:
    plan = build_plan(total_cents, count, datetime(2026, 12, 5).date())
    return ChosenPlan(
        count=plan.count,
        installment_cents=plan.installment_cents,
        total_cents=plan.total_cents,
        first_due=plan.first_due,
        installments=plan.installments,
    )


def _queued() -> Conversation:
    chat = verified()
    chat.tap("human")
    assert chat.state is State.AWAITING_AGENT
    return chat


def test_escalating_schedules_a_wait_check_after_the_claim_timeout() -> None:
    chat = verified()
    chat.tap("human")
    jobs = [a for a in chat.of_type(ScheduleJob) if isinstance(a, ScheduleJob)]
    assert [job.kind for job in jobs] == [ESCALATION_WAIT]
    minutes = chat.policy.escalation.claim_timeout_minutes
    assert (jobs[0].run_at - chat.now).total_seconds() == minutes * 60
    assert "{conversation}" in jobs[0].key


def test_an_unclaimed_chat_in_support_hours_hears_the_expected_wait() -> None:
    chat = _queued()
    chat.later(minutes=15)
    chat.send(ReminderDue(ESCALATION_WAIT))
    [reply] = chat.replies()
    assert "poucos minutos" in reply
    assert chat.policy.escalation.support_hours in reply
    assert chat.state is State.AWAITING_AGENT


def test_an_unclaimed_chat_at_night_hears_when_people_are_back() -> None:
    chat = _queued()
    chat.now = datetime(2026, 11, 25, 22, 30, tzinfo=SAO_PAULO)
    chat.send(ReminderDue(ESCALATION_WAIT))
    [reply] = chat.replies()
    assert "fora do horário" in reply
    assert chat.policy.escalation.support_hours in reply


def test_other_reminders_while_queued_say_nothing() -> None:
    chat = _queued()
    chat.send(ReminderDue("promise_reminder"))
    assert chat.replies() == []


def test_an_agent_plan_goes_to_the_summary_with_confirm_buttons() -> None:
    chat = _queued()
    chat.send(AgentClaimed("Ana"))
    chat.send(AgentProposedPlan(_agent_plan(251_280, 20), "pix", "Ana"))
    assert chat.state is State.CONFIRMING_AGREEMENT
    intro, summary = chat.replies()
    assert intro.startswith("Ana")
    assert "20 parcelas" in summary
    assert [choice for choice, _ in chat.buttons()] == ["confirm", "change"]
    chat.tap("confirm")
    [create] = chat.of_type(CreateAgreement)
    assert isinstance(create, CreateAgreement)
    assert len(create.installments) == 20
    assert chat.state is State.AGREEMENT_ACTIVE


def test_an_agent_plan_without_channel_asks_the_channel() -> None:
    chat = _queued()
    chat.send(AgentProposedPlan(_agent_plan(251_280, 4), None, "Ana"))
    assert chat.state is State.CHOOSING_CHANNEL
    assert [choice for choice, _ in chat.buttons()] == ["ch:pix", "ch:boleto", "ch:card"]


def test_an_agent_plan_for_an_unverified_chat_reveals_nothing() -> None:
    chat = Conversation()
    chat.text("oi")
    chat.send(AgentProposedPlan(_agent_plan(251_280, 4), "pix", "Ana"))
    assert chat.replies() == []
    assert chat.state is State.AWAITING_CPF
