"""Transports against a real SMTP server (aiosmtpd) and a real outbox folder."""

from __future__ import annotations

import email.policy
import smtplib
import socket
import threading
from datetime import UTC, datetime
from email.parser import BytesParser
from pathlib import Path

import pytest

import nurture.mail.smtp
from nurture.mail.errors import (
    HardBounce,
    PermanentSendError,
    PolicyRejection,
    TransientSendError,
    UnknownOutcome,
)
from nurture.mail.message import OutgoingMail, build_mime
from nurture.mail.transport import OutboxTransport, SmtpTransport, transport_from_url
from tests.smtp_server import SmtpServer, client_context, free_port

# `smtp_server` (tests/smtp_server.py) is registered by tests/conftest.py.


def server_with(**options: object) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("smtp_server", [options], indirect=True)


# The envelope written both ways: pipelined (RFC 2920, the test server's default, like
# every mainstream MTA) and stepwise, for a server that does not offer it.
BOTH_WAYS = pytest.mark.parametrize(
    "smtp_server", [{}, {"pipelining": False}], indirect=True, ids=["pipelined", "stepwise"]
)

SENDER = "bounces@acme.example"


def message(to: str = "bob@example.com", message_id: str = "<m1@acme.example>") -> bytes:
    return build_mime(
        OutgoingMail(
            sender="Acme <hello@acme.example>",
            to=to,
            subject="Ünïcödé subject",
            html="<p>Hello</p>",
            text="Hello\n.line starting with a dot\n",
            message_id=message_id,
            date=datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
            list_unsubscribe="https://mail.acme.example/u/token",
        )
    )


@BOTH_WAYS
def test_delivers_bytes_that_parse_without_defects(smtp_server: SmtpServer) -> None:
    """The server receives exactly what we built; it parses clean."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    data = message()
    reply = transport.send(SENDER, "bob@example.com", data)
    transport.close()

    assert reply == "250 2.0.0 Ok: queued as Q1"
    [received] = smtp_server.messages
    assert (received.mail_from, received.rcpt_tos) == (SENDER, ["bob@example.com"])
    assert received.data == data
    parsed = BytesParser(policy=email.policy.default).parsebytes(received.data)
    assert parsed.defects == []
    assert all(part.defects == [] for part in parsed.walk())
    assert str(parsed["Subject"]) == "Ünïcödé subject"


def test_connection_reused_on_one_thread(smtp_server: SmtpServer) -> None:
    """Two sends from one thread share one SMTP connection."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    transport.send(SENDER, "a@example.com", message())
    transport.send(SENDER, "b@example.com", message())
    transport.close()
    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 1


def test_each_thread_has_its_own_connection(smtp_server: SmtpServer) -> None:
    """smtplib is not thread-safe: worker threads never share a connection."""
    transport = SmtpTransport(smtp_server.url, timeout=5)

    def work() -> None:
        transport.send(SENDER, "a@example.com", message())
        transport.send(SENDER, "b@example.com", message())
        transport.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(smtp_server.messages) == 6
    assert smtp_server.connections == 3


@BOTH_WAYS
def test_temporary_failure_is_transient_and_connection_kept(smtp_server: SmtpServer) -> None:
    """451 means retry later; the connection is reset and used for the next message."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    smtp_server.fail_next(1, "451 4.3.0 try later")
    with pytest.raises(TransientSendError) as caught:
        transport.send(SENDER, "bob@example.com", message())
    assert caught.value.code == 451
    assert "try later" in caught.value.response
    transport.send(SENDER, "bob@example.com", message())
    transport.close()
    assert len(smtp_server.messages) == 1
    assert smtp_server.connections == 1


@BOTH_WAYS
def test_temporary_failure_at_rcpt(smtp_server: SmtpServer) -> None:
    """Greylisting at RCPT is transient too."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    smtp_server.fail_next(1, "450 4.7.1 greylisted, come back later", stage="RCPT")
    with pytest.raises(TransientSendError):
        transport.send(SENDER, "bob@example.com", message())
    transport.close()


