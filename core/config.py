"""Settings from the environment (and ``.env``). The only place that reads env vars."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DOMAINS = (
    "fintech",
    "ecommerce",
    "edtech",
    "healthcare",
    "real_estate",
    "logistics",
    "saas",
    "manufacturing",
)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # WEEKLY_SUMMARY_WEEKDAY may name the day


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class LogSettings(BaseSettings):
    """What logging needs, read before anything else (a bad value elsewhere must not hide the lines saying so)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or one JSON object a line (with update_id, user_id, ...)"
    )


class Settings(LogSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    # Storage
    database_url: str | None = Field(
        default=None,
        description="postgresql+asyncpg://… ; unset = embedded PostgreSQL under DATA_DIR",
    )
    data_dir: Path = Field(default=Path("var"), description="Where the embedded PostgreSQL keeps its data")
    db_pool_size: int = Field(
        default=20, ge=1, le=500, description="Connections per process (the API: no overflow beyond them)"
    )
    db_connect_timeout: float = Field(
        default=2.0, gt=0, description="Seconds to open a database connection before the request is a 503"
    )
    db_statement_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a statement may run (PostgreSQL's statement_timeout) in the API"
    )
    db_pool_timeout: float = Field(
        default=2.0, gt=0, description="Seconds an API request waits for a free pooled connection"
    )
    redis_url: str | None = Field(default=None, description="Redis for the bot's FSM; unset = in-memory")
    redis_key_prefix: str = Field(default="leadcrm", description="Prefix of every Redis key the bot writes")

    # Domain
    business_domains: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_DOMAINS))
    transfer_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    drop_min_age_days: float = Field(
        default=3.0, ge=0, le=365, description="A learned model never advises dropping a lead younger than this"
    )
    default_phone_region: str = Field(
        default="RU", description="ISO country of phone numbers typed without +country code (e.g. RU, DE)"
    )
    default_currency: str = Field(
        default="RUB", pattern=r"^[A-Z]{3}$", description="ISO 4217 code of a deal amount typed without a currency"
    )

    # A sales team's day: owners, next steps, reminders, stalled leads
    default_timezone: str = Field(
        default="Europe/Moscow", description="IANA time zone of users who have not chosen one in /settings"
    )
    assignment_rule: Literal["round_robin", "least_loaded", "manual"] = Field(
        default="round_robin",
        description="Who gets a lead created without an owner, until an admin changes it in the bot",
    )
    first_contact_sla_minutes: int = Field(
        default=60,
        ge=1,
        description="Minutes until an uncontacted new lead reminds its owner (twice: the team leads)",
    )
    stale_days_new: int = Field(default=1, ge=1, description="Days without activity before a new lead is stalled")
    stale_days_contacted: int = Field(default=3, ge=1, description="The same for contacted leads")
    stale_days_qualified: int = Field(default=5, ge=1, description="The same for qualified leads")
    digest_hour: int = Field(default=9, ge=0, le=23, description="Local hour of the daily digest (each user's zone)")
    weekly_summary_weekday: int | None = Field(
        default=1,
        ge=1,
        le=7,
        description="ISO weekday (1 Monday … 7 Sunday, or mon … sun) of the team leads' weekly summary; off: none",
    )
    weekly_summary_hour: int = Field(
        default=9, ge=0, le=23, description="Local hour (DEFAULT_TIMEZONE) of the weekly summary"
    )
    scheduler_poll_seconds: float = Field(
        default=10.0, gt=0, le=60, description="How often the bot's scheduler looks for due reminders and digests"
    )

    # HTTP API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_access_log: bool = Field(default=False, description="uvicorn's access log line per request")
    metrics_host: str = Field(default="127.0.0.1", description="Where the bot serves /metrics")
    metrics_port: int | None = Field(default=None, ge=0, le=65535, description="The bot's /metrics port; unset: none")
    api_key_max_failures: int = Field(
        default=10, ge=1, description="Wrong API keys one client address may send per window before a 429"
    )
    api_key_failure_window_seconds: float = Field(
        default=60.0, gt=0, description="The sliding window (seconds) in which wrong API keys are counted"
    )

    # Telegram
    bot_token: SecretStr | None = None
    telegram_api_url: str | None = Field(default=None, description="Bot API base URL (self-hosted or fake)")
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    team_leads_chat_id: int | None = None
    team_leads_thread_id: int | None = None
    team_leads_language: Literal["ru", "en"] = Field(
        default="ru", description="Language of the notifications in the team leads' group (ru or en)"
    )
    telegram_start_retry_seconds: float = Field(
        default=300.0, gt=0, description="How long the bot retries an unreachable Telegram at start-up before exiting"
    )
    bot_mode: Literal["polling", "webhook"] = Field(
        default="polling",
        description="How the bot receives updates: long polling (one process) or Telegram's webhook (any replicas)",
    )
    webhook_url: str | None = Field(
        default=None,
        description="Webhook mode: the public HTTPS URL Telegram posts updates to (its path is the one the bot serves)",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Webhook mode: the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (A-Z a-z 0-9 _ -)",
    )
    webhook_host: str = Field(default="127.0.0.1", description="Webhook mode: where the bot listens for Telegram")
    webhook_port: int = Field(default=8081, ge=0, le=65535, description="Webhook mode: the port it listens on")
    inbox_lease_seconds: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description="Webhook mode: how long a replica holds an update it applies (a killed one's expire after this)",
    )
    inbox_poll_seconds: float = Field(
        default=0.5, gt=0, le=60, description="Webhook mode: how often a replica looks for updates the others stored"
    )
    webapp_url: str | None = Field(
        default=None,
        description="The board's public https URL (…/app/): the bot's menu button and the cards' Open board button",
    )
    webapp_auth_max_age_seconds: int = Field(
        default=3600, ge=60, le=7 * 86400, description="How old a Mini App's initData (auth_date) may be, in seconds"
    )
    outbox_give_up_seconds: float = 3600.0
    outbox_poll_seconds: float = 1.0
    ready_outbox_max_wait_seconds: float = Field(
        default=0.0,
        ge=0,
        description="/ready fails when a due notification has waited longer than this (0, the default: no check)",
    )

    # Outbound webhooks
    webhook_max_attempts: int = Field(default=8, ge=1, le=100, description="Tries of one delivery before it fails")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300, description="Seconds a receiver has to answer")
    webhook_poll_seconds: float = Field(default=1.0, gt=0, description="How often the webhook sender looks for work")
    webhook_allow_http: bool = Field(
        default=False, description="Accept plain http:// hook URLs for any host (else only 127.0.0.1 / localhost)"
    )

    # Learned scorer
    train_min_closed: int = 200
    train_min_per_class: int = 20
    retrain_hour: int | None = Field(
        default=3,
        ge=0,
        le=23,
        description="Local hour (DEFAULT_TIMEZONE) of the scorer's nightly retraining in the bot process; off: none",
    )
    retrain_after_closed: int = Field(
        default=200,
        ge=0,
        description="Retrain once this many leads closed (won or lost) since the last trained version; 0: off",
    )

    @field_validator("business_domains", mode="before")
    @classmethod
    def _domains(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list):
            return [str(v).strip().lower() for v in value if str(v).strip()]
        return value

    @field_validator("bot_mode", mode="before")
    @classmethod
    def _mode(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("retrain_hour", mode="before")
    @classmethod
    def _retrain_hour(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in ("off", "none", "no"):
            return None
        return value

    @field_validator("weekly_summary_weekday", mode="before")
    @classmethod
    def _weekday(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip().lower()
        if text in ("off", "none", "no"):
            return None
        return WEEKDAYS.index(text[:3]) + 1 if text[:3] in WEEKDAYS and not text.isdigit() else text

    @field_validator("webapp_url")
    @classmethod
    def _webapp_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith("https://"):
            raise ValueError("WEBAPP_URL must be an https:// URL (Telegram opens Mini Apps over https only)")
        return value

    @field_validator("team_leads_language", mode="before")
    @classmethod
    def _language(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admins(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("default_phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"not a phone region: {value!r} (an ISO country code, e.g. RU, DE)")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not an IANA time zone: {value!r} (e.g. Europe/Moscow, UTC)") from None
        return value

    @field_validator("assignment_rule", mode="before")
    @classmethod
    def _rule(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if not value:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+asyncpg://" + value[len(prefix) :]
        return value

    @cached_property
    def domain_set(self) -> frozenset[str]:
        return frozenset(self.business_domains)
