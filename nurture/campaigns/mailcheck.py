"""Pure checks on a rendered email: what `campaigns validate` refuses to let go out.

The renderer appends the standard footer only when a template does not place the
unsubscribe link and the postal address itself, so a template that "places" them in a
comment, a hidden element or a broken attribute would silently lose them. These checks
look at what a reader actually gets: visible links and visible text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_INVISIBLE_TAGS = frozenset({"head", "title", "style", "script", "template"})
_HIDING_STYLE = re.compile(
    r"display:none|visibility:hidden|opacity:0(?:\.0*)?(?:;|!|$)|font-size:0(?:px|pt|em|rem|%)?(?:;|!|$)"
)


class _Reader(HTMLParser):
    """Collects links (with whether a reader can see them), URLs and visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.links: list[tuple[str, bool]] = []  # (href, visible)
        self.urls: list[str] = []
        self.text: list[str] = []

    @property
    def hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        style = re.sub(r"\s+", "", values.get("style", "").lower())
        hidden = (
            self.hidden
            or tag in _INVISIBLE_TAGS
            or "hidden" in values
            or bool(_HIDING_STYLE.search(style))
        )
        self.urls += [values[name].strip() for name in ("href", "src") if values.get(name)]
        if tag == "a" and values.get("href"):
            self.links.append((values["href"].strip(), not hidden))
        if tag not in _VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # Mail HTML is often sloppy: close up to the matching tag, ignore stray ends.
        if any(open_tag == tag for open_tag, _ in self.stack):
            while self.stack and self.stack.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.text.append(data)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _shows_address(text: str, postal_address: str) -> bool:
    """Every line of the address appears (templates may join lines with <br> or commas)."""
    flat = _squash(text)
    lines = [_squash(line) for line in postal_address.splitlines() if line.strip()]
    return bool(lines) and all(line in flat for line in lines)


def subject_issues(subject: str) -> list[str]:
    if not subject.strip():
        return ["the subject is empty once rendered"]
    if "\r" in subject or "\n" in subject:
        return ["the subject contains a line break once rendered"]
    letters = [char for char in subject if char.isalpha()]
    if len(letters) >= 4 and all(char.isupper() for char in letters):
        return [f"the subject {subject!r} is in capital letters: spam filters treat it as shouting"]
    return []


def html_issues(
    html: str, unsubscribe_url: str, preferences_url: str, postal_address: str, base_url: str
) -> list[str]:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    issues = [
        *_link_issue(reader, unsubscribe_url, "unsubscribe link ({{ unsubscribe_url }})"),
        *_link_issue(reader, preferences_url, "preference centre link ({{ preferences_url }})"),
    ]
    if not _shows_address("".join(reader.text), postal_address):
        issues.append("the HTML part does not show the postal address ({{ postal_address }})")
    return issues + [
        f"insecure link {url}: use https://" for url in reader.urls if _insecure(url, base_url)
    ]


def _link_issue(reader: _Reader, url: str, what: str) -> list[str]:
    visible = [shown for href, shown in reader.links if href == url]
    if any(visible):
        return []
    if visible:
        return [f"the {what} is hidden from the reader (hidden, display:none, font-size:0…)"]
    return [f"the HTML part has no {what}"]


def _insecure(url: str, base_url: str) -> bool:
    """``http://`` links are refused, except our own while NURTURE_BASE_URL is http://.

    The default base URL is ``http://127.0.0.1:5000`` for local development: the
    unsubscribe and tracking links then point there, and that is not the marketer's to
    fix. Once the base URL is https, an http link even to our own host is flagged.
    """
    if not url.lower().startswith("http://"):
        return False
    own = urlsplit(base_url)
    return not (own.scheme == "http" and urlsplit(url).netloc.lower() == own.netloc.lower())


def text_issues(
    text: str, unsubscribe_url: str, preferences_url: str, postal_address: str
) -> list[str]:
    issues = []
    if unsubscribe_url not in text:
        issues.append("the text part has no unsubscribe link ({{ unsubscribe_url }})")
    if preferences_url not in text:
        issues.append("the text part has no preference centre link ({{ preferences_url }})")
    if not _shows_address(text, postal_address):
        issues.append("the text part does not show the postal address ({{ postal_address }})")
    return issues
