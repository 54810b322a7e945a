"""The 24-hour customer-service window, at its edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.channels.whatsapp import window_open

LAST = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("elapsed", "is_open"),
    [
        (timedelta(0), True),
        (timedelta(hours=23, minutes=59, seconds=59), True),
        (timedelta(hours=24) - timedelta(microseconds=1), True),
        (timedelta(hours=24), False),
        (timedelta(days=3), False),
    ],
)
def test_free_form_messages_are_allowed_for_24_hours(elapsed: timedelta, is_open: bool) -> None:
    assert window_open(LAST, LAST + elapsed) is is_open


def test_a_debtor_who_never_wrote_has_no_window() -> None:
    assert window_open(None, LAST) is False


def test_time_zones_do_not_move_the_window() -> None:
    sao_paulo = timezone(timedelta(hours=-3))
    now_in_brazil = (LAST + timedelta(hours=23)).astimezone(sao_paulo)

    assert window_open(LAST, now_in_brazil) is True
    assert window_open(LAST, (LAST + timedelta(hours=25)).astimezone(sao_paulo)) is False


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        window_open(LAST.replace(tzinfo=None), LAST)
