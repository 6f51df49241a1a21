"""How the importer reads and writes leads: one interface, two implementations.

`OrmWriter` goes through the same services as every other capture channel (upsert
rules, `consent.ledger.append`) and works on any database; `bulk_pg.PostgresWriter`
does the same work set-based with `COPY`, about twenty times faster. Both get the same
merged values from the importer, so they cannot disagree on what a lead becomes.

Known leads are read without locks. An update names the `updated_at` it read and only
applies if the row still has it; a lead changed meanwhile (an API capture, a score
update) is handed back, read again and merged again. Locking 100,000 rows up front would
cost more than the whole import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nurture.consent.ledger import Proof, append
from nurture.consent.suppression import suppressed_among
from nurture.db import is_postgres, savepoint
from nurture.leads.events import record_event
from nurture.leads.fields import CleanLead
from nurture.leads.merge import MERGED_COLUMNS, new_lead_values
from nurture.leads.service import merged_values
from nurture.models import ConsentState, Lead

# Bound parameters per IN (...): well under SQLite's limit.
_IN_BATCH = 500


@dataclass(frozen=True)
class KnownLead:
    id: int
    values: dict[str, Any]  # the merged columns as stored
    updated_at: datetime


@dataclass(frozen=True)
class Update:
    id: int
    values: dict[str, Any]  # every merged column, as it should become
    seen: datetime  # the `updated_at` the values were merged from


@dataclass(frozen=True)
class ImportConsent:
    purpose: str
    basis: str
    proof: str
    wording: str | None = None
    wording_hash: str | None = None

    def ledger_proof(self) -> Proof:
        return Proof(
            source="import",
            basis=self.basis,
            proof=self.proof,
            wording=self.wording,
            wording_hash=self.wording_hash,
        )


@dataclass(frozen=True)
class NewLead:
    clean: CleanLead
    default_source: str | None  # `--source`, for rows without a source column
    prepared: Any = None  # what `Writer.prepare` made for it, if it was called

    def values(self) -> dict[str, Any]:
        """Every merged column of the new lead."""
        return new_lead_values(self.clean, self.default_source)


class Writer(Protocol):
    # How many connections may write one import at once, each with a writer of its own
    # and its own share of the chunks (see `importer`).
    connections: int

    def exclusive(self, session: Session, waiting: Callable[[], None]) -> None:
        """Hold, until `session`'s transaction ends, the right to be the one import
        running; call `waiting` first if another import has it."""
        ...

    def bound_waits(self, session: Session) -> None:
        """From now on in this transaction, fail rather than wait long for a row lock."""
        ...

    def prepare(self, cleans: Sequence[CleanLead], default_source: str | None) -> list[Any]:
        """What creating each lead would take that the database does not tell (the
        PostgreSQL writer's staged rows), for `NewLead.prepared`.

        The reading thread calls it for leads that may be new, while the writing thread
        waits for the database: pure, and never needed (`create` makes what is missing).
        """
        ...

    def suppressed(self, session: Session, key: str, emails: Sequence[str]) -> set[str]:
        """The addresses among `emails` on the suppression list."""
        ...

    def existing(self, session: Session, emails: Sequence[str]) -> dict[str, KnownLead]:
        """The known leads among `emails`, by address."""
        ...

    def create(
        self,
        session: Session,
        leads: Sequence[NewLead],
        now: datetime,
        consent: ImportConsent | None,
    ) -> dict[str, int]:
        """Insert leads and their `lead_created` events; email → id. An address created by
        someone else meanwhile is left out of the result (the caller merges into it).

        With `consent`, also `grant` it to every lead created: a lead created in this
        transaction has no decision yet, so there is nothing to read first.
        """
        ...

    def update(self, session: Session, updates: Sequence[Update], now: datetime) -> set[int]:
        """Write the merged columns; returns the ids changed by someone else since `seen`
        (not written: the caller merges again)."""
        ...

    def undecided(self, session: Session, lead_ids: Sequence[int], purpose: str) -> list[int]:
        """Leads with no decision (or only a pending one) for `purpose`.

        Re-importing the same file changes nothing, and a withdrawal is never overridden
        by an old list: only these get a record.
        """
        ...

    def grant(
        self, session: Session, lead_ids: Sequence[int], consent: ImportConsent, now: datetime
    ) -> None:
        """Append a `granted` record per lead (and the cached state and event)."""
        ...


def writer_for(session: Session) -> Writer:
    if is_postgres(session):
        from nurture.leads.bulk_pg import PostgresWriter

        return PostgresWriter()
    return OrmWriter()


def batched(items: Sequence[Any], size: int = _IN_BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class OrmWriter:
    """Lead by lead through the ORM and the ledger service: any database, any size.

    SQLite serialises writers, so its updates never meet a concurrent change.
    """

    connections = 1  # SQLite has one writer at a time anyway

    def __init__(self) -> None:
        self._leads: dict[int, Lead] = {}

    def exclusive(self, session: Session, waiting: Callable[[], None]) -> None:
        pass  # SQLite serialises writing transactions (`busy_timeout`)

    def bound_waits(self, session: Session) -> None:
        pass  # one connection: the database sees every wait, and any deadlock

    def prepare(self, cleans: Sequence[CleanLead], default_source: str | None) -> list[Any]:
        return [None] * len(cleans)  # the ORM builds its objects as it adds them

    def suppressed(self, session: Session, key: str, emails: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for part in batched(emails):
            found |= suppressed_among(session, key, part)
        return found

    def existing(self, session: Session, emails: Sequence[str]) -> dict[str, KnownLead]:
        known: dict[str, KnownLead] = {}
        for part in batched(emails):
            for lead in session.scalars(select(Lead).where(Lead.email.in_(part))):
                self._leads[lead.id] = lead
                known[lead.email] = KnownLead(lead.id, merged_values(lead), lead.updated_at)
        return known

    def create(
        self,
        session: Session,
        leads: Sequence[NewLead],
        now: datetime,
        consent: ImportConsent | None,
    ) -> dict[str, int]:
        created = self._insert(session, leads, now)
        if created is None:  # an address was created meanwhile: one by one, skip those
            created = [lead for new in leads for lead in self._insert(session, [new], now) or []]
        for lead in created:
            self._leads[lead.id] = lead
            record_event(session, lead, "lead_created", occurred_at=now, source="import")
        if consent is not None:
            self.grant(session, [lead.id for lead in created], consent, now)
        return {lead.email: lead.id for lead in created}

    def _insert(
        self, session: Session, leads: Sequence[NewLead], now: datetime
    ) -> list[Lead] | None:
        """The new leads, flushed in a savepoint; None if one of the addresses exists."""
        rows = [
            Lead(email=new.clean.email, created_at=now, updated_at=now, **new.values())
            for new in leads
        ]
        try:
            with savepoint(session):  # on SQLite too: see `nurture.db.savepoint`
                session.add_all(rows)
        except IntegrityError:
            return None
        return rows

    def update(self, session: Session, updates: Sequence[Update], now: datetime) -> set[int]:
        for update in updates:
            lead = self._leads.get(update.id) or session.get_one(Lead, update.id)
            for name in MERGED_COLUMNS:
                setattr(lead, name, update.values.get(name))
            lead.updated_at = now
        session.flush()
        return set()

    def undecided(self, session: Session, lead_ids: Sequence[int], purpose: str) -> list[int]:
        decided: set[int] = set()
        for ids in batched(lead_ids):
            decided.update(
                session.scalars(
                    select(ConsentState.lead_id).where(
                        ConsentState.lead_id.in_(ids),
                        ConsentState.purpose == purpose,
                        ConsentState.status != "pending",
                    )
                )
            )
        return [lead_id for lead_id in dict.fromkeys(lead_ids) if lead_id not in decided]

    def grant(
        self, session: Session, lead_ids: Sequence[int], consent: ImportConsent, now: datetime
    ) -> None:
        proof = consent.ledger_proof()
        for lead_id in lead_ids:
            lead = self._leads.get(lead_id) or session.get_one(Lead, lead_id)
            append(session, lead, consent.purpose, "granted", proof, now)
