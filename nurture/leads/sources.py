"""Reading rows from CSV (any delimiter, UTF-8 with or without BOM, or Latin-1) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class UnreadableFile(ValueError):
    pass


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (line or row number, cells)
    total: int | None = None


def open_table(path: Path) -> Table:
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx(path)
    return _csv(path.read_bytes(), str(path))


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not) when it decodes; else Windows-1252/Latin-1, which always does."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _csv(data: bytes, name: str) -> Table:
    text = decode(data)
    if not text.strip():
        raise UnreadableFile(f"{name}: the file is empty")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    headers = [h.strip() for h in next(reader)]
    if not any(headers):
        raise UnreadableFile(f"{name}: the first row must name the columns")
    total = max(0, sum(1 for line in text.splitlines() if line.strip()) - 1)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield reader.line_num, cells

    return Table(headers, rows(), total)


def _xlsx(path: Path) -> Table:
    from openpyxl import load_workbook  # imported lazily: only XLSX imports pay for it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a bad file
        raise UnreadableFile(
            f"{path}: not a readable .xlsx file ({type(error).__name__})"
        ) from None
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    first = next(values, None)
    if first is None:
        raise UnreadableFile(f"{path}: the sheet is empty")
    headers = ["" if h is None else str(h).strip() for h in first]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in enumerate(values, start=2):
            if any(cell not in (None, "") for cell in cells):
                yield number, ["" if cell is None else cell for cell in cells]
        book.close()

    total = (sheet.max_row - 1) if sheet.max_row else None
    return Table(headers, rows(), total)
