"""Typed settings read from the environment and `.env`; mirrors `.env.example` key by key.

A wrong value stops the program at start with one line naming the key (see `load_settings`).
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TelegramMode(enum.StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class SettingsError(Exception):
    """A configuration value is wrong; the message names the key and says what to do."""


DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policy.example.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    quita_database_url: str = "sqlite+aiosqlite:///./quita.db"
    quita_database_pool_size: Annotated[int, Field(ge=1, le=1000)] = 8  # PostgreSQL only
    quita_http_host: str = "127.0.0.1"
    quita_http_port: Annotated[int, Field(ge=0, le=65535)] = 8080  # 0: any free port
    quita_public_url: AnyHttpUrl | None = None
    quita_secret_key: SecretStr = SecretStr("change-me-in-production")
    quita_policy_file: Path = DEFAULT_POLICY
    quita_timezone: str = "America/Sao_Paulo"
    quita_log_level: str = "INFO"
    quita_outbox_max_attempts: Annotated[int, Field(ge=1)] = 8
    quita_outbox_lease_seconds: Annotated[float, Field(ge=1)] = 30.0

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org/bot")
    telegram_mode: TelegramMode = TelegramMode.POLLING
    telegram_webhook_secret: SecretStr | None = None
    telegram_rate_per_second: Annotated[float, Field(gt=0)] = 30

    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base_url: AnyHttpUrl = AnyHttpUrl("https://graph.facebook.com/v21.0")
    whatsapp_rate_per_second: Annotated[float, Field(gt=0)] = 80

    payments_webhook_secret: SecretStr | None = None

    @field_validator(
        "quita_public_url",
        "telegram_bot_token",
        "telegram_webhook_secret",
        "whatsapp_access_token",
        "whatsapp_phone_number_id",
        "whatsapp_app_secret",
        "whatsapp_verify_token",
        "payments_webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        """`KEY=` in .env (as .env.example ships) means "not configured", not "empty"."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("quita_database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "use sqlite+aiosqlite:///path/to.db or postgresql+asyncpg://user:pass@host/db"
            )
        return value

    @field_validator("quita_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not an IANA time zone such as America/Sao_Paulo") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.quita_timezone)

    @property
    def is_postgres(self) -> bool:
        return self.quita_database_url.startswith("postgresql")

    @property
    def public_url(self) -> str:
        if self.quita_public_url is not None:
            return str(self.quita_public_url).rstrip("/")
        return f"http://{self.quita_http_host}:{self.quita_http_port}"

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def whatsapp_enabled(self) -> bool:
        return self.whatsapp_access_token is not None and self.whatsapp_phone_number_id is not None


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable `SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]).upper() if first["loc"] else "settings"
        value = first.get("input")
        shown = "" if "SECRET" in key or "TOKEN" in key else f" (got {value!r})"
        raise SettingsError(
            f"{key}: {first['msg']}{shown}. Fix it in .env or the environment."
        ) from None