@BOTH_WAYS
def test_reply_to_data_lost_is_an_unknown_outcome(smtp_server: SmtpServer) -> None:
    """The server had the whole message when the reply timed out: not a plain 4xx."""
    transport = SmtpTransport(smtp_server.url, timeout=0.3)
    smtp_server.slow_next(1, 1.0)
    with pytest.raises(UnknownOutcome, match="may have been accepted"):
        transport.send(SENDER, "bob@example.com", message())
    assert len(smtp_server.messages) == 1  # it was in fact accepted
    transport.send(SENDER, "carol@example.com", message())  # a fresh connection
    transport.close()
    assert smtp_server.connections == 2


@BOTH_WAYS
def test_unknown_mailbox_is_a_hard_bounce(smtp_server: SmtpServer) -> None:
    """550 5.1.1: the address does not exist; the error never names it."""
    smtp_server.reject("ghost@example.com", "550 5.1.1 <ghost@example.com>: no such user")
    transport = SmtpTransport(smtp_server.url, timeout=5)
    with pytest.raises(HardBounce) as caught:
        transport.send(SENDER, "ghost@example.com", message(to="ghost@example.com"))
    assert caught.value.code == 550
    assert "ghost" not in str(caught.value)
    transport.send(SENDER, "bob@example.com", message())
    transport.close()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["bob@example.com"]]
    assert smtp_server.connections == 1


@BOTH_WAYS
def test_policy_rejection(smtp_server: SmtpServer) -> None:
    """550 5.7.1 pauses the campaign: a PolicyRejection, not a bounce."""
    smtp_server.reject("bob@example.com", "550 5.7.1 message refused by policy")
    transport = SmtpTransport(smtp_server.url, timeout=5)
    with pytest.raises(PolicyRejection) as caught:
        transport.send(SENDER, "bob@example.com", message())
    assert caught.value.code == 550
    transport.close()


@BOTH_WAYS
def test_refused_sender_is_transient_and_connection_kept(smtp_server: SmtpServer) -> None:
    """MAIL FROM refused: RCPT and DATA (pipelined behind it) fail too; the reply that
    counts is the first, and the connection is reset for the next message."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    smtp_server.fail_next(1, "451 4.3.2 sender check unavailable", stage="MAIL")
    with pytest.raises(TransientSendError) as caught:
        transport.send(SENDER, "bob@example.com", message())
    assert (caught.value.code, caught.value.response) == (451, "4.3.2 sender check unavailable")
    transport.send(SENDER, "carol@example.com", message())
    transport.close()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["carol@example.com"]]
    assert smtp_server.connections == 1


@pytest.mark.parametrize(
    ("smtp_server", "writes"),
    [({}, 2), ({"pipelining": False}, 4)],
    indirect=["smtp_server"],
    ids=["pipelined", "stepwise"],
)
def test_envelope_pipelined_when_the_server_offers_it(
    smtp_server: SmtpServer, writes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offered PIPELINING, MAIL, RCPT and DATA leave in one write, the content in a
    second: two round trips per message instead of four."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    transport.send(SENDER, "a@example.com", message())  # connect and EHLO first
    sent: list[bytes] = []
    original = smtplib.SMTP.send

    def counted(self: smtplib.SMTP, data: str | bytes) -> None:
        sent.append(data.encode() if isinstance(data, str) else data)
        original(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", counted)
    transport.send(SENDER, "b@example.com", message())
    transport.close()
    assert len(sent) - 1 == writes  # minus QUIT
    assert sent[-2].endswith(b"\r\n.\r\n")
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@example.com"], ["b@example.com"]]


def test_reconnects_after_server_closed_connection(smtp_server: SmtpServer) -> None:
    """A connection the server dropped while idle is reopened once, transparently."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    transport.send(SENDER, "a@example.com", message())
    smtp_server.drop_connections()
    transport.send(SENDER, "b@example.com", message())
    transport.close()
    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 2


