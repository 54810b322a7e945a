"""Settings mirror .env.example, and bad values stop Quita with one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, TelegramMode, load_settings

ROOT = Path(__file__).resolve().parents[2]


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_every_setting_is_documented_in_env_example() -> None:
    documented = {key.lower() for key in env_example()}
    assert documented == set(Settings.model_fields)


def test_documented_defaults_are_the_real_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    settings = Settings()
    for key, value in env_example().items():
        actual = getattr(settings, key.lower())
        if value == "":
            assert actual is None, key
        elif key == "QUITA_POLICY_FILE":
            assert actual.name == value
        else:
            shown = actual.get_secret_value() if hasattr(actual, "get_secret_value") else actual
            assert str(shown).rstrip("/") == value.rstrip("/"), key


def test_required_defaults() -> None:
    settings = load_settings()
    assert settings.quita_http_host == "127.0.0.1"
    assert settings.quita_http_port == 8080
    assert settings.telegram_mode is TelegramMode.POLLING
    assert settings.public_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("telegram_mode", "push", "TELEGRAM_MODE"),
        ("quita_public_url", "not a url", "QUITA_PUBLIC_URL"),
        ("quita_database_url", "mysql://x", "QUITA_DATABASE_URL"),
        ("quita_http_port", "99999", "QUITA_HTTP_PORT"),
        ("quita_timezone", "Mars/Olympus", "QUITA_TIMEZONE"),
    ],
)
def test_wrong_value_names_the_key(key: str, value: str, named: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(**{key: value})
    assert str(error.value).startswith(f"{named}:")
    assert "\n" not in str(error.value)


def test_cli_reports_a_bad_setting_in_one_line_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env={"TELEGRAM_MODE": "carrier-pigeon", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: TELEGRAM_MODE: Input should be 'polling' or 'webhook' (got 'carrier-pigeon'). "
        "Fix it in .env or the environment."
    ]


def test_empty_values_mean_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", " ")
    monkeypatch.setenv("QUITA_PUBLIC_URL", "")
    settings = load_settings()
    assert not settings.telegram_enabled
    assert not settings.whatsapp_enabled
    assert settings.public_url == "http://127.0.0.1:8080"
