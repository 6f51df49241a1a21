""" "Send me a fresh link": a new preferences/my-data link, never revealing an address.

The answer is the same whether the address is known or not; only a known, mailable
address gets a mail, at most as often as the per-address limit allows. Someone who
unsubscribed, objected or restricted processing still gets one: the link is how they
see, export or erase their data, and how they reverse their own choice.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from nurture.consent.suppression import suppression_reason
from nurture.i18n import choose
from nurture.leads.service import find_lead
from nurture.prospects.mailing import FRESH_LINK, queue_transactional
from nurture.prospects.ratelimit import LINK_MAIL, SIGNUP_IP, allow, client_key, mailbox_key
from nurture.prospects.setup import Origin, ProspectSetup
from nurture.sending.checks import OWN_CHOICES


def send_fresh_link(
    session: Session, setup: ProspectSetup, raw_email: str, origin: Origin, locale: str
) -> str:
    key = setup.suppression_key
    ip_key = client_key(key, SIGNUP_IP, origin.ip)
    if not allow(session, ip_key, setup.subscribe_per_ip_hour, setup.wall_now()):
        return "ip limited"
    lead = find_lead(session, raw_email)
    if lead is None:
        return "unknown"
    if suppression_reason(session, key, lead.email) not in (None, *OWN_CHOICES):
        return "suppressed"  # bounced or complained: the mailbox takes no mail from us
    address_key = mailbox_key(key, LINK_MAIL, lead.email)
    if not allow(session, address_key, setup.confirm_mails_per_hour, setup.wall_now()):
        return "address limited"
    queue_transactional(
        session,
        lead,
        FRESH_LINK,
        {"locale": choose(lead.locale, [locale])},
        now=setup.now(),
        wall_now=setup.wall_now(),
        enqueue=setup.enqueue,
    )
    return "queued"
