"""Dates as debtors say them, resolved against `today` ("dia 10", "sexta", "fim do mês").

Future by default (a promise to pay looks forward): "dia 10" is the next 10th that is not in
the past, a weekday is the next such day after today, "semana que vem" is next Monday,
"mês que vem" is the same day next month. With ``past=True`` (someone saying they already
paid) day-of-month and weekday forms look backwards instead.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from dialogs.nlu.numbers import read_number_words

_DAY_MONTH = re.compile(r"(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2}|\d{4}))?")

WEEKDAYS: dict[str, dict[str, int]] = {
    "pt": {
        "segunda": 0,
        "terca": 1,
        "quarta": 2,
        "quinta": 3,
        "sexta": 4,
        "sabado": 5,
        "domingo": 6,
    },
    "en": {
        "monday": 0,
        "tuesday": 1,
        "wednesday": 2,
        "thursday": 3,
        "friday": 4,
        "saturday": 5,
        "sunday": 6,
    },
    "es": {
        "lunes": 0,
        "martes": 1,
        "miercoles": 2,
        "jueves": 3,
        "viernes": 4,
        "sabado": 5,
        "domingo": 6,
    },
}


def _numbered(names: str) -> dict[str, int]:
    return {name: number for number, name in enumerate(names.split(), start=1)}


MONTHS: dict[str, dict[str, int]] = {
    "pt": _numbered(
        "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro"
    ),
    "es": _numbered(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    ),
    "en": _numbered(
        "january february march april may june july august september october november december"
    ),
}
_NOT_A_WEEKDAY_AFTER = frozenset({"via", "parcela", "vez", "opcao", "chamada", "prestacao"})
_RELATIVE_DAYS: dict[str, dict[tuple[str, ...], int]] = {
    "pt": {
        ("depois", "de", "amanha"): 2,
        ("amanha",): 1,
        ("hoje",): 0,
        ("ontem",): -1,
        ("anteontem",): -2,
    },
    "en": {("day", "after", "tomorrow"): 2, ("tomorrow",): 1, ("today",): 0, ("yesterday",): -1},
    "es": {("pasado", "manana"): 2, ("manana",): 1, ("hoy",): 0, ("ayer",): -1},
}
_NEXT_WEEK: dict[str, tuple[tuple[str, ...], ...]] = {
    "pt": (("semana", "que", "vem"), ("proxima", "semana")),
    "en": (("next", "week"),),
    "es": (("semana", "que", "viene"), ("proxima", "semana")),
}
_NEXT_MONTH: dict[str, tuple[tuple[str, ...], ...]] = {
    "pt": (("mes", "que", "vem"), ("proximo", "mes")),
    "en": (("next", "month"),),
    "es": (("mes", "que", "viene"), ("proximo", "mes")),
}
_END_OF_MONTH: dict[str, tuple[tuple[str, ...], ...]] = {
    "pt": (
        ("fim", "do", "mes"),
        ("final", "do", "mes"),
        ("fim", "de", "mes"),
        ("final", "de", "mes"),
    ),
    "en": (("end", "of", "the", "month"), ("end", "of", "month")),
    "es": (("fin", "de", "mes"), ("final", "de", "mes"), ("fin", "del", "mes")),
}
_START_OF_MONTH: dict[str, tuple[tuple[str, ...], ...]] = {
    "pt": (
        ("inicio", "do", "mes"),
        ("comeco", "do", "mes"),
        ("inicio", "de", "mes"),
        ("comeco", "de", "mes"),
    ),
    "en": (("start", "of", "the", "month"), ("beginning", "of", "the", "month")),
    "es": (("inicio", "de", "mes"), ("principio", "de", "mes")),
}
_DAY_WORD = {"pt": "dia", "en": "the", "es": "dia"}
_IN_DAYS = {"pt": ("daqui", "em"), "en": ("in",), "es": ("en", "dentro")}
_UNIT_DAYS = {
    "pt": {"dia": 1, "dias": 1, "semana": 7, "semanas": 7},
    "en": {"day": 1, "days": 1, "week": 7, "weeks": 7},
    "es": {"dia": 1, "dias": 1, "semana": 7, "semanas": 7},
}
_FILLERS = frozenset({"a", "uns", "umas", "unos", "about"})


def last_day(year: int, month: int) -> date:
    """The last calendar day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """Same day-of-month `months` later, clamped to the month's end (31/01 + 1 → 28/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def day_of_month(day: int, today: date, *, past: bool = False) -> date | None:
    """The next (or, with `past`, the latest) date with this day-of-month, today included."""
    if not 1 <= day <= 31:
        return None
    step = -1 if past else 1
    for offset in range(13):
        anchor = add_months(today.replace(day=1), step * offset)
        if day <= calendar.monthrange(anchor.year, anchor.month)[1]:
            candidate = anchor.replace(day=day)
            if (candidate <= today) if past else (candidate >= today):
                return candidate
    return None


def weekday_from(weekday: int, today: date, *, past: bool = False) -> date:
    """The next (or previous) such weekday, never today itself."""
    if past:
        return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _next_monday(today: date) -> date:
    return weekday_from(0, today)


def _starts(tokens: tuple[str, ...], at: int, phrase: tuple[str, ...]) -> bool:
    return tokens[at : at + len(phrase)] == phrase


def _small_number(tokens: tuple[str, ...], at: int, language: str) -> tuple[int, int] | None:
    if at >= len(tokens):
        return None
    word = tokens[at]
    if word.isdigit() and len(word) <= 2:
        return int(word), at + 1
    if word == "primeiro":
        return 1, at + 1
    return read_number_words(tokens, at, language)


def _explicit(word: str, today: date, past: bool) -> date | None:
    match = _DAY_MONTH.fullmatch(word)
    if not match:
        return None
    day, month, year_text = int(match[1]), int(match[2]), match[3]
    year = today.year if year_text is None else int(year_text)
    if year < 100:
        year += 2000
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if year_text is None and not past and found < today:
        found = found.replace(year=year + 1)
    if year_text is None and past and found > today:
        found = found.replace(year=year - 1)
    return found


def _month_after(tokens: tuple[str, ...], at: int, language: str) -> tuple[int | None, int]:
    """After "dia 10": "de dezembro" → (12, end), "do mês que vem" → (-1, end)."""
    if at < len(tokens) and tokens[at] in {"de", "do", "del", "of"}:
        if at + 1 < len(tokens) and tokens[at + 1] in MONTHS[language]:
            return MONTHS[language][tokens[at + 1]], at + 2
        for phrase in _NEXT_MONTH[language]:
            if _starts(tokens, at + 1, phrase):
                return -1, at + 1 + len(phrase)
    return None, at


def find_date(
    tokens: tuple[str, ...], today: date, language: str = "pt", *, past: bool = False
) -> tuple[date, range] | None:
    """The first date mentioned in `tokens`, with the word positions it spans."""
    weekdays = WEEKDAYS[language]
    for at, word in enumerate(tokens):
        if word[0].isdigit():
            explicit = _explicit(word, today, past)
            if explicit:
                return explicit, range(at, at + 1)
        for phrase, days in _RELATIVE_DAYS[language].items():
            if _starts(tokens, at, phrase):
                return today + timedelta(days=days), range(at, at + len(phrase))
        for phrase in _END_OF_MONTH[language]:
            if _starts(tokens, at, phrase):
                end = at + len(phrase)
                month_ahead = any(_starts(tokens, end, p[1:]) for p in _NEXT_MONTH[language])
                anchor = add_months(today, 1) if month_ahead else today
                return last_day(anchor.year, anchor.month), range(at, end)
        for phrase in _START_OF_MONTH[language]:
            if _starts(tokens, at, phrase):
                first = add_months(today.replace(day=1), 1)
                return first, range(at, at + len(phrase) + 2)
        if word == _DAY_WORD[language] or (language == "en" and word == "on"):
            number = _small_number(tokens, at + 1, language)
            if number is not None:
                day, end = number
                if (
                    language == "en"
                    and end < len(tokens)
                    and tokens[end] in {"th", "st", "nd", "rd"}
                ):
                    end += 1
                month, end = _month_after(tokens, end, language)
                if month == -1:
                    anchor = add_months(today.replace(day=1), 1)
                    found = day_of_month(day, anchor)
                elif month is not None:
                    found = _explicit(f"{day}/{month}", today, past)
                else:
                    found = day_of_month(day, today, past=past)
                if found:
                    return found, range(at, end)
        if word in _IN_DAYS[language]:
            cursor = at + 1
            while cursor < len(tokens) and tokens[cursor] in _FILLERS:
                cursor += 1
            number = _small_number(tokens, cursor, language)
            if number is not None and number[1] < len(tokens):
                count, end = number
                unit = _UNIT_DAYS[language].get(tokens[end])
                if unit:
                    return today + timedelta(days=count * unit), range(at, end + 1)
        for phrase in _NEXT_WEEK[language]:
            if _starts(tokens, at, phrase):
                return _next_monday(today), range(at, at + len(phrase))
        for phrase in _NEXT_MONTH[language]:
            if _starts(tokens, at, phrase):
                return add_months(today, 1), range(at, at + len(phrase))
        if word in weekdays:
            following = tokens[at + 1] if at + 1 < len(tokens) else ""
            if following in _NOT_A_WEEKDAY_AFTER:
                continue
            return weekday_from(weekdays[word], today, past=past), range(at, at + 1)
    return None
