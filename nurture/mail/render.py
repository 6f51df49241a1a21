"""Render one step for one lead: subject, inlined HTML and a text part, footer ensured."""

from __future__ import annotations

import re
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from time import monotonic
from typing import Any

import css_inline
from jinja2 import Template, TemplateNotFound, TemplateSyntaxError
from markupsafe import escape

from nurture.mail.links import hrefs, rewrite_links
from nurture.mail.sandbox import make_environment
from nurture.mail.text import html_to_text

SUBJECT = "subject"  # errors in a step's subject are reported under this template name
FOOTER_HTML = "_footer.html"
FOOTER_TEXT = "_footer.txt"
_MAX_SUBJECTS = 2048
_MIN_TOKEN = 16  # a shorter last path segment is a word, not a signed token
# Seconds loaded templates (and whether a `.txt` sibling exists) are trusted before their
# files are looked at again. Jinja's auto-reload reads a file's mtime on every render of
# it, its parents and includes, and the sibling check is one more `stat`: two or three
# system calls per mail, a twentieth of the sender's CPU. An edit shows within this time.
FRESH_FOR = 1.0


class TemplateError(Exception):
    """A template failed to compile or render; ``str()`` reads ``name:line: message``."""

    def __init__(self, message: str, template: str | None = None, lineno: int | None = None):
        self.message, self.template, self.lineno = message, template, lineno
        where = ":".join(str(part) for part in (template, lineno) if part is not None)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    html: str
    text: str


class Renderer:
    """Thread-safe and meant to live as long as the process: compiled templates are cached."""

    def __init__(self, templates_dir: Path) -> None:
        self._dir = templates_dir
        self._env = make_environment(templates_dir)
        self._env.auto_reload = False  # the files are looked at by _look_at_files
        self._looked_at = monotonic()
        self._looking = threading.Lock()
        self._subjects: dict[str, Template] = {}
        self._siblings: dict[str, str | None] = {}  # by template: its `.txt` sibling, if any
        # Remote stylesheets are never fetched: a template must not make us request URLs.
        self._inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)

    def render(
        self,
        step_subject: str,
        template: str,
        context: Mapping[str, Any],
        link_rewriter: Callable[[str], str] | None = None,
    ) -> RenderedMail:
        with self._errors(SUBJECT):
            subject = self._subject(step_subject).render(context).strip()
        with self._errors(template):
            html = self._inliner.inline(self._file(template, context))
        if _html_needs_footer(html, context):
            # After inlining: the template's stylesheet must not restyle the footer.
            html = _insert_before_body_end(html, self._file(FOOTER_HTML, context))
        text = self._sibling_text(template, context)
        if text is None:
            text = html_to_text(html)  # before click tracking: the text shows real URLs
        elif _text_needs_footer(text, context):
            text = text.rstrip("\n") + "\n\n" + self._file(FOOTER_TEXT, context)
        if link_rewriter is not None:
            html = rewrite_links(html, link_rewriter, _untracked(context))
        return RenderedMail(subject=subject, html=html, text=text)

    def _subject(self, source: str) -> Template:
        compiled = self._subjects.get(source)
        if compiled is None:
            if len(self._subjects) >= _MAX_SUBJECTS:  # edited campaigns in a long-lived web
                self._subjects.clear()
            compiled = self._subjects[source] = self._env.from_string(source)
        return compiled

    def _file(self, name: str, context: Mapping[str, Any]) -> str:
        with self._errors(name):
            return self._template(name).render(context)

    def _template(self, name: str) -> Template:
        self._look_at_files()
        return self._env.get_template(name)

    def _sibling_text(self, template: str, context: Mapping[str, Any]) -> str | None:
        self._look_at_files()
        if template not in self._siblings:
            sibling = str(PurePosixPath(template).with_suffix(".txt"))
            exists = sibling != template and (self._dir / sibling).is_file()
            self._siblings[template] = sibling if exists else None
        sibling_name = self._siblings[template]
        return None if sibling_name is None else self._file(sibling_name, context)

    def _look_at_files(self) -> None:
        """At most every FRESH_FOR seconds: if any loaded template's file changed (an
        extended or included one too), forget them all, and look for siblings again."""
        now = monotonic()
        if now - self._looked_at < FRESH_FOR or not self._looking.acquire(blocking=False):
            return  # fresh enough, or another thread is looking
        try:
            self._looked_at = now
            cache = self._env.cache
            if cache is not None and not _all_up_to_date(cache):
                cache.clear()
            self._siblings.clear()
        finally:
            self._looking.release()

    @contextmanager
    def _errors(self, name: str) -> Iterator[None]:
        """Every failure of marketer code becomes a TemplateError naming file and line."""
        try:
            yield
        except TemplateError:
            raise
        except TemplateSyntaxError as exc:
            raise TemplateError(exc.message or str(exc), exc.name or name, exc.lineno) from exc
        except TemplateNotFound as exc:
            raise TemplateError(f"template not found: {exc.name}", name) from exc
        except Exception as exc:  # undefined names, SecurityError, TypeError…
            where, line = self._location(exc, name)
            raise TemplateError(f"{type(exc).__name__}: {exc}", where, line) from exc

    def _location(self, exc: BaseException, name: str) -> tuple[str, int | None]:
        """Jinja rewrites tracebacks so that template frames carry the template's line."""
        root = self._dir.resolve()
        found: tuple[str, int | None] = (name, None)
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == "<template>":
                found = (name, frame.lineno)
            elif frame.filename.endswith((".html", ".txt", ".htm", ".xml")):
                path = Path(frame.filename).resolve()
                if path.is_relative_to(root):
                    found = (path.relative_to(root).as_posix(), frame.lineno)
        return found


