"""Import throughput on PostgreSQL (issue 5's benchmark: at least 25,000 rows/s).

    .venv/bin/python -m bench.import [--rows 100000]

Writes a realistic CSV (Spanish headers, accents, ~40 company domains, a free column,
2% duplicates in other case, 1% invalid addresses), then times, on a fresh database:

1. the import with consent (`--purpose newsletter --basis consent --proof …`): leads,
   `lead_created` events, consent ledger rows, cached consent states and
   `consent_granted` events, committed — file reading and validation included;
2. the same file again (every lead unchanged: nothing is written);
3. the `nurture leads import` command end to end, as a user runs it (process start-up
   included), on another fresh database.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from bench.common import fresh_database
from bench.dataset import project_folder
from nurture.campaigns.purposes import load_purposes, wording_hash
from nurture.config import Settings
from nurture.db import unit_of_work
from nurture.leads.importer import ImportConsent, Importer, ImportSummary
from nurture.leads.sources import open_table
from nurture.models import ConsentRecord, Event, Lead
from nurture.runtime import Runtime

HEADERS = ["Correo electrónico", "Nombre", "Apellidos", "Empresa", "País", "Cargo", "Origen web"]
FIRST = ["José", "Begoña", "Íñigo", "María", "Núria", "Joan", "Lucía", "Andrés", "Ana", "Pau"]
LAST = ["Muñoz", "Peña", "Gómez", "Ibáñez", "Castaño", "Fernández", "García", "Soler"]
TITLES = ["Directora de marketing", "CEO", "Responsable de ventas", "", "Consultor"]


def write_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        for i in range(rows):
            email = f"contacto{i}@empresa{i % 41}.example.com"
            if i % 50 == 49:  # a duplicate of an earlier row, in capitals
                email = f"contacto{i - 7}@EMPRESA{(i - 7) % 41}.example.com"
            if i % 100 == 37:
                email = f"contacto{i}(at)empresa.example.com"
            writer.writerow(
                [
                    email,
                    FIRST[i % len(FIRST)],
                    LAST[i % len(LAST)],
                    f"Empresa {i % 41} S.L.",
                    "ES",
                    TITLES[i % len(TITLES)],
                    f"landing-{i % 12}",
                ]
            )


def backend_cpu(pid: int) -> float:
    """CPU seconds used by a PostgreSQL backend on this machine (0 if not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_import(rt: Runtime, path: Path, consent: ImportConsent) -> tuple[float, ImportSummary]:
    """Wall time, plus the CPU time of this process and of the database backends (the
    import writes through two connections): on a shared machine the wall time includes
    waiting for other people's work."""
    started, cpu = time.perf_counter(), time.process_time()
    table = open_table(path)
    with unit_of_work(rt.sessions) as session:
        before = backends_cpu(rt)
        summary = Importer("bench", consent, "bench-key", datetime.now(UTC)).run(session, table)
        after = backends_cpu(rt)
    seconds = time.perf_counter() - started
    python = time.process_time() - cpu
    backend = sum(used - before.get(pid, 0.0) for pid, used in after.items())
    print(f"  cpu: python {python:.2f} s + postgres backends {backend:.2f} s, overlapped")
    return seconds, summary


def backends_cpu(rt: Runtime) -> dict[int, float]:
    """CPU seconds so far of every backend connected to the benchmark's database."""
    with rt.engine.connect() as connection:
        pids = connection.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        )
        return {pid: backend_cpu(pid) for pid in pids}


def counts(rt: Runtime) -> str:
    with unit_of_work(rt.sessions) as session:
        leads = session.scalar(select(func.count()).select_from(Lead))
        records = session.scalar(select(func.count()).select_from(ConsentRecord))
        events = session.scalar(select(func.count()).select_from(Event))
    return f"{leads} leads, {records} consent records, {events} events"


def describe(label: str, seconds: float, summary: ImportSummary) -> None:
    print(
        f"{label}: {summary.rows} rows in {seconds:.2f} s = {summary.rows / seconds:,.0f} rows/s "
        f"(created {summary.created}, updated {summary.updated}, unchanged {summary.unchanged}, "
        f"duplicates {summary.duplicates}, consents {summary.consents}, "
        f"rejected {summary.rejected})"
    )


def cli_import(url: str, path: Path, workdir: Path) -> float:
    env = {
        **os.environ,
        "NURTURE_DATABASE_URL": url,
        "NURTURE_SECRET_KEYS": "bench-key",
        "NURTURE_SUPPRESSION_KEY": "bench-key",
        "NURTURE_CAMPAIGNS_DIR": str(workdir / "campaigns"),
        "NURTURE_INSTANCE_DIR": str(workdir / "instance"),
    }
    nurture = str(Path(sys.executable).with_name("nurture"))
    command = [nurture, "leads", "import", str(path), "--source", "bench"]
    command += ["--purpose", "newsletter", "--basis", "consent", "--proof", "benchmark list"]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = project_folder(Path(folder))
        path = workdir / "leads.csv"
        write_file(path, args.rows)
        wording = load_purposes(workdir / "campaigns").wording("newsletter", "en")
        consent = ImportConsent(
            "newsletter", "consent", "benchmark list", wording, wording_hash(wording)
        )
        with fresh_database("import") as url:
            rt = Runtime(
                Settings(database_url=url, secret_keys=("k",), suppression_key="bench-key")
            )
            seconds, summary = timed_import(rt, path, consent)
            describe("first import ", seconds, summary)
            print(f"  written: {counts(rt)}")
            seconds, summary = timed_import(rt, path, consent)
            describe("same file again", seconds, summary)
            print(f"  after: {counts(rt)}")
            rt.close()
        with fresh_database("import_cli") as url:
            seconds = cli_import(url, path, workdir)
            rate = args.rows / seconds
            print(f"`nurture leads import` end to end: {rate:,.0f} rows/s ({seconds:.2f} s)")


if __name__ == "__main__":
    main()
