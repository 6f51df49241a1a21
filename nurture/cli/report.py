"""`nurture report [CAMPAIGN] [--json]`."""

from __future__ import annotations

import json

import click

from nurture.cli.common import UserError, runtime


def register(cli: click.Group) -> None:
    @cli.command()
    @click.argument("campaign_id", metavar="[CAMPAIGN]", required=False)
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def report(campaign_id: str | None, as_json: bool) -> None:
        """Campaign funnels per step, and leads by temperature, stage and source.

        Per step: sent, delivered, opened and clicked (people and machines apart),
        unsubscribed, bounced and converted, with rates; then which acquisition channel
        produced customers."""
        # Here, not at the top: the reports bring SQLAlchemy and the campaign loader
        # (a third of a second), which `nurture report --help` has no use for.
        from nurture.reports.render import to_table
        from nurture.reports.service import UnknownCampaign, build_report

        with runtime() as rt, rt.sessions() as session:
            try:
                built = build_report(session, rt.campaigns(), campaign_id)
            except UnknownCampaign as error:
                raise UserError(str(error)) from None
        click.echo(json.dumps(built.to_json(), indent=2) if as_json else to_table(built))
