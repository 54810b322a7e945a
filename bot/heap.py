"""Garbage-collector settings for a long-running server: fewer, shorter pauses on the loop.

CPython's cyclic collector pauses the event loop while it runs. A full (oldest-generation)
collection walks every tracked object, and after start-up that is hundreds of thousands of
them — modules, SQLAlchemy metadata, Babel locale data, the policy — none of which will ever
be garbage: a 50–60 ms pause, several times a minute under load, every event waiting behind
it (`quita bench` saw them as its p99). `gc.freeze()` moves what is alive after start-up into
a permanent generation the collector skips, so a full collection walks only what the server
made since. The young generation collects after 10,000 new container objects instead of 700:
an event allocates a few thousand, most short-lived, and collecting them a few times per
event instead of once per handful of events is pure overhead.
"""

from __future__ import annotations

import gc

YOUNG_GENERATION_THRESHOLD = 10_000
"""Allocations (minus deallocations) of tracked objects between young collections."""


def settle_after_startup() -> None:
    """Call once start-up has built its long-lived objects, before serving traffic."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
