"""Contact windows in the debtor's zone and state: Sundays, holidays, late evenings."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.cadence.calendar import calendar_for
from bot.cadence.planner import days_landing_on
from dialogs.negotiation.policy import default_policy

CONTACT = default_policy().contact
SP = calendar_for(CONTACT, "SP")


def at(day: date, hour: int, minute: int = 0, zone: str = "America/Sao_Paulo") -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))


def test_sunday_and_christmas_have_no_window() -> None:
    assert SP.closed_reason(date(2026, 11, 29)) == "no contact window on Sunday"
    assert SP.closed_reason(date(2026, 12, 25)) == "holiday (Christmas Day)"
    assert SP.closed_reason(date(2026, 12, 24)) is None


def test_21h_moves_to_eight_next_morning() -> None:
    tuesday = date(2026, 12, 1)
    assert SP.outside_reason(at(tuesday, 21)) == "after the contact window (20:00)"
    assert SP.next_opening(at(tuesday, 21)) == at(date(2026, 12, 2), 8)


def test_saturday_evening_moves_past_sunday_and_christmas_eve_past_christmas() -> None:
    assert SP.next_opening(at(date(2026, 11, 28), 15)) == at(date(2026, 11, 30), 8)
    assert SP.next_opening(at(date(2026, 12, 24), 20)) == at(date(2026, 12, 26), 8)


def test_state_holidays_and_zones_follow_the_debtor() -> None:
    df = calendar_for(CONTACT, "DF")
    assert df.closed_reason(date(2026, 11, 30)) == "holiday (Evangelical Day)"
    assert SP.closed_reason(date(2026, 11, 30)) is None
    acre = calendar_for(CONTACT, "AC")
    # 09:00 in Rio Branco is 11:00 in São Paulo; 07:30 there is before its window.
    assert acre.send_moment(date(2026, 12, 1)) == at(
        date(2026, 12, 1), 9, zone="America/Rio_Branco"
    )
    assert acre.outside_reason(at(date(2026, 12, 1), 9, 30)) == "before the contact window (08:00)"
    assert calendar_for(CONTACT, None).state == "SP"
    assert calendar_for(CONTACT, "xx").state == "SP"


def test_pre_due_steps_move_earlier_and_later_steps_move_on() -> None:
    saturday, monday = date(2026, 11, 28), date(2026, 11, 30)
    # A pre-due message planned for Sunday goes on Saturday...
    assert days_landing_on(SP, saturday, before_due=True) == [saturday, date(2026, 11, 29)]
    # ...an overdue one planned for Sunday goes on Monday.
    assert days_landing_on(SP, monday, before_due=False) == [monday, date(2026, 11, 29)]
    # Christmas: pre-due moves to the 24th, overdue to Saturday the 26th; nothing on the 25th.
    assert days_landing_on(SP, date(2026, 12, 24), before_due=True) == [
        date(2026, 12, 24),
        date(2026, 12, 25),
    ]
    assert days_landing_on(SP, date(2026, 12, 26), before_due=False) == [
        date(2026, 12, 26),
        date(2026, 12, 25),
    ]
    assert days_landing_on(SP, date(2026, 12, 25), before_due=True) == []
