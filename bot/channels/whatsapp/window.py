"""WhatsApp's customer-service window: free-form messages only within 24 h of the user's last one.

Outside it only approved templates go out (Meta answers 131047 otherwise), so callers choose
between a free-form message and a template before sending.
"""

from __future__ import annotations

from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """True while less than 24 h have passed since the user's last message."""
    if last_inbound_at is None:
        return False
    if last_inbound_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("window_open needs timezone-aware datetimes")
    return now - last_inbound_at < WINDOW
