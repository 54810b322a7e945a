"""Draw the flow: `to_mermaid()` renders the transition table as a Mermaid state diagram.

Rows shared by every state (opt-out, help, a person, agents, payments) are drawn once from an
`any_state` node so the picture stays readable; `python -m dialogs.flow.graph` prints it.
"""

from __future__ import annotations

from dialogs.flow.states import State
from dialogs.flow.table import GLOBAL, edges

MAX_LABEL_TRIGGERS = 3
ANY_STATE = "any_state"


def _label(triggers: frozenset[str] | set[str]) -> str:
    names = sorted(triggers)
    label = ", ".join(names[:MAX_LABEL_TRIGGERS])
    return label + (", …" if len(names) > MAX_LABEL_TRIGGERS else "")


def to_mermaid() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {State.NEW.value}"]
    for source, targets in edges(include_global=False).items():
        for target, names in sorted(targets.items(), key=lambda item: item[0].value):
            lines.append(f"    {source.value} --> {target.value}: {_label(names)}")
    shared: dict[State, set[str]] = {}
    for trigger, rule in GLOBAL.items():
        for target in rule.targets:
            shared.setdefault(target, set()).add(trigger)
    for target, triggers in sorted(shared.items(), key=lambda item: item[0].value):
        lines.append(f"    {ANY_STATE} --> {target.value}: {_label(triggers)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m dialogs.flow.graph`
    print(to_mermaid())
