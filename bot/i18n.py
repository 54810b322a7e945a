"""Render dialog messages (id + params) into text for the debtor's locale.

The dialog never holds finished text: the catalogs under `dialogs/locales` (gettext `.po`,
msgid = message id, msgstr = text with `{name}` placeholders) are read once with Babel, and
money and dates are formatted here, at the edge, the way each locale writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_decimal, get_currency_precision

from dialogs.flow.actions import Choice, Message, Money, ParamValue, Percent
from dialogs.money import from_cents

__all__ = ["DEFAULT_LOCALE", "LOCALES", "catalog", "locale_from", "render", "render_choice_label"]

DEFAULT_LOCALE = "pt_BR"
LOCALES = ("pt_BR", "en", "es")
LOCALES_DIR = Path(__file__).resolve().parent.parent / "dialogs" / "locales"

# Babel puts non-breaking (and narrow no-break) spaces in currency; channels and tests want
# the plain "R$ 1.234,56" people type.
_PLAIN_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})
_CURRENCY = "BRL"
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
        return _format_money(value.cents, locale)
    return _format_value(value, locale)


@lru_cache(maxsize=16_384)
def _format_money(cents: int, locale: str) -> str:
    """Every debtor owes different amounts, so the cache above serves one conversation and
    most amounts are formatted here: from the locale's pattern taken apart once."""
    fast = _money_format(locale)
    if fast is not None:
        return fast.format(cents)
    parsed, pattern = _currency_format(locale)
    text: str = pattern.apply(from_cents(cents), parsed, currency="BRL")
    return text.translate(_PLAIN_SPACES)


@cache
def _currency_format(locale: str) -> tuple[Locale, NumberPattern]:
    """The locale's Babel data and standard currency pattern, found once. `format_currency`
    parses the locale and looks the pattern up again on every call: 60 % of its time."""
    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"]


@cache
def _money_format(locale: str) -> MoneyFormat | None:
    return MoneyFormat.of(*_currency_format(locale))


@dataclass(frozen=True, slots=True)
class MoneyFormat:
    """A locale's currency pattern for reais, taken apart once from Babel's own data, so
    formatting cents is string work instead of `NumberPattern.apply` (~40 µs: Decimal
    quantizing, a plural rule and a dozen locale-data lookups a call)."""

    prefixes: tuple[str, str]  # positive, negative; symbol in place, plain spaces
    suffixes: tuple[str, str]
    grouping: tuple[int, int]  # the last group's size, then every other's
    min_digits: int
    group: str
    decimal: str

    @classmethod
    def of(cls, parsed: Locale, pattern: NumberPattern) -> MoneyFormat | None:
        """None for what `apply` does that this does not: quoted text, currency names or
        codes (¤¤, ¤¤¤), scaling, significant digits or exponents, a currency without cents."""
        if _unusual(pattern) or get_currency_precision(_CURRENCY) != 2:
            return None
        symbols = parsed.number_symbols.get("latn")
        if symbols is None:
            return None
        symbol = parsed.currency_symbols.get(_CURRENCY, _CURRENCY)
        affixes = [text.replace("\u00a4", symbol) for text in (*pattern.prefix, *pattern.suffix)]
        marks = [symbols.get("group", ","), symbols.get("decimal", ".")]
        if any("'" in text or "\u00a4" in text for text in (*affixes, *marks)):
            return None
        plain = [text.translate(_PLAIN_SPACES) for text in (*affixes, *marks)]
        return cls(
            prefixes=(plain[0], plain[1]),
            suffixes=(plain[2], plain[3]),
            grouping=pattern.grouping,
            min_digits=pattern.int_prec[0],
            group=plain[4],
            decimal=plain[5],
        )

    def format(self, cents: int) -> str:
        """What `apply` writes for `cents` / 100, with plain spaces."""
        negative = cents < 0
        whole, fraction = divmod(-cents if negative else cents, 100)
        digits = str(whole).zfill(self.min_digits)
        return "".join(
            (
                self.prefixes[negative],
                self._grouped(digits),
                self.decimal,
                f"{fraction:02d}",
                self.suffixes[negative],
            )
        )

    def _grouped(self, digits: str) -> str:
        """Babel's `_format_int`: the last group, then groups of the other size."""
        size, groups = self.grouping[0], []
        while len(digits) > size:
            groups.append(digits[-size:])
            digits = digits[:-size]
            size = self.grouping[1]
        groups.append(digits)
        return self.group.join(reversed(groups))


def _unusual(pattern: NumberPattern) -> bool:
    return (
        any("\u00a4\u00a4" in text for text in (*pattern.prefix, *pattern.suffix))
        or pattern.scale != 0
        or pattern.exp_prec is not None
        or "@" in pattern.pattern
        or pattern.number_pattern == ""
        or min(pattern.grouping) < 1
    )


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