@BOTH_WAYS
def test_reconnects_after_421_on_reused_connection(smtp_server: SmtpServer) -> None:
    """A server answering 421 (closing) to a reused connection gets a fresh one."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    transport.send(SENDER, "a@example.com", message())
    smtp_server.fail_next(1, "421 4.4.2 idle too long", stage="MAIL")
    transport.send(SENDER, "b@example.com", message())
    transport.close()
    assert len(smtp_server.messages) == 2
    assert smtp_server.connections == 2


def test_noop_probe_after_idle(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """After idling, NOOP proves the connection alive; a dead one is replaced first."""
    monkeypatch.setattr(nurture.mail.smtp, "IDLE_CHECK_SECONDS", 0.0)
    transport = SmtpTransport(smtp_server.url, timeout=5)
    transport.send(SENDER, "a@example.com", message())
    transport.send(SENDER, "b@example.com", message())
    assert smtp_server.connections == 1
    smtp_server.drop_connections()
    transport.send(SENDER, "c@example.com", message())
    transport.close()
    assert smtp_server.connections == 2


def test_fresh_connection_failure_is_transient() -> None:
    """Nothing listening: a transient error, after one attempt only."""
    transport = SmtpTransport(f"smtp://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(TransientSendError, match="cannot connect"):
        transport.send(SENDER, "bob@example.com", message())


def test_silent_server_times_out() -> None:
    """A server that never greets costs the timeout, not a hung worker."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        transport = SmtpTransport(f"smtp://127.0.0.1:{listener.getsockname()[1]}", timeout=0.3)
        with pytest.raises(TransientSendError):
            transport.send(SENDER, "bob@example.com", message())


def test_close_then_send_opens_new_connection(smtp_server: SmtpServer) -> None:
    """close() quits this thread's connection; the transport stays usable."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    transport.send(SENDER, "a@example.com", message())
    transport.close()
    transport.close()  # idempotent
    transport.send(SENDER, "b@example.com", message())
    transport.close()
    assert smtp_server.connections == 2


def test_smtputf8_used_when_the_mailbox_needs_it(smtp_server: SmtpServer) -> None:
    """A non-ASCII local part travels with SMTPUTF8 when the server offers it."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    transport.send(SENDER, "josé@example.com", message(to="josé@example.com"))
    transport.close()
    [received] = smtp_server.messages
    assert received.smtputf8
    assert received.rcpt_tos == ["josé@example.com"]


@server_with(smtputf8=False)
def test_idn_domain_encoded_without_smtputf8(smtp_server: SmtpServer) -> None:
    """An IDN domain is IDNA-encoded: no SMTPUTF8 needed."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    transport.send(SENDER, "bob@bücher.example", message(to="bob@bücher.example"))
    transport.close()
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["bob@xn--bcher-kva.example"]
    assert not received.smtputf8


@server_with(smtputf8=False)
def test_non_ascii_mailbox_without_smtputf8_is_permanent(smtp_server: SmtpServer) -> None:
    """Without SMTPUTF8 such a mailbox cannot be reached: fail, no retry."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    with pytest.raises(PermanentSendError, match="SMTPUTF8"):
        transport.send(SENDER, "josé@example.com", message(to="josé@example.com"))
    transport.close()


@pytest.mark.parametrize(
    "recipient",
    ["bob@example.com>\r\nRCPT TO:<eve@evil.example", "bob@example.com> NOTIFY=NEVER", "bob"],
)
def test_an_envelope_address_cannot_smuggle_commands(
    smtp_server: SmtpServer, recipient: str
) -> None:
    """The envelope is written by hand (not through smtplib's re-parsing): anything but a
    bare address is refused before a byte of it reaches the server."""
    transport = SmtpTransport(smtp_server.url, timeout=5)
    with pytest.raises(PermanentSendError, match="bare address"):
        transport.send(SENDER, recipient, message())
    transport.send(SENDER, "carol@example.com", message())  # the connection is still usable
    transport.close()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["carol@example.com"]]


@server_with(logins={"user@acme.example": "p@ss:w/rd"})
def test_login_with_percent_encoded_credentials(smtp_server: SmtpServer) -> None:
    """User and password are URL-decoded before AUTH."""
    url = f"smtp://user%40acme.example:p%40ss%3Aw%2Frd@127.0.0.1:{smtp_server.port}"
    transport = SmtpTransport(url, timeout=5)
    transport.send(SENDER, "bob@example.com", message())
    transport.close()
    assert smtp_server.logins == [("user@acme.example", "p@ss:w/rd")]
    assert len(smtp_server.messages) == 1


