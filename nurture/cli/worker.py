"""`nurture worker [--processes N --threads M]`: Dramatiq's own worker on our actors."""

from __future__ import annotations

import os
import sys

import click

from nurture.cli.common import UserError
from nurture.config import load_settings


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--processes", "-p", default=1, show_default=True, type=click.IntRange(1))
    @click.option("--threads", "-t", default=8, show_default=True, type=click.IntRange(1))
    def worker(processes: int, threads: int) -> None:
        """Send queued messages (needs NURTURE_REDIS_URL; `nurture demo` runs in-process)."""
        settings = load_settings()
        if not settings.redis_url:
            raise UserError(
                "NURTURE_REDIS_URL is not set: workers in separate processes need Redis "
                "(the embedded broker lives inside one process: use `nurture demo`)"
            )
        if not settings.postal_address:
            raise UserError("NURTURE_POSTAL_ADDRESS is required for sending: set it first")
        # Dramatiq's CLI does process supervision, signals and graceful shutdown well.
        argv = [
            sys.executable,
            "-m",
            "dramatiq",
            "nurture.worker_main",
            "--processes",
            str(processes),
            "--threads",
            str(threads),
        ]
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process by design
