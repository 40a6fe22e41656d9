"""send_and_save: the Sent copy is the bytes the server got; a failed send keeps a draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from smimetui.core.errors import BackendError, PartlySentError, SendError
from smimetui.core.mail.base import DRAFT, SEEN, FolderIndex
from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.mail.smtp import SmtpSender
from smimetui.core.settings.accounts import Account
from smimetui.core.write.outbox import LocalOutbox, send_and_save
from smimetui.core.write.sign_encrypt import Copy
from tests.support.servers.smtp import SmtpServers

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

RAW = b"From: me@example.org\nTo: bob@example.org\nSubject: report\n\nline one\n.\nline two\n"
WIRE = RAW.replace(b"\n", b"\r\n")


@pytest.fixture
def backend(tmp_path: Path) -> MaildirBackend:
    return MaildirBackend(tmp_path / "Mail", create=True)


def account(**kw: object) -> Account:
    values: dict[str, object] = {"name": "me", "email": "me@example.org", "maildir": "/unused"}
    values.update(kw)
    return Account(**values)  # type: ignore[arg-type]


def only_message(backend: MaildirBackend, folder: str) -> tuple[bytes, frozenset[str]]:
    index: FolderIndex = backend.open_folder(folder)
    assert len(index) == 1
    return backend.fetch_raw(folder, index.uid_at(0)), index.summary(0).flags


def test_sent_copy_is_byte_identical(backend: MaildirBackend, smtp: SmtpServers) -> None:
    sender = SmtpSender("127.0.0.1", smtp.plain, "none", timeout=5)
    send_and_save(account(), backend, sender, RAW, ["bob@example.org", "cc@example.org"])
    ((mail_from, rcpts, received),) = smtp.recorder.received
    assert (mail_from, rcpts) == ("me@example.org", ["bob@example.org", "cc@example.org"])
    stored, flags = only_message(backend, "Sent")
    assert stored == received == WIRE
    assert flags == {SEEN}


def test_sent_folder_override(backend: MaildirBackend, smtp: SmtpServers) -> None:
    backend.create_folder("Sent")
    sender = SmtpSender("127.0.0.1", smtp.plain, "none", timeout=5)
    send_and_save(account(sent_folder="Gesendet"), backend, sender, RAW, ["b@example.org"])
    assert only_message(backend, "Gesendet")[0] == WIRE
    assert len(backend.open_folder("Sent")) == 0


def test_refused_recipient_keeps_draft(backend: MaildirBackend, smtp: SmtpServers) -> None:
    sender = SmtpSender("127.0.0.1", smtp.plain, "none", timeout=5)
    with pytest.raises(SendError) as err:
        send_and_save(account(), backend, sender, RAW, ["nobody@example.org"])
    assert "nobody@example.org" in str(err.value)
    assert "kept as a draft in 'Drafts'" in str(err.value)
    assert err.value.title == "Recipient refused"
    assert only_message(backend, "Drafts") == (WIRE, frozenset({DRAFT}))
    assert smtp.recorder.received == []
    assert "Sent" not in [f.name for f in backend.list_folders()]


def test_server_down_keeps_draft(backend: MaildirBackend, closed_port: int) -> None:
    sender = SmtpSender("127.0.0.1", closed_port, "starttls", timeout=5)
    with pytest.raises(SendError, match="refused the connection.*kept as a draft"):
        send_and_save(account(drafts_folder="Entwürfe"), backend, sender, RAW, ["b@x.org"])
    assert only_message(backend, "Entwürfe")[0] == WIRE


def test_draft_not_savable_says_so(backend: MaildirBackend, closed_port: int) -> None:
    sender = SmtpSender("127.0.0.1", closed_port, "none", timeout=5)
    with pytest.raises(SendError, match="could not be saved to '../x' either.*do not close"):
        send_and_save(account(drafts_folder="../x"), backend, sender, RAW, ["b@x.org"])


def test_sent_but_not_saved(backend: MaildirBackend, smtp: SmtpServers) -> None:
    sender = SmtpSender("127.0.0.1", smtp.plain, "none", timeout=5)
    with pytest.raises(BackendError, match="was sent, but the copy could not be saved"):
        send_and_save(account(sent_folder=".bad"), backend, sender, RAW, ["b@example.org"])
    assert len(smtp.recorder.received) == 1


class TestLocalOutbox:
    def test_delivers_into_outbox_and_saves_sent(self, backend: MaildirBackend) -> None:
        send_and_save(account(), backend, LocalOutbox(backend), RAW, ["bob@example.org"])
        queued, _ = only_message(backend, "Outbox")
        assert queued.startswith(
            b"X-Smimetui-Envelope-From: me@example.org\r\n"
            b"X-Smimetui-Envelope-To: bob@example.org\r\n"
        )
        assert queued.endswith(WIRE)
        assert only_message(backend, "Sent")[0] == WIRE

    def test_no_recipients_keeps_draft(self, backend: MaildirBackend) -> None:
        with pytest.raises(SendError, match="no recipients.*kept as a draft"):
            send_and_save(account(), backend, LocalOutbox(backend), RAW, [])
        assert only_message(backend, "Drafts")[0] == WIRE


class TestBccCopies:
    """Encrypted mail with Bcc: each Bcc recipient's own copy goes with its own RCPT TO."""

    COPY = b"From: me@example.org\r\nTo: bob@example.org\r\nSubject: report\r\n\r\ncopy\r\n"

    def test_each_copy_has_its_own_envelope(
        self, backend: MaildirBackend, smtp: SmtpServers
    ) -> None:
        sender = SmtpSender("127.0.0.1", smtp.plain, "none", timeout=5)
        copy = Copy(self.COPY, ("hidden@example.org",), None)
        send_and_save(account(), backend, sender, RAW, ["bob@example.org"], bcc_copies=[copy])
        (_, to_bob, first), (_, to_hidden, second) = smtp.recorder.received
        assert (to_bob, first) == (["bob@example.org"], WIRE)
        assert (to_hidden, second) == (["hidden@example.org"], self.COPY)
        assert only_message(backend, "Sent")[0] == WIRE  # the To/Cc copy, readable by you

    def test_refused_bcc_copy_is_named_and_the_rest_is_kept(
        self, backend: MaildirBackend, smtp: SmtpServers
    ) -> None:
        sender = SmtpSender("127.0.0.1", smtp.plain, "none", timeout=5)
        copies = [
            Copy(self.COPY, ("nobody@example.org",), None),
            Copy(self.COPY, ("hidden@example.org",), None),
        ]
        # PartlySentError: the others have it; sending again would send it to them twice
        with pytest.raises(PartlySentError, match="copy for the Bcc recipient nobody@example.org"):
            send_and_save(account(), backend, sender, RAW, ["bob@example.org"], bcc_copies=copies)
        assert [r for _, r, _ in smtp.recorder.received] == [
            ["bob@example.org"],
            ["hidden@example.org"],
        ]
        assert only_message(backend, "Sent")[0] == WIRE
