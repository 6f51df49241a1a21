"""Shared fixtures: real databases (SQLite and PostgreSQL), Redis, SMTP, runtimes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from nurture.config import Settings
from nurture.runtime import Runtime
from tests import services
from tests.handoff_support import Receiver, http_receiver
from tests.pipeline import Engine

if TYPE_CHECKING:
    from tests.smtp_server import SmtpServer

# `smtp_server`, and `browser`/`page` (headless Chromium) for e2e tests
pytest_plugins = ["tests.smtp_server", "tests.browser"]

REPO = Path(__file__).resolve().parent.parent
TEST_KEYS = ("test-signing-key-newest", "test-signing-key-older")


@pytest.fixture(scope="session")
def postgres() -> Iterator[services.PostgresDatabase]:
    database = services.PostgresDatabase()
    yield database
    database.drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> services.SqliteTemplate:
    return services.SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        template: services.SqliteTemplate = request.getfixturevalue("sqlite_template")
        return template.fresh(tmp_path)
    database: services.PostgresDatabase = request.getfixturevalue("postgres")
    database.truncate()
    return database.url


@pytest.fixture
def pg_url(postgres: services.PostgresDatabase) -> str:
    """An empty PostgreSQL database (for what only PostgreSQL can show: SKIP LOCKED)."""
    postgres.truncate()
    return postgres.url


@pytest.fixture
def crm() -> Iterator[Receiver]:
    """A CRM's webhook endpoint for hand-off tests: records every POST it gets."""
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def redis_namespace() -> Iterator[str]:
    yield from services.redis_namespace()


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    settings = Settings(
        database_url=database_url,
        outbox_dir=tmp_path / "outbox",
        secret_keys=TEST_KEYS,
        suppression_key="test-suppression-key",
        base_url="https://nurture.test.example",
        campaigns_dir=tmp_path / "campaigns",
        templates_dir=REPO / "templates",
        postal_address="Acme Ltd, Calle Mayor 1, 28013 Madrid, Spain",
        instance_dir=tmp_path / "instance",
        retry_min_backoff_ms=10,
        retry_max_backoff_ms=50,
    )
    return settings.with_overrides(**overrides)


RuntimeFactory = Callable[..., Runtime]


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[RuntimeFactory]:
    """Build runtimes on given settings; all are closed at the end of the test."""
    built: list[Runtime] = []

    def factory(database_url: str, **overrides: object) -> Runtime:
        (tmp_path / "campaigns").mkdir(exist_ok=True)
        rt = Runtime(make_settings(tmp_path, database_url, **overrides))
        built.append(rt)
        return rt

    yield factory
    for rt in built:
        rt.close()


@pytest.fixture(params=["sqlite+in-process", "postgresql+redis"])
def engine(
    request: pytest.FixtureRequest, make_runtime: RuntimeFactory, smtp_server: SmtpServer
) -> Iterator[Engine]:
    """The whole engine on each stack, sending to a real SMTP server.

    SQLite with the embedded broker (the demo's stack) and PostgreSQL with Redis
    (production's); the worker threads run in this process.
    """
    if request.param == "sqlite+in-process":
        template: services.SqliteTemplate = request.getfixturevalue("sqlite_template")
        rt = make_runtime(
            template.fresh(request.getfixturevalue("tmp_path")), smtp_url=smtp_server.url
        )
    else:
        namespace = request.getfixturevalue("redis_namespace")
        rt = make_runtime(
            request.getfixturevalue("pg_url"),
            smtp_url=smtp_server.url,
            redis_url=services.REDIS_URL,
            redis_namespace=namespace,
        )
    harness = Engine(rt)
    yield harness
    harness.stop()
