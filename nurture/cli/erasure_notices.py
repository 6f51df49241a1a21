"""`nurture gdpr notices|redeliver`: the log of art. 19 erasure notices, and retries."""

from __future__ import annotations

import click
from sqlalchemy import select

from nurture.cli.common import UserError, runtime
from nurture.cli.dispatch import notify_erasure
from nurture.db import after_commit, unit_of_work
from nurture.gdpr.notice_log import redeliver
from nurture.models import ErasureNotice
from nurture.models.erasure import ERASURE_NOTICE_STATUSES


def register(gdpr: click.Group) -> None:
    @gdpr.command("notices")
    @click.option("--status", type=click.Choice(ERASURE_NOTICE_STATUSES))
    @click.option("--limit", default=50, show_default=True)
    def notices(status: str | None, limit: int) -> None:
        """Erasure notices to the CRM and webhook subscribers (art. 19), newest first."""
        with runtime() as rt, unit_of_work(rt.sessions) as session:
            query = select(ErasureNotice).order_by(ErasureNotice.id.desc()).limit(limit)
            if status:
                query = query.where(ErasureNotice.status == status)
            for row in session.scalars(query):
                click.echo(
                    f"{row.public_id}  {row.channel:<7} {row.status:<9} "
                    f"attempts={row.attempts} code={row.response_code or '-'}  {row.target}  "
                    f"{row.last_error or ''}".rstrip()
                )

    @gdpr.command("redeliver")
    @click.argument("notice_ids", nargs=-1, required=True)
    def redeliver_command(notice_ids: tuple[str, ...]) -> None:
        """Try failed erasure notices again (by id, from `nurture gdpr notices`)."""
        with runtime() as rt:
            with unit_of_work(rt.sessions) as session:
                ids = redeliver(session, notice_ids, rt.wall_clock.now())
                after_commit(session, lambda: notify_erasure(rt, ids))
            if len(ids) != len(notice_ids):
                raise UserError(
                    f"queued {len(ids)} of {len(notice_ids)}: the others are not failed"
                )
            click.echo(f"queued {len(ids)} notices again")
