"""Console text comes from the `console` gettext catalogs, complete in pt_BR and en: the
strings in templates (`_()`) and the ones marked in Python (`N_()`, `Text()`,
`ActionRefusedError()`), which the pages translate at render time."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.web.console import TEMPLATES
from bot.web.console.i18n import Text, catalogs, locale_for, po_path

LOCALES = ("pt_BR", "en")
CONSOLE_CODE = Path(__file__).resolve().parents[4] / "bot" / "web" / "console"
PYTHON_MARKERS = {"N_": None, "Text": None, "ActionRefusedError": None}


def _msgids(
    found: Iterable[tuple[str, int, str | tuple[str, ...], list[str], str | None]],
) -> set[str]:
    return {m if isinstance(m, str) else m[0] for _, _, m, _, _ in found}


def template_msgids() -> set[str]:
    method_map = [("console/**.html", "jinja2.ext:babel_extract")]
    options = {"console/**.html": {"extensions": "jinja2.ext.i18n"}}
    return _msgids(extract_from_dir(TEMPLATES, method_map=method_map, options_map=options))


def python_msgids() -> set[str]:
    found = extract_from_dir(
        CONSOLE_CODE, method_map=[("**.py", "python")], keywords=PYTHON_MARKERS
    )
    return _msgids(found)


def test_python_markers_are_found() -> None:
    wanted = python_msgids()
    assert "Asked for a person" in wanted  # REASON_LABELS
    assert "Start over (new verification)" in wanted  # RESUME_POINTS
    assert "Wrong e-mail or password." in wanted  # login
    assert "Someone else already took this chat." in wanted  # ActionRefusedError
    assert "The message is longer than %(count)s characters." in wanted  # with a value
    assert "Agreement #%(id)s (%(status)s): %(total)s by %(channel)s" in wanted  # Text


def test_every_console_string_is_in_each_catalog_with_a_translation() -> None:
    wanted = template_msgids() | python_msgids()
    assert wanted
    for locale in LOCALES:
        with po_path(locale).open("rb") as source:
            catalog = read_po(source, locale=locale)
        entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
        assert wanted - entries.keys() == set(), locale
        assert entries.keys() - wanted == set(), locale  # no stale entries
        assert [k for k, m in entries.items() if not m.string or m.fuzzy] == [], locale


def test_placeholders_survive_translation() -> None:
    """A translation that drops or renames a `%(name)s` would crash the page at render time."""
    for locale in LOCALES:
        with po_path(locale).open("rb") as source:
            catalog = read_po(source, locale=locale)
        for message in catalog:
            if message.id and isinstance(message.id, str) and isinstance(message.string, str):
                assert _placeholders(message.id) == _placeholders(message.string), message.id


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)s|%%", text))


def test_the_agent_locale_follows_accept_language_with_portuguese_as_fallback() -> None:
    assert set(catalogs()) == set(LOCALES)
    assert locale_for("en-US,en;q=0.9") == "en"
    assert locale_for("pt-BR,pt;q=0.9,en;q=0.8") == "pt_BR"
    assert locale_for("fr-FR,de;q=0.5") == "pt_BR"
    assert locale_for(None) == "pt_BR"
    assert catalogs()["en"].gettext("Score %(score)s") == "Score %(score)s"
    assert catalogs()["pt_BR"].gettext("Score %(score)s") == "Pontuação %(score)s"


def test_text_from_python_renders_in_the_agent_language() -> None:
    text = Text("The message is longer than %(count)s characters.", {"count": 4096})
    assert text.render(catalogs()["pt_BR"]) == "A mensagem passa de 4096 caracteres."
    assert text.render(catalogs()["en"]) == "The message is longer than 4096 characters."
