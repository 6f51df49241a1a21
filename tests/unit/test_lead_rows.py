"""Reading and cleaning import rows: encodings, delimiters, headers, addresses, merging."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from email_validator import EmailNotValidError, validate_email

from nurture.leads.bulk_stage import encode_attributes, public_ids
from nurture.leads.email import InvalidEmail, normalise_email
from nurture.leads.fields import CleanLead, FieldError, clean_lead
from nurture.leads.headers import map_columns
from nurture.leads.merge import changes, combine, new_lead_values
from nurture.leads.rows import RowCleaner, chunks, last_rows
from nurture.leads.sources import UnreadableFile, cell_value, decode, read_csv, sniff_delimiter
from nurture.models import new_public_id
from nurture.models.base import public_id_from

TEXT = "correo;nombre\nana@example.com;Begoña Muñoz\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8 (BOM)"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("latin-1"), "windows-1252"),
        (TEXT.encode("cp1252").replace(b"ana", "“ana”".encode("cp1252")), "windows-1252"),
        (b"\xef\xbb\xbf" + TEXT.encode("latin-1"), "windows-1252"),  # BOM glued on Latin-1
        (TEXT.encode("latin-1") + b"\x81", "latin-1"),  # not even Windows-1252
    ],
)
def test_decode_detects_the_encoding(data: bytes, encoding: str) -> None:
    """BOMs decide; valid UTF-8 is UTF-8; anything else is Windows-1252 or Latin-1."""
    text, found = decode(data)
    assert found == encoding
    assert "Begoña Muñoz" in text


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("email,name", ","),
        ("email;nombre;empresa", ";"),
        ("email\tname", "\t"),
        ("email|name", "|"),
        ("email", ","),
        ('"Apellidos, nombre";correo', ";"),  # a comma inside a quoted header
    ],
)
def test_delimiter_comes_from_the_header_row(header: str, delimiter: str) -> None:
    """The most frequent candidate in the header row, comma for a single column."""
    assert sniff_delimiter(header) == delimiter


def test_csv_rows_keep_line_numbers_and_skip_blank_lines() -> None:
    """Blank lines are not rows; a quoted cell may span lines; numbers are file lines."""
    data = b'\r\nemail;notes\r\na@example.com;"two\r\nlines"\r\n;\r\n\r\nb@example.com;x\r\n'
    table = read_csv(data, "list.csv")
    assert table.headers == ["email", "notes"]
    assert list(table.rows()) == [
        (4, ["a@example.com", "two\r\nlines"]),
        (7, ["b@example.com", "x"]),
    ]
    assert list(table.rows()) == list(table.rows())  # readable twice


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b"email\x00,name\n", "NUL bytes"),
        (b";;\n;\n", "the file is empty"),
        (b"\xff\xfe\x00", "not valid UTF-16"),
    ],
)
def test_unreadable_files_are_named_errors(data: bytes, message: str) -> None:
    """A broken file is one clear error, never a traceback."""
    with pytest.raises(UnreadableFile, match=message):
        list(read_csv(data, "list.csv").rows())


def test_csv_syntax_errors_name_the_line() -> None:
    """A cell longer than the csv module allows is reported with its line."""
    data = b"email,notes\na@example.com," + b"x" * (1024 * 1024 + 1) + b"\n"
    with pytest.raises(UnreadableFile, match="line 2"):
        list(read_csv(data, "list.csv").rows())


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        (None, ""),
        (600123123.0, 600123123),
        (1.5, 1.5),
        (datetime(2026, 3, 1, 10, 30), "2026-03-01T10:30:00"),
        (date(2026, 3, 1), "2026-03-01"),
        ("text", "text"),
        (True, True),
    ],
)
def test_spreadsheet_cells_read_as_a_person_would(cell: object, value: object) -> None:
    """Phones stored as numbers and dates come out as text, not floats or datetimes."""
    assert cell_value(cell) == value


def test_columns_map_by_position_with_aliases_and_attributes() -> None:
    """Aliases in English and Spanish; repeated fields and unnamed columns stay attributes,
    and a repeated header is numbered rather than overwritten."""
    headers = [" E-Mail ", "Nombre", "Correo", "Empresa", "", "Notas", "notas", "Teléfono"]
    assert map_columns(headers) == [
        "email",
        "first_name",
        "Correo",
        "company",
        "column 5",
        "Notas",
        "notas",
        "phone",
    ]
    assert map_columns(["email", "Notas", "Notas", "Notas", "Notas (2)"]) == [
        "email",
        "Notas",
        "Notas (2)",
        "Notas (3)",
        "Notas (2) (2)",
    ]


def test_row_cleaner_matches_clean_lead() -> None:
    """The importer's column-wise cleaner and the API's mapping cleaner agree."""
    headers = ["Correo", "Nombre", "País", "Etiquetas", "Notas", "Notas", "Zona horaria"]
    cells = [" ANA@Example.COM ", " Ana ", "es", "a, b", "x", "second", "Europe/Madrid"]
    cleaner = RowCleaner(headers)
    expected = clean_lead(
        {
            "email": "ANA@Example.COM",
            "first_name": "Ana",
            "country": "es",
            "tags": "a, b",
            "timezone": "Europe/Madrid",
            "attributes": {"Notas": "x", "Notas (2)": "second"},
        }
    )
    assert cleaner.clean(cells) == expected
    assert cleaner.clean(cells[:2]) == clean_lead({"email": "ana@example.com", "first_name": "Ana"})
    with pytest.raises(FieldError, match="country"):
        cleaner.clean(["ana@example.com", "Ana", "España"])


ADDRESSES = [
    "ana@example.com",
    "Ana.Garcia+news@Example.COM",
    "o'brien@example.ie",
    "x@sub.domain.example.org",
    "user@localhost",
    "user@example",
    "user@example.invalid",
    "user@-example.com",
    "user@exa_mple.com",
    "a..b@example.com",
    ".a@example.com",
    "a@b@example.com",
    '"quoted"@example.com',
    "José@bücher.de",
    "jose@xn--bcher-kva.de",
    "user@EXAMPLE.com ",
    "a" * 65 + "@example.com",
    "a@" + "b" * 250 + ".com",
    "user@123.123.123.123",
    "user@[127.0.0.1]",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_fast_path_agrees_with_email_validator(address: str) -> None:
    """The plain-ASCII shortcut accepts and normalises exactly as email_validator does."""
    try:
        expected: str | None = validate_email(
            address.strip(), check_deliverability=False
        ).normalized.lower()
    except EmailNotValidError:
        expected = None
    try:
        found: str | None = normalise_email(address)
    except InvalidEmail:
        found = None
    assert found == expected


def lead(**fields: object) -> CleanLead:
    clean = clean_lead({"email": "ana@example.com", **fields})
    return clean


def test_combining_rows_equals_applying_them_in_order() -> None:
    """Later values win, tags and attributes add up, and the first source stays."""
    first = lead(first_name="Ana", source="fair", tags="a", attributes={"x": 1, "y": 1})
    second = lead(first_name="Ana María", source="web", job_title="CTO", tags="b,a")
    second.attributes = {"y": 2}
    combined = combine(first, second)
    assert combined.fields == {"first_name": "Ana María", "source": "fair", "job_title": "CTO"}
    assert combined.tags == ["a", "b"]
    assert combined.attributes == {"x": 1, "y": 2}
    stored = new_lead_values(first, None)
    stored.update(changes(stored, second))
    assert stored == new_lead_values(combined, None)


def test_changes_are_only_what_differs() -> None:
    """A known lead keeps its source; equal values and known tags are no change."""
    current = new_lead_values(lead(first_name="Ana", tags="a"), "web")
    assert changes(current, lead(first_name="Ana", tags="a", source="fair")) == {}
    assert changes(current, lead(last_name="Peña")) == {"last_name": "Peña"}
    assert new_lead_values(lead(), "fair")["source"] == "fair"


def test_bulk_public_ids_look_like_new_public_id() -> None:
    """The bulk importer's ids have the format of `new_public_id` (22 URL-safe chars)."""
    ids = public_ids(1000)
    assert len(set(ids)) == 1000
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert all(len(i) == len(new_public_id()) == 22 and set(i) <= alphabet for i in ids)


