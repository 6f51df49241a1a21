"""Settings from the environment: the only module that reads ``os.environ``.

Every variable is named in the contract (``NURTURE_*``); a ``.env`` file in the working
directory is read too, with the real environment taking precedence.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from dotenv import dotenv_values

log = logging.getLogger(__name__)

PACKAGE_ROOT = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_ROOT.parent


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///nurture.db"
    redis_url: str | None = None
    redis_namespace: str = "nurture"
    smtp_url: str | None = None
    outbox_dir: Path = Path("outbox")
    secret_keys: tuple[str, ...] = ()
    suppression_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    campaigns_dir: Path = Path("campaigns")
    templates_dir: Path = Path("templates")
    postal_address: str | None = None
    api_keys: tuple[str, ...] = ()
    admin_password: str | None = None
    instance_dir: Path = Path("instance")
    # Whether the consent ledger keeps the IP address and user agent of the person
    # giving consent (proof of consent vs. data minimisation: the operator decides).
    store_consent_ip: bool = True
    # SMTP: seconds per socket operation; well under Dramatiq's heartbeat.
    smtp_timeout: float = 15.0
    # Sending attempts for a message before it ends `failed` (4xx and connection errors).
    send_max_attempts: int = 5
    # A row left `sending` this long (seconds) ended in the unknown window: it is
    # marked `unknown` and never re-sent automatically.
    sending_stale_after: int = 600
    # Rows `queued` but not seen by a worker for this long are enqueued again.
    requeue_after: int = 300
    # Backoff between sending attempts after a 4xx or a connection error.
    retry_min_backoff_ms: int = 30_000
    retry_max_backoff_ms: int = 3_600_000
    # Days a double opt-in confirmation link stays valid.
    confirm_days: int = 7

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def signing_keys_oldest_first(self) -> list[str]:
        """itsdangerous wants the newest key last; the contract lists it first."""
        return list(reversed(self.secret_keys))


def _env(cwd: Path, environ: Mapping[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    dotenv = cwd / ".env"
    if dotenv.is_file():
        merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
    merged.update(environ)
    return merged


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def normalise_database_url(url: str) -> str:
    """Plain ``postgresql://`` and ``postgres://`` URLs use the driver we ship (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance_dir: Path, name: str, what: str) -> str:
    """A random key kept in ``instance/NAME``, created on first use with a warning."""
    path = instance_dir / name
    if path.is_file():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    log.warning(
        "no %s configured: generated one in %s (set it explicitly in production)", what, path
    )
    return key


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def load_settings(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    cwd = cwd or Path.cwd()
    env = _env(cwd, os.environ if environ is None else environ)
    instance_dir = cwd / env.get("NURTURE_INSTANCE_DIR", "instance")
    secret_keys = _split(env.get("NURTURE_SECRET_KEYS")) or (
        _instance_secret(instance_dir, "secret_key", "NURTURE_SECRET_KEYS"),
    )
    suppression_key = env.get("NURTURE_SUPPRESSION_KEY") or _instance_secret(
        instance_dir, "suppression_key", "NURTURE_SUPPRESSION_KEY"
    )
    base_url = env.get("NURTURE_BASE_URL", Settings.base_url).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"NURTURE_BASE_URL must start with http:// or https://, got {base_url!r}")
    return Settings(
        database_url=normalise_database_url(
            env.get("NURTURE_DATABASE_URL") or f"sqlite:///{cwd / 'nurture.db'}"
        ),
        redis_url=env.get("NURTURE_REDIS_URL") or None,
        redis_namespace=env.get("NURTURE_REDIS_NAMESPACE", "nurture"),
        smtp_url=env.get("NURTURE_SMTP_URL") or None,
        outbox_dir=cwd / env.get("NURTURE_OUTBOX_DIR", "outbox"),
        secret_keys=secret_keys,
        suppression_key=suppression_key,
        base_url=base_url,
        campaigns_dir=cwd / env.get("NURTURE_CAMPAIGNS_DIR", "campaigns"),
        templates_dir=cwd / env.get("NURTURE_TEMPLATES_DIR", "templates"),
        postal_address=env.get("NURTURE_POSTAL_ADDRESS") or None,
        api_keys=_split(env.get("NURTURE_API_KEYS")),
        admin_password=env.get("NURTURE_ADMIN_PASSWORD") or None,
        instance_dir=instance_dir,
        store_consent_ip=_flag(env, "NURTURE_STORE_CONSENT_IP", True),
        smtp_timeout=float(_positive_int(env, "NURTURE_SMTP_TIMEOUT", 15)),
        send_max_attempts=_positive_int(env, "NURTURE_SEND_MAX_ATTEMPTS", 5),
        sending_stale_after=_positive_int(env, "NURTURE_SENDING_STALE_AFTER", 600),
        requeue_after=_positive_int(env, "NURTURE_REQUEUE_AFTER", 300),
        retry_min_backoff_ms=_positive_int(env, "NURTURE_RETRY_MIN_BACKOFF_MS", 30_000),
        retry_max_backoff_ms=_positive_int(env, "NURTURE_RETRY_MAX_BACKOFF_MS", 3_600_000),
        confirm_days=_positive_int(env, "NURTURE_CONFIRM_DAYS", 7),
    )
