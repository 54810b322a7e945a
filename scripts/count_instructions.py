"""Instructions per event of the service path (or per reply of the outbox), under callgrind.

This machine's speed drifts ±15 % from hour to hour and more on a busy day, so CPU seconds
compare two commits only when they are run back to back, many times. Instructions do not
drift: callgrind counts the same total for the same code and input on any day, so one run
of each commit tells a 2 % change apart.

    python scripts/count_instructions.py                 # 60 debtors' conversations
    python scripts/count_instructions.py --deliver       # the outbox delivering their replies
    PYTHONPATH=/tmp/other-checkout python scripts/count_instructions.py   # another commit

It starts itself again under `valgrind --tool=callgrind` with counting off, seeds a SQLite
database, and counts only while the debtors run their conversations (a closed loop, the
outbox idle) or, with `--deliver`, only while the outbox delivers what they left queued.
Start-up, migrations, seeding and a warm-up are not counted: ten other debtors' whole
conversations and their delivery first (Babel's locale data loads, caches fill, statements
compile), then the heap settled as `quita run` settles it. So the count is the steady
state's. About a minute for 60 debtors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.bench.service import BenchRig

_UNDER_CALLGRIND = "QUITA_UNDER_CALLGRIND"
_WARM_UP = 10  # debtors whose conversations run, uncounted, before the counted ones


def _counting(on: bool) -> None:
    """Switch callgrind's counting for this process (`callgrind_control -i on|off`)."""
    state = "on" if on else "off"
    subprocess.run(
        ["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True
    )


async def _everyone(rig: BenchRig, debtors: range) -> None:
    from bot.bench import service as bench

    await asyncio.gather(*(bench.converse(rig.counter, n, rig.clock) for n in debtors))


async def _measure(debtors: int, *, deliver: bool) -> None:
    from bot.bench import service as bench
    from bot.bench.conversations import seed_debtors
    from bot.heap import settle_after_startup
    from dialogs.negotiation.policy import default_policy
    from storage import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'count.db'}"
        await upgrade(url)
        async with bench.bench_rig(url, default_policy(), deliver_during_runs=False) as rig:
            await seed_debtors(rig.db, debtors + _WARM_UP, lambda _: None)
            outbox = rig.delivery.outbox
            # Warm up: Babel loads locale data, caches fill, statements compile on first use.
            await _everyone(rig, range(debtors, debtors + _WARM_UP))
            while await outbox.drain_once():
                pass
            settle_after_startup()  # as `quita run` does; its full collection is not counted
            warmed_up = rig.sender.sent  # the warm-up's replies are not the counted ones
            _counting(not deliver)
            await _everyone(rig, range(debtors))
            _counting(deliver)
            if deliver:
                while await outbox.drain_once():
                    pass
                _counting(False)
            print(f"replies delivered: {rig.sender.sent - warmed_up}", file=sys.stderr)


def _run_under_callgrind(debtors: int, deliver: bool) -> tuple[int, int]:
    """The instructions counted, and the replies delivered."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("valgrind is not installed: apt-get install -y valgrind")
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={Path(tmp) / 'callgrind.out'}",
            sys.executable,
            __file__,
            f"--debtors={debtors}",
            *(["--deliver"] if deliver else []),
        ]
        print(f"counting under callgrind ({debtors} debtors, about a minute)…", file=sys.stderr)
        done = subprocess.run(
            command,
            check=False,
            env={**os.environ, _UNDER_CALLGRIND: "1"},
            capture_output=True,
            text=True,
        )
    collected = re.search(r"Collected : (\d+)", done.stderr)
    replies = re.search(r"replies delivered: (\d+)", done.stderr)
    if done.returncode != 0 or collected is None or replies is None:
        sys.stderr.write(done.stderr[-3000:])
        sys.exit("the counted run failed (its output is above)")
    return int(collected.group(1)), int(replies.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debtors", type=int, default=60)
    parser.add_argument("--deliver", action="store_true", help="count the outbox, not events")
    args = parser.parse_args()
    if os.environ.get(_UNDER_CALLGRIND):
        asyncio.run(_measure(args.debtors, deliver=args.deliver))
        return
    from bot.bench.conversations import script_for

    instructions, replies = _run_under_callgrind(args.debtors, args.deliver)
    if args.deliver:
        print(f"{instructions:,} instructions: {instructions / replies:,.0f} per reply")
    else:
        events = sum(len(script_for(n)) for n in range(args.debtors))
        print(f"{instructions:,} instructions: {instructions / events:,.0f} per event")


if __name__ == "__main__":
    main()
