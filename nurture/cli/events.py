"""`nurture events add EMAIL TYPE [--at ISO8601] [--data JSON] [--campaign ID [--step ID]]`."""

from __future__ import annotations

import json
from datetime import datetime

import click

from nurture.cli.common import UserError, instant, runtime
from nurture.cli.dispatch import rescore
from nurture.db import after_commit, unit_of_work
from nurture.leads.events import BadEventType, check_external_event_type, record_event
from nurture.leads.fields import FieldError, check_finite
from nurture.leads.reported import attribution, check_not_future
from nurture.leads.service import UnknownLead, get_lead


def _data(text: str | None) -> dict[str, object]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"--data is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise UserError("--data must be a JSON object, like '{\"minutes\": 20}'")
    return value


@click.group()
def events() -> None:
    """Behaviour events."""


@events.command("add")
@click.argument("email")
@click.argument("event_type", metavar="TYPE")
@click.option("--at", callback=instant, help="When it happened (ISO 8601) [default: now].")
@click.option("--data", help="Extra details as a JSON object.")
@click.option("--campaign", help="The campaign it came from (a loaded campaign's id).")
@click.option("--step", help="The step of --campaign it came from.")
def add(
    email: str,
    event_type: str,
    at: datetime | None,
    data: str | None,
    campaign: str | None,
    step: str | None,
) -> None:
    """Record a behaviour event (call_completed, meeting_no_show, converted, ...)."""
    details = _data(data)
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        now = rt.clock.now()
        try:
            check_external_event_type(event_type)
            campaign_id, step_id = attribution(rt.campaigns(), campaign, step)
            lead = get_lead(session, email)
            occurred_at = now if at is None else check_not_future(at, now)
            check_finite(details, "data")
        except (UnknownLead, BadEventType) as error:
            raise UserError(str(error)) from None
        except FieldError as error:
            option = {"occurred_at": "at"}.get(error.field, error.field.split(".")[0])
            raise UserError(f"--{option}: {error.message}") from None
        record_event(
            session,
            lead,
            event_type,
            occurred_at=occurred_at,
            source="cli",
            campaign_id=campaign_id,
            step_id=step_id,
            data=details,
        )
        lead_id = lead.id
        after_commit(session, lambda: rescore(rt, [lead_id]))
    click.echo(f"recorded {event_type}")


def register(cli: click.Group) -> None:
    cli.add_command(events)
