"""The models and the Alembic migrations describe the same schema."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from nurture.db import make_engine
from nurture.migrate import alembic_config, upgrade
from nurture.models import Base


def test_models_match_migrations(db_url: str) -> None:
    """A model change without a migration (or the reverse) fails here, on both databases."""
    engine = make_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_consent_ledger_rejects_updates(db_url: str) -> None:
    """The database itself refuses to rewrite a line of the consent ledger."""
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO leads (public_id, email, attributes, tags, lifecycle_stage, score, "
                "fit_score, engagement_score, temperature, profiling_objected, created_at, "
                "updated_at) VALUES ('p1', 'a@example.com', '{}', '[]', 'lead', 0, 0, 0, "
                "'cold', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO consent_records (lead_id, purpose, action, basis, source, "
                "created_at) SELECT id, 'newsletter', 'granted', 'consent', 'form', "
                "CURRENT_TIMESTAMP FROM leads"
            )
        )
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE consent_records SET action = 'confirmed'"))
    engine.dispose()


def test_one_line_of_history() -> None:
    """Migrations form a single line: `alembic upgrade head` has one head to go to."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_downgrade_to_base_and_back(db_url: str) -> None:
    """Every migration can be undone and redone (an operator's way back from a bad deploy)."""
    command.downgrade(alembic_config(db_url), "base")
    upgrade(db_url)
    test_models_match_migrations(db_url)
