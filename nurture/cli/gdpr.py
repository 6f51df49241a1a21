"""`nurture gdpr export|erase|purge|record`: data-subject rights and retention, by an operator."""

from __future__ import annotations

import json
from datetime import timedelta

import click

from nurture.audit import audit
from nurture.campaigns.purposes import load_purposes
from nurture.cli import erasure_notices
from nurture.cli.common import UserError, runtime
from nurture.cli.dispatch import notify_erasure
from nurture.db import unit_of_work
from nurture.gdpr.erase import erase_lead
from nurture.gdpr.export import export_lead
from nurture.gdpr.purge import Retention, purge
from nurture.gdpr.record import as_text, processing_record
from nurture.leads.events import record_event
from nurture.leads.service import UnknownLead, get_lead


@click.group()
def gdpr() -> None:
    """Data-subject requests and the retention policy."""


@gdpr.command("export")
@click.argument("email")
def export(email: str) -> None:
    """Everything held about EMAIL, as JSON on stdout (art. 15 and 20)."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        try:
            lead = get_lead(session, email)
        except UnknownLead as error:
            raise UserError(str(error)) from None
        data = export_lead(session, lead, rt.settings.suppression_key, rt.clock.now())
        record_event(session, lead, "data_exported", occurred_at=rt.clock.now(), source="cli")
        audit(session, "operator", "data_exported", via="cli", format="json")
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@gdpr.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email: str, yes: bool) -> None:
    """Erase EMAIL (art. 17): only a keyed hash stays, on the suppression list."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        try:
            lead = get_lead(session, email)
        except UnknownLead as error:
            raise UserError(str(error)) from None
        if not yes:
            click.confirm(f"Erase every record of {email}? This cannot be undone", abort=True)
        cancelled = erase_lead(
            session,
            lead,
            rt.settings.suppression_key,
            rt.clock.now(),
            actor="operator",
            via="cli",
            notify=lambda ids: notify_erasure(rt, ids),
        )
    click.echo(f"erased; {cancelled} queued message(s) cancelled; the address stays suppressed")


@gdpr.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
def purge_command(dry_run: bool) -> None:
    """Apply the retention policy (NURTURE_CONFIRM_DAYS, NURTURE_RETAIN_*_DAYS)."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        s = rt.settings
        retention = Retention(
            unconfirmed=timedelta(days=s.confirm_days),
            tracking=timedelta(days=s.retain_tracking_days),
            inactive=timedelta(days=s.retain_inactive_days),
            count_machines=s.count_machine_engagement,
        )
        report = purge(
            session,
            retention,
            s.suppression_key,
            rt.clock.now(),
            dry_run=dry_run,
            notify=lambda ids: notify_erasure(rt, ids),
        )
        if dry_run:
            session.rollback()
    verb = "would purge" if dry_run else "purged"
    for category, count in report.items():
        click.echo(f"{verb} {count} {category.replace('_', ' ')}")


erasure_notices.register(gdpr)  # notices, redeliver: the art. 19 log


@gdpr.command("record")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def record(as_json: bool) -> None:
    """The record of processing activities (art. 30), from purposes and campaigns."""
    with runtime() as rt:
        purposes = load_purposes(rt.settings.campaigns_dir)
        data = processing_record(purposes, rt.campaigns(), rt.settings)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if as_json else as_text(data))


def register(cli: click.Group) -> None:
    cli.add_command(gdpr)
