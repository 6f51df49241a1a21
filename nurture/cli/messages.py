"""`nurture messages list|resend`: the outbox of failed and `unknown` messages."""

from __future__ import annotations

import click
from sqlalchemy import select

from nurture.cli.common import UserError, runtime
from nurture.cli.dispatch import send_mail
from nurture.db import after_commit, unit_of_work
from nurture.models import Message
from nurture.sending.resend import resend


@click.group()
def messages() -> None:
    """Inspect and resend messages."""


@messages.command("list")
@click.option(
    "--status",
    default="failed,unknown",
    show_default=True,
    help="Comma-separated statuses to show.",
)
@click.option("--limit", default=100, show_default=True)
def list_messages(status: str, limit: int) -> None:
    """Messages in the given states, newest first."""
    statuses = [s.strip() for s in status.split(",") if s.strip()]
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        rows = session.scalars(
            select(Message)
            .where(Message.status.in_(statuses))
            .order_by(Message.id.desc())
            .limit(limit)
        )
        for row in rows:
            click.echo(
                f"{row.public_id}  {row.status:<9} "
                f"{row.campaign_id or '-'}/{row.step_id or '-'}  "
                f"attempts={row.attempts}  {row.last_error or ''}"
            )


@messages.command("resend")
@click.argument("message_ids", nargs=-1, required=True)
def resend_command(message_ids: tuple[str, ...]) -> None:
    """Queue failed or `unknown` messages again (by public id). May duplicate an
    `unknown` one: its first attempt may have been delivered."""
    with runtime() as rt:
        with unit_of_work(rt.sessions) as session:
            ids = resend(session, list(message_ids), rt.wall_clock.now())
            after_commit(session, lambda: send_mail(rt, ids))
        if len(ids) != len(message_ids):
            raise UserError(
                f"queued {len(ids)} of {len(message_ids)}: the others are "
                "unknown ids or not failed/unknown"
            )
        click.echo(f"queued {len(ids)} message(s) again")


def register(cli: click.Group) -> None:
    cli.add_command(messages)
