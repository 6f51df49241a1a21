"""The lead list: search (email, name, company), filters, pages.

`read_query` turns the page's query string into a `LeadQuery` or a `BadFilter` naming the
field; `search` runs it, newest first (the primary key) or by score. Source and score
ranges use the indexes of migration 0006, campaign the enrolments' (lead, campaign) key;
temperature and stage (a handful of values each), search text and tags (matched
anywhere in a JSON list) filter the rows the others leave.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from nurture.db import is_postgres
from nurture.models import Enrolment, Lead
from nurture.models.lead import STAGES, TEMPERATURES
from nurture.reports.leads import UNKNOWN

PER_PAGE = 50
SORTS = ("newest", "score")
MAX_TEXT = 200


class BadFilter(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LeadQuery:
    q: str = ""
    temperature: str = ""
    stage: str = ""
    score_min: int | None = None
    score_max: int | None = None
    source: str = ""
    tag: str = ""
    campaign: str = ""
    sort: str = "newest"
    page: int = 1

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this query (with `changes`), without empty values."""
        values = {**asdict(self), **changes}
        defaults = {("page", 1), ("sort", "newest")}
        return {k: v for k, v in values.items() if v not in ("", None) and (k, v) not in defaults}


@dataclass(frozen=True)
class LeadPage:
    leads: list[Lead]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def _number(args: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    # isdigit() alone takes "²" and "١", which int() then refuses or reads unexpectedly.
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        label = name.replace("_", " ")
        raise BadFilter(name, f"{label} must be a whole number from {low} to {high}")
    return int(raw)


def _choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = (args.get(name) or "").strip()
    if value and value not in allowed:
        raise BadFilter(name, f"{name} must be one of {', '.join(allowed)}")
    return value


def _text(args: Mapping[str, str], name: str) -> str:
    value = " ".join((args.get(name) or "").split())
    if len(value) > MAX_TEXT:
        raise BadFilter(name, f"{name} is longer than {MAX_TEXT} characters")
    return value


def read_query(args: Mapping[str, str]) -> LeadQuery:
    query = LeadQuery(
        q=_text(args, "q"),
        temperature=_choice(args, "temperature", TEMPERATURES),
        stage=_choice(args, "stage", STAGES),
        score_min=_number(args, "score_min", 0, 100),
        score_max=_number(args, "score_max", 0, 100),
        source=_text(args, "source"),
        tag=_text(args, "tag"),
        campaign=_text(args, "campaign"),
        sort=_choice(args, "sort", SORTS) or "newest",
        page=_number(args, "page", 1, 1_000_000) or 1,
    )
    low, high = query.score_min, query.score_max
    if low is not None and high is not None and low > high:
        raise BadFilter("score_min", "score from is above score to")
    return query


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches_text(text: str) -> ColumnElement[bool]:
    pattern = _like(text)
    full_name = func.coalesce(Lead.first_name, "") + " " + func.coalesce(Lead.last_name, "")
    columns = (Lead.email, Lead.first_name, Lead.last_name, Lead.company, full_name)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def _has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    """`tags` is a JSON list: jsonb containment on PostgreSQL, json_each on SQLite."""
    if is_postgres(session):
        return cast(Lead.tags, JSONB).contains([tag])
    each = func.json_each(Lead.tags).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == tag))


def _conditions(session: Session, query: LeadQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.q:
        found.append(_matches_text(query.q))
    if query.temperature:
        found.append(Lead.temperature == query.temperature)
    if query.stage:
        found.append(Lead.lifecycle_stage == query.stage)
    if query.score_min is not None:
        found.append(Lead.score >= query.score_min)
    if query.score_max is not None:
        found.append(Lead.score <= query.score_max)
    if query.source:
        unknown = query.source == UNKNOWN  # the reports' name for "no source"
        found.append(Lead.source.is_(None) if unknown else Lead.source == query.source)
    if query.tag:
        found.append(_has_tag(session, query.tag))
    if query.campaign:
        enrolled = Enrolment.lead_id == Lead.id
        found.append(exists().where(enrolled, Enrolment.campaign_id == query.campaign))
    return found


def search(session: Session, query: LeadQuery) -> LeadPage:
    conditions = _conditions(session, query)
    total = session.scalar(select(func.count()).select_from(Lead).where(*conditions)) or 0
    order = (Lead.score.desc(), Lead.id.desc()) if query.sort == "score" else (Lead.id.desc(),)
    rows = session.scalars(
        select(Lead)
        .where(*conditions)
        .order_by(*order)
        .offset((query.page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return LeadPage(list(rows), total, query.page)
