"""The SMTP sender against real aiosmtpd servers on loopback."""

from __future__ import annotations

import pytest

from smimetui.core.errors import SendError
from smimetui.core.mail.factory import PasswordSource
from smimetui.core.mail.smtp import SmtpSender
from smimetui.core.settings.accounts import Account
from tests.support.servers.smtp import PASSWORD, USER, SmtpServers

# The implicit-TLS test server requires AUTH on a connection aiosmtpd does not know is TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MSG = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\n.dot line\r\nbody\r\n"


def sender(port: int, security: str, **kw: object) -> SmtpSender:
    return SmtpSender("127.0.0.1", port, security, timeout=5.0, **kw)  # type: ignore[arg-type]


def login(password: str = PASSWORD) -> dict[str, object]:
    return {"username": USER, "password": lambda: password}


class TestDelivery:
    def test_plain_bytes_arrive_exactly(self, smtp: SmtpServers) -> None:
        sender(smtp.plain, "none").send(MSG, "alice@example.org", ["bob@example.org"])
        assert smtp.recorder.received == [("alice@example.org", ["bob@example.org"], MSG)]

    def test_bare_lf_sent_as_crlf(self, smtp: SmtpServers) -> None:
        sender(smtp.plain, "none").send(MSG.replace(b"\r\n", b"\n"), "a@example.org", ["b@x.org"])
        assert smtp.recorder.received[0][2] == MSG

    def test_starttls_with_ca_file_and_auth(self, smtp: SmtpServers) -> None:
        calls: list[int] = []

        def password() -> str:
            calls.append(1)
            return PASSWORD

        s = sender(smtp.starttls, "starttls", ca_file=str(smtp.ca_file), username=USER)
        s.password = password
        s.send(MSG, "alice@example.org", ["bob@example.org", "carol@example.org"])
        assert smtp.recorder.received[0][1] == ["bob@example.org", "carol@example.org"]
        assert calls == [1]

    def test_implicit_tls_with_auth(self, smtp: SmtpServers) -> None:
        sender(smtp.tls, "tls", ca_file=str(smtp.ca_file), **login()).send(
            MSG, "alice@example.org", ["bob@example.org"]
        )
        assert smtp.recorder.received[0][2] == MSG

    def test_eight_bit_body(self, smtp: SmtpServers) -> None:
        raw = "Subject: ü\r\n\r\nGrüße\r\n".encode()
        sender(smtp.plain, "none").send(raw, "a@example.org", ["b@example.org"])
        assert smtp.recorder.received[0][2] == raw


