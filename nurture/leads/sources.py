"""Reading rows from CSV (any delimiter, UTF-8 with or without BOM, UTF-16, Latin-1) and XLSX.

A `Table` can be read twice (`rows()` starts again): the importer first looks at the
addresses only, to know where each one occurs for the last time (see `importer`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

Row = tuple[int, list[Any]]  # (line or row number, cells)
_DELIMITERS = (",", ";", "\t", "|")
_QUOTED = re.compile(r'"[^"]*"')
# Spreadsheet exports put long notes in one cell; the csv module's default is 128 KiB.
_MAX_CELL = 1024 * 1024


class UnreadableFile(ValueError):
    pass


@dataclass
class Table:
    headers: list[str]
    rows: Callable[[], Iterator[Row]]
    total: int | None = None
    encoding: str | None = None  # for CSV: how the bytes were read


def open_table(path: Path) -> Table:
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx(path)
    if path.suffix.lower() == ".xls":
        raise UnreadableFile(f"{path}: the old .xls format is not supported; save as .xlsx or CSV")
    return read_csv(path.read_bytes(), str(path))


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with.

    A byte-order mark decides (UTF-8 or UTF-16, as Excel's "Unicode text" writes); then
    UTF-8 if the bytes are valid UTF-8 (Latin-1 text with accents almost never is); else
    Windows-1252, the superset of Latin-1 that spreadsheets on Windows write, and finally
    Latin-1 itself, which decodes any byte.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8 (BOM)"
        except UnicodeDecodeError:
            data = data[3:]  # a BOM glued onto Windows text: read the rest as below
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise UnreadableFile("the file starts like UTF-16 but is not valid UTF-16") from None
    for encoding, name in (("utf-8", "utf-8"), ("cp1252", "windows-1252")):
        try:
            return data.decode(encoding), name
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def sniff_delimiter(header_line: str) -> str:
    """The most frequent candidate in the header row (headers rarely contain one).

    `csv.Sniffer` guesses from the data and is fooled by commas inside quoted names or
    decimal numbers written with a comma; the header row is the reliable signal.
    """
    unquoted = _QUOTED.sub("", header_line)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def read_csv(data: bytes, name: str) -> Table:
    text, encoding = decode(data)
    if "\x00" in text:
        raise UnreadableFile(f"{name}: not a text file (it contains NUL bytes)")
    if not text.strip():
        raise UnreadableFile(f"{name}: the file is empty")
    delimiter = sniff_delimiter(text.lstrip("\r\n").split("\n", 1)[0])
    csv.field_size_limit(_MAX_CELL)
    first = next(_data_rows(text, delimiter, name), None)
    if first is None:
        raise UnreadableFile(f"{name}: the file is empty")
    headers = [cell.strip() for cell in first[1]]
    total = max(0, sum(1 for line in text.splitlines() if line.strip()) - 1)

    def rows() -> Iterator[Row]:
        reader = _data_rows(text, delimiter, name)
        next(reader)  # the header row
        yield from reader

    return Table(headers, rows, total, encoding)


def _data_rows(text: str, delimiter: str, name: str) -> Iterator[Row]:
    """Rows with at least one non-blank cell (blank lines are not rows)."""
    for number, cells in _reader(text, delimiter, name):
        if "".join(cells).strip():
            yield number, cells


def _reader(text: str, delimiter: str, name: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise UnreadableFile(f"{name}: line {reader.line_num}: {error}") from None
        yield reader.line_num, cells


def _xlsx(path: Path) -> Table:
    from openpyxl import load_workbook  # imported lazily: only XLSX imports pay for it

    def open_sheet() -> tuple[Any, Iterator[tuple[Any, ...]]]:
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a bad file
            raise UnreadableFile(
                f"{path}: not a readable .xlsx file ({type(error).__name__})"
            ) from None
        return book, book.worksheets[0].iter_rows(values_only=True)

    book, values = open_sheet()
    first = next(values, None)
    total = book.worksheets[0].max_row
    book.close()
    if first is None:
        raise UnreadableFile(f"{path}: the sheet is empty")
    headers = ["" if h is None else str(h).strip() for h in first]

    def rows() -> Iterator[Row]:
        book, values = open_sheet()
        try:
            next(values, None)
            for number, cells in enumerate(values, start=2):
                if any(cell not in (None, "") for cell in cells):
                    yield number, [cell_value(cell) for cell in cells]
        finally:
            book.close()

    return Table(headers, rows, (total - 1) if total else None, "xlsx")


def cell_value(cell: Any) -> Any:
    """A spreadsheet cell as an import sees it.

    Excel stores phone numbers typed without a "+" as numbers (600123123.0) and dates as
    dates; both become the text a person would read, not a float or a datetime.
    """
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, datetime | date | time):
        return cell.isoformat()
    return cell