@pytest.mark.parametrize("first_byte", [0xF8, 0xFB, 0x00, 0xFF])
def test_a_public_id_never_starts_like_a_command_line_option(first_byte: int) -> None:
    """0xF8-0xFB encode to a leading "-" (one id in 64): `webhooks remove -Xy…` would fail."""
    text = public_id_from(bytes([first_byte]) + bytes(15))
    assert len(text) == 22
    assert not text.startswith("-")


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"Origen web": "landing-3"},
        {"Notas": 'dice "hola"\\ y\tadiós\n', "ñ": "€ \u2028 \x01"},
        {"visits": 3, "ratio": 0.5, "vip": True, "note": "x"},
    ],
)
def test_staged_attributes_are_json_as_the_encoder_writes_it(attributes: dict[str, object]) -> None:
    """The importer's fast attribute encoding writes what `json.dumps` would."""
    expected = json.dumps(attributes, ensure_ascii=False) if attributes else "{}"
    assert encode_attributes(attributes) == expected


def test_first_chunk_is_a_quarter_so_the_database_starts_sooner() -> None:
    rows = iter([(number, ["x"]) for number in range(2, 25)])
    assert [len(chunk) for chunk in chunks(rows, 8)] == [2, 8, 8, 5]


def test_first_pass_remembers_each_address_for_the_second() -> None:
    """The cleaner reuses the first pass's normalised addresses, with the same result."""
    table = read_csv(b"email;name\n ANA@Example.COM ;Ana\nbad address;Bo\n", "list.csv")
    cleaner = RowCleaner(table.headers)
    assert last_rows(table, cleaner) == {"ana@example.com": 2}
    assert cleaner.addresses == {"ANA@Example.COM": "ana@example.com"}
    rows = [cells for _, cells in table.rows()]
    assert cleaner.clean(rows[0]).email == "ana@example.com"
    with pytest.raises(FieldError, match="email"):
        cleaner.clean(rows[1])
