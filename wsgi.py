"""Production entry point: `gunicorn wsgi:app`."""

from nurture.web import create_app

app = create_app()
