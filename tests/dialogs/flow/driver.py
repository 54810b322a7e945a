"""Drive `step` the way ConversationService will, without storage.

Lookups are answered from an in-test directory (`LookupDebtor` -> `DebtorLookedUp`,
`ResolveInvite` -> `InviteResolved`) within the same call, like the service does. Every reply
is rendered with the real catalogs, so a missing placeholder fails the test that emitted it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import render
from dialogs.flow import Context, State, Transition, initial_context, step
from dialogs.flow.actions import (
    Action,
    CreateAgreement,
    Escalate,
    LookupDebtor,
    Message,
    Reply,
    ResolveInvite,
    SendReminder,
)
from dialogs.flow.events import (
    ButtonPressed,
    DebtorLookedUp,
    Event,
    InviteResolved,
    StartRequested,
    TextReceived,
)
from dialogs.flow.snapshots import (
    AgreementSnapshot,
    DebtorSnapshot,
    DebtSnapshot,
    InstallmentSnapshot,
)
from dialogs.negotiation.policy import Policy, default_policy

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SAO_PAULO)
MARCOS_CPF = "52998224725"


def marcos(**changes: object) -> DebtorSnapshot:
    """The sample debtor from CONVERSATION.md: one notebook, R$ 2.400,00 due 05/09/2026."""
    debtor = DebtorSnapshot(
        debtor_id=7,
        name="MARCOS OLIVEIRA",
        cpf=MARCOS_CPF,
        birth_date=date(1985, 3, 15),
        state="SP",
        debts=(
            DebtSnapshot(
                debt_id=70,
                contract="NB-2026-001",
                description='Notebook 15"',
                due_date=date(2026, 9, 5),
                principal_cents=240_000,
            ),
        ),
    )

    return replace(debtor, **changes)  # type: ignore[arg-type]


# Every message any conversation emitted (replies, button labels, agent summaries): the
# catalog tests walk the flow and compare what was used with what the catalogs hold.
EMITTED: list[Message] = []


@dataclass
class Conversation:
    """One chat: feed events, collect actions, read the rendered replies."""

    policy: Policy = field(default_factory=default_policy)
    now: datetime = NOW
    locale: str = "pt_BR"
    directory: dict[str, DebtorSnapshot] = field(default_factory=dict)
    invites: dict[str, tuple[str, DebtorSnapshot | None]] = field(default_factory=dict)
    state: State = State.NEW
    context: Context = field(default_factory=initial_context)
    actions: list[Action] = field(default_factory=list)  # of the last `send`
    history: list[Action] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.context = initial_context(self.locale)

    def send(self, event: Event) -> list[Action]:
        pending: list[Event] = [event]
        self.actions = []
        while pending:
            current = pending.pop(0)
            transition = step(self.state, self.context, current, self.policy, self.now)
            self._apply(transition)
            for action in transition.actions:
                follow_up = self._answer(action)
                if follow_up is not None:
                    pending.append(follow_up)
        return self.actions

    def text(self, words: str) -> list[str]:
        self.send(TextReceived(words))
        return self.replies()

    def tap(self, choice: str) -> list[str]:
        self.send(ButtonPressed(choice))
        return self.replies()

    def start(self, payload: str | None = None) -> list[str]:
        self.send(StartRequested(payload))
        return self.replies()

    def later(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)

    def _apply(self, transition: Transition) -> None:
        self.state = transition.state
        self.context = transition.context
        self.actions.extend(transition.actions)
        self.history.extend(transition.actions)
        for action in transition.actions:
            if isinstance(action, Reply | SendReminder):
                EMITTED.append(action.message)
                EMITTED.extend(c.label for c in action.choices)
                render(action.message, self.locale)
                for label in action.choices:
                    render(label.label, self.locale)
            if isinstance(action, Escalate):
                EMITTED.append(action.summary)
                render(action.summary, self.locale)

    def _answer(self, action: Action) -> Event | None:
        if isinstance(action, LookupDebtor):
            return DebtorLookedUp(self.directory.get(action.cpf))
        if isinstance(action, ResolveInvite):
            outcome, debtor = self.invites.get(action.token, ("unknown", None))
            return InviteResolved(outcome, debtor)
        return None  # everything else is storage's business, not the dialog's

    def current(self) -> State:
        """The state now (a call, so type checkers do not pin it across `send`s)."""
        return self.state

    def refresh(self, debtor: DebtorSnapshot) -> None:
        """What the service does before every step: reload the debtor from storage."""
        self.context = self.context.with_debtor(debtor)

    def replies(self) -> list[str]:
        return [
            render(a.message, self.locale)
            for a in self.actions
            if isinstance(a, Reply | SendReminder)
        ]

    def buttons(self) -> list[tuple[str, str]]:
        """(id, label) of the buttons in the last reply that had any."""
        for action in reversed(self.actions):
            if isinstance(action, Reply | SendReminder) and action.choices:
                return [(c.id, render(c.label, self.locale)) for c in action.choices]
        return []

    def of_type(self, kind: type[Action]) -> list[Action]:
        return [a for a in self.actions if isinstance(a, kind)]


def verified(policy: Policy | None = None, **changes: object) -> Conversation:
    """A conversation with Marcos already verified and looking at his balance."""
    chat = Conversation(
        policy=policy or default_policy(), directory={MARCOS_CPF: marcos(**changes)}
    )
    chat.text("oi")
    chat.text("529.982.247-25")
    assert chat.state is State.BALANCE, chat.state
    return chat


def joined(lines: Iterable[str]) -> str:
    return "\n".join(lines)


def agreement_from(create: CreateAgreement, agreement_id: int = 900) -> AgreementSnapshot:
    """The agreement storage would hold after carrying out `create`."""
    return AgreementSnapshot(
        agreement_id=agreement_id,
        payment_channel=create.payment_channel,
        status="active",
        total_cents=create.total_cents,
        installments=tuple(
            InstallmentSnapshot(i.number, i.amount_cents, i.due_date, "pending")
            for i in create.installments
        ),
    )


def with_agreement(policy: Policy | None = None, count: int = 6) -> Conversation:
    """Marcos with a confirmed `count`x PIX agreement, as storage would show it."""
    chat = verified(policy)
    chat.tap("installments")
    chat.tap(f"plan:{count}")
    chat.tap("ch:pix")
    chat.tap("confirm")
    create = chat.of_type(CreateAgreement)[0]
    assert isinstance(create, CreateAgreement)
    debt = replace(marcos().debts[0], status="agreement")
    chat.refresh(marcos(debts=(debt,), agreements=(agreement_from(create),)))
    assert chat.current() is State.AGREEMENT_ACTIVE
    return chat
