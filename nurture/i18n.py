"""English and Spanish texts of the prospect pages and transactional mails.

A catalogue module rather than Flask-Babel: two languages and ~150 short texts, shared by
the web pages and by the sender (which must not import Flask); no compiled `.mo` files to
build and ship, and a unit test checks that every text exists in both languages with the
same placeholders. Campaign mails are written by marketers and are not translated here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from nurture.i18n_texts import TEXTS

SUPPORTED = ("en", "es")
DEFAULT = "en"

Translate = Callable[..., str]


def supported(locale: str | None) -> str | None:
    """``es-MX`` → ``es``; None when the language is not one we have texts for."""
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED else None


def choose(lead_locale: str | None, accepted: Iterable[str] = ()) -> str:
    """The lead's own locale first, else the browser's preferences in order, else English."""
    for candidate in (lead_locale, *accepted):
        found = supported(candidate)
        if found:
            return found
    return DEFAULT


def translator(locale: str) -> Translate:
    language = supported(locale) or DEFAULT

    def translate(key: str, **values: object) -> str:
        text = TEXTS[key][language]
        return text.format(**values) if values else text

    return translate
