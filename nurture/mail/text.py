"""HTML → plain text for the text part, when a template has no ``.txt`` sibling.

Runs once per message, so it is one regular-expression pass over the tags, with no DOM:
block elements become paragraphs, ``<br>`` a line break, list items ``- `` lines, links
``text (url)``; ``<head>``, ``<style>``, ``<script>`` and ``display:none`` elements (the
hidden preheader) are skipped; entities are decoded. `html.parser` did the same job 2x
slower, and was most of the per-message cost on a realistic newsletter. The input is the
CSS inliner's serialisation (well-formed, attributes quoted), not arbitrary markup.
"""

from __future__ import annotations

import re
from html import unescape

from nurture.mail.links import attribute

_TAG = re.compile(
    r"<!--.*?-->|<![^>]*>|<\?[^>]*>|<(/?)([A-Za-z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.DOTALL,
)
_RAW_END = {tag: re.compile(rf"</{tag}\s*>", re.IGNORECASE) for tag in ("script", "style")}
_SKIP = frozenset({"head", "style", "script", "title", "template", "noscript"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr"})
_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr"}
)
_LINE = frozenset(
    {"div", "tr", "section", "article", "header", "footer", "center", "dl", "dt", "dd"}
)
_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
# Block boundaries are placeholders, merged at the end: nested <div>s make one line
# break, not five; an explicit <br> is a real "\n" and two of them make a blank line.
_PARAGRAPH_BREAK = "\x01"
_LINE_BREAK = "\x02"
_BREAKS = re.compile(r"[ \t\n\x01\x02]*[\n\x01\x02][ \t\n\x01\x02]*")
_PLACEHOLDERS = str.maketrans("", "", "\x01\x02")


def html_to_text(html: str) -> str:
    converter = _Converter()
    position = 0
    while (tag := _TAG.search(html, position)) is not None:
        converter.data(html[position : tag.start()])
        position = tag.end()
        closing, name, attributes = tag.group(1, 2, 3)
        if name is None:  # comment, doctype, processing instruction
            continue
        name = name.lower()
        if closing:
            converter.end(name)
            continue
        converter.start(name, attributes)
        if name in _RAW_END:  # script and style content is not markup: jump to its end tag
            end = _RAW_END[name].search(html, position)
            position = end.start() if end else len(html)
    converter.data(html[position:])
    return converter.text()


class _Converter:
    def __init__(self) -> None:
        self._out: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0
        self._pre = 0
        self._links: list[tuple[str, int]] = []  # (href, index in _out where the text starts)
        self._lists: list[int] = []  # per open list: next number, or 0 for bullets

    def start(self, tag: str, attributes: str) -> None:
        if self._skipping(tag, +1) or (tag in _VOID and tag not in {"br", "img", "hr"}):
            return
        hidden = "none" in attributes and _HIDDEN.search(attribute(attributes, "style"))
        if tag in _SKIP or hidden:
            if tag not in _VOID:
                self._skip_tag, self._skip_depth = tag, 1
            return
        self._open(tag, attributes)
        if tag not in _VOID and attributes.endswith("/"):  # <p/>: XHTML-style empty element
            self.end(tag)

    def end(self, tag: str) -> None:
        if self._skipping(tag, -1):
            return
        if tag == "a" and self._links:
            self._close_link(*self._links.pop())
        elif tag in {"ul", "ol"} and self._lists:
            self._lists.pop()
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        self._block(tag)

    def data(self, data: str) -> None:
        if not data or self._skip_tag is not None:
            return
        if data.isspace() and not self._pre:  # most text between tags is indentation
            self._out.append(" ")
            return
        data = data.translate(_PLACEHOLDERS)
        if "&" in data:
            data = unescape(data)
        # <pre> keeps its line breaks (its indentation is lost when lines are merged).
        self._out.append(data if self._pre else _SPACES.sub(" ", data))

    def _skipping(self, tag: str, step: int) -> bool:
        if self._skip_tag is None:
            return False
        if tag == self._skip_tag:
            self._skip_depth += step
            if self._skip_depth == 0:
                self._skip_tag = None
        return True

    def _open(self, tag: str, attributes: str) -> None:
        if tag == "br":
            self._out.append("\n")
        elif tag == "a":
            self._links.append((attribute(attributes, "href").strip(), len(self._out)))
        elif tag == "img":
            alt = attribute(attributes, "alt").strip()
            self._out.append(f" {alt} " if alt else "")
        elif tag in {"ul", "ol"}:
            self._lists.append(1 if tag == "ol" else 0)
        elif tag == "li":
            self._out.append(_LINE_BREAK + self._bullet())
        elif tag in {"td", "th"}:
            self._out.append(" ")
        elif tag == "pre":
            self._pre += 1
        self._block(tag)

    def _bullet(self) -> str:
        if not self._lists or not self._lists[-1]:
            return "- "
        number = self._lists[-1]
        self._lists[-1] += 1
        return f"{number}. "

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPH:
            self._out.append(_PARAGRAPH_BREAK)
        elif tag in _LINE:
            self._out.append(_LINE_BREAK)

    def _close_link(self, href: str, start: int) -> None:
        label = _SPACES.sub(" ", "".join(self._out[start:]).translate(_PLACEHOLDERS)).strip()
        target = href.removeprefix("mailto:")
        if not href or href.startswith("#") or target in label:
            return
        if label and self._out:
            self._out[-1] = self._out[-1].rstrip(" ")
        self._out.append(f" ({target})" if label else target)

    def text(self) -> str:
        return _BREAKS.sub(_merge_breaks, "".join(self._out)).strip() + "\n"


def _merge_breaks(match: re.Match[str]) -> str:
    run = match.group()
    wanted = 2 if _PARAGRAPH_BREAK in run else 1 if _LINE_BREAK in run else 0
    return "\n" * min(2, max(wanted, run.count("\n")))
