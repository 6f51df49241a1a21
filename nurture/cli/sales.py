"""`nurture sales pool|claim|accept|reject|reps|sla|deliveries|redeliver`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from sqlalchemy.orm import Session

from nurture.cli.common import UserError, instant, runtime
from nurture.cli.dispatch import deliver
from nurture.db import after_commit, unit_of_work
from nurture.handoff import listing
from nurture.handoff.pool import Sales, SalesError, accept, claim, find_open, reject
from nurture.handoff.sla import check_sla
from nurture.models import Handoff
from nurture.runtime import Runtime
from nurture.scoring.loader import ScoringUnavailable

Action = Callable[[Session, Sales, Handoff], list[int]]


@contextmanager
def _sales() -> Iterator[tuple[Runtime, Sales]]:
    with runtime() as rt:
        try:
            rules = rt.scoring().require()
        except ScoringUnavailable as error:
            raise UserError(f"scoring.yaml is invalid:\n{error}") from None
        yield rt, Sales(rules, rt.clock.now(), rt.settings.count_machine_engagement)


def _act(email: str, action: Action) -> None:
    with _sales() as (rt, sales), unit_of_work(rt.sessions) as session:
        try:
            ids = action(session, sales, find_open(session, email=email))
        except SalesError as error:
            raise UserError(str(error)) from None
        after_commit(session, lambda: deliver(rt, ids))


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "-"


@click.group()
def sales() -> None:
    """Leads handed to sales: the pool, claims, accept and reject."""


@sales.command("pool")
def pool_command() -> None:
    """Leads waiting for a rep, the longest waiting first (! = past the SLA)."""
    with _sales() as (rt, sales_), unit_of_work(rt.sessions) as session:
        entries = listing.pool(session)
    for entry in entries:
        flag = "!" if entry.overdue(sales_.now) else " "
        click.echo(
            f"{flag} {entry.email:<32} {entry.score:>3} {entry.temperature:<4} "
            f"{entry.stage:<4} {entry.country or '--'}  since {_when(entry.since)}  "
            f"{entry.reason}" + (f"  recalled {entry.recalls}x" if entry.recalls else "")
        )
    click.echo(f"{len(entries)} lead(s) in the pool")


@sales.command("claim")
@click.argument("email")
@click.option("--rep", required=True, help="The rep taking the lead (id in scoring.yaml).")
def claim_command(email: str, rep: str) -> None:
    """Take a lead from the pool."""
    _act(email, lambda session, s, handoff: claim(session, s, handoff, rep))
    click.echo(f"{email} is {rep}'s now: accept or reject it within the SLA")


@sales.command("accept")
@click.argument("email")
@click.option("--rep", help="Who accepts (required for a lead still in the pool).")
def accept_command(email: str, rep: str | None) -> None:
    """Accept a lead: sales works it from now on."""
    _act(email, lambda session, s, handoff: accept(session, s, handoff, rep))
    click.echo(f"{email} accepted")


@sales.command("reject")
@click.argument("email")
@click.option("--reason", required=True, help="Why (not_ready, not_a_fit, no_budget, …).")
@click.option("--rep", help="Who rejects it.")
def reject_command(email: str, reason: str, rep: str | None) -> None:
    """Give a lead back to nurture, with the reason (a scoring signal)."""
    _act(email, lambda session, s, handoff: reject(session, s, handoff, reason, rep))
    click.echo(f"{email} rejected: back to nurture")


@sales.command("reps")
def reps_command() -> None:
    """The reps in scoring.yaml, their territory, capacity and open leads."""
    with _sales() as (rt, sales_), unit_of_work(rt.sessions) as session:
        lines = listing.reps(session, sales_.handoff)
    for line in lines:
        state = "active" if line.active else "inactive"
        capacity = line.max_open if line.max_open is not None else "∞"
        countries = ",".join(line.countries) if line.countries else "any country"
        last = line.load.last[0] if line.load.last[1] else None
        click.echo(
            f"{line.id:<16} {state:<8} open {line.load.open}/{capacity}  {countries}  "
            f"last assigned {_when(last)}  {line.name or ''}"
        )


@sales.command("sla")
@click.option("--now", callback=instant, help="The clock of this check (ISO 8601).")
def sla_command(now: datetime | None) -> None:
    """Recall leads nobody touched within the SLA (the scheduler does it every pass)."""
    with _sales() as (rt, sales_), unit_of_work(rt.sessions) as session:
        report = check_sla(session, sales_.handoff, now or sales_.now)
        ids = report.deliveries
        after_commit(session, lambda: deliver(rt, ids))
    for line in report.lines() or ["every hand-off is within its SLA"]:
        click.echo(line)


@sales.command("deliveries")
@click.option("--status", default="pending,failed", show_default=True)
def deliveries_command(status: str) -> None:
    """The webhook and owner-email delivery log."""
    statuses = [part.strip() for part in status.split(",") if part.strip()]
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        for row in listing.deliveries(session, statuses):
            click.echo(
                f"{row.public_id}  {row.status:<9} {row.channel:<7} {row.event:<14} "
                f"attempts {row.attempts}/{row.max_attempts}  "
                f"code {row.response_code or '-'}  {row.last_error or ''}"
            )


@sales.command("redeliver")
@click.argument("delivery_ids", nargs=-1, required=True)
def redeliver_command(delivery_ids: tuple[str, ...]) -> None:
    """Try failed deliveries again (by id, from `nurture sales deliveries`)."""
    with runtime() as rt:
        with unit_of_work(rt.sessions) as session:
            ids = listing.redeliver(session, list(delivery_ids), rt.wall_clock.now())
            after_commit(session, lambda: deliver(rt, ids))
        if len(ids) != len(delivery_ids):
            raise UserError(f"queued {len(ids)} of {len(delivery_ids)}: the others are not failed")
    click.echo(f"queued {len(ids)} delivery(ies) again")


def register(cli: click.Group) -> None:
    cli.add_command(sales)
