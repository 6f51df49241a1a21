"""`nurture campaigns validate|list|resume`."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from nurture.campaigns.validate import validate_paths
from nurture.cli.common import UserError, runtime
from nurture.config import load_settings
from nurture.db import unit_of_work
from nurture.engine.campaign_state import resume_campaign
from nurture.models import CampaignState, Enrolment


@click.group()
def campaigns() -> None:
    """Campaign files and their state."""


@campaigns.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check campaign, purposes and scoring files; render every step."""
    problems = validate_paths(list(paths) or None, load_settings())
    for problem in problems:
        click.echo(str(problem))
    if problems:
        raise SystemExit(1)
    click.echo("all campaign files are valid")


@campaigns.command("list")
def list_campaigns() -> None:
    """Id, purpose, steps, and enrolled/active/completed counts."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        loaded = rt.campaigns()
        counts: dict[tuple[str, str], int] = {
            (cid, status): n
            for cid, status, n in session.execute(
                select(Enrolment.campaign_id, Enrolment.status, func.count()).group_by(
                    Enrolment.campaign_id, Enrolment.status
                )
            )
        }
        paused = dict(
            session.execute(
                select(CampaignState.campaign_id, CampaignState.pause_reason).where(
                    CampaignState.paused
                )
            ).all()
        )
    click.echo(
        f"{'id':<24} {'purpose':<16} {'steps':>5} {'enrolled':>8} {'active':>6} "
        f"{'completed':>9} {'exited':>6}"
    )
    for cid, item in sorted(loaded.campaigns.items()):
        total = sum(n for (c, _), n in counts.items() if c == cid)
        line = (
            f"{cid:<24} {item.campaign.purpose:<16} {len(item.campaign.steps):>5} "
            f"{total:>8} {counts.get((cid, 'active'), 0):>6} "
            f"{counts.get((cid, 'completed'), 0):>9} {counts.get((cid, 'exited'), 0):>6}"
        )
        if cid in paused:
            line += f"  PAUSED: {paused[cid]}"
        click.echo(line)
    for problem in loaded.problems:
        click.echo(f"not loaded: {problem}", err=True)


@campaigns.command()
@click.argument("campaign_id")
def resume(campaign_id: str) -> None:
    """Resume a campaign that paused itself (policy refusal, repeated errors)."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        if not resume_campaign(session, campaign_id):
            raise UserError(f"campaign {campaign_id!r} is not paused")
    click.echo(f"{campaign_id} resumed: its queued messages go out on the next pass")


def register(cli: click.Group) -> None:
    cli.add_command(campaigns)
