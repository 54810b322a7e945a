"""Render dialog messages (id + params) into text for the debtor's locale.

The dialog never holds finished text: the catalogs under `dialogs/locales` (gettext `.po`,
msgid = message id, msgstr = text with `{name}` placeholders) are read once with Babel, and
money and dates are formatted here, at the edge, the way each locale writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from bot.money_format import format_money
from dialogs.flow.actions import Choice, Message, Money, ParamValue, Percent

__all__ = ["DEFAULT_LOCALE", "LOCALES", "catalog", "locale_from", "render", "render_choice_label"]

DEFAULT_LOCALE = "pt_BR"
LOCALES = ("pt_BR", "en", "es")
LOCALES_DIR = Path(__file__).resolve().parent.parent / "dialogs" / "locales"

_DATE_PATTERNS = {"pt_BR": "dd/MM/yyyy", "es": "dd/MM/yyyy", "en": "MM/dd/yyyy"}


@cache
def catalog(locale: str) -> Mapping[str, str]:
    """The translated texts of one locale (empty translations left out), read once."""
    path = LOCALES_DIR / locale / "LC_MESSAGES" / "quita.po"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=locale)
    return {
        str(entry.id): str(entry.string)
        for entry in parsed
        if entry.id and isinstance(entry.string, str) and entry.string
    }


def locale_from(tag: str | None) -> str:
    """Map a client language tag ("pt-BR", "pt", "en-US", "es_AR"…) to a supported locale."""
    if not tag:
        return DEFAULT_LOCALE
    language = tag.strip().replace("-", "_").split("_")[0].lower()
    return {"pt": "pt_BR", "en": "en", "es": "es"}.get(language, DEFAULT_LOCALE)


def _template(message_id: str, locale: str) -> str:
    text = catalog(locale).get(message_id)
    if text is None:
        text = catalog(DEFAULT_LOCALE).get(message_id)
    if text is None:
        raise KeyError(f"message id {message_id!r} has no text in any catalog")
    return text


def format_param(value: ParamValue, locale: str) -> str:
    """One parameter as the locale writes it: R$ 1.234,56, 05/12/2026, 0,5."""
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, Money):  # the cents are a cheaper key than the dataclass's own hash
        return format_money(value.cents, locale)
    return _format_value(value, locale)


@lru_cache(maxsize=16_384)
def _format_value(value: Percent | date, locale: str) -> str:
    """Babel's formatting is ~50 µs a call and the same rates and dates recur all day."""
    match value:
        case Percent(value=rate):
            return format_decimal(Decimal(rate).normalize(), locale=locale)
        case date():
            pattern = _DATE_PATTERNS.get(locale, "dd/MM/yyyy")
            return format_date(value, pattern, locale=locale)


def render(message: Message, locale: str) -> str:
    """The finished text; falls back to pt_BR when the locale or the id is missing.

    A placeholder without a parameter raises KeyError: that is a bug the flow tests catch.
    """
    if locale not in LOCALES:
        locale = locale_from(locale)
    if not message.params:
        return _plain_text(message.id, locale)
    params = {name: format_param(value, locale) for name, value in message.params.items()}
    return _template(message.id, locale).format_map(params)


@lru_cache(maxsize=4096)
def _plain_text(message_id: str, locale: str) -> str:
    """A message without parameters (most prompts and buttons) reads the same every time."""
    return _template(message_id, locale).format_map({})


def render_choice_label(choice: Choice, locale: str) -> str:
    return render(choice.label, locale)