def _all_up_to_date(cache: MutableMapping[Any, Template]) -> bool:
    try:
        return all(template.is_up_to_date for template in list(cache.values()))
    except KeyError:  # evicted while listed (Jinja's cache holds 400): look again
        return False


_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)


def _unsubscribe(context: Mapping[str, Any]) -> str:
    return str(context["unsubscribe_url"])


def _html_needs_footer(html: str, context: Mapping[str, Any]) -> bool:
    """True unless the HTML links the unsubscribe URL *and* prints the postal address,
    outside comments (an old footer commented out places nothing). Hidden elements are
    `campaigns validate`'s to refuse (`campaigns.mailcheck`): parsing every message's
    HTML for them here would cost more than the rest of rendering."""
    if "<!--" in html:
        html = _COMMENT.sub("", html)
    if _unsubscribe(context) not in set(hrefs(html)):
        return True
    return not _has_address(html, str(context["postal_address"]), html_to_text)


def _text_needs_footer(text: str, context: Mapping[str, Any]) -> bool:
    if _unsubscribe(context) not in text:
        return True
    return not _has_address(text, str(context["postal_address"]), str)


def _has_address(body: str, address: str, to_text: Callable[[str], str]) -> bool:
    if address in body or str(escape(address)) in body:
        return True
    flat = " ".join(address.split())  # written over several lines, or with <br>
    return flat in " ".join(to_text(body).split())


def _insert_before_body_end(html: str, footer: str) -> str:
    end = html.lower().rfind("</body>")
    return html + footer if end < 0 else html[:end] + footer + html[end:]


def _untracked(context: Mapping[str, Any]) -> Callable[[str], bool]:
    """Links never sent through click tracking: anything that is not http(s) (``mailto:``,
    ``tel:``, which a redirect would break), and the lead's own pages: the unsubscribe and
    preferences URLs, what lies under them, and any link carrying their signed tokens
    (the my-data pages), which must not be copied into tracking URLs."""
    private = [_unsubscribe(context), str(context["preferences_url"])]
    prefixes = tuple(url.split("?")[0] for url in private)
    tokens = [url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] for url in private]
    tokens = [token for token in tokens if len(token) >= _MIN_TOKEN]

    def keep(url: str) -> bool:
        if not url.lower().startswith(("http://", "https://")) or url.startswith(prefixes):
            return True
        return any(token in url for token in tokens)

    return keep
