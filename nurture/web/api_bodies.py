"""Request bodies of the capture API: JSON, form-encoded name–value pairs, or XML.

All three become the same mapping, the JSON shape::

    {"email": …, "first_name": …, "tags": […], "attributes": {…},
     "consent": {"purpose": …, "basis": …, "proof": …}}

Flat formats name nested values `consent.purpose`, `consent[purpose]` or `consent_purpose`
(and `attributes.x`, `data.x` likewise); XML nests elements (`<consent><purpose>…`) and
lists tags as repeated `<tag>` elements or one comma-separated `<tags>`. XML is parsed with
defusedxml and refuses any DTD, so entity expansion ("billion laughs") and external
entities never run. Pure: bytes in, mapping out, `BodyError` naming the field otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

NESTED = ("consent", "attributes", "data")
_FLAT_KEY = re.compile(r"^(consent|attributes|data)(?:\.|_|\[)([^\]]+)\]?$")
_MAX_DEPTH = 2


class BodyError(ValueError):
    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


def parse_body(content_type: str, body: bytes, form: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The body as a mapping; `form` is the parsed form for form-encoded requests."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return _json(body)
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return from_pairs(form)
    if kind in ("application/xml", "text/xml") or kind.endswith("+xml"):
        return _xml(body)
    raise BodyError(
        "Content-Type",
        "send application/json, application/x-www-form-urlencoded or application/xml",
        415,
    )


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BodyError("body", f"not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise BodyError("body", "the JSON body must be an object")
    return data


def from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Name–value pairs (a form, a query string) as the JSON shape."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        match = _FLAT_KEY.match(key)
        if match:
            nested = data.setdefault(match.group(1), {})
            if not isinstance(nested, dict):  # `consent=x` and `consent.purpose=y`
                raise BodyError(match.group(1), "is given both as a value and as fields")
            nested[match.group(2)] = value
        elif key == "tags":
            data.setdefault("tags", []).extend(part for part in value.split(",") if part.strip())
        elif key in data:
            what = "is given twice" if isinstance(data[key], str) else "is given both ways"
            raise BodyError(key, what)
        else:
            data[key] = value
    return data


def _xml(body: bytes) -> dict[str, Any]:
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise BodyError("body", "XML with a DTD or entity declarations is refused") from None
    except ParseError as error:
        raise BodyError("body", f"not well-formed XML: {error}") from None
    except (LookupError, ValueError) as error:  # e.g. <?xml encoding="bogus"?>
        raise BodyError("body", f"unreadable XML: {error}") from None
    return _element(root, 0)


def _element(element: Element, depth: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for child in element:
        name = child.tag
        if not isinstance(name, str) or "}" in name:
            raise BodyError("body", "XML namespaces are not supported: use plain element names")
        if name == "tags":
            data["tags"] = _tags(child)
        elif len(child):
            if depth + 1 >= _MAX_DEPTH or name not in NESTED:
                raise BodyError(name, "must be text, not nested elements")
            data[name] = _element(child, depth + 1)
        elif name in data:
            raise BodyError(name, "is given twice")
        else:
            data[name] = (child.text or "").strip()
    return data


def _tags(element: Element) -> list[str]:
    if len(element):
        return [(tag.text or "").strip() for tag in element if tag.tag == "tag"]
    return [part.strip() for part in (element.text or "").split(",") if part.strip()]
