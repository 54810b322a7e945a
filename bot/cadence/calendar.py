"""When proactive contact is allowed, in the debtor's own time zone and state.

Contact windows come from the policy (default Mon–Fri 08–20, Sat 08–14, never Sundays);
national and state holidays from the `holidays` package. A message due outside the window
goes at the next opening; the planner moves pre-due reminders to the previous contact day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from dialogs.negotiation.policy import ContactPolicy, TimeWindow

SEND_TIME = time(9)  # planned reminders go at 09:00 local (inside every default window)
SEARCH_DAYS = 60  # a policy with no window for two months is a configuration error

# Brazil's states and their legal time (no daylight saving since 2019).
STATE_ZONES: dict[str, str] = {
    "AC": "America/Rio_Branco",
    "AM": "America/Manaus",
    "RR": "America/Boa_Vista",
    "RO": "America/Porto_Velho",
    "MT": "America/Cuiaba",
    "MS": "America/Campo_Grande",
    "PA": "America/Belem",
    "AP": "America/Belem",
    "TO": "America/Araguaina",
    "MA": "America/Fortaleza",
    "PI": "America/Fortaleza",
    "CE": "America/Fortaleza",
    "RN": "America/Fortaleza",
    "PB": "America/Fortaleza",
    "PE": "America/Recife",
    "AL": "America/Maceio",
    "SE": "America/Maceio",
    "BA": "America/Bahia",
    **dict.fromkeys(("SP", "RJ", "MG", "ES", "PR", "SC", "RS", "GO", "DF"), "America/Sao_Paulo"),
}
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class NoContactWindowError(Exception):
    """The policy allows no proactive contact for `SEARCH_DAYS` days."""


@dataclass(frozen=True)
class ContactCalendar:
    """The contact rules for debtors of one state (or the policy's default state)."""

    contact: ContactPolicy
    state: str
    zone: ZoneInfo

    def holiday(self, day: date) -> str | None:
        if not self.contact.skip_holidays:
            return None
        name = _holidays(self.state, day.year).get(day)
        return None if name is None else str(name)

    def closed_reason(self, day: date) -> str | None:
        """Why there is no proactive contact on `day` (None: there is a window)."""
        holiday = self.holiday(day)
        if holiday is not None:
            return f"holiday ({holiday})"
        if self.contact.window_on(day) is None:
            return f"no contact window on {WEEKDAY_NAMES[day.weekday()]}"
        return None

    def window(self, day: date) -> TimeWindow | None:
        return None if self.closed_reason(day) else self.contact.window_on(day)

    def is_contact_day(self, day: date) -> bool:
        return self.window(day) is not None

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def is_open(self, moment: datetime) -> bool:
        local = self.local(moment)
        window = self.window(local.date())
        return window is not None and window.contains(local.time())

    def outside_reason(self, moment: datetime) -> str | None:
        """Why `moment` is outside the contact window (None: inside)."""
        local = self.local(moment)
        closed = self.closed_reason(local.date())
        if closed is not None:
            return closed
        window = self.contact.window_on(local.date())
        assert window is not None
        if local.time() < window.start:
            return f"before the contact window ({window.start:%H:%M})"
        if local.time() >= window.end:
            return f"after the contact window ({window.end:%H:%M})"
        return None

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself if contact is allowed then, else the next window's start."""
        local = self.local(moment)
        for offset in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            window = self.window(day)
            if window is None:
                continue
            if offset == 0:
                if window.contains(local.time()):
                    return moment
                if local.time() >= window.end:
                    continue
            return self.at(day, window.start)
        raise NoContactWindowError(f"no contact window within {SEARCH_DAYS} days of {local:%F}")

    def send_moment(self, day: date, preferred: time = SEND_TIME) -> datetime | None:
        """When a reminder planned for `day` goes: `preferred` inside the window, else its start."""
        window = self.window(day)
        if window is None:
            return None
        return self.at(day, preferred if window.contains(preferred) else window.start)

    def next_contact_day(self, day: date) -> date:
        """`day` or the first later day with a window."""
        for offset in range(SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_contact_day(candidate):
                return candidate
        raise NoContactWindowError(f"no contact day within {SEARCH_DAYS} days of {day}")

    def previous_contact_day(self, day: date, *, not_before: date) -> date | None:
        """`day` or the last earlier day with a window, but not before `not_before`."""
        candidate = day
        while candidate >= not_before:
            if self.is_contact_day(candidate):
                return candidate
            candidate -= timedelta(days=1)
        return None

    def at(self, day: date, clock_time: time) -> datetime:
        return datetime.combine(day, clock_time, tzinfo=self.zone)

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The local day as an aware [start, end) range."""
        start = datetime.combine(day, time(0), tzinfo=self.zone)
        return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)


def state_of(value: str | None, contact: ContactPolicy) -> str:
    """The debtor's UF if it is a known state, else the policy's."""
    state = (value or "").strip().upper()
    return state if state in STATE_ZONES else contact.state


def calendar_for(contact: ContactPolicy, state: str | None) -> ContactCalendar:
    """The calendar of a debtor in `state` (their zone and holidays); the policy's by default."""
    return _calendar(contact, (state or "").strip().upper())


@cache
def _calendar(contact: ContactPolicy, raw_state: str) -> ContactCalendar:
    if raw_state in STATE_ZONES:
        return ContactCalendar(contact, raw_state, ZoneInfo(STATE_ZONES[raw_state]))
    return ContactCalendar(contact, contact.state, contact.zone)


@cache
def _holidays(state: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("BR", subdiv=state, years=year)
