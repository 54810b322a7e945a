"""The collection flow: events in, actions out, state as data.

`step(state, context, event, policy, now) -> Transition` is the whole public surface the
service needs; the table behind it lives in `dialogs.flow.table` and can be drawn with
`dialogs.flow.graph.to_mermaid()`.
"""

from __future__ import annotations

from dialogs.flow.context import ChosenPlan, Context, initial_context
from dialogs.flow.machine import step
from dialogs.flow.states import State
from dialogs.flow.turn import Transition

__all__ = ["ChosenPlan", "Context", "State", "Transition", "initial_context", "step"]
