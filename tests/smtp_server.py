"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording every envelope.

It offers PIPELINING unless told not to, and can be told to answer ``451`` for the next
N transactions, to refuse a recipient, to require a login, to speak TLS (implicit or
STARTTLS, with a throw-away certificate) and to drop its client connections, so
transports are tested against real bytes.

    def test_x(smtp_server: SmtpServer) -> None:
        send_to(smtp_server.url)
        assert smtp_server.messages[0].parse()["Subject"] == "Hi"
"""

from __future__ import annotations

import asyncio
import email.policy
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

Stage = Literal["MAIL", "RCPT", "DATA"]
Tls = Literal["implicit", "starttls"] | None


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # as received, after SMTP dot-unstuffing
    smtputf8: bool

    def parse(self) -> EmailMessage:
        message = BytesParser(policy=email.policy.default).parsebytes(self.data)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class _Failure:
    stage: Stage
    reply: str
    remaining: int


@dataclass
class SmtpServer:
    """Programmable state shared with the handler; the test reads and sets it."""

    host: str
    port: int
    scheme: str = "smtp"
    certificate: Path | None = None  # for TLS servers: what a client must trust
    messages: list[Received] = field(default_factory=list)
    connections: int = 0  # client connections accepted since start
    logins: list[tuple[str, str]] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _slow: list[float] = field(default_factory=list)
    _rejected: dict[str, str] = field(default_factory=dict)
    _sessions: list[SMTP] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def fail_next(
        self, count: int = 1, reply: str = "451 4.3.0 try later", *, stage: Stage = "DATA"
    ) -> None:
        """Answer ``reply`` at ``stage`` for the next ``count`` transactions."""
        self._failures.append(_Failure(stage, reply, count))

    def slow_next(self, count: int, seconds: float) -> None:
        """Accept the next ``count`` messages but answer ``250`` only after ``seconds``
        (a server scanning content while the client's timeout runs out)."""
        with self._lock:
            self._slow.extend([seconds] * count)

    def reject(self, recipient: str, reply: str = "550 5.1.1 no such user") -> None:
        """Refuse this recipient at RCPT, every time."""
        self._rejected[recipient.lower()] = reply

    def drop_connections(self) -> None:
        """Close every client connection from the server side, as an idle timeout would."""
        controller = self._controller
        assert controller is not None
        assert controller.loop is not None

        async def close_all() -> None:
            for session in self._sessions:
                if session.transport is not None:
                    session.transport.close()

        asyncio.run_coroutine_threadsafe(close_all(), controller.loop).result(5)
        time.sleep(0.05)  # let the close reach the client socket

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """For senders on other threads: wait until ``count`` messages have arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
            time.sleep(0.01)
        return list(self.messages)

    def _failure(self, stage: Stage) -> str | None:
        with self._lock:
            for failure in self._failures:
                if failure.stage == stage and failure.remaining > 0:
                    failure.remaining -= 1
                    return failure.reply
        return None


class _Handler:
    def __init__(self, server: SmtpServer, pipelining: bool) -> None:
        self.server = server
        self.pipelining = pipelining

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """Offer PIPELINING, as Postfix, Exim and the big providers do (aiosmtpd reads
        pipelined commands in order, but does not say so itself)."""
        session.host_name = hostname
        if not self.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        failure = self.server._failure("MAIL")
        if failure:
            return failure
        envelope.mail_from, envelope.mail_options = address, list(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        rejected = self.server._rejected.get(address.lower())
        failure = rejected or self.server._failure("RCPT")
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        failure = self.server._failure("DATA")
        if failure:
            return failure
        received = Received(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            envelope.original_content,
            envelope.smtp_utf8,
        )
        self.server.messages.append(received)
        with self.server._lock:
            delay = self.server._slow.pop(0) if self.server._slow else 0.0
        await asyncio.sleep(delay)
        return f"250 2.0.0 Ok: queued as Q{len(self.server.messages)}"


class _Controller(Controller):
    def __init__(self, state: SmtpServer, pipelining: bool, **kwargs: Any) -> None:
        self.state = state
        handler = _Handler(state, pipelining)
        super().__init__(handler, hostname=state.host, port=state.port, **kwargs)

    def factory(self) -> SMTP:
        session: SMTP = super().factory()
        self.state.connections += 1
        self.state._sessions.append(session)
        return session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1/localhost (the openssl command line)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def client_context(cert: Path) -> ssl.SSLContext:
    """What a client needs to trust the test certificate (and nothing else)."""
    return ssl.create_default_context(cafile=str(cert))


def start_smtp_server(
    *,
    smtputf8: bool = True,
    logins: dict[str, str] | None = None,
    tls: Tls = None,
    certificate: tuple[Path, Path] | None = None,
    pipelining: bool = True,
) -> SmtpServer:
    scheme = {None: "smtp", "implicit": "smtps", "starttls": "smtp+starttls"}[tls]
    cert = certificate[0] if certificate else None
    state = SmtpServer("127.0.0.1", free_port(), scheme, certificate=cert)
    kwargs: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
    if logins is not None:
        kwargs.update(authenticator=_authenticator(state, logins), auth_require_tls=False)
    if tls is not None:
        assert certificate is not None, "TLS needs a certificate"
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        kwargs.update(
            {"ssl_context": context}
            if tls == "implicit"
            else {"tls_context": context, "require_starttls": True}
        )
    controller = _Controller(state, pipelining, **kwargs)
    controller.start()
    state._controller = controller
    state.connections = 0  # the controller's own readiness probe is not a client
    state._sessions.clear()
    return state


def stop_smtp_server(server: SmtpServer) -> None:
    if server._controller is not None:
        server._controller.stop()


def _authenticator(state: SmtpServer, logins: dict[str, str]) -> Callable[..., AuthResult]:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        state.logins.append((user, password))
        # handled=False: aiosmtpd itself answers 535 5.7.8 to a failed login.
        return AuthResult(success=logins.get(user) == password, handled=False)

    return authenticate


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    """An SMTP server for one test; SMTPUTF8 offered, no login, no TLS by default.

    Options go through indirect parametrization, so this one fixture is all a test needs:
    ``@pytest.mark.parametrize("smtp_server", [{"tls": "starttls"}], indirect=True)``
    (``smtputf8``, ``logins``, ``tls``, ``pipelining``; a TLS server's ``certificate`` is
    made for you).
    """
    options: dict[str, Any] = dict(getattr(request, "param", {}))
    if options.get("tls") and "certificate" not in options:
        options["certificate"] = _session_certificate(request)
    server = start_smtp_server(**options)
    yield server
    stop_smtp_server(server)


def _session_certificate(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    directory = factory.getbasetemp() / "smtp-tls"
    if not (directory / "cert.pem").exists():
        directory.mkdir(exist_ok=True)
        self_signed_certificate(directory)
    return directory / "cert.pem", directory / "key.pem"
