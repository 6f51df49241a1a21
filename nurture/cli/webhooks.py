"""`nurture webhooks add|list|remove|rotate-secret|deliveries|redeliver`."""

from __future__ import annotations

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nurture.cli.common import UserError, runtime
from nurture.db import after_commit, unit_of_work
from nurture.models import WebhookDelivery, WebhookSubscription
from nurture.webhooks import subscriptions
from nurture.webhooks.dispatch import redeliver
from nurture.webhooks.events import WEBHOOK_EVENTS


def _events(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@click.group()
def webhooks() -> None:
    """Signed POSTs to other systems when leads are created, consent changes, …"""


@webhooks.command("add")
@click.argument("url")
@click.option("--events", required=True, help=f"Comma-separated: {', '.join(WEBHOOK_EVENTS)}.")
@click.option("--description", help="What receives it (for the list).")
def add(url: str, events: str, description: str | None) -> None:
    """Subscribe URL; prints the signing secret once."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        try:
            row = subscriptions.add(session, url, _events(events), description)
        except subscriptions.SubscriptionError as error:
            raise UserError(str(error)) from None
        click.echo(f"subscription {row.public_id}: {row.url} ← {', '.join(row.events)}")
        click.echo(f"signing secret (shown once, keep it with the receiver): {row.secret}")


@webhooks.command("list")
def list_subscriptions() -> None:
    """Subscriptions with their event types and delivery counts."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        for row in subscriptions.listing(session):
            counts = _counts(session, row)
            state = "" if row.active else "  (removed)"
            click.echo(f"{row.public_id}  {row.url}  {', '.join(row.events)}  {counts}{state}")


@webhooks.command("remove")
@click.argument("subscription_id")
def remove(subscription_id: str) -> None:
    """Stop deliveries to a subscription (its log is kept)."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        try:
            row = subscriptions.remove(session, subscription_id)
        except subscriptions.SubscriptionError as error:
            raise UserError(str(error)) from None
        click.echo(f"removed {row.public_id} ({row.url})")


@webhooks.command("rotate-secret")
@click.argument("subscription_id")
def rotate(subscription_id: str) -> None:
    """A new signing secret; deliveries from now on are signed with it."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        try:
            secret = subscriptions.rotate(session, subscription_id)
        except subscriptions.SubscriptionError as error:
            raise UserError(str(error)) from None
        click.echo(f"new signing secret (shown once): {secret}")


@webhooks.command("deliveries")
@click.option("--status", type=click.Choice(["pending", "delivered", "failed"]))
@click.option("--limit", default=50, show_default=True)
def deliveries(status: str | None, limit: int) -> None:
    """The delivery log, newest first."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
        if status:
            query = query.where(WebhookDelivery.status == status)
        for row in session.scalars(query):
            click.echo(
                f"{row.public_id}  {row.event:<16} {row.status:<9} attempts={row.attempts} "
                f"code={row.response_code or '-'}  {row.last_error or ''}"
            )


@webhooks.command("redeliver")
@click.argument("delivery_ids", nargs=-1, required=True)
def redeliver_command(delivery_ids: tuple[str, ...]) -> None:
    """Try failed deliveries again (by delivery id)."""
    with runtime() as rt:
        with unit_of_work(rt.sessions) as session:
            ids = redeliver(session, list(delivery_ids), rt.wall_clock.now())
            after_commit(session, lambda: rt.actors.enqueue_webhooks(ids))
        if len(ids) != len(delivery_ids):
            raise UserError(f"queued {len(ids)} of {len(delivery_ids)}: the others are not failed")
        click.echo(f"queued {len(ids)} deliveries again")


def register(cli: click.Group) -> None:
    cli.add_command(webhooks)


def _counts(session: Session, row: WebhookSubscription) -> str:
    found = dict(
        session.execute(
            select(WebhookDelivery.status, func.count())
            .where(WebhookDelivery.subscription_id == row.id)
            .group_by(WebhookDelivery.status)
        ).all()
    )
    return ", ".join(
        f"{status} {found.get(status, 0)}" for status in ("delivered", "pending", "failed")
    )
