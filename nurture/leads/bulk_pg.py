"""The importer's PostgreSQL writer: set-based, a handful of statements per chunk.

Row-by-row inserts run at ~2,700 rows/s. Here a chunk's new leads travel as one JSON
parameter (`bulk_stage`) to one `INSERT … SELECT … RETURNING` whose CTEs also write
their `lead_created` events and, with consent, their ledger records, cached states and
`consent_granted` events (a lead created in this transaction has no decision yet: no
read needed). Known leads get an `UPDATE … FROM` the same kind of parameter, and their
ledger rows from `unnest` of their ids. Lists of addresses or ids travel as one text
parameter too (`_array`). Statements are built with SQLAlchemy Core from the models, so
columns other features add to `leads` or `events` get their declared defaults
(`_insert`); values with Python-callable defaults (ids, timestamps) are given explicitly.

Where the server's time goes (EXPLAIN ANALYZE and perf, 100,000 rows, ~3.7 s): about
40% in the foreign key checks of the four rows that reference each new lead (two
events, the ledger record and its cached state), a third in index maintenance, the rest
in heap inserts and WAL. `COPY` straight into the final tables (ids from `nextval`)
measured no faster than these `INSERT … SELECT`s: that work is per row either way. What
does help is a second backend on the second core: `connections` (and `importer`).

The rows written are exactly what `OrmWriter` writes through the services (a test
compares both, and the ledger with its cached state).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from nurture.db import savepoint
from nurture.leads.bulk_stage import (
    NEW_KEYS,
    STAGED,
    UPDATE_KEYS,
    new_payload,
    prepare,
    staged,
    update_payload,
)
from nurture.leads.fields import CleanLead
from nurture.leads.merge import MERGED_COLUMNS
from nurture.leads.writers import ImportConsent, KnownLead, NewLead, Update
from nurture.models import (
    ConsentRecord,
    ConsentState,
    Event,
    Lead,
    Suppression,
)
from nurture.models.base import Base, UTCDateTime

_SEPARATOR = "\n"
IMPORT_LOCK = 4_000_000_005  # pg_advisory_xact_lock key (`handoff.records` holds ...004)
LOCK_TIMEOUT_S = 30  # `bound_waits`
SAVEPOINTS = 60  # per import, below PostgreSQL's 64 cached subtransactions
_JSON_COLUMNS = frozenset({"tags", "attributes"})
# PostgreSQL refuses a jsonb value over 256 MiB (268,435,455 bytes), and a chunk of
# 10,000 rows with long free-text columns can reach that. A payload longer than this
# many characters (at most 4 bytes each) is sent in halves; a usual chunk is ~2 MB.
_MAX_PAYLOAD = 60_000_000
# One decoder, reused: `json.loads` builds nothing per call but detects the encoding of
# bytes; the columns arrive as text (`existing`), and most are empty.
_DECODE = json.JSONDecoder().decode


def _decode(text: str) -> Any:
    if text == "[]":
        return []
    return {} if text == "{}" else _DECODE(text)


def _now(now: datetime) -> Any:
    return literal(now, UTCDateTime())


def _array(name: str, values: Sequence[Any], item: Any) -> Any:
    """`values` as an SQL array, sent as one text parameter that the server splits.

    psycopg dumps a list parameter element by element in Python (~1 µs each, 10,000 per
    statement); one joined string costs nothing. Addresses, hex digests and ids never
    hold a line break; should one ever do, the list goes as an array parameter.
    """
    joined = _SEPARATOR.join(map(str, values))
    if joined.count(_SEPARATOR) != max(len(values) - 1, 0):
        return bindparam(name, list(values), type_=ARRAY(item))
    array = func.string_to_array(bindparam(name, joined, type_=Text), literal(_SEPARATOR))
    return array if item is Text else cast(array, ARRAY(item))


def _ids(name: str, values: Sequence[int]) -> Any:
    return func.unnest(_array(name, values, BigInteger))


class PostgresWriter:
    # Two backends, two cores: the server's share of an import (above) is the slower
    # side, and two of them keep pace with the one thread that reads and cleans rows.
    connections = 2

    def __init__(self) -> None:
        self._any_suppressed: bool | None = None
        self._savepoints = 0  # taken in this import's transaction (`_fast_or_careful`)

    def exclusive(self, session: Session, waiting: Callable[[], None]) -> None:
        """Imports take turns: two at once would only share the same two cores, and two
        multi-connection imports of the same addresses could wait for each other in a
        way the server cannot see as a deadlock (`bound_waits`)."""
        key = {"key": IMPORT_LOCK}
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), key):
            waiting()
            # However long the other import takes (a lock_timeout set for the role or the
            # server would end this wait with a misleading error).
            session.execute(text("SET LOCAL lock_timeout = 0"))
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), key)

    def bound_waits(self, session: Session) -> None:
        """A lane that waits for a row lock may wait for a transaction that itself waits
        for the other lane, which only commits when this one is done: the server sees
        two unrelated waits, never the cycle, so it would never end. Waiting longer than
        any other writer holds a lead (a score refresh locks up to 10,000 leads for a
        few seconds; consent and erasure hold one for milliseconds) fails the import
        instead, and rolls it back. It holds for every lock wait until the transaction
        ends."""
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'"))

    def prepare(self, cleans: Sequence[CleanLead], default_source: str | None) -> list[Any]:
        return prepare(cleans, default_source)

    def suppressed(self, session: Session, key: str, emails: Sequence[str]) -> set[str]:
        if self._any_suppressed is None:  # an empty list needs no hashing at all
            self._any_suppressed = session.scalar(select(Suppression.id).limit(1)) is not None
        if not self._any_suppressed:
            return set()
        secret = key.encode()
        # `suppression.email_hash`, one-shot: the same digest, twice as fast per address.
        by_hash = {hmac.digest(secret, email.encode(), "sha256").hex(): email for email in emails}
        hashes = session.scalars(
            select(Suppression.email_hash).where(
                Suppression.email_hash == any_(_array("hashes", list(by_hash), Text))
            )
        )
        return {by_hash[digest] for digest in hashes}

    def existing(self, session: Session, emails: Sequence[str]) -> dict[str, KnownLead]:
        """Core, not the ORM (whose row loading cost ~1 s per 100,000 known leads); the
        JSON columns as text, decoded here (`_decode`)."""
        table = Lead.__table__
        columns = [
            cast(table.c[name], Text) if name in _JSON_COLUMNS else table.c[name]
            for name in MERGED_COLUMNS
        ]
        rows = session.connection().execute(
            select(table.c.id, table.c.email, table.c.updated_at, *columns).where(
                table.c.email == any_(_array("emails", emails, Text))
            )
        )
        known = {}
        for lead_id, email, updated_at, *values in rows:
            merged = dict(zip(MERGED_COLUMNS, values, strict=True))
            for name in _JSON_COLUMNS:
                merged[name] = _decode(merged[name])
            known[email] = KnownLead(lead_id, merged, updated_at)
        return known

    def undecided(self, session: Session, lead_ids: Sequence[int], purpose: str) -> list[int]:
        decided = set(
            session.scalars(
                select(ConsentState.lead_id).where(
                    ConsentState.lead_id == any_(_array("ids", lead_ids, BigInteger)),
                    ConsentState.purpose == purpose,
                    ConsentState.status != "pending",
                )
            )
        )
        return [lead_id for lead_id in dict.fromkeys(lead_ids) if lead_id not in decided]

    def create(
        self,
        session: Session,
        leads: Sequence[NewLead],
        now: datetime,
        consent: ImportConsent | None,
    ) -> dict[str, int]:
        """One statement: the leads, and from its RETURNING their `lead_created` events
        and, with `consent`, their ledger records, cached states and `consent_granted`
        events."""
        if not leads:
            return {}
        payload = new_payload(leads)
        if len(payload) > _MAX_PAYLOAD and len(leads) > 1:
            half = len(leads) // 2
            first = self.create(session, leads[:half], now, consent)
            return {**first, **self.create(session, leads[half:], now, consent)}
        stage = staged(payload, NEW_KEYS).c
        values = {
            **{name: stage[name] for name in NEW_KEYS},
            "created_at": _now(now),
            "updated_at": _now(now),
        }
        fast = _insert(Lead, values)
        careful = fast.on_conflict_do_nothing(index_elements=["email"])

        def with_events(statement: Any) -> Any:
            created = statement.returning(Lead.id, Lead.email).cte("created")
            events = _events(created.c.id, "lead_created", {}, now).cte("created_events")
            ledger = [] if consent is None else _ledger(created.c.id, consent, now, False)
            return select(created.c.id, created.c.email).add_cte(events, *ledger)

        rows = self._fast_or_careful(session, with_events(fast), with_events(careful))
        return {email: lead_id for lead_id, email in rows}

    def update(self, session: Session, updates: Sequence[Update], now: datetime) -> set[int]:
        if not updates:
            return set()
        payload = update_payload(updates)
        if len(payload) > _MAX_PAYLOAD and len(updates) > 1:
            half = len(updates) // 2
            first = self.update(session, updates[:half], now)
            return first | self.update(session, updates[half:], now)
        stage = staged(payload, UPDATE_KEYS).c
        written = session.scalars(
            update(Lead)
            .where(Lead.id == stage.id, Lead.updated_at == stage.seen)
            .values(**{name: stage[name] for name in STAGED}, updated_at=_now(now))
            .returning(Lead.id)
            .execution_options(synchronize_session=False)
        )
        return {update.id for update in updates} - set(written)

    def grant(
        self, session: Session, lead_ids: Sequence[int], consent: ImportConsent, now: datetime
    ) -> None:
        """One statement: the ledger records, and from their RETURNING the cached states and
        the `consent_granted` events (the ids travel to the server once)."""
        if lead_ids:
            self._fast_or_careful(
                session,
                _grant(lead_ids, consent, now, careful=False),
                _grant(lead_ids, consent, now, careful=True),
            )

    def _fast_or_careful(self, session: Session, fast: Any, careful: Any) -> list[Any]:
        """The plain INSERT, and the ON CONFLICT one only if the plain one meets a conflict.

        Conflicts are rare (a lead created meanwhile, a pending consent state) and ON
        CONFLICT costs a speculative insertion per row (~30% more here); the savepoint
        keeps the import alive when the plain statement fails. Only the first
        `SAVEPOINTS` statements take one: a backend caches 64 subtransactions, and past
        that every other session's snapshot has to look them up on disk while the
        import runs (about 1,500,000 rows with two statements per chunk).
        """
        if self._savepoints >= SAVEPOINTS:
            return list(session.execute(careful))
        self._savepoints += 1
        try:
            with savepoint(session):
                return list(session.execute(fast))
        except IntegrityError:
            return list(session.execute(careful))


def _grant(lead_ids: Sequence[int], consent: ImportConsent, now: datetime, careful: bool) -> Any:
    ledger = _ledger(_ids("lead_ids", lead_ids), consent, now, careful)
    return select(func.count()).select_from(ledger[0]).add_cte(*ledger[1:])


def _ledger(lead_id: Any, consent: ImportConsent, now: datetime, careful: bool) -> list[Any]:
    """CTEs writing a `granted` record per lead id that `lead_id` (a column) yields, and
    from their RETURNING the cached states and the `consent_granted` events; the records
    CTE first."""
    records = (
        _insert(
            ConsentRecord,
            {
                "lead_id": lead_id,
                "purpose": literal(consent.purpose),
                "action": literal("granted"),
                "basis": literal(consent.basis),
                "source": literal("import"),
                "wording": literal(consent.wording, Text),
                "wording_hash": literal(consent.wording_hash, Text),
                "proof": literal(consent.proof, Text),
                "created_at": _now(now),
            },
        )
        .returning(ConsentRecord.id, ConsentRecord.lead_id)
        .cte("records")
    )
    states = _states(records, consent, now, careful).cte("states")
    data = {"purpose": consent.purpose}
    events = _events(records.c.lead_id, "consent_granted", data, now).cte("granted_events")
    return [records, states, events]


def _states(records: Any, consent: ImportConsent, now: datetime, careful: bool) -> Any:
    """The cached fold: a proven grant on a lead without a decision is `given`; `careful`
    when some of them have a pending state already."""
    statement = _insert(
        ConsentState,
        {
            "lead_id": records.c.lead_id,
            "purpose": literal(consent.purpose),
            "status": literal("given"),
            "basis": literal(consent.basis),
            "record_id": records.c.id,
            "updated_at": _now(now),
        },
    )
    if not careful:
        return statement
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["lead_id", "purpose"],
        set_={
            "status": excluded.status,
            "basis": excluded.basis,
            "record_id": excluded.record_id,
            "updated_at": excluded.updated_at,
        },
    )


def _events(lead_id: Any, event_type: str, data: dict[str, Any], now: datetime) -> Any:
    """INSERT of one event per lead id that `lead_id` (a column) yields."""
    return _insert(
        Event,
        {
            "lead_id": lead_id,
            "type": literal(event_type),
            "occurred_at": _now(now),
            "source": literal("import"),
            "data": cast(literal(json.dumps(data)), JSON),
            "created_at": _now(now),
        },
    )


def _insert(model: type[Base], values: dict[str, Any]) -> Any:
    """INSERT … SELECT of `values` (column → SQL expression), every other column with a
    Python-side scalar default given that default.

    SQLAlchemy fills in such defaults itself for a top-level INSERT, but of several
    INSERTs in the CTEs of one statement it fills them for one only (the others get
    NULL): written out, none is lost. A callable default must be given a value here.
    """
    table = model.__table__
    assert isinstance(table, Table)
    values = dict(values)
    for column in table.columns:
        default = column.default
        if column.name in values or default is None:
            continue
        if not isinstance(default, ScalarElementColumnDefault):
            raise TypeError(f"{table.name}.{column.name}: give the import a value for it")
        values[column.name] = literal(default.arg, column.type)
    return pg_insert(table).from_select(list(values), select(*values.values()))
