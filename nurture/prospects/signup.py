"""Consent capture: `/subscribe` validated, rate-limited, recorded, double opt-in queued.

Whatever the address — new, known, confirmed, suppressed, throttled — the caller shows the
same answer; `subscribe` returns what happened only for tests and counters. Profile
fields typed into a public form are unverified: they fill a new lead, never overwrite a
known one (anyone may type anyone's address).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from nurture.campaigns.purposes import wording_hash
from nurture.consent.ledger import append, current
from nurture.consent.suppression import suppression_reason
from nurture.leads.fields import CleanLead, FieldError, clean_lead
from nurture.leads.service import upsert_lead
from nurture.models import ConsentState, Lead
from nurture.prospects.mailing import CONFIRM_SUBSCRIPTION, queue_transactional
from nurture.prospects.ratelimit import CONFIRM_MAIL, SIGNUP_IP, allow, client_key, mailbox_key
from nurture.prospects.setup import Origin, ProspectSetup

SOURCE = "subscribe"  # Lead.source of sign-ups: what `gdpr purge` looks for


def awaiting_confirmation() -> ColumnElement[bool]:
    """Leads the public form created whose consents all still wait for the double opt-in:
    anyone may have typed that address, so nothing about such a lead leaves nurture (no
    webhook) until the person confirms, and `gdpr purge` deletes it if they never do."""
    settled = exists().where(ConsentState.lead_id == Lead.id, ConsentState.status != "pending")
    return and_(Lead.source == SOURCE, ~settled)


def unconfirmed_signup(session: Session, lead: Lead) -> bool:
    """Whether `lead` is `awaiting_confirmation()` (no query for a lead from elsewhere)."""
    if lead.source != SOURCE:
        return False
    query = select(Lead.id).where(Lead.id == lead.id, awaiting_confirmation())
    return session.scalar(query) is not None


class SignUpInvalid(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


@dataclass(frozen=True)
class SignUp:
    lead: CleanLead
    locale: str
    purposes: list[str]
    honeypot: bool


def read_form(
    form: Mapping[str, str], purposes: Sequence[str], declared: Sequence[str], locale: str
) -> SignUp:
    """The posted fields, checked; raises `SignUpInvalid` naming the first bad one."""
    raw = {name: form.get(name) or None for name in ("email", "first_name", "last_name")}
    raw["locale"] = form.get("locale") or locale
    try:
        lead = clean_lead(raw)
    except FieldError as error:
        raise SignUpInvalid(error.field, error.message) from None
    unknown = [purpose for purpose in purposes if purpose not in declared]
    if unknown:
        raise SignUpInvalid("purposes", f"unknown purpose {unknown[0]!r}")
    chosen = [purpose for purpose in declared if purpose in purposes]
    if not chosen:
        raise SignUpInvalid("purposes", "no purpose ticked")
    return SignUp(lead, lead.fields["locale"], chosen, bool(form.get("homepage")))


def subscribe(session: Session, setup: ProspectSetup, sign_up: SignUp, origin: Origin) -> str:
    key, email = setup.suppression_key, sign_up.lead.email
    if sign_up.honeypot:
        return "honeypot"
    ip_key = client_key(key, SIGNUP_IP, origin.ip)
    if not allow(session, ip_key, setup.subscribe_per_ip_hour, setup.wall_now()):
        return "ip limited"
    if suppression_reason(session, key, email) is not None:
        return "suppressed"
    lead = session.scalar(select(Lead).where(Lead.email == email))
    states = current(session, lead.id) if lead is not None else {}
    wanted = [p for p in sign_up.purposes if p not in states or states[p].status != "given"]
    if not wanted:
        return "already given"
    address_key = mailbox_key(key, CONFIRM_MAIL, email)
    if not allow(session, address_key, setup.confirm_mails_per_hour, setup.wall_now()):
        return "address limited"
    if lead is None:
        lead, _ = upsert_lead(
            session, sign_up.lead, source=SOURCE, now=setup.now(), event_source="form"
        )
    _grant(session, setup, lead, wanted, sign_up.locale, origin)
    context = {"purposes": wanted, "locale": sign_up.locale}
    queue_transactional(
        session,
        lead,
        CONFIRM_SUBSCRIPTION,
        context,
        now=setup.now(),
        wall_now=setup.wall_now(),
        enqueue=setup.enqueue,
    )
    return "queued"


def _grant(
    session: Session,
    setup: ProspectSetup,
    lead: Lead,
    purposes: list[str],
    locale: str,
    origin: Origin,
) -> None:
    for purpose in purposes:
        wording = setup.purposes.wording(purpose, locale)
        proof = setup.proof(
            "form",
            origin,
            proof="subscribe form",
            wording=wording,
            wording_hash=wording_hash(wording),
            locale=locale,
        )
        append(session, lead, purpose, "granted", proof, setup.now())
