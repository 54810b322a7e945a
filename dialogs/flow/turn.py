"""The two values every handler deals in: the `Turn` it reads and the `Transition` it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from dialogs.flow.actions import Action
from dialogs.flow.context import Context
from dialogs.flow.events import Event
from dialogs.flow.states import State
from dialogs.negotiation.policy import Policy


@dataclass(frozen=True, slots=True)
class Transition:
    """The result of one step: where we are now, what we remember, what to do."""

    state: State
    context: Context
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Turn:
    """Everything a handler may look at, already classified into a `trigger`.

    `arg` is the button's argument ("6" for `plan:6`); `entities` come from the NLU
    (amount: Decimal, installments: int, date: date, cpf: str); `text` is the debtor's words.
    """

    state: State
    context: Context
    event: Event
    policy: Policy
    now: datetime
    today: date
    trigger: str
    arg: str = ""
    text: str = ""
    entities: Mapping[str, object] = field(default_factory=dict)

    def stay(self, *actions: Action, context: Context | None = None) -> Transition:
        return Transition(self.state, self.context if context is None else context, actions)

    def go(self, state: State, *actions: Action, context: Context | None = None) -> Transition:
        return Transition(state, self.context if context is None else context, actions)
