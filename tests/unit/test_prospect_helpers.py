"""Pure helpers of the prospect side: texts, brand colour, CSV cells, log redaction."""

from __future__ import annotations

import logging
import re
import string

import pytest

from nurture.branding import BrandError, check_brand_color
from nurture.consent.tokens import Tokens
from nurture.gdpr.csvfile import safe_cell
from nurture.i18n import SUPPORTED, choose, translator
from nurture.i18n_texts import TEXTS
from nurture.web.redact import RedactTokens, redact


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_text_exists_in_both_languages_with_the_same_placeholders(key: str) -> None:
    """A text missing in Spanish, or with a different {placeholder}, fails here."""
    assert set(TEXTS[key]) == set(SUPPORTED)
    assert _fields(TEXTS[key]["en"]) == _fields(TEXTS[key]["es"])
    assert all(text.strip() for text in TEXTS[key].values())


@pytest.mark.parametrize(
    ("lead_locale", "accepted", "expected"),
    [
        ("es-MX", ["en"], "es"),
        ("fr", ["es-ES", "en"], "es"),
        (None, ["de", "en-GB"], "en"),
        (None, [], "en"),
        ("EN", ["es"], "en"),
    ],
)
def test_language_choice(lead_locale: str | None, accepted: list[str], expected: str) -> None:
    """The lead's locale first, then the browser's, then English."""
    assert choose(lead_locale, accepted) == expected


def test_translator_fills_placeholders() -> None:
    """Placeholders are filled in the chosen language."""
    assert translator("es")("prefs.pause.weeks", n=4) == "4 semanas"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("#1D4ED8", "#1d4ed8"), ("#000", "#000000"), ("#b91c1c", "#b91c1c")],
)
def test_brand_colours_that_pass(value: str, expected: str) -> None:
    """Hex colours dark enough for white text are accepted and normalised."""
    assert check_brand_color(value) == expected


@pytest.mark.parametrize("value", ["#ffff00", "#fff", "red", "#12345", "#1d4ed8;}body{x:y"])
def test_brand_colours_that_fail(value: str) -> None:
    """Pale colours (contrast below 4.5:1) and anything that is not a hex colour."""
    with pytest.raises(BrandError):
        check_brand_color(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1+1", "'  =1+1"),
        ("\t=1", "'\t=1"),
        ("Ana", "Ana"),
        (None, ""),
        (["a", "b"], '["a", "b"]'),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, expected: str) -> None:
    """OWASP CSV injection: formula starts get a leading apostrophe."""
    assert safe_cell(value) == expected


def test_redact_removes_tokens_from_paths() -> None:
    """Every link prefix and any token-shaped segment elsewhere."""
    token = Tokens(("k",)).sign("preferences", "lead-public-id")
    lines = [
        f'"GET /p/{token} HTTP/1.1" 200',
        f'"POST /my-data/{token}/export.csv HTTP/1.1" 200',
        f'"GET /u/{token}/choose HTTP/1.1" 400',
        f'"GET /t/c/{token}?x=1 HTTP/1.1" 302',
        '"GET /erase/garbled-but-secret HTTP/1.1" 400',
    ]
    for line in lines:
        cleaned = redact(line)
        assert token not in cleaned
        assert "[token]" in cleaned
        assert "garbled-but-secret" not in cleaned
    assert redact('"GET /subscribe HTTP/1.1" 200') == '"GET /subscribe HTTP/1.1" 200'


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('"GET /admin/leads?q=ana.garcia%40example.com HTTP/1.1" 200 -', "ana.garcia"),
        ('"GET /admin/leads?q=Ana.Garcia@example.com&page=2 HTTP/1.1" 200 -', "Ana.Garcia"),
        ('"GET /admin/leads/Yq3L0x-Vb9_kW2mTz8PaQw HTTP/1.1" 200 -', "Yq3L0x-Vb9_kW2mTz8PaQw"),
        ('"GET /subscribe?email=luz%2Btest%40example.org HTTP/1.1" 200 -', "luz"),
    ],
)
def test_redact_removes_addresses_and_lead_ids(line: str, secret: str) -> None:
    """The dashboard links searches by address and lead pages by public id, and a form
    sent with GET puts the address in the query: none of them stays in an access log."""
    cleaned = redact(line)
    assert secret not in cleaned
    assert cleaned.startswith('"GET /')
    assert cleaned.endswith('HTTP/1.1" 200 -')


def test_the_filter_rewrites_formatted_records() -> None:
    """Arguments are merged before redaction: `%s` paths are caught too."""
    token = Tokens(("k",)).sign("unsubscribe", ["a", "b", None])
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"%s" %s', (f"POST /u/{token}", 200), None
    )
    assert RedactTokens().filter(record)
    assert token not in record.getMessage()
    assert re.search(r"/u/\[token\]", record.getMessage())
