"""The export as one CSV (section, item, field, value), safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula to Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)`` exfiltrates data on
a click); such a cell gets a leading apostrophe, which spreadsheets show as text
(OWASP's "CSV injection" advice). Leading spaces do not hide a formula from the check.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.lstrip(" ").startswith(FORMULA_STARTS) else text


def _rows(export: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    for field, value in export["lead"].items():
        yield "lead", "", field, value
    for section in ("consents", "events", "messages"):
        for index, item in enumerate(export[section], 1):
            for field, value in item.items():
                yield section, str(index), field, value
    score = dict(export["score"])
    explanation = score.pop("explanation", [])
    for field, value in score.items():
        yield "score", "", field, value
    for index, line in enumerate(explanation, 1):  # one item per ledger line
        for field, value in line.items():
            yield "score_explanation", str(index), field, value
    yield "suppression", "", "reason", export["suppression"]
    for field, value in (export.get("pending_address_change") or {}).items():
        yield "pending_address_change", "", field, value
    yield "export", "", "exported_at", export["exported_at"]


def export_csv(export: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["section", "item", "field", "value"])
    for row in _rows(export):
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
