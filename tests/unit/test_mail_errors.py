"""SMTP replies become the error class the send actor acts on, with addresses redacted."""

from __future__ import annotations

import pytest

from nurture.mail.errors import (
    HardBounce,
    PermanentSendError,
    PolicyRejection,
    SendError,
    TransientSendError,
    classify,
)


@pytest.mark.parametrize(
    ("code", "response", "kind"),
    [
        (451, "4.3.0 try later", TransientSendError),
        (421, "4.4.2 closing connection", TransientSendError),
        (452, "4.2.2 mailbox full", TransientSendError),
        (450, "greylisted, no enhanced code", TransientSendError),
        (550, "5.1.1 no such user", HardBounce),
        (553, "5.1.3 bad destination address syntax", HardBounce),
        (550, "5.1.10 null MX", HardBounce),
        (550, "5.7.1 message rejected by policy", PolicyRejection),
        (535, "5.7.8 authentication credentials invalid", PolicyRejection),
        (550, "5.7.26 DMARC policy", PolicyRejection),
        (553, "5.1.8 sender domain does not exist", PolicyRejection),  # our sender, not the lead
        (550, "5.1.7 bad sender mailbox syntax", PolicyRejection),
        (552, "5.3.4 message too big", PermanentSendError),
        (554, "5.6.0 content rejected", PermanentSendError),
        (550, "mailbox unavailable", PermanentSendError),  # no enhanced code: no conclusion
        (-1, "garbled reply", TransientSendError),
    ],
)
def test_classify(code: int, response: str, kind: type[SendError]) -> None:
    """Only 5.1.x about the recipient suppresses; 5.7.x and our sender's 5.1.7/8 pause."""
    error = classify(code, response)
    assert type(error) is kind
    assert error.code == code


def test_addresses_are_redacted() -> None:
    """Servers echo the recipient; errors end up in logs, so addresses are removed."""
    error = classify(550, "5.1.1 <bob.smith@example.com>: Recipient address rejected (bob@x.es)")
    assert "bob" not in str(error)
    assert "bob" not in error.response
    assert error.response == "5.1.1 <address>: Recipient address rejected (<address>)"
    assert str(error) == f"550 {error.response}"
