"""The console speaks the agent's language: gettext catalogs in the `console` domain.

Templates call `_("English msgid")` (Jinja2's i18n extension, new style: `%(name)s`
placeholders, autoescaped). The catalogs are the .po files under `bot/web/locales/`, compiled
in memory when the console starts — no build step, nothing to forget. The locale comes from
the browser's `Accept-Language`; Portuguese (Brazil) when nothing better matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "console"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LOCALE = "pt_BR"
HTML_LANG = {"pt_BR": "pt-BR", "en": "en"}
TRANSLATIONS_KEY = "console_translations"
MAX_ACCEPT_LANGUAGE = 512


def N_(message: str) -> str:  # noqa: N802 - the gettext convention extractors look for
    """Mark an English msgid in Python code; it is translated where the agent's locale is known."""
    return message


@dataclass(frozen=True, slots=True)
class Text:
    """Console text not yet translated: an English msgid and its `%(name)s` values.

    Python code decides *what* to say without knowing *who* reads it; the page renders it
    in the agent's language (`translate`, or the `|t` filter in templates)."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translations: Translations) -> str:
        text = translations.gettext(self.msgid)
        return text % dict(self.params) if self.params else text

    def __str__(self) -> str:
        return self.msgid % dict(self.params) if self.params else self.msgid


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogs() -> dict[str, Translations]:
    """Every locale that has a console.po, compiled once per process."""
    found: dict[str, Translations] = {}
    for po in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        locale = po.parent.parent.name
        with po.open("rb") as source:
            catalog = read_po(source, locale=locale, domain=DOMAIN)
        compiled = BytesIO()
        write_mo(compiled, catalog, use_fuzzy=False)
        compiled.seek(0)
        found[locale] = Translations(compiled, domain=DOMAIN)
    return found


def preferred_locales(header: str) -> list[str]:
    """Accept-Language, best first: `pt-BR,pt;q=0.9,en;q=0.8` → [pt_BR, pt, en]."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


def locale_for(header: str | None) -> str:
    available = list(catalogs())
    chosen = negotiate_locale(preferred_locales(header or ""), available, sep="_")
    return chosen if chosen in available else DEFAULT_LOCALE


def catalog(locale: str) -> Translations:
    """The compiled catalog; an empty one (msgids as is) if the locale has none."""
    return catalogs().get(locale) or Translations(domain=DOMAIN)


def locale_for_request(request: web.Request) -> str:
    return locale_for(request.headers.get("Accept-Language"))


def translations_for(request: web.Request) -> Translations:
    return catalog(locale_for(request.headers.get("Accept-Language")))


def translate(request: web.Request, text: Text | str) -> str:
    """`text` in the request's language (a plain str is taken as a msgid)."""
    return _render(translations_for(request), text)


def _render(translations: Translations, text: Text | str) -> str:
    return text.render(translations) if isinstance(text, Text) else translations.gettext(text)


def locale_context(request: web.Request) -> dict[str, Any]:
    """What every console template gets: the request's catalog and `<html lang>`."""
    locale = locale_for(request.headers.get("Accept-Language"))
    return {TRANSLATIONS_KEY: catalog(locale), "html_lang": HTML_LANG.get(locale, "pt-BR")}


def render(
    template: str, request: web.Request, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    """`aiohttp_jinja2.render_template` in the agent's language."""
    return aiohttp_jinja2.render_template(
        template, request, locale_context(request) | context, status=status
    )


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, message: str) -> str:
    return _catalog(context).gettext(message)


@jinja2.pass_context
def _ngettext(context: jinja2.runtime.Context, singular: str, plural: str, count: int) -> str:
    return _catalog(context).ngettext(singular, plural, count)


@jinja2.pass_context
def _translate_filter(context: jinja2.runtime.Context, text: Text | str) -> str:
    """`{{ item.reason_label|t }}`: a msgid or `Text` from Python, in the page's language."""
    return _render(_catalog(context), text)


def _catalog(context: jinja2.runtime.Context) -> Translations:
    found = context.get(TRANSLATIONS_KEY)
    return found if isinstance(found, Translations) else catalog(DEFAULT_LOCALE)


def install(environment: jinja2.Environment) -> None:
    """Give templates `_()`/`ngettext()` and the `|t` filter, following each request's locale."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    environment.filters["t"] = _translate_filter
