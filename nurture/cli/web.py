"""`nurture web [--host --port]`: the development server (production: gunicorn wsgi:app)."""

from __future__ import annotations

import click

from nurture.web import create_app


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    def web(host: str, port: int) -> None:
        """Serve the web app (development server)."""
        create_app().run(host=host, port=port)