@server_with(logins={"user": "right"})
def test_bad_credentials_pause(smtp_server: SmtpServer) -> None:
    """535 5.7.8 is a configuration problem: PolicyRejection pauses the campaign."""
    transport = SmtpTransport(f"smtp://user:wrong@127.0.0.1:{smtp_server.port}", timeout=5)
    with pytest.raises(PolicyRejection) as caught:
        transport.send(SENDER, "bob@example.com", message())
    assert caught.value.code == 535


@server_with(tls="implicit")
def test_implicit_tls(smtp_server: SmtpServer) -> None:
    """smtps:// speaks TLS from the first byte and verifies the certificate."""
    assert smtp_server.certificate is not None
    context = client_context(smtp_server.certificate)
    transport = SmtpTransport(smtp_server.url, timeout=5, ssl_context=context)
    transport.send(SENDER, "bob@example.com", message())
    transport.close()
    assert len(smtp_server.messages) == 1


@server_with(tls="implicit")
def test_untrusted_certificate_refused(smtp_server: SmtpServer) -> None:
    """With the default context a self-signed certificate is not accepted."""
    with pytest.raises(TransientSendError):
        SmtpTransport(smtp_server.url, timeout=5).send(SENDER, "bob@example.com", message())
    assert smtp_server.messages == []


@server_with(tls="starttls")
def test_starttls(smtp_server: SmtpServer) -> None:
    """smtp+starttls:// upgrades before anything else (the server requires it)."""
    assert smtp_server.certificate is not None
    context = client_context(smtp_server.certificate)
    transport = SmtpTransport(smtp_server.url, timeout=5, ssl_context=context)
    transport.send(SENDER, "bob@example.com", message())
    transport.close()
    assert len(smtp_server.messages) == 1


def test_starttls_unavailable_never_falls_back(smtp_server: SmtpServer) -> None:
    """Asked for STARTTLS, a server without it gets nothing in plaintext."""
    url = f"smtp+starttls://127.0.0.1:{smtp_server.port}"
    with pytest.raises(PolicyRejection, match="STARTTLS"):
        SmtpTransport(url, timeout=5).send(SENDER, "bob@example.com", message())
    assert smtp_server.messages == []


def test_outbox_writes_parseable_eml(tmp_path: Path) -> None:
    """The outbox holds one .eml per Message-ID, complete and parseable."""
    outbox = tmp_path / "outbox"
    transport = OutboxTransport(outbox)
    reply = transport.send(SENDER, "bob@example.com", message(message_id="<a/b..c@acme.example>"))
    transport.send(SENDER, "bob@example.com", message(message_id="<a/b..c@acme.example>"))
    files = sorted(outbox.iterdir())
    assert [path.name for path in files] == ["a_b..c@acme.example.eml"]
    assert reply == "250 written to outbox/a_b..c@acme.example.eml"
    parsed = BytesParser(policy=email.policy.default).parsebytes(files[0].read_bytes())
    assert parsed.defects == []
    assert parsed["Message-ID"] == "<a/b..c@acme.example>"


def test_outbox_unwritable_is_transient(tmp_path: Path) -> None:
    """A full or read-only disk is worth retrying, not a lost message."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(TransientSendError, match="outbox"):
        OutboxTransport(blocker / "outbox").send(SENDER, "bob@example.com", message())


def test_transport_from_url(tmp_path: Path) -> None:
    """Unset URL → outbox; smtp URLs → SMTP; anything else is a configuration error."""
    assert isinstance(transport_from_url(None, tmp_path, 15), OutboxTransport)
    assert isinstance(transport_from_url("", tmp_path, 15), OutboxTransport)
    smtp = transport_from_url("smtps://u:p@mail.example:2465", tmp_path, 7)
    assert isinstance(smtp, SmtpTransport)
    assert (smtp.endpoint.host, smtp.endpoint.port, smtp.timeout) == ("mail.example", 2465, 7)
    assert transport_from_url("smtp+starttls://h", tmp_path, 1).endpoint.port == 587  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="NURTURE_SMTP_URL"):
        transport_from_url("http://mail.example", tmp_path, 15)
