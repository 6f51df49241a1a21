"""Keep signed tokens out of logs: access logs print request paths, and a path such as
`/u/<token>` is a credential for someone's preferences (and reveals their public id).

`redact` replaces the segment after each link prefix, and anything shaped like an
itsdangerous token anywhere else (tracking links, query strings), with `[token]`; the
dashboard's lead pages (`/admin/leads/<public id>`) likewise. Email addresses, plain or
percent-encoded (a dashboard search, a marketer's form sent with GET), become `[email]`.
`RedactTokens` is a logging filter for werkzeug's and Flask's loggers (`nurture web`,
`nurture demo`, the tests' live server); `gunicorn.conf.py` installs it on gunicorn's.
"""

from __future__ import annotations

import logging
import re

LINK_PREFIXES = ("u", "p", "my-data", "confirm", "erase", "address", "admin/leads")
_AFTER_PREFIX = re.compile(r"(/(?:" + "|".join(LINK_PREFIXES) + r")/)[^/\s?#\"']+")
# payload.timestamp.signature (a compressed payload starts with a dot)
_TOKEN_SHAPE = re.compile(r"\.?[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}")
REDACTED = "[token]"
# The local part is bounded (64 characters, percent-encoded): an unbounded run would make
# every long request line cost quadratic time in the logger.
_EMAIL = re.compile(r"[\w.+%-]{1,200}(?:@|%40)[\w%-]+(?:\.[\w%-]+)+")
LOGGERS = ("werkzeug", "flask.app", "nurture.web", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    text = _TOKEN_SHAPE.sub(REDACTED, _AFTER_PREFIX.sub(r"\1" + REDACTED, text))
    return _EMAIL.sub("[email]", text)


class RedactTokens(logging.Filter):
    """Rewrites the record's message once, with its arguments merged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as usual
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactTokens()


def install(*names: str) -> None:
    """Idempotent: each logger gets the one shared filter at most once."""
    for name in names or LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
