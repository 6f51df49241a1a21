"""The art. 14 gate in the pure decision: held while the notice is unsent, never exited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nurture.scheduling.decide import NOTICE_RECHECK, decide
from nurture.scheduling.views import EnrolmentView, Exit, LeadView, Send, Situation, Wait
from tests.unit.test_decide import NOW, SERIES


@pytest.mark.parametrize(
    ("awaiting", "consented", "expected"),
    [
        (True, True, Wait(NOW + NOTICE_RECHECK, "art. 14 notice not sent yet")),
        (False, True, Send("hello")),
        # A withdrawal (an objection) still ends the enrolment at once, notice or not.
        (True, False, Exit("consent_withdrawn")),
    ],
)
def test_campaign_mail_waits_for_the_notice(
    awaiting: bool, consented: bool, expected: object
) -> None:
    """Step one is held while the notice is unsent; consent checks come first."""
    situation = Situation(
        enrolment=EnrolmentView(enrolled_at=NOW - timedelta(minutes=1)),
        lead=LeadView(awaiting_notice=awaiting),
        consented=consented,
    )
    assert decide(SERIES, situation, NOW) == expected
