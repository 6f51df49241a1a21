"""`webhooks add` URLs: a URL whose deliveries could never succeed is refused up front."""

from __future__ import annotations

import pytest

from nurture.webhooks.subscriptions import SubscriptionError, check_url


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://crm.example/hook", None),
        ("  https://crm.example/hook  ", None),
        ("http://localhost:8080/hook", None),
        ("http://crm.example/hook", "use https://"),
        ("https://[::1", "is not a valid URL"),
        ("https://crm.example:99999/hook", "is not a valid URL"),
        ("http://localhost:abc/hook", "is not a valid URL"),
        ("https://crm.example/my hook", "spaces or control characters"),
        ("https://user:pw@crm.example/hook", "no credentials"),
        ("ftp://crm.example/hook", "is not an http(s) URL"),
    ],
)
def test_check_url(url: str, error: str | None) -> None:
    if error is None:
        assert check_url(url) == url.strip()
    else:
        with pytest.raises(SubscriptionError, match=error.replace("(", r"\(").replace(")", r"\)")):
            check_url(url)
