"""Reading the lead list's query string: every filter, and a clear error per bad one."""

from __future__ import annotations

import pytest

from nurture.admin.leads import BadFilter, LeadQuery, read_query


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, LeadQuery()),
        ({"q": "  Ana   García "}, LeadQuery(q="Ana García")),
        ({"temperature": "hot", "stage": "sql"}, LeadQuery(temperature="hot", stage="sql")),
        ({"score_min": "0", "score_max": "100"}, LeadQuery(score_min=0, score_max=100)),
        ({"score_min": "", "page": ""}, LeadQuery()),
        ({"source": "web", "tag": "vip", "campaign": "drip"},
         LeadQuery(source="web", tag="vip", campaign="drip")),
        ({"sort": "score", "page": "3"}, LeadQuery(sort="score", page=3)),
    ],
)  # fmt: skip
def test_valid_queries(args: dict[str, str], expected: LeadQuery) -> None:
    """Blank means no filter; text is trimmed and its spaces collapsed."""
    assert read_query(args) == expected


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"temperature": "boiling"}, "temperature"),
        ({"stage": "prospect"}, "stage"),
        ({"score_min": "-1"}, "score_min"),
        ({"score_max": "7.5"}, "score_max"),
        ({"score_min": "60", "score_max": "50"}, "score_min"),
        ({"page": "0"}, "page"),
        ({"sort": "name"}, "sort"),
        ({"tag": "t" * 201}, "tag"),
    ],
)
def test_bad_filters_name_their_field(args: dict[str, str], field: str) -> None:
    """The error says which field is wrong, so the form can point at it."""
    with pytest.raises(BadFilter) as raised:
        read_query(args)
    assert raised.value.field == field


def test_query_string_of_a_query() -> None:
    """Links to other pages carry the filters, without empty ones or defaults."""
    query = LeadQuery(q="ana", score_min=0, page=2)
    assert query.args() == {"q": "ana", "score_min": 0, "page": 2}
    assert query.args(page=1, sort="score") == {"q": "ana", "score_min": 0, "sort": "score"}
