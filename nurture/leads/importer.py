"""`nurture leads import`: rows in, leads merged by normalised email, consent recorded.

Consent on import is explicit. With `--purpose P --basis B --proof TEXT` every imported
row gets a ledger record (source `import`, the proof as given); without it leads are
stored and never mailed. Direct marketing to consumers needs consent (ePrivacy art. 13):
under `legitimate_interest`, rows without a company (B2C) are rejected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nurture.consent.ledger import Proof, append, current
from nurture.consent.suppression import suppressed_among
from nurture.leads.fields import CleanLead, FieldError, clean_lead
from nurture.leads.headers import map_headers
from nurture.leads.service import upsert_lead
from nurture.leads.sources import Table
from nurture.models.lead import CONTRACT_FIELDS

_FIELD_NAMES = frozenset(CONTRACT_FIELDS)


@dataclass(frozen=True)
class ImportConsent:
    purpose: str
    basis: str
    proof: str
    wording: str | None = None
    wording_hash: str | None = None


@dataclass(frozen=True)
class Reject:
    row: int
    email: str
    reason: str


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    consents: int = 0
    rejects: list[Reject] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    def reasons(self) -> Counter[str]:
        return Counter(reject.reason.split(":")[0] for reject in self.rejects)


@dataclass
class Importer:
    source: str | None
    consent: ImportConsent | None
    suppression_key: str
    now: datetime
    summary: ImportSummary = field(default_factory=ImportSummary)
    _seen: set[str] = field(default_factory=set)

    def run(
        self, session: Session, table: Table, progress: Callable[[int], None] = lambda _: None
    ) -> ImportSummary:
        mapping = map_headers(table.headers)
        for batch in _batches(table, 1_000):
            self._import_batch(session, mapping, batch)
            session.flush()
            progress(len(batch))
        return self.summary

    def _import_batch(
        self, session: Session, mapping: dict[str, str], batch: list[tuple[int, list[Any]]]
    ) -> None:
        cleaned: list[tuple[int, CleanLead]] = []
        for number, cells in batch:
            raw = _row_dict(mapping, cells)
            try:
                clean = clean_lead(raw)
            except FieldError as error:
                self.summary.rejects.append(Reject(number, str(raw.get("email") or ""), str(error)))
                continue
            cleaned.append((number, clean))
        suppressed = suppressed_among(session, self.suppression_key, [c.email for _, c in cleaned])
        for number, clean in cleaned:
            reason = self._refusal(clean, suppressed)
            if reason:
                self.summary.rejects.append(Reject(number, clean.email, reason))
                continue
            self._store(session, clean)

    def _refusal(self, clean: CleanLead, suppressed: set[str]) -> str | None:
        if clean.email in suppressed:
            return "suppressed: the address asked not to be contacted, bounced, or was erased"
        if (
            self.consent is not None
            and self.consent.basis == "legitimate_interest"
            and not clean.fields.get("company")
        ):
            return "missing consent for B2C: legitimate interest covers business contacts only"
        return None

    def _store(self, session: Session, clean: CleanLead) -> None:
        duplicate = clean.email in self._seen
        self._seen.add(clean.email)
        lead, created = upsert_lead(
            session, clean, source=self.source, now=self.now, event_source="import"
        )
        if duplicate:
            self.summary.duplicates += 1
        elif created:
            self.summary.created += 1
        else:
            self.summary.updated += 1
        if self.consent is not None and self._needs_record(session, lead.id):
            proof = Proof(
                source="import",
                basis=self.consent.basis,
                proof=self.consent.proof,
                wording=self.consent.wording,
                wording_hash=self.consent.wording_hash,
            )
            append(session, lead, self.consent.purpose, "granted", proof, self.now)
            self.summary.consents += 1

    def _needs_record(self, session: Session, lead_id: int) -> bool:
        """Re-importing the same file changes nothing, and a withdrawal is never
        overridden by an old list: only a lead without a decision gets the record."""
        assert self.consent is not None
        state = current(session, lead_id).get(self.consent.purpose)
        return state is None or state.status == "pending"


def _row_dict(mapping: dict[str, str], cells: list[Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for header, cell in zip(mapping, cells, strict=False):
        key = mapping[header]
        value = cell.strip() if isinstance(cell, str) else cell
        if key in raw or key in attributes:
            continue
        if key == header.strip() and key not in _FIELD_NAMES:
            attributes[key] = value
        else:
            raw[key] = value
    raw["attributes"] = attributes
    return raw


def _batches(table: Table, size: int) -> Iterator[list[tuple[int, list[Any]]]]:
    batch: list[tuple[int, list[Any]]] = []
    for row in table.rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
