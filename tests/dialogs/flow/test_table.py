"""The transition table is data: checked at import, drawable, and enforced by `step`."""

from __future__ import annotations

import pytest

from dialogs.flow import State, step, table
from dialogs.flow.events import TextReceived
from dialogs.flow.graph import to_mermaid
from dialogs.flow.handlers import common
from dialogs.flow.table import FlowDefinitionError, Rule, check, edges, lookup
from dialogs.flow.turn import Transition, Turn
from tests.dialogs.flow.driver import NOW
from tests.dialogs.flow.scenarios import REACH


def test_every_state_is_reachable_from_new_without_agents() -> None:
    graph = edges(include_agents=False)
    seen, frontier = {State.NEW}, [State.NEW]
    while frontier:
        for target in graph[frontier.pop()]:
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(State)


def test_every_state_has_a_way_out() -> None:
    graph = edges()
    assert all(graph[state] for state in State)


def test_an_unreachable_state_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = {
        state: {trigger: r for trigger, r in own.items() if State.PROMISING not in r.targets}
        for state, own in table.PER_STATE.items()
    }
    monkeypatch.setattr(table, "PER_STATE", rows)
    with pytest.raises(FlowDefinitionError, match="promising"):
        check()


def test_a_dead_end_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = dict(table.PER_STATE)
    rows[State.COLLECTING_DISPUTE] = {"*": table.rule(common.ignore, stay=True)}
    globals_ = {k: v for k, v in table.GLOBAL.items() if not v.targets}
    monkeypatch.setattr(table, "PER_STATE", rows)
    monkeypatch.setattr(table, "GLOBAL", globals_)
    with pytest.raises(FlowDefinitionError):
        check()


def test_an_unknown_trigger_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = dict(table.PER_STATE)
    rows[State.BALANCE] = {**rows[State.BALANCE], "pay_ful": rows[State.BALANCE]["pay_full"]}
    monkeypatch.setattr(table, "PER_STATE", rows)
    with pytest.raises(FlowDefinitionError, match="pay_ful"):
        check()


def test_state_specific_rows_win_over_shared_ones() -> None:
    assert lookup(State.AWAITING_AGENT, "human").handler.__name__ == "waiting_for_agent"
    assert lookup(State.BALANCE, "human").handler.__name__ == "human"
    assert lookup(State.LOCKED, "help").handler.__name__ == "locked"
    assert lookup(State.LOCKED, "opt_out").handler.__name__ == "opt_out"


def test_step_refuses_an_undeclared_transition(monkeypatch: pytest.MonkeyPatch) -> None:
    def rogue(turn: Turn) -> Transition:
        return Transition(State.AGREEMENT_ACTIVE, turn.context)

    rows = dict(table.PER_STATE)
    rows[State.NEW] = {"*": Rule(rogue, frozenset({State.AWAITING_CPF}))}
    monkeypatch.setattr(table, "PER_STATE", rows)
    chat = REACH[State.NEW]()
    with pytest.raises(FlowDefinitionError, match="rogue"):
        step(chat.state, chat.context, TextReceived("xpto"), chat.policy, NOW)


def test_mermaid_diagram_names_every_state() -> None:
    diagram = to_mermaid()
    assert diagram.startswith("stateDiagram-v2\n    [*] --> new\n")
    for state in State:
        assert state.value in diagram
    assert "balance --> choosing_plan: " in diagram
    assert "any_state --> awaiting_agent: " in diagram


def test_naive_now_is_refused() -> None:
    chat = REACH[State.NEW]()
    with pytest.raises(ValueError, match="timezone-aware"):
        step(chat.state, chat.context, TextReceived("oi"), chat.policy, NOW.replace(tzinfo=None))
