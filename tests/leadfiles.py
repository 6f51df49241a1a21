"""A messy 1,000-row lead list, written as CSV (UTF-8 with BOM, Latin-1) and as .xlsx.

What marketers' files look like: Spanish headers with accents and stray spaces, a column
nurture does not know, addresses repeated in other case further down (with a value the
first row lacked), invalid addresses, a few bad country codes, and names with ñ and
accents. The counts the tests expect follow from the constants below.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HEADERS = [
    "Correo electrónico",
    " Nombre ",
    "APELLIDOS",
    "Empresa",
    "País",
    "Teléfono",
    "Cargo",
    "Etiquetas",
    "Notas internas",
]
UNIQUE = 910  # valid, distinct addresses
DUPLICATES = 50  # rows repeating addresses 0..49 in upper case, adding a job title
INVALID = 30  # unusable addresses
BAD_COUNTRY = 10  # valid address, country "España" (not a two-letter code)
SUPPRESSED = 10  # addresses 900..909 are on the suppression list in the tests
ROWS = UNIQUE + DUPLICATES + INVALID + BAD_COUNTRY

FIRST = ["José", "Begoña", "Íñigo", "María Ángeles", "Núria", "Joan", "Lucía", "Andrés"]
LAST = ["Muñoz", "Peña", "Gómez", "Ibáñez", "Castaño", "Fernández"]
BAD_ADDRESSES = ["not-an-email", "ana@", "@example.com", "a b@example.com", "x@@example.com"]


def address(index: int) -> str:
    return f"lead{index}@empresa{index % 37}.example.com"


def rows() -> list[list[str]]:
    """Data rows in file order (the header is HEADERS)."""
    data: list[list[str]] = []
    for i in range(UNIQUE):
        first, last = FIRST[i % len(FIRST)], LAST[i % len(LAST)]
        company = f"Compañía {i % 53}" if i % 3 else ""
        data.append([address(i), first, last, company, "es", f"+34 600 {i:06d}", "", "feria", "ok"])
    for i in range(DUPLICATES):
        # Same address in capitals, a job title the first row lacked, one more tag.
        data.append([address(i).upper(), "", "", "", "", "", "Directora", "vip", ""])
    for i in range(INVALID):
        data.append(
            [f"{BAD_ADDRESSES[i % len(BAD_ADDRESSES)]}{'' if i < 5 else i}", "X"] + [""] * 7
        )
    for i in range(BAD_COUNTRY):
        data.append([f"pais{i}@example.org", "Y", "", "", "España", "", "", "", ""])
    # Interleave so that duplicates come long after their first row, not in one block.
    return data[:400] + data[UNIQUE:] + data[400:UNIQUE]


def csv_bytes(encoding: str, delimiter: str = ";") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows())
    return buffer.getvalue().encode(encoding)


def write_csv(path: Path, encoding: str = "utf-8-sig", delimiter: str = ";") -> Path:
    path.write_bytes(csv_bytes(encoding, delimiter))
    return path


def write_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows():
        # Excel turns a phone typed without "+" into a number: keep one such column.
        sheet.append([int(cell) if cell.isdigit() else cell for cell in row])
    book.save(path)
    return path
