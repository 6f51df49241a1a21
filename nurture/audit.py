"""The audit log: who did what. Callers pass no personal data (no email, name or IP)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nurture.models import AuditEntry, utcnow


def audit(session: Session, actor: str, action: str, **details: Any) -> AuditEntry:
    entry = AuditEntry(actor=actor, action=action, details=details, at=utcnow())
    session.add(entry)
    return entry
