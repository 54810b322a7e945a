"""`step` (NLU included) must keep up with the service: ≥ 5,000 steps/s (benchmark)."""

from __future__ import annotations

from pytest_benchmark.fixture import BenchmarkFixture

from dialogs.flow import State, step
from dialogs.flow.events import ButtonPressed, TextReceived
from tests.dialogs.flow.scenarios import REACH

MIX = (
    (State.BALANCE, TextReceived("quero parcelar em 6x")),
    (State.CHOOSING_PLAN, TextReceived("consigo uns 300 por mês")),
    (State.BALANCE, ButtonPressed("installments")),
    (State.BALANCE, TextReceived("qual meu saldo")),
)


def test_step_throughput(benchmark: BenchmarkFixture) -> None:
    chat = REACH[State.BALANCE]()
    context, policy, now = chat.context, chat.policy, chat.now

    def run() -> None:
        for state, event in MIX:
            step(state, context, event, policy, now)

    benchmark(run)
    if not benchmark.disabled and benchmark.stats is not None:
        steps_per_second = len(MIX) / benchmark.stats.stats.mean
        assert steps_per_second >= 5_000
