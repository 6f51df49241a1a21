"""`nurture demo`: everything in one process on the embedded defaults."""

from __future__ import annotations

import logging

import click

from nurture.config import load_settings
from nurture.demo.run import Demo, demo_settings, run_forever, virtual_clock
from nurture.runtime import Runtime


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option(
        "--speed",
        default=2880.0,
        show_default=True,
        help="Virtual seconds per real second (2880: a day every 30 s).",
    )
    def demo(port: int, speed: float) -> None:
        """Web, scheduler and worker in one process with example campaigns and leads."""
        settings = demo_settings(load_settings(), port)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # keep the status lines readable
        runtime = Runtime(settings, clock=virtual_clock(speed))
        demo = Demo(runtime, port=port)
        leads = demo.prepare()
        demo.start()
        base = f"http://127.0.0.1:{port}"
        click.echo(f"""
nurture demo — {leads} sample leads, campaigns from {settings.campaigns_dir}/
  clock      one real second = {speed:g} virtual seconds (a 2-day wait takes {172800 / speed:.0f} s)
  outbox     {settings.outbox_dir}/  (every email as an .eml file: open one in your mail client)
  web        {base}/subscribe  (sign up: the confirmation mail lands in the outbox)
  dashboard  {base}/admin  (user admin, password {settings.admin_password})
  health     {base}/healthz
  database   {settings.database_url}
Press Ctrl+C to stop.
""")
        run_forever(demo)
