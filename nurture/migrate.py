"""Alembic, driven from code: `nurture db upgrade` and the test database both use this."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from nurture.config import SOURCE_ROOT


def migrations_dir() -> Path:
    """`migrations/` of a source checkout, else the copy a wheel installs under share/."""
    for candidate in (SOURCE_ROOT / "migrations", Path(sys.prefix) / "share/nurture/migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the Alembic migrations folder is missing from this installation")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