class TestRefusals:
    def test_wrong_password(self, smtp: SmtpServers) -> None:
        s = sender(smtp.starttls, "starttls", ca_file=str(smtp.ca_file), **login("nope"))
        with pytest.raises(SendError, match="refused the login for alice") as err:
            s.send(MSG, "alice@example.org", ["bob@example.org"])
        assert err.value.title == "SMTP login refused"
        assert smtp.recorder.received == []

    def test_a_refused_password_is_asked_for_again(self, smtp: SmtpServers) -> None:
        """The session keeps the typed password for the next send, unless the server refused it."""
        answers = iter(["typo", PASSWORD])
        asked: list[str] = []

        def prompt(question: str) -> str:
            asked.append(question)
            return next(answers)

        account = Account(
            name="work",
            email="alice@example.org",
            smtp_host="127.0.0.1",
            smtp_port=smtp.starttls,
            smtp_username=USER,
        )
        source = PasswordSource(account, prompt, server="smtp")
        s = sender(smtp.starttls, "starttls", ca_file=str(smtp.ca_file), username=USER)
        s.password = source
        with pytest.raises(SendError, match="refused the login for alice"):
            s.send(MSG, "alice@example.org", ["bob@example.org"])
        s.send(MSG, "alice@example.org", ["bob@example.org"])
        s.send(MSG, "alice@example.org", ["bob@example.org"])
        assert asked == [f"Password for {USER} at 127.0.0.1 (account work)"] * 2
        assert len(smtp.recorder.received) == 2

    def test_recipient_refused_names_each_and_sends_nothing(self, smtp: SmtpServers) -> None:
        with pytest.raises(SendError) as err:
            sender(smtp.plain, "none").send(
                MSG, "a@example.org", ["ok@example.org", "nobody@example.org", "nobody@x.org"]
            )
        text = str(err.value)
        assert "nobody@example.org" in text and "nobody@x.org" in text
        assert "ok@example.org" not in text and "User unknown" in text
        assert "Nothing was sent" in text
        assert smtp.recorder.received == []

    def test_sender_refused(self, smtp: SmtpServers) -> None:
        with pytest.raises(SendError, match="refused the sender address blocked@example.org"):
            sender(smtp.plain, "none").send(MSG, "blocked@example.org", ["b@example.org"])

    def test_no_recipients(self, smtp: SmtpServers) -> None:
        with pytest.raises(SendError, match="no recipients"):
            sender(smtp.plain, "none").send(MSG, "a@example.org", [])

    def test_auth_required_but_not_offered(self, smtp: SmtpServers) -> None:
        with pytest.raises(SendError, match="does not offer login"):
            sender(smtp.plain, "none", **login()).send(MSG, "a@example.org", ["b@example.org"])


class TestTransportFailures:
    def test_untrusted_certificate(self, smtp: SmtpServers) -> None:
        with pytest.raises(SendError, match="could not be verified.*CA file") as err:
            sender(smtp.starttls, "starttls", **login()).send(MSG, "a@example.org", ["b@x.org"])
        assert err.value.title == "TLS problem"

    def test_untrusted_certificate_implicit_tls(self, smtp: SmtpServers) -> None:
        with pytest.raises(SendError, match="could not be verified"):
            sender(smtp.tls, "tls", **login()).send(MSG, "a@example.org", ["b@x.org"])

    def test_tls_to_a_starttls_port(self, smtp: SmtpServers) -> None:
        with pytest.raises(SendError, match="TLS handshake .* failed.*'tls' is for port 465"):
            sender(smtp.starttls, "tls", ca_file=str(smtp.ca_file)).send(
                MSG, "a@example.org", ["b@x.org"]
            )

    def test_starttls_not_offered(self, smtp: SmtpServers) -> None:
        with pytest.raises(SendError, match="does not offer STARTTLS"):
            sender(smtp.plain, "starttls").send(MSG, "a@example.org", ["b@x.org"])

    def test_bad_ca_file(self, smtp: SmtpServers, tmp_path: object) -> None:
        with pytest.raises(SendError, match="CA file /nonexistent.pem could not be loaded"):
            sender(smtp.tls, "tls", ca_file="/nonexistent.pem").send(MSG, "a@x.org", ["b@x.org"])

    def test_server_down(self, closed_port: int) -> None:
        with pytest.raises(SendError, match="refused the connection") as err:
            sender(closed_port, "starttls").send(MSG, "a@example.org", ["b@x.org"])
        assert err.value.title == "Connection refused"

    @pytest.mark.parametrize("security", ["starttls", "tls", "none"])
    def test_server_hangs(self, hanging_port: int, security: str) -> None:
        s = SmtpSender("127.0.0.1", hanging_port, security, timeout=0.5)  # type: ignore[arg-type]
        with pytest.raises(SendError, match="did not answer within 0.5 seconds") as err:
            s.send(MSG, "a@example.org", ["b@x.org"])
        assert err.value.title == "SMTP timeout"

    def test_unknown_host(self) -> None:
        s = SmtpSender("no-such-host.invalid", 25, "none", timeout=5)
        with pytest.raises(SendError, match="could not be found"):
            s.send(MSG, "a@example.org", ["b@x.org"])
