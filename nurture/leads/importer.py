"""`nurture leads import`: rows in, leads merged by normalised email, consent recorded.

Consent on import is explicit. With `--purpose P --basis B --proof TEXT` every imported
lead without a decision for P gets a ledger record (source `import`, the proof as given);
without it leads are stored and never mailed. Direct marketing to consumers needs consent
(ePrivacy art. 13): under `legitimate_interest`, leads without a company (B2C) are
rejected, and business contacts get the art. 14 information notice before any campaign
mail (`nurture.leads.notices`).

How rows become leads:
1. A first pass reads only the addresses, to know the last row of each one.
2. Rows are cleaned in chunks; a row that fails is rejected with its reason. Rows of one
   address are combined (`merge.combine`) and written once, when its last row has been
   read. So a file's duplicates reach the database as one merged lead, however far apart
   they are, and importing the same file again changes nothing.
3. Per chunk, the writer (`bulk_pg` on PostgreSQL, `writers.OrmWriter` elsewhere) reads
   the known leads, and creates, updates or leaves each one as the merge rules say. New
   leads get their consent record as they are created; known ones only if they have no
   decision for the purpose yet.

On PostgreSQL two connections write at once (`Writer.connections`), each taking the next
chunk: the server's work per lead (foreign key checks, index upkeep) is the slower side
of the import, and one backend uses one core. Each address is in exactly one chunk, so
the two transactions never touch the same row and never wait for each other. Both
commit only once every chunk is written, the helper's first (in `run`), the caller's
right after; any error before that rolls both back. Only a failure between those two
commits (the process killed, the server gone) keeps part of a file; importing the file
again completes it, since an import is idempotent. The server cannot see a deadlock that
runs through this process (a lane waiting for a transaction that waits for the other
lane, which commits only with this one), so imports take turns and a lane gives up on a
row lock held too long (`Writer.exclusive`, `Writer.bound_waits`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from nurture.consent.ledger import ConsentError
from nurture.handoff.corrections import tell_crm_of_changes
from nurture.leads.fields import CleanLead, FieldError
from nurture.leads.merge import changes, combine
from nurture.leads.notices import NoticeDetails, queue_art14_notices
from nurture.leads.pipeline import Pipeline, without_cycle_collector
from nurture.leads.rows import RowCleaner, chunks, email_or_none, last_rows
from nurture.leads.sources import Row, Table
from nurture.leads.writers import (
    ImportConsent,
    KnownLead,
    NewLead,
    Update,
    Writer,
    writer_for,
)

CHUNK = 10_000
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired (`Writer.bound_waits`)
_MAX_ATTEMPTS = 5
SUPPRESSED = "suppressed: the address asked not to be contacted, bounced, or was erased"
B2C_UNDER_LI = "missing consent for B2C: legitimate interest covers business contacts only"

__all__ = ["ImportConsent", "ImportSummary", "Importer", "Reject"]


class ConcurrentChanges(RuntimeError):
    """Leads changed by other writers on every attempt to merge into them."""


@dataclass(frozen=True)
class Reject:
    row: int
    email: str
    reason: str


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    consents: int = 0
    rejects: list[Reject] = field(default_factory=list)
    # Art. 14 notices queued: the caller enqueues them once the import is committed.
    notice_ids: list[int] = field(default_factory=list)
    # `lead.updated` for CRMs working merged leads: enqueued once committed, too.
    crm_updates: list[int] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    def reasons(self) -> Counter[str]:
        return Counter(reject.reason.split(":")[0] for reject in self.rejects)

    def add(self, other: ImportSummary) -> None:
        """Every field is a count or a list: a field added later is added up too."""
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Group:
    """Every accepted row of one address so far, combined."""

    clean: CleanLead
    rows: list[int]
    raw_email: str
    new: NewLead | None = None  # as it would be created, prepared by the reading thread


@dataclass
class Importer:
    source: str | None
    consent: ImportConsent | None
    suppression_key: str
    now: datetime
    chunk_size: int = CHUNK
    summary: ImportSummary = field(default_factory=ImportSummary)
    # Whether the reading thread prepares leads for creation: while most leads written
    # were new (a re-import of known leads would only waste it).
    _creating: bool = field(default=True, init=False, repr=False)
    # Each thread counts in its own summary (`_tally`), added up at the end: the reading
    # thread and the writing threads would otherwise race on the same counters.
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)
    _tallies: list[ImportSummary] = field(default_factory=list, init=False, repr=False)

    def run(
        self,
        session: Session,
        table: Table,
        progress: Callable[[int], None] = lambda _: None,
        waiting: Callable[[], None] = lambda: None,
    ) -> ImportSummary:
        """Import `table`; `progress` gets the number of rows written at each step, and
        `waiting` is called if another import is running (this one waits for it).

        With a fresh session on PostgreSQL, a helper session writes part of the file and
        is committed here, on success, just before the caller commits `session`. A
        session whose transaction has begun may hold writes a helper could not see (a
        lead, a suppression): such a session imports alone."""
        try:
            return self._run(session, table, progress, waiting)
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                raise
            raise ConcurrentChanges(
                "other transactions kept some of these leads locked for too long; "
                "run the import again"
            ) from error

    def _run(
        self,
        session: Session,
        table: Table,
        progress: Callable[[int], None],
        waiting: Callable[[], None],
    ) -> ImportSummary:
        if self.consent is not None and not self.consent.proof:
            # The ledger's rule (`consent.ledger.append`), checked before anything is
            # written: the PostgreSQL writer writes its records without `append`.
            raise ConsentError("a consent recorded by an import needs a proof")
        cleaner = RowCleaner(table.headers)
        writer = writer_for(session)
        pending: dict[str, _Group] = {}
        self._local, self._tallies = threading.local(), []
        counted = threading.Lock()  # a progress bar is not thread-safe

        def writing(
            lane: Session, lane_writer: Writer
        ) -> Callable[[tuple[list[_Group], int]], None]:
            def write(job: tuple[list[_Group], int]) -> None:
                self._write(lane, lane_writer, job[0])
                with counted:
                    progress(job[1])

            return write

        helpers_wanted = 0 if session.in_transaction() else writer.connections - 1
        writer.exclusive(session, waiting)
        with _helpers(session, helpers_wanted) as helpers:
            pairs = [(session, writer), *((helper, writer_for(helper)) for helper in helpers)]
            if len(pairs) > 1:
                for lane, lane_writer in pairs:
                    lane_writer.bound_waits(lane)
            lanes = [writing(lane, lane_writer) for lane, lane_writer in pairs]
            with without_cycle_collector(), Pipeline(*lanes) as pipeline:
                last_seen = last_rows(table, cleaner)
                for chunk in chunks(table.rows(), self.chunk_size):
                    ready = self._collect(chunk, cleaner, pending, last_seen)
                    if self._creating:
                        self._prepare(writer, ready)
                    pipeline.put((ready, len(chunk)))
                pipeline.put((list(pending.values()), 0))
            for helper in helpers:
                helper.commit()
        for tally in self._tallies:
            self.summary.add(tally)
        self.summary.rejects.sort(key=lambda reject: reject.row)
        return self.summary

    @property
    def _tally(self) -> ImportSummary:
        tally: ImportSummary | None = getattr(self._local, "tally", None)
        if tally is None:
            tally = self._local.tally = ImportSummary()
            self._tallies.append(tally)
        return tally

    def _collect(
        self,
        chunk: list[Row],
        cleaner: RowCleaner,
        pending: dict[str, _Group],
        last_rows: dict[str, int],
    ) -> list[_Group]:
        """Clean a chunk's rows into groups; return those whose last row has been read."""
        ready: list[_Group] = []
        for number, cells in chunk:
            self._tally.rows += 1
            email: str | None
            try:
                clean = cleaner.clean(cells)
            except FieldError as error:
                raw_email = cleaner.email_cell(cells)
                self._reject([number], "" if raw_email is None else str(raw_email), str(error))
                email = email_or_none(raw_email)
            else:
                email = clean.email
                group = pending.get(email)
                if group is None:
                    pending[email] = _Group(clean, [number], str(cleaner.email_cell(cells)))
                else:
                    group.clean = combine(group.clean, clean)
                    group.rows.append(number)
            if email is not None and last_rows.get(email) == number and email in pending:
                ready.append(pending.pop(email))
        return ready

    def _prepare(self, writer: Writer, groups: list[_Group]) -> None:
        """Do the database-free part of creating the leads here, in the reading thread,
        while the writing thread waits for the database with the previous chunk."""
        prepared = writer.prepare([group.clean for group in groups], self.source)
        for group, made in zip(groups, prepared, strict=True):
            group.new = NewLead(group.clean, self.source, made)

    def _write(self, session: Session, writer: Writer, groups: list[_Group]) -> None:
        if not groups:
            return
        emails = [group.clean.email for group in groups]
        suppressed = writer.suppressed(session, self.suppression_key, emails)
        kept = []
        for group in groups:
            if group.clean.email in suppressed:
                self._reject(group.rows, group.raw_email, SUPPRESSED)
            else:
                kept.append(group)
        known = writer.existing(session, [group.clean.email for group in kept])
        allowed = [group for group in kept if self._allowed(group, known.get(group.clean.email))]
        self._grant(session, writer, self._store(session, writer, allowed, known))

    def _allowed(self, group: _Group, known: KnownLead | None) -> bool:
        """Legitimate interest covers business contacts: the lead (as merged) has a company."""
        if self.consent is None or self.consent.basis != "legitimate_interest":
            return True
        if group.clean.fields.get("company") or (known and known.values.get("company")):
            return True
        self._reject(group.rows, group.raw_email, B2C_UNDER_LI)
        return False

    def _store(
        self, session: Session, writer: Writer, groups: list[_Group], known: dict[str, KnownLead]
    ) -> list[int]:
        """Create (with the import's consent), update or leave each lead; returns the ids of
        the known ones, updated or not (their consent needs a look at their decisions)."""
        fresh: list[_Group] = []
        pairs: list[tuple[_Group, KnownLead]] = []
        for group in groups:
            self._tally.duplicates += len(group.rows) - 1
            lead = known.get(group.clean.email)
            if lead is None:
                fresh.append(group)
            else:
                pairs.append((group, lead))
        new = [group.new or NewLead(group.clean, self.source) for group in fresh]
        created = writer.create(session, new, self.now, self.consent)
        self._tally.created += len(created)
        self._creating = len(fresh) >= len(pairs)
        self._granted(session, list(created.values()))
        # Created by someone else between our read and our insert: merge into theirs.
        raced = [group for group in fresh if group.clean.email not in created]
        pairs += self._reread(session, writer, raced)
        return self._update(session, writer, pairs)

    def _update(
        self, session: Session, writer: Writer, pairs: list[tuple[_Group, KnownLead]]
    ) -> list[int]:
        """Merge into known leads; those changed meanwhile are read and merged again."""
        ids: list[int] = []
        for _attempt in range(_MAX_ATTEMPTS):
            updates, groups = [], {}
            for group, lead in pairs:
                changed = changes(lead.values, group.clean)
                if changed:
                    updates.append(Update(lead.id, {**lead.values, **changed}, lead.updated_at))
                    groups[lead.id] = group
                else:
                    self._tally.unchanged += 1
                    ids.append(lead.id)
            conflicts = writer.update(session, updates, self.now)
            self._tally.updated += len(updates) - len(conflicts)
            written = [update.id for update in updates if update.id not in conflicts]
            # Sales working a lead see what changed.
            self._tally.crm_updates += tell_crm_of_changes(session, written)
            ids += written
            if not conflicts:
                return ids
            pairs = self._reread(session, writer, [groups[lead_id] for lead_id in conflicts])
        raise ConcurrentChanges(
            f"{len(pairs)} leads kept changing while they were imported; run the import again"
        )

    def _reread(
        self, session: Session, writer: Writer, groups: list[_Group]
    ) -> list[tuple[_Group, KnownLead]]:
        if not groups:
            return []
        known = writer.existing(session, [group.clean.email for group in groups])
        pairs = []
        for group in groups:
            lead = known.get(group.clean.email)
            if lead is None:  # erased while we were importing it
                self._reject(group.rows, group.raw_email, SUPPRESSED)
            else:
                pairs.append((group, lead))
        return pairs

    def _grant(self, session: Session, writer: Writer, lead_ids: list[int]) -> None:
        """The import's consent for known leads without a decision for its purpose."""
        if self.consent is None or not lead_ids:
            return
        needing = writer.undecided(session, lead_ids, self.consent.purpose)
        writer.grant(session, needing, self.consent, self.now)
        self._granted(session, needing)

    def _granted(self, session: Session, lead_ids: list[int]) -> None:
        """Count the leads just granted the import's consent; queue their art. 14 notices."""
        if self.consent is None or not lead_ids:
            return
        self._tally.consents += len(lead_ids)
        if self.consent.basis == "legitimate_interest":
            details = NoticeDetails(self.consent.purpose, self.source, self.consent.proof)
            self._tally.notice_ids += queue_art14_notices(session, lead_ids, details, self.now)

    def _reject(self, rows: Iterable[int], email: str, reason: str) -> None:
        self._tally.rejects += [Reject(row, email, reason) for row in rows]


@contextmanager
def _helpers(session: Session, count: int) -> Iterator[list[Session]]:
    """`count` more sessions on the database of `session`, each its own transaction:
    rolled back unless the caller commits them, and closed in any case.

    None when `session` is bound to one connection rather than to an engine: a caller
    that shares its connection (and its transaction) gets one writer."""
    bind = session.get_bind()
    helpers = [Session(bind) for _ in range(count)] if isinstance(bind, Engine) else []
    try:
        yield helpers
    finally:
        for helper in helpers:
            helper.close()  # rolls back whatever was not committed
