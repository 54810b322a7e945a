"""Console text comes from the `console` gettext catalogs, complete in pt_BR and en."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.web.console import TEMPLATES
from bot.web.console.i18n import catalogs, locale_for, po_path

LOCALES = ("pt_BR", "en")


def template_msgids() -> set[str]:
    method_map = [("console/**.html", "jinja2.ext:babel_extract")]
    options = {"console/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = extract_from_dir(TEMPLATES, method_map=method_map, options_map=options)
    return {m if isinstance(m, str) else m[0] for _, _, m, _, _ in found}


def test_every_template_string_is_in_each_catalog_with_a_translation() -> None:
    wanted = template_msgids()
    assert wanted
    for locale in LOCALES:
        with po_path(locale).open("rb") as source:
            catalog = read_po(source, locale=locale)
        entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
        assert wanted - entries.keys() == set(), locale
        assert entries.keys() - wanted == set(), locale  # no stale entries
        assert [k for k, m in entries.items() if not m.string or m.fuzzy] == [], locale


def test_the_agent_locale_follows_accept_language_with_portuguese_as_fallback() -> None:
    assert set(catalogs()) == set(LOCALES)
    assert locale_for("en-US,en;q=0.9") == "en"
    assert locale_for("pt-BR,pt;q=0.9,en;q=0.8") == "pt_BR"
    assert locale_for("fr-FR,de;q=0.5") == "pt_BR"
    assert locale_for(None) == "pt_BR"
    assert catalogs()["en"].gettext("Score %(score)s") == "Score %(score)s"
    assert catalogs()["pt_BR"].gettext("Score %(score)s") == "Pontuação %(score)s"
