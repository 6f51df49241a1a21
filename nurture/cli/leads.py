"""`nurture leads import FILE`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
from tqdm import tqdm

from nurture.campaigns.purposes import load_purposes, wording_hash
from nurture.cli.common import UserError, runtime
from nurture.db import unit_of_work
from nurture.leads.importer import ImportConsent, Importer, ImportSummary
from nurture.leads.sources import UnreadableFile, open_table


def _consent(
    settings_dir: Path, purpose: str | None, basis: str | None, proof: str | None
) -> ImportConsent | None:
    if purpose is None and basis is None and proof is None:
        return None
    if purpose is None or basis is None or proof is None:
        raise click.UsageError("--purpose, --basis and --proof go together")
    purposes = load_purposes(settings_dir)
    declared = purposes.get(purpose)
    if declared is None:
        raise UserError(f"unknown purpose {purpose!r}: declare it in campaigns/purposes.yaml")
    wording = purposes.wording(purpose, "en")
    return ImportConsent(purpose, basis, proof, wording, wording_hash(wording))


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
        f"created {summary.created}, updated {summary.updated}, merged duplicates "
        f"{summary.duplicates}, consent recorded {summary.consents}, rejected {summary.rejected}"
    )
    for reason, count in summary.reasons().most_common():
        click.echo(f"  rejected {count}: {reason}")
    if rejects_path is not None:
        click.echo(f"rejected rows and reasons: {rejects_path}")


def register(cli: click.Group) -> None:
    @cli.group()
    def leads() -> None:
        """The prospect file."""

    @leads.command("import")
    @click.argument("file", type=click.Path(path_type=Path))
    @click.option("--source", help="Acquisition channel recorded on new leads.")
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
            try:
                table = open_table(file)
            except UnreadableFile as error:
                raise UserError(str(error)) from None
            importer = Importer(source, consent, rt.settings.suppression_key, rt.clock.now())
            with (
                tqdm(total=table.total, unit="rows", file=sys.stderr, disable=None) as bar,
                unit_of_work(rt.sessions) as session,
            ):
                summary = importer.run(session, table, bar.update)
        rejects_path = None
        if summary.rejects:
            rejects_path = rejects or file.with_name(file.name + ".rejects.csv")
            _write_rejects(rejects_path, summary)
        _print_summary(summary, rejects_path)
