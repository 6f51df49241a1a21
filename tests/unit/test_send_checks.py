"""Send-time checks, table-driven: why a queued message must not go out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nurture.models import Lead, Message
from nurture.sending.checks import SendFacts, blocked_reason

NOW = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
GIVEN = SendFacts(suppressed=None, consent="given", tracking=None, enrolment="active",
                  campaign_failures=0)  # fmt: skip


def row(kind: str = "marketing", template: str | None = None) -> Message:
    return Message(kind=kind, template=template, purpose="newsletter", campaign_id="drip")


def lead(**values: Any) -> Lead:
    return Lead(email="ana@example.com", **values)


def facts(**changes: Any) -> SendFacts:
    return SendFacts(**{**GIVEN.__dict__, **changes})


@pytest.mark.parametrize(
    ("message", "person", "known", "blocked"),
    [
        (row(), lead(), GIVEN, None),
        (row(), None, GIVEN, "the lead no longer exists (erased)"),
        (row(), lead(), facts(suppressed="bounced"), "address suppressed (bounced)"),
        (row(), lead(), facts(consent="withdrawn"), "no current consent for 'newsletter'"),
        (row(), lead(), facts(consent="pending"), "no current consent for 'newsletter'"),
        (row(), lead(), facts(enrolment="exited"), "the lead left the campaign"),
        (row(), lead(paused_until=NOW + timedelta(days=3)), GIVEN, "the lead paused all mail"),
        (row(), lead(paused_until=NOW - timedelta(minutes=1)), GIVEN, None),  # pause over
        (row(), lead(restricted_at=NOW), GIVEN, "processing restricted by the lead (GDPR art. 18)"),
        # the person's own requests: their own choices do not lock them out
        (row("transactional", "transactional/fresh_link"), lead(restricted_at=NOW),
         facts(suppressed="objected"), None),
        (row("transactional", "transactional/fresh_link"), lead(),
         facts(suppressed="bounced"), "address suppressed (bounced)"),
        # to the new address: the old one's bounce says nothing about it
        (row("transactional", "transactional/confirm_address"), lead(restricted_at=NOW),
         facts(suppressed="bounced"), None),
        (row("transactional", "transactional/art14_notice"), lead(restricted_at=NOW), GIVEN,
         "processing restricted by the lead (GDPR art. 18)"),
    ],
)  # fmt: skip
def test_blocked_reason(
    message: Message, person: Lead | None, known: SendFacts, blocked: str | None
) -> None:
    assert blocked_reason(message, person, known, NOW) == blocked
