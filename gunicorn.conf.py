"""Production settings for `gunicorn wsgi:app` (read from the working directory).

Access logs print every request path, and the paths of prospect links carry signed
tokens: the logger below redacts them (`nurture.web.redact`) before any handler sees
the line. Everything else is gunicorn's default; override on the command line.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from nurture.web.redact import RedactTokens

accesslog = "-"  # stdout; the lines are redacted
errorlog = "-"


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            log.addFilter(RedactTokens())


logger_class = RedactingLogger
