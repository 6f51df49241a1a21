"""CSRF protection for every human form (Flask-WTF).

Machine endpoints opt out explicitly with `csrf.exempt(blueprint_or_view)`: the RFC 8058
one-click unsubscribe POST (mail clients send no token and no cookies) and the
bearer-key API (no ambient credentials, so nothing to forge). `/subscribe` checks a
signed form token of its own instead (`nurture.web.public`): embedded in another site, it
gets no session cookie to bind one to.
"""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
