"""Find and rewrite the ``href`` of ``<a>`` tags in rendered HTML, without a DOM.

A tag is matched as a whole, quoted attribute values included, so a ``>`` or an
``href=`` inside another attribute's value cannot derail it; attributes are then read in
order. Values are HTML-unescaped before the caller sees them and escaped on the way back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import escape, unescape

_A_TAG = re.compile(r"""<a(?=[\s/>])(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def hrefs(html: str) -> Iterator[str]:
    """Every link target of the document, unescaped."""
    for tag in _A_TAG.finditer(html):
        found = _href(tag.group())
        if found is not None:
            yield unescape(_unquote(found.group(2)))


def rewrite_links(html: str, rewrite: Callable[[str], str], keep: Callable[[str], bool]) -> str:
    """Replace each ``<a href>`` target ``url`` with ``rewrite(url)`` unless ``keep(url)``."""

    def one_tag(tag: re.Match[str]) -> str:
        text = tag.group()
        found = _href(text)
        if found is None:
            return text
        url = unescape(_unquote(found.group(2)))
        if keep(url):
            return text
        start, end = found.span(2)
        return f'{text[:start]}"{escape(rewrite(url), quote=True)}"{text[end:]}'

    return _A_TAG.sub(one_tag, html)


def attribute(attributes: str, name: str) -> str:
    """The unescaped value of attribute ``name`` in a tag's attribute text, or ``""``."""
    for found in _ATTRIBUTE.finditer(attributes):
        if found.group(1).lower() == name and found.group(2) is not None:
            return unescape(_unquote(found.group(2)))
    return ""


def _href(tag: str) -> re.Match[str] | None:
    for found in _ATTRIBUTE.finditer(tag, 2):
        if found.group(1).lower() == "href" and found.group(2) is not None:
            return found
    return None


def _unquote(value: str) -> str:
    return value[1:-1] if value[:1] in {'"', "'"} else value
