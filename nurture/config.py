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

from nurture.branding import BrandError, check_brand_color

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
    # Prospect pages and transactional mail (issue 3): branding, sender, limits, retention.
    brand_name: str = "nurture"
    brand_color: str = "#1d4ed8"  # buttons and links; must reach 4.5:1 against white
    brand_logo_url: str | None = None
    privacy_url: str | None = None
    from_address: str = "nurture <no-reply@nurture.invalid>"  # NURTURE_FROM
    subscribe_per_ip_hour: int = 10  # sign-up posts per IP address and hour
    confirm_mails_per_hour: int = 1  # confirmation mails per address and hour
    retain_tracking_days: int = 395  # opens and clicks keep the lead's identity 13 months
    retain_inactive_days: int = 1095  # leads with no activity for 3 years are deleted
    # Reverse proxies in front of the app whose X-Forwarded-For may be trusted (rate
    # limits per IP would otherwise count the proxy's address for everyone).
    trusted_proxies: int = 0
    # Open and click tracking (issue 4). Without the lead's `tracking` consent a mail gets
    # no pixel and plain links; with aggregate tracking on, links and a pixel that name
    # only the campaign and step (counts, no person).
    aggregate_tracking: bool = False
    # Count proxy and scanner opens/clicks as engagement (conditions, scoring, reports).
    count_machine_engagement: bool = False
    # A click this many seconds after delivery or sooner is a security scanner's.
    scanner_click_seconds: float = 2.0
    # The local hit buffer (when Redis is not configured, or refuses a write); None means
    # `<instance dir>/tracking-spool`. fsync every hit, or only when a file is retired.
    tracking_spool_dir: Path | None = None
    tracking_fsync: bool = False
    # Where the web process buffers hits: "spool" (local files, the default: no network
    # round trip per hit) or "redis" (a stream any host can drain; needs Redis).
    tracking_buffer: str = "spool"
    # Seconds between drains by the thread in each web process; 0: no thread (drain with
    # `nurture tracking flush` or another process).
    tracking_drain_interval: float = 2.0
    # Scoring and hand-off (issue 4): the shared secret that signs hand-off webhooks
    # (HMAC-SHA256); the webhook URL itself is in scoring.yaml, which lives in Git.
    handoff_webhook_secret: str | None = None

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


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw}")
    return value


def _tracking_buffer(env: Mapping[str, str]) -> str:
    value = env.get("NURTURE_TRACKING_BUFFER") or "spool"
    if value not in {"redis", "spool"}:
        raise ConfigError(f"NURTURE_TRACKING_BUFFER must be redis or spool, got {value!r}")
    if value == "redis" and not env.get("NURTURE_REDIS_URL"):
        raise ConfigError("NURTURE_TRACKING_BUFFER=redis needs NURTURE_REDIS_URL")
    return value


def _brand_color(env: Mapping[str, str]) -> str:
    value = env.get("NURTURE_BRAND_COLOR") or Settings.brand_color
    try:
        return check_brand_color(value)
    except BrandError as error:
        raise ConfigError(f"NURTURE_BRAND_COLOR: {error}") from None


def _optional_url(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name) or None
    if value is not None and not value.startswith(("https://", "http://")):
        raise ConfigError(f"{name} must start with https:// or http://, got {value!r}")
    return value


def _from_address(env: Mapping[str, str], brand: str, base_url: str) -> str:
    """NURTURE_FROM, else no-reply at the public host (an IP or a dotless host cannot
    receive mail: `.invalid` then makes the placeholder obvious)."""
    value = env.get("NURTURE_FROM")
    if value:
        return value
    host = base_url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    if "." not in host or host.replace(".", "").isdigit():
        host = "nurture.invalid"
    return f"{brand} <no-reply@{host}>"


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
        brand_name=env.get("NURTURE_BRAND_NAME") or Settings.brand_name,
        brand_color=_brand_color(env),
        brand_logo_url=_optional_url(env, "NURTURE_BRAND_LOGO_URL"),
        privacy_url=_optional_url(env, "NURTURE_PRIVACY_URL"),
        from_address=_from_address(
            env, env.get("NURTURE_BRAND_NAME") or Settings.brand_name, base_url
        ),
        subscribe_per_ip_hour=_positive_int(env, "NURTURE_SUBSCRIBE_PER_IP_HOUR", 10),
        confirm_mails_per_hour=_positive_int(env, "NURTURE_CONFIRM_MAILS_PER_HOUR", 1),
        retain_tracking_days=_positive_int(env, "NURTURE_RETAIN_TRACKING_DAYS", 395),
        retain_inactive_days=_positive_int(env, "NURTURE_RETAIN_INACTIVE_DAYS", 1095),
        trusted_proxies=int(env.get("NURTURE_TRUSTED_PROXIES") or 0),
        aggregate_tracking=_flag(env, "NURTURE_AGGREGATE_TRACKING", False),
        count_machine_engagement=_flag(env, "NURTURE_COUNT_MACHINE_ENGAGEMENT", False),
        handoff_webhook_secret=env.get("NURTURE_HANDOFF_WEBHOOK_SECRET") or None,
        scanner_click_seconds=_seconds(env, "NURTURE_SCANNER_CLICK_SECONDS", 2.0),
        tracking_spool_dir=(
            cwd / env["NURTURE_TRACKING_SPOOL_DIR"]
            if env.get("NURTURE_TRACKING_SPOOL_DIR")
            else None
        ),
        tracking_fsync=_flag(env, "NURTURE_TRACKING_FSYNC", False),
        tracking_buffer=_tracking_buffer(env),
        tracking_drain_interval=_seconds(env, "NURTURE_TRACKING_DRAIN_INTERVAL", 2.0),
    )
