"""`nurture preview CAMPAIGN STEP [--lead EMAIL] [--html|--text|--eml]`."""

from __future__ import annotations

import sys

import click

from nurture.cli.common import UserError, runtime
from nurture.db import unit_of_work
from nurture.sending.compose import MissingPostalAddress
from nurture.sending.preview import PreviewError, preview_step


def register(cli: click.Group) -> None:
    @cli.command()
    @click.argument("campaign_id", metavar="CAMPAIGN")
    @click.argument("step_id", metavar="STEP")
    @click.option("--lead", "email", help="A real lead's address [default: the sample lead].")
    @click.option("--html", "part", flag_value="html", help="Only the HTML part.")
    @click.option("--text", "part", flag_value="text", help="Only the text part.")
    @click.option("--eml", "part", flag_value="eml", help="The whole message as sent (RFC 5322).")
    def preview(campaign_id: str, step_id: str, email: str | None, part: str | None) -> None:
        """The exact message a lead would receive for a step, headers included."""
        with runtime() as rt, unit_of_work(rt.sessions) as session:
            try:
                shown = preview_step(
                    session,
                    rt.sender.composer,
                    rt.campaigns(),
                    campaign_id,
                    step_id,
                    now=rt.clock.now(),
                    email=email,
                )
            except (PreviewError, MissingPostalAddress) as error:
                raise UserError(str(error)) from None
            session.rollback()  # a preview changes nothing, even a tracked flag
        if part == "eml":
            sys.stdout.buffer.write(shown.eml)
            return
        click.echo(
            {"html": shown.mail.html, "text": shown.mail.text}.get(part or "", shown.readable())
        )
        who = "the sample lead" if shown.sample else email
        click.echo(
            f"(for {who}; Message-ID from a placeholder row: a real send derives it from the "
            "message row)",
            err=True,
        )
