"""Garbage-collector settings for a long-running server: short pauses on the loop, and rare.

CPython's cyclic collector pauses the event loop while it runs, and every event waits behind
the pause. Three settings keep the pauses short:

- `gc.freeze()` after start-up moves what is alive then (modules, SQLAlchemy metadata, Babel
  locale data, the policy: hundreds of thousands of objects, none of which will ever be
  garbage) into a permanent generation that no collection walks.
- The young generation collects after 10,000 new container objects instead of 700: an event
  allocates a few thousand, most short-lived, and collecting them a few times per event
  instead of once per handful of events is pure overhead.
- The middle (and so the oldest) generation is never collected automatically. What survives
  a young collection is what lives on: the caches' entries, open chats' locks. By default
  every tenth young collection walked all of those again: 60–360 ms with the loop stopped
  (measured under `quita bench`), about once per 10,000 events, enough on its own to miss a
  p99 of 20 ms. And it found nothing: a bench of 16,000 events and their delivery leaves no
  cyclic garbage at all (every object is freed by its reference count).

Cyclic garbage that outlives a young collection (rare: an object graph that lived for a while
and then formed a cycle) is left to `sweep_periodically`, a full collection every ten
minutes: one pause of tens of milliseconds then, instead of one every few seconds under load.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

YOUNG_GENERATION_THRESHOLD = 10_000
"""Allocations (minus deallocations) of tracked objects between young collections."""
NEVER = 2**31 - 1
"""A collection count no server reaches (the largest threshold CPython accepts)."""
SWEEP_INTERVAL_SECONDS = 600.0


def settle_after_startup() -> None:
    """Call once start-up has built its long-lived objects, before serving traffic."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, NEVER)


@dataclass(frozen=True, slots=True)
class Sweep:
    unreachable: int  # objects found unreachable (and freed)
    seconds: float  # how long the loop was paused


def sweep() -> Sweep:
    """A full collection of everything made since start-up: what the automatic young
    collections leave, cycles that formed after their objects had outlived one."""
    began = time.perf_counter()
    unreachable = gc.collect()
    return Sweep(unreachable, time.perf_counter() - began)


async def sweep_periodically(
    stop: asyncio.Event, interval_seconds: float = SWEEP_INTERVAL_SECONDS
) -> None:
    """`sweep` every `interval_seconds` until `stop` is set (a background task of the server)."""
    while True:
        try:
            await asyncio.wait_for(stop.wait(), interval_seconds)
        except TimeoutError:
            swept = sweep()
            log.info(
                "heap sweep: %d unreachable objects freed, loop paused %.1f ms",
                swept.unreachable,
                swept.seconds * 1000,
            )
        else:
            return
