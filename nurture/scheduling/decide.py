"""The scheduling decision for one enrolment at one instant: pure, no clock reads.

The checks run in this order, and the order is the policy:

a. consent withdrawn or address suppressed → Exit. First, because nothing may be sent
   without them, and a lead who withdraws while waiting for a step leaves at once rather
   than lingering until the step is due.
b. an exit rule holds → Exit(reason), for the same reason: a lead who converted on day 1
   leaves now, not when the day-7 step comes due.
c. processing restricted (GDPR art. 18) → Wait a day and look again; paused → Wait until
   the pause ends; the art. 14 notice of an imported business contact not sent yet →
   Wait a few minutes (it goes out first, as a transactional mail). These hold the lead
   without ending the campaign.
d. no step left → Complete.
e. the next step is not due (anchor + after) → Wait until it is.
f. its `if:` does not hold → Skip, naming the failed condition; the caller records the
   skip and calls decide again for the following step.
g. outside the send window in the lead's time zone → Wait for the next opening. This
   comes after the `if:` check so a skip is not delayed to office hours.
h. otherwise → Send.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from nurture.campaigns.schema import Campaign, Step
from nurture.scheduling.conditions import exit_reason, failed_condition
from nurture.scheduling.steps import next_step
from nurture.scheduling.views import Complete, Decision, Exit, Send, Situation, Skip, Wait
from nurture.scheduling.windows import in_window, next_opening, resolve_timezone

# How soon a restricted lead is looked at again; lifting a restriction is a manual act.
RESTRICTED_RECHECK = timedelta(days=1)
# The art. 14 notice is queued with the import and normally sent within seconds.
NOTICE_RECHECK = timedelta(minutes=10)


def decide(campaign: Campaign, situation: Situation, now: datetime) -> Decision:
    """What to do with this enrolment at `now` (aware); see the module docstring."""
    return _stop(campaign, situation) or _hold(situation, now) or _advance(campaign, situation, now)


def _stop(campaign: Campaign, situation: Situation) -> Exit | None:
    if not situation.consented:
        return Exit("consent_withdrawn")
    if situation.suppressed:
        return Exit("suppressed")
    reason = exit_reason(campaign.exit, situation)
    return Exit(reason) if reason else None


def _hold(situation: Situation, now: datetime) -> Wait | None:
    lead = situation.lead
    if lead.restricted:
        return Wait(now + RESTRICTED_RECHECK, "restricted")
    if lead.paused_until is not None and lead.paused_until > now:
        return Wait(lead.paused_until, "paused")
    if lead.awaiting_notice:
        return Wait(now + NOTICE_RECHECK, "art. 14 notice not sent yet")
    return None


def _advance(campaign: Campaign, situation: Situation, now: datetime) -> Decision:
    step = _next(campaign, situation)
    if step is None:
        return Complete()
    due = situation.enrolment.anchor + step.after
    if now < due:
        return Wait(due)
    failed = failed_condition(step.if_, situation, campaign.id) if step.if_ else None
    if failed:
        return Skip(step.id, failed)
    tz = resolve_timezone(situation.lead.timezone, campaign.window)
    if not in_window(now, campaign.window, tz):
        return Wait(next_opening(now, campaign.window, tz), "outside window")
    return Send(step.id)


def _next(campaign: Campaign, situation: Situation) -> Step | None:
    step_id = next_step(campaign.step_ids, situation.enrolment.steps_done)
    return campaign.step(step_id) if step_id else None
