"""Images drawn at delivery time, not inside the conversation's transaction.

A PIX QR code takes ~20 ms of CPU to encode; doing it while holding the chat's lock would
cap throughput, so committed rows carry the payload and the outbox draws the PNG (in a worker
thread, cached) just before handing the message to the channel.
"""

from __future__ import annotations

import asyncio
import dataclasses
from functools import lru_cache

from bot.channels.base import OutboundMessage
from bot.payments.qr import qr_png


@lru_cache(maxsize=512)
def qr_image(payload: str) -> bytes:
    return qr_png(payload)


async def materialize(message: OutboundMessage) -> OutboundMessage:
    """The message with its QR image drawn, ready for any channel's sender."""
    if message.qr_payload is None or message.image_png is not None:
        return message
    png = await asyncio.to_thread(qr_image, message.qr_payload)
    return dataclasses.replace(message, image_png=png)


def materialize_now(message: OutboundMessage) -> OutboundMessage:
    """Synchronous variant for rare paths (web chat history of a reconnecting tab)."""
    if message.qr_payload is None or message.image_png is not None:
        return message
    return dataclasses.replace(message, image_png=qr_image(message.qr_payload))
