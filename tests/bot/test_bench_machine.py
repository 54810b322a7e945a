"""The bench prints how fast the machine ran Python before and after its runs, and says when
that changed during them, so that no one compares figures from a slow hour with a quiet one."""

from __future__ import annotations

import os
import sys

import pytest

from bot.bench.machine import MachineSpeed, python_loop_us, running_python


def test_the_line_gives_both_times_of_the_same_loop() -> None:
    line = MachineSpeed(15.04, 16.26).line()

    assert line.startswith("machine: sum(range(1000)) took 15.0 µs before the runs and 16.3 µs")
    assert "compare figures only between runs at the same speed on the same interpreter" in line
    assert "changed" not in line


def test_the_line_names_the_interpreter_the_figures_were_taken_on() -> None:
    line = MachineSpeed(15.0, 15.0, "Python 3.11.2 (/usr/bin/python3.11)").line()

    assert "after, on Python 3.11.2 (/usr/bin/python3.11); compare" in line


def test_the_running_interpreter_is_named_by_version_and_real_file() -> None:
    named = running_python()

    assert named.startswith(f"Python {sys.version_info.major}.{sys.version_info.minor}.")
    assert named.endswith(f"({os.path.realpath(sys.executable)})")
    assert ".venv" not in named  # the interpreter itself, not the environment's link to it


@pytest.mark.parametrize(("before", "after"), [(15.0, 27.5), (28.0, 15.5)])
def test_a_machine_that_sped_up_or_slowed_down_during_the_runs_is_called_out(
    before: float, after: float
) -> None:
    speed = MachineSpeed(before, after)

    assert speed.drifted
    assert speed.line().endswith("(it changed during these runs: run them again)")


def test_a_quarter_either_way_is_still_the_same_speed() -> None:
    assert not MachineSpeed(20.0, 25.0).drifted
    assert not MachineSpeed(25.0, 20.0).drifted


def test_the_loop_is_timed_in_microseconds() -> None:
    took = python_loop_us()

    # A thousand additions: microseconds on any machine that can run the bench at all,
    # never the milliseconds of the whole timing or the nanoseconds of one addition.
    assert 0.5 < took < 1_000
