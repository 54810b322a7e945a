"""Which tables and indexes each SQLite group commit writes: the closed loop, then real traffic.

A COMMIT appends every page its events changed to the WAL, and every such page is later
copied back into the database file. Events whose rows share pages share those writes. The
bench's closed loop runs every debtor through the same step in turn, so a group's events
belong to neighbouring chats; real chats arrive interleaved, as the bench's open loop sends
them, and each event's rows land on pages of their own (docs/performance.md, nineteenth
round).

This runs the bench's conversations on a fresh SQLite file with checkpoints off, so the WAL
keeps every page each commit wrote, and reads the WAL's frame headers: each frame names its
page, and a commit's last frame says so. SQLite's `dbstat` names each page's table or index.
The outbox delivers during the runs, as in `quita bench`.

    python scripts/wal_pages.py                       # 1,000 debtors, then 1,000/s
    python scripts/wal_pages.py --debtors 200 --rate 500
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import struct
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

_WAL_MAGIC = (0x377F0682, 0x377F0683)
_WAL_HEADER = 32
_FRAME_HEADER = 24


def commits_in(wal: bytes) -> list[list[int]]:
    """The pages each commit in a WAL file wrote, commit by commit, in order.

    Frames left from before the WAL was last rewound carry other salts and are not read,
    nor are frames after the last commit (a transaction still open, or rolled back)."""
    if len(wal) < _WAL_HEADER:
        return []
    magic, _version, page_size, _sequence, salt_1, salt_2 = struct.unpack(">6I", wal[:24])
    if magic not in _WAL_MAGIC:
        raise ValueError("not a SQLite WAL file")
    found: list[list[int]] = []
    pages: list[int] = []
    offset = _WAL_HEADER
    while offset + _FRAME_HEADER + page_size <= len(wal):
        page, size_after_commit, frame_salt_1, frame_salt_2 = struct.unpack(
            ">4I", wal[offset : offset + 16]
        )
        if (frame_salt_1, frame_salt_2) != (salt_1, salt_2):
            break
        pages.append(page)
        if size_after_commit:
            found.append(pages)
            pages = []
        offset += _FRAME_HEADER + page_size
    return found


def page_owners(database: Path) -> dict[int, str]:
    """Each page of the database file: the table or index it belongs to (`dbstat`)."""
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT pageno, name FROM dbstat").fetchall()
    return {int(page): str(name) for page, name in rows}


@dataclass(frozen=True)
class Phase:
    """What one run's commits wrote."""

    name: str
    events: int
    commits: list[list[int]]

    def by_btree(self, owners: dict[int, str]) -> Counter[str]:
        return Counter(owners.get(page, "(free)") for pages in self.commits for page in pages)

    @property
    def pages(self) -> int:
        return sum(len(pages) for pages in self.commits)


def report(phases: Sequence[Phase], owners: dict[int, str]) -> list[str]:
    """A table of pages per commit by table or index, one column per phase, and totals."""
    counts = [phase.by_btree(owners) for phase in phases]
    names = sorted(set().union(*counts), key=lambda name: -counts[-1][name])
    width = max(len(name) for name in names)
    lines = [f"{'pages per commit':{width}}" + "".join(f"{p.name:>16}" for p in phases)]
    for name in names:
        cells = "".join(
            f"{count[name] / max(len(phase.commits), 1):16.2f}"
            for phase, count in zip(phases, counts, strict=True)
        )
        lines.append(f"{name:{width}}{cells}")
    totals: list[tuple[str, Callable[[Phase], str]]] = [
        ("all", lambda p: f"{p.pages / max(len(p.commits), 1):16.1f}"),
        ("commits", lambda p: f"{len(p.commits):16,}"),
        ("events per commit", lambda p: f"{p.events / max(len(p.commits), 1):16.1f}"),
        ("pages per event", lambda p: f"{p.pages / max(p.events, 1):16.2f}"),
    ]
    for label, value in totals:
        lines.append(f"{label:{width}}" + "".join(value(phase) for phase in phases))
    return lines


def _rewind(database: Path) -> None:
    """Copy the WAL back and empty it, so the next run's commits start it."""
    with closing(sqlite3.connect(database)) as connection:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise RuntimeError("the WAL could not be emptied: a reader held it")


async def _measure(debtors: int, rate: float) -> None:
    from bot.bench import service as bench
    from bot.bench.conversations import script_for, seed_debtors
    from dialogs.negotiation.policy import default_policy
    from storage import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "pages.db"
        wal = Path(f"{database}-wal")
        url = f"sqlite+aiosqlite:///{database}"
        await upgrade(url)
        phases: list[Phase] = []
        async with bench.bench_rig(url, default_policy(), checkpoints=False) as rig:
            print(f"seeding {2 * debtors:,} debtors…", file=sys.stderr)
            await seed_debtors(rig.db, 2 * debtors, lambda _: None)
            events = sum(len(script_for(n)) for n in range(debtors))
            _rewind(database)
            print("closed loop…", file=sys.stderr)
            await bench.run_closed_loop(rig.counter, debtors, rig.clock)
            written = await asyncio.to_thread(wal.read_bytes)
            phases.append(Phase("closed loop", events, commits_in(written)))
            await bench.drain_outbox(rig, lambda _: None)
            _rewind(database)
            print(f"open loop at {rate:,.0f}/s…", file=sys.stderr)
            await bench.run_open_loop(rig.counter, debtors, debtors, rate, rig.clock)
            events = sum(len(script_for(debtors + n)) for n in range(debtors))
            written = await asyncio.to_thread(wal.read_bytes)
            phases.append(Phase(f"{rate:,.0f}/s", events, commits_in(written)))
            await bench.drain_outbox(rig, lambda _: None)
        print("\n".join(report(phases, page_owners(database))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debtors", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1000.0, help="open loop's events/s")
    args = parser.parse_args()
    asyncio.run(_measure(args.debtors, args.rate))


if __name__ == "__main__":
    main()
