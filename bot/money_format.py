"""Money as each locale writes it, formatted with string work instead of Babel's pattern
engine.

Babel's `NumberPattern.apply` costs ~40 µs an amount (Decimal quantizing, a plural rule and a
dozen locale-data lookups), and a conversation shows a debtor a dozen amounts nobody else
owes. `MoneyFormat` takes a locale's currency pattern apart once, from Babel's own data,
and writes cents with string operations; a pattern it does not cover is left to Babel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision

from dialogs.money import from_cents

__all__ = ["MoneyFormat", "format_money", "money_format"]

# Babel puts non-breaking (and narrow no-break) spaces in currency; channels and tests want
# the plain "R$ 1.234,56" people type.
_PLAIN_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})
_CURRENCY = "BRL"


@lru_cache(maxsize=16_384)
def format_money(cents: int, locale: str) -> str:
    """`cents` in reais as the locale writes them ("R$ 1.234,56" in pt_BR), plain spaces.

    Every debtor owes different amounts, so the cache serves one conversation at a time and
    most amounts are written by the locale's pattern taken apart once (`MoneyFormat`)."""
    fast = money_format(locale)
    if fast is not None:
        return fast.format(cents)
    parsed, pattern = _currency_format(locale)
    text: str = pattern.apply(from_cents(cents), parsed, currency=_CURRENCY)
    return text.translate(_PLAIN_SPACES)


@cache
def _currency_format(locale: str) -> tuple[Locale, NumberPattern]:
    """The locale's Babel data and standard currency pattern, found once. `format_currency`
    parses the locale and looks the pattern up again on every call: 60 % of its time."""
    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"]


@cache
def money_format(locale: str) -> MoneyFormat | None:
    """The locale's `MoneyFormat`, or None where its pattern is Babel's alone to apply."""
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
