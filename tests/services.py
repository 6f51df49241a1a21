"""Real PostgreSQL and Redis for the tests: a fresh database and key prefix per run.

A missing service fails the run loudly; it is never skipped. `make test` starts the
services first (.ci/ensure-services).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy import text

from nurture.db import make_engine
from nurture.migrate import upgrade

PG_ADMIN_URL = os.environ.get("NURTURE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("NURTURE_TEST_REDIS", "redis://127.0.0.1:6379/0")
RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"


def _fail(what: str, error: Exception) -> None:
    pytest.fail(
        f"{what} is not reachable ({error}); run `make test`, which starts it, "
        "or start it by hand (see .ci/ensure-services)",
        pytrace=False,
    )


class PostgresDatabase:
    """A database created for this test run, migrated once, truncated between tests."""

    def __init__(self) -> None:
        self.name = f"nurture_test_{RUN_ID}"
        try:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        except psycopg.OperationalError as error:
            _fail("PostgreSQL", error)
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        self.url = f"{base}/{self.name}"
        upgrade(self.url)
        self.engine = make_engine(self.url)

    def truncate(self) -> None:
        with self.engine.begin() as conn:
            tables = (
                conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))

    def drop(self) -> None:
        self.engine.dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class SqliteTemplate:
    """One migrated SQLite file, copied for each test (faster than migrating again)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "template.db"
        upgrade(f"sqlite:///{self.path}")

    def fresh(self, folder: Path) -> str:
        target = folder / "nurture.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


def redis_client() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        _fail("Redis", error)
    return client


def clean_namespace(client: redis.Redis, namespace: str) -> None:
    for key in client.scan_iter(match=f"{namespace}*", count=1000):
        client.delete(key)


def redis_namespace() -> Iterator[str]:
    client = redis_client()
    namespace = f"nurture-test-{RUN_ID}-{secrets.token_hex(2)}"
    yield namespace
    clean_namespace(client, namespace)
