"""The consent ledger: append-only proof of who agreed to what, when and how.

Current consent per purpose is *derived*: `fold` replays a lead's records in order. The
`consent_states` table caches the fold for send-time checks and is only written here, in
the same transaction as the record it reflects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nurture.db import member_of
from nurture.leads.events import record_event
from nurture.models import ConsentRecord, ConsentState, Lead

# Sources whose grant is already proven (the importer or API client holds the proof);
# a grant on our own public form counts only once the double opt-in confirms it.
PROVEN_SOURCES = frozenset({"import", "api", "cli", "admin", "link"})


class ConsentError(ValueError):
    pass


@dataclass(frozen=True)
class Current:
    status: str  # pending | given | withdrawn
    basis: str
    record_id: int


def step(previous: Current | None, record: ConsentRecord) -> Current | None:
    """One record applied to the current state (pure)."""
    if record.action == "withdrawn":
        return Current("withdrawn", record.basis, record.id)
    if record.action == "confirmed":
        # A confirmation only completes a pending grant: an old confirm link must not
        # revive consent that was withdrawn since.
        if previous is not None and previous.status == "pending":
            return Current("given", previous.basis, record.id)
        return previous
    proven = record.source in PROVEN_SOURCES or record.basis == "legitimate_interest"
    return Current("given" if proven else "pending", record.basis, record.id)


def fold(records: Iterable[ConsentRecord]) -> dict[str, Current]:
    state: dict[str, Current] = {}
    for record in sorted(records, key=lambda r: r.id):
        new = step(state.get(record.purpose), record)
        if new is not None:
            state[record.purpose] = new
    return state


@dataclass(frozen=True)
class Proof:
    """How a consent event came about: what the person saw and where it came from."""

    source: str
    basis: str = "consent"
    wording: str | None = None
    wording_hash: str | None = None
    locale: str | None = None
    proof: str | None = None
    ip: str | None = None
    user_agent: str | None = None


_EVENT_FOR_ACTION = {
    "granted": "consent_granted",
    "confirmed": "consent_confirmed",
    "withdrawn": "consent_withdrawn",
}


def append(
    session: Session, lead: Lead, purpose: str, action: str, proof: Proof, now: datetime
) -> ConsentRecord:
    """Append one record, update the cached state, and record the behaviour event."""
    if action not in _EVENT_FOR_ACTION:
        raise ConsentError(f"unknown consent action {action!r}")
    if action == "granted" and proof.source in PROVEN_SOURCES - {"link"} and not proof.proof:
        raise ConsentError("a consent recorded by an import or the API needs a proof")
    record = ConsentRecord(
        lead_id=lead.id,
        purpose=purpose,
        action=action,
        basis=proof.basis,
        source=proof.source,
        wording=proof.wording,
        wording_hash=proof.wording_hash,
        locale=proof.locale,
        proof=proof.proof,
        ip=proof.ip,
        user_agent=proof.user_agent,
        created_at=now,
    )
    session.add(record)
    session.flush()
    _update_state(session, lead.id, record, now)
    record_event(
        session,
        lead,
        _EVENT_FOR_ACTION[action],
        occurred_at=now,
        source=proof.source,
        data={"purpose": purpose},
    )
    return record


def _update_state(session: Session, lead_id: int, record: ConsentRecord, now: datetime) -> None:
    cached = session.get(ConsentState, (lead_id, record.purpose))
    previous = Current(cached.status, cached.basis, cached.record_id) if cached else None
    new = step(previous, record)
    if new is None or new == previous:
        return
    if cached is None:
        session.add(
            ConsentState(
                lead_id=lead_id,
                purpose=record.purpose,
                status=new.status,
                basis=new.basis,
                record_id=new.record_id,
                updated_at=now,
            )
        )
    else:
        cached.status, cached.basis, cached.record_id = new.status, new.basis, new.record_id
        cached.updated_at = now


def current(session: Session, lead_id: int) -> dict[str, Current]:
    rows = session.scalars(select(ConsentState).where(ConsentState.lead_id == lead_id))
    return {row.purpose: Current(row.status, row.basis, row.record_id) for row in rows}


def has_consent(session: Session, lead_id: int, purpose: str) -> bool:
    row = session.get(ConsentState, (lead_id, purpose))
    return row is not None and row.status == "given"


def given_purposes(session: Session, lead_ids: Iterable[int]) -> dict[int, set[str]]:
    """Purposes each lead currently consents to, for a batch (one query)."""
    ids = list(lead_ids)
    result: dict[int, set[str]] = {lead_id: set() for lead_id in ids}
    if not ids:
        return result
    rows = session.execute(
        select(ConsentState.lead_id, ConsentState.purpose).where(
            member_of(session, ConsentState.lead_id, ids), ConsentState.status == "given"
        )
    )
    for lead_id, purpose in rows:
        result[lead_id].add(purpose)
    return result


def records_of(session: Session, lead_id: int) -> list[ConsentRecord]:
    return list(
        session.scalars(
            select(ConsentRecord).where(ConsentRecord.lead_id == lead_id).order_by(ConsentRecord.id)
        )
    )
