"""Real SMTP servers (aiosmtpd) on loopback for the sender and outbox tests.

A test CA made with ``smimetui.core.pki.makecerts`` signs a server certificate for ``localhost`` and
``127.0.0.1``.  Servers: plain (no TLS, no AUTH), STARTTLS with required AUTH, implicit TLS with
required AUTH.  Every server refuses the recipient ``nobody@...`` and the sender ``blocked@...``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.pki import localhost_tls
from tests.support.servers.ports import free_port

USER, PASSWORD = "alice", "s3cret pässword"


@dataclass
class Recorder:
    """aiosmtpd handler that keeps every accepted message."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_MAIL(  # (aiosmtpd hook name)
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if address.startswith("blocked@"):
            return "553 5.7.1 Sender address rejected: not owned by user"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServers:
    ca_file: Path
    plain: int
    starttls: int
    tls: int
    recorder: Recorder


@pytest.fixture(scope="session")
def smtp_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServers]:
    directory = tmp_path_factory.mktemp("smtp-tls")
    context = localhost_tls(directory, "SMTP Test CA")

    recorder = Recorder()
    ports = free_port(), free_port(), free_port()
    controllers = [
        Controller(recorder, hostname="127.0.0.1", port=ports[0]),
        Controller(
            recorder,
            hostname="127.0.0.1",
            port=ports[1],
            tls_context=context,
            require_starttls=True,
            authenticator=check_login,
            auth_required=True,
        ),
        Controller(
            recorder,
            hostname="127.0.0.1",
            port=ports[2],
            ssl_context=context,
            authenticator=check_login,
            auth_required=True,
            # aiosmtpd counts only STARTTLS as TLS; this whole connection is TLS already.
            auth_require_tls=False,
        ),
    ]
    for controller in controllers:
        controller.start()
    try:
        yield SmtpServers(directory / "ca.pem", *ports, recorder=recorder)
    finally:
        for controller in controllers:
            controller.stop()


@pytest.fixture
def smtp(smtp_servers: SmtpServers) -> SmtpServers:
    smtp_servers.recorder.received.clear()
    return smtp_servers


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A port that accepts connections (backlog) but never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield int(sock.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    return free_port()
