"""`nurture leads import FILE`, `nurture leads import-email [FILE.eml]`, `leads show`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import BinaryIO

import click
from tqdm import tqdm

from nurture.campaigns.purposes import load_purposes, wording_hash
from nurture.cli.common import UserError, runtime
from nurture.cli.dispatch import send_mail
from nurture.cli.leadmail import MAX_MAIL, mail_import
from nurture.cli.leadview import describe
from nurture.db import after_commit, unit_of_work
from nurture.leads.importer import ConcurrentChanges, ImportConsent, Importer, ImportSummary
from nurture.leads.service import UnknownLead, get_lead
from nurture.leads.sources import UnreadableFile, open_table
from nurture.runtime import Runtime


def _consent(
    settings_dir: Path, purpose: str | None, basis: str | None, proof: str | None
) -> ImportConsent | None:
    if purpose is None and basis is None and proof is None:
        return None
    if purpose is None or basis is None or proof is None:
        raise click.UsageError("--purpose, --basis and --proof go together")
    if not proof.strip():
        raise click.UsageError("--proof must say where the consent was obtained")
    purposes = load_purposes(settings_dir)
    declared = purposes.get(purpose)
    if declared is None:
        raise UserError(f"unknown purpose {purpose!r}: declare it in campaigns/purposes.yaml")
    wording = purposes.wording(purpose, "en")
    return ImportConsent(purpose, basis, proof, wording, wording_hash(wording))


def _source(_context: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Checked before anything is read: PostgreSQL would refuse it mid-import."""
    from sqlalchemy import String

    from nurture.models import Lead

    column_type = Lead.__table__.c.source.type
    longest = column_type.length if isinstance(column_type, String) and column_type.length else 100
    if value is not None and not 0 < len(value.strip()) <= longest:
        raise click.BadParameter(f"must be 1 to {longest} characters")
    return value.strip() if value is not None else None


def _write_rejects(path: Path, summary: ImportSummary) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "email", "reason"])
        for reject in summary.rejects:
            writer.writerow([reject.row, _safe_cell(reject.email), reject.reason])


def _safe_cell(value: str) -> str:
    """Spreadsheets execute cells starting with = + - @ (CSV injection): neutralise them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _print_summary(summary: ImportSummary, rejects_path: Path | None) -> None:
    click.echo(
        f"created {summary.created}, updated {summary.updated}, unchanged {summary.unchanged}, "
        f"merged duplicates {summary.duplicates}, consent recorded {summary.consents}, "
        f"rejected {summary.rejected}"
    )
    if summary.notice_ids:
        click.echo(
            f"art. 14 notices queued {len(summary.notice_ids)}: campaign mail to these leads "
            "waits until their notice is sent"
        )
    for reason, count in summary.reasons().most_common():
        click.echo(f"  rejected {count}: {reason}")
    if rejects_path is not None:
        click.echo(f"rejected rows and reasons: {rejects_path}")


def _waiting() -> None:
    tqdm.write("another import is running: this one starts when it has finished", sys.stderr)


def _import(rt: Runtime, file: Path, importer: Importer) -> ImportSummary:
    """One unit of work, with a progress bar (rate and time left); the art. 14 notices
    are enqueued once it committed."""
    try:
        table = open_table(file)
        with (
            tqdm(total=table.total, unit="rows", file=sys.stderr, disable=None) as bar,
            unit_of_work(rt.sessions) as session,
        ):
            summary = importer.run(session, table, bar.update, _waiting)
            notices, updates = summary.notice_ids, summary.crm_updates
            after_commit(session, lambda: send_mail(rt, notices))
            if updates:
                after_commit(session, lambda: rt.actors.enqueue_deliveries(updates))
    except (UnreadableFile, ConcurrentChanges) as error:
        raise UserError(f"{error}; nothing was imported") from None
    return summary


@click.group()
def leads() -> None:
    """The prospect file."""


@leads.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--source", callback=_source, help="Acquisition channel recorded on new leads.")
@click.option("--purpose", help="Consent purpose to record for every row.")
@click.option("--basis", type=click.Choice(["consent", "legitimate_interest"]))
@click.option("--proof", help="Where the consent was obtained (kept in the ledger).")
@click.option(
    "--rejects",
    type=click.Path(path_type=Path),
    help="Where to write rejected rows [default: FILE.rejects.csv].",
)
def import_command(
    file: Path,
    source: str | None,
    purpose: str | None,
    basis: str | None,
    proof: str | None,
    rejects: Path | None,
) -> None:
    """Import leads from a CSV (header row) or .xlsx file."""
    with runtime() as rt:
        consent = _consent(rt.settings.campaigns_dir, purpose, basis, proof)
        summary = _import(
            rt, file, Importer(source, consent, rt.settings.suppression_key, rt.clock.now())
        )
    rejects_path = None
    if summary.rejects:
        rejects_path = rejects or file.with_name(file.name + ".rejects.csv")
        _write_rejects(rejects_path, summary)
    _print_summary(summary, rejects_path)


@leads.command("import-email")
@click.argument("file", type=click.File("rb"), default="-")
@click.option(
    "--source", callback=_source, help="Acquisition channel [default: email:<vendor domain>]."
)
@click.option("--purpose", help="Consent purpose to record for the lead.")
@click.option("--basis", type=click.Choice(["consent", "legitimate_interest"]))
@click.option("--proof", help="How the vendor obtained consent (kept in the ledger).")
def import_email(
    file: BinaryIO,
    source: str | None,
    purpose: str | None,
    basis: str | None,
    proof: str | None,
) -> None:
    """Import a lead delivered by email (a .eml file, or stdin for a mail alias pipe)."""
    with runtime() as rt:
        consent = _consent(rt.settings.campaigns_dir, purpose, basis, proof)
        message = mail_import(rt, file.read(MAX_MAIL), consent, source)
    click.echo(message)


@leads.command("show")
@click.argument("email")
def show(email: str) -> None:
    """A lead, its score, temperature, stage and owner, and why: the score ledger."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        try:
            lead = get_lead(session, email)
        except UnknownLead as error:
            raise UserError(str(error)) from None
        lines = describe(session, lead)
    click.echo("\n".join(lines))


def register(cli: click.Group) -> None:
    cli.add_command(leads)
