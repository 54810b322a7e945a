"""In-process fan-out of "something changed" signals to live listeners.

The web chat and the agent console subscribe here and then re-read what they need from the
database, so a signal carries ids only and a missed one is harmless.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

QUEUE = 0  # pseudo conversation id for "the escalation queue changed"


class Notifier:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[int]]] = defaultdict(set)

    def subscribe(self, conversation_id: int, queue: asyncio.Queue[int]) -> None:
        self._subscribers[conversation_id].add(queue)

    def unsubscribe(self, conversation_id: int, queue: asyncio.Queue[int]) -> None:
        listeners = self._subscribers.get(conversation_id)
        if listeners is not None:
            listeners.discard(queue)
            if not listeners:
                del self._subscribers[conversation_id]

    def publish_conversation(self, conversation_id: int) -> None:
        for queue in (
            *self._subscribers.get(conversation_id, ()),
            *self._subscribers.get(QUEUE, ()),
        ):
            queue.put_nowait(conversation_id)

    def publish_queue_later(self) -> None:
        for queue in self._subscribers.get(QUEUE, ()):
            queue.put_nowait(QUEUE)
