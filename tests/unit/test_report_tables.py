"""The reports' light Core tables name real columns of the models, of the same kind."""

from __future__ import annotations

import pytest
from sqlalchemy.sql.expression import TableClause

from nurture.models import Base
from nurture.reports.tables import events, leads, messages


@pytest.mark.parametrize("light", [events, leads, messages], ids=lambda t: t.name)
def test_every_column_exists_in_the_model(light: TableClause) -> None:
    model = Base.metadata.tables[light.name]
    for column in light.c:
        assert column.name in model.c, f"{light.name}.{column.name} is not in the models"
        declared = model.c[column.name].type
        expected = getattr(declared, "impl", declared).python_type  # UTCDateTime: its impl
        assert column.type.python_type is expected, f"{light.name}.{column.name}"
