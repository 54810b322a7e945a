"""How fast this machine runs Python right now: the yardstick printed next to the figures.

A shared virtual machine's speed drifts with its neighbours' load. On the two-core machine
the targets were set on, the same commit ran 1.5–2 times slower in some hours than in others
with nothing of Quita's running, and the speed can change within a minute
(docs/performance.md, "Measuring"). CPU per event and events/s therefore compare only
between runs made at the same machine speed, so the bench times a fixed pure-Python loop
before and after its runs and prints both times with the figures.
"""

from __future__ import annotations

import timeit
from dataclasses import dataclass

PROBE = "sum(range(1000))"
_LOOPS = 2000
_REPEATS = 5  # the best of these: the machine's speed, not a hiccup within the ~0.1 s
DRIFT = 1.25
"""Before and after differing by more than this factor: the speed changed during the runs."""


def python_loop_us() -> float:
    """Microseconds one `sum(range(1000))` takes now (the best of a few repeats)."""
    best = min(timeit.repeat(PROBE, number=_LOOPS, repeat=_REPEATS))
    return best / _LOOPS * 1_000_000


@dataclass(frozen=True, slots=True)
class MachineSpeed:
    before_us: float
    after_us: float

    @property
    def drifted(self) -> bool:
        slower, faster = max(self.before_us, self.after_us), min(self.before_us, self.after_us)
        return slower > faster * DRIFT

    def line(self) -> str:
        text = (
            f"machine: {PROBE} took {self.before_us:.1f} µs before the runs and "
            f"{self.after_us:.1f} µs after; compare figures only between runs at the same speed"
        )
        if self.drifted:
            text += " (it changed during these runs: run them again)"
        return text
