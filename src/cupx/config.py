"""The one settings object, read from the environment (prefix `CUPX_`) or a `.env` file.

`Settings()` is built once in `cupx.bootstrap` and passed down; nothing else reads the environment.
Defaults make a fresh clone work: a local SQLite file, development keys. Outside development, the
placeholder secrets are refused so a production install cannot start with them.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_SECRET", "Settings"]

DEV_SECRET = "dev-only-change-me"  # a placeholder, refused outside development


def _derive_key(secret: str, purpose: str) -> str:
    """A 32-byte urlsafe-base64 key derived from a secret for one purpose (dev defaults only)."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"{purpose}:{secret}".encode()).digest()).decode()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUPX_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///cupx.db"
    secret_key: str = DEV_SECRET
    # Personal-data encryption: {key_id: urlsafe base64 32-byte key}; the active id encrypts new values.
    data_keys: dict[str, str] = Field(default_factory=dict)
    active_data_key: str = "k1"
    lookup_hash_key: str = ""  # HMAC key for the keyed-hash look-up columns (phone, email)
    tenant: str = "default"
    data_dir: Path = Path("var")  # file sinks, letters, print batches, model artefacts
    broker_url: str = "memory://"  # Celery broker: redis://127.0.0.1:6379/0 or amqp://guest@127.0.0.1//
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "collections@example.com"
    sms_provider_url: str | None = None
    sms_account_sid: str | None = None
    sms_auth_token: str | None = None
    sms_from: str = "+15005550006"
    payment_webhook_secret: str = DEV_SECRET
    public_base_url: str = "http://127.0.0.1:8000"
    session_max_age_s: int = 8 * 3600

    @model_validator(mode="after")
    def _fill_and_check_secrets(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEV_SECRET or self.payment_webhook_secret == DEV_SECRET:
                raise ValueError("CUPX_SECRET_KEY and CUPX_PAYMENT_WEBHOOK_SECRET must be set in production")
            if not self.data_keys or not self.lookup_hash_key:
                raise ValueError("CUPX_DATA_KEYS and CUPX_LOOKUP_HASH_KEY must be set in production")
        if not self.data_keys:
            self.data_keys = {self.active_data_key: _derive_key(self.secret_key, "data")}
        if self.active_data_key not in self.data_keys:
            raise ValueError(f"CUPX_ACTIVE_DATA_KEY {self.active_data_key!r} is not among CUPX_DATA_KEYS")
        if not self.lookup_hash_key:
            self.lookup_hash_key = _derive_key(self.secret_key, "lookup")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
