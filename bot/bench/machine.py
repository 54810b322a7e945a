"""How fast this machine runs Python right now: the yardstick printed next to the figures.

A shared virtual machine's speed drifts with its neighbours' load. On the two-core machine
the targets were set on, the same commit ran 1.5–2 times slower in some hours than in others
with nothing of Quita's running, and the speed can change within a minute
(docs/performance.md, "Measuring"). CPU per event and events/s therefore compare only
between runs made at the same machine speed, so the bench times a fixed pure-Python loop
before and after its runs and prints both times with the figures.

The interpreter matters as much as the hour: a plain `./configure` build of CPython (pyenv's
default) spent ~28 % more CPU an event than Debian's optimised build of the same version on
the same machine (docs/performance.md, eighteenth round). So the line names the interpreter
too.
"""

from __future__ import annotations

import os
import platform
import sys
import timeit
from dataclasses import dataclass, field

PROBE = "sum(range(1000))"
_LOOPS = 2000
_REPEATS = 5  # the best of these: the machine's speed, not a hiccup within the ~0.1 s
DRIFT = 1.25
"""Before and after differing by more than this factor: the speed changed during the runs."""


def python_loop_us() -> float:
    """Microseconds one `sum(range(1000))` takes now (the best of a few repeats)."""
    best = min(timeit.repeat(PROBE, number=_LOOPS, repeat=_REPEATS))
    return best / _LOOPS * 1_000_000


def running_python() -> str:
    """This interpreter's version and file, e.g. `Python 3.11.2 (/usr/bin/python3.11)`: a
    virtual environment's `python` is a link to the interpreter it was made with."""
    return f"Python {platform.python_version()} ({os.path.realpath(sys.executable)})"


@dataclass(frozen=True, slots=True)
class MachineSpeed:
    before_us: float
    after_us: float
    interpreter: str = field(default_factory=running_python)

    @property
    def drifted(self) -> bool:
        slower, faster = max(self.before_us, self.after_us), min(self.before_us, self.after_us)
        return slower > faster * DRIFT

    def line(self) -> str:
        text = (
            f"machine: {PROBE} took {self.before_us:.1f} µs before the runs and "
            f"{self.after_us:.1f} µs after, on {self.interpreter}; compare figures only between "
            "runs at the same speed on the same interpreter"
        )
        if self.drifted:
            text += " (it changed during these runs: run them again)"
        return text
