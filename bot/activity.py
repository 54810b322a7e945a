"""What the conversation service did, said at INFO once a minute instead of once an event.

At 1,000 events/s a log line per event is a thousand JSON lines a second: about 7 % of an
event's CPU (the record, the formatter, the write) and more than anyone reads. The service
logs each event at DEBUG for tracing, and `Activity` adds up what it handled so that INFO
gets one line a minute: events, duplicates dropped, replies queued. Counts only, never whose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

SUMMARY_EVERY = timedelta(minutes=1)


@dataclass
class Activity:
    """Events counted since `since`; `count` answers the summary line when one is due."""

    every: timedelta = SUMMARY_EVERY
    since: datetime | None = None
    events: int = 0
    duplicates: int = 0
    replies: int = 0

    def count(self, now: datetime, *, duplicate: bool, replies: int) -> str | None:
        """Count one handled event; the summary of the period it closes, if it closes one."""
        if self.since is None:
            self.since = now
        self.events += 1
        self.duplicates += duplicate
        self.replies += replies
        elapsed = now - self.since
        if elapsed < self.every:
            return None
        line = (
            f"handled {self.events} events ({self.duplicates} duplicates dropped), "
            f"queued {self.replies} replies in the last {elapsed.total_seconds():.0f} s"
        )
        self.since, self.events, self.duplicates, self.replies = now, 0, 0, 0
        return line
