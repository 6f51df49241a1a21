"""The prospect file: one row per lead, B2C and B2B identity, qualification and state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from nurture.models.base import Base, BigId, new_public_id, utcnow

# Lead fields named in the contract (import headers, API keys, template variables).
# Everything else a source sends lives in `attributes`.
IDENTITY_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "company",
    "job_title",
    "industry",
    "company_size",
    "website",
    "country",
    "locale",
    "timezone",
    "source",
)
CONTRACT_FIELDS = ("email", *IDENTITY_FIELDS, "tags")

STAGES = ("lead", "mql", "sql", "customer", "disqualified")
TEMPERATURES = ("cold", "warm", "hot")


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    # Normalised (see nurture.leads.email): lower-case IDNA domain, NFC local part.
    email: Mapped[str] = mapped_column(String(320), unique=True)

    # B2C identity
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    country: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # B2B identity
    company: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(200))
    company_size: Mapped[str | None] = mapped_column(String(50))
    website: Mapped[str | None] = mapped_column(String(500))

    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(String(100), index=True)  # lead list filter
    owner: Mapped[str | None] = mapped_column(String(200))

    lifecycle_stage: Mapped[str] = mapped_column(String(20), default="lead")
    score: Mapped[int] = mapped_column(default=0, index=True)  # lead list: ranges, sort
    fit_score: Mapped[int] = mapped_column(default=0)
    engagement_score: Mapped[int] = mapped_column(default=0)
    temperature: Mapped[str] = mapped_column(String(10), default="cold")

    # Prospect's own choices (preference centre).
    paused_until: Mapped[datetime | None]
    restricted_at: Mapped[datetime | None]  # GDPR art. 18: keep the data, process nothing
    profiling_objected: Mapped[bool] = mapped_column(default=False)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def field_values(self) -> dict[str, Any]:
        """The contract's lead fields plus attributes: what templates and exports see."""
        values: dict[str, Any] = {name: getattr(self, name) for name in CONTRACT_FIELDS}
        values["tags"] = list(self.tags or [])
        values["attributes"] = dict(self.attributes or {})
        return values

    def __repr__(self) -> str:  # never the email: reprs end up in logs
        return f"<Lead {self.public_id}>"
