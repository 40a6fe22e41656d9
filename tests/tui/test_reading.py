"""Reading like a power user (issue 15): h for every header, ctrl+u for the source, o to open an
attachment (text here, others with a mailcap entry), Authentication and Delivery in the pane."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import TextArea

from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.read.rawview import source_text
from smimetui.core.settings.accounts import add_account, get_account
from smimetui.core.settings.home import Home
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.screens.open_attachment import OpenAttachmentScreen
from smimetui.tui.screens.source import TextViewScreen
from tests.support.corpus import TRANSPORT

from .helpers import SIZE, make_app, open_subject, settle, widget_text

CORPUS = TRANSPORT
PDF = b"%PDF-1.4\n% smimetui test\n"


def deliver(home: Home, raw: bytes) -> None:
    MaildirBackend(Path(get_account(home, "demo").maildir)).append("INBOX", raw, [])


def pdf_message(subject: str) -> bytes:
    import base64

    return (
        f"From: bob@example.net\r\nTo: robin@example.org\r\nSubject: {subject}\r\n"
        "Date: Thu, 3 Dec 2026 10:00:00 +0000\r\nMessage-ID: <pdf@example.net>\r\n"
        "X-Trick: [@click=app.quit]\x1b[31m\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
        "Content-Type: text/plain\r\n\r\nSee the report.\r\n--B\r\n"
        'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="report.pdf"'
        "\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.b64encode(PDF).decode()}\r\n--B--\r\n"
    ).encode()


class TestHeadersAndSource:
    async def test_h_toggles_every_header_sanitised(self, demo_home: Home) -> None:
        deliver(demo_home, pdf_message("Power headers"))
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Power headers")
            assert not app.screen.query(".full-headers")
            await pilot.press("h")
            await pilot.pause()
            text = widget_text(app, ".full-headers")
            assert "Message-ID: <pdf@example.net>" in text
            assert "X-Trick: [@click=app.quit][31m" in text  # literal, no markup, no ESC
            assert "\x1b" not in text
            await open_subject(pilot, "Plain mail with two attachments")
            assert "Subject: Plain mail with two attachments" in widget_text(app, ".full-headers")
            await pilot.press("h")
            await pilot.pause()
            assert not app.screen.query(".full-headers")

    async def test_ctrl_u_shows_the_source_read_only(self, demo_home: Home) -> None:
        raw = pdf_message("Power source")
        deliver(demo_home, raw)
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Power source")
            mailbox = app.screen
            assert isinstance(mailbox, MailboxScreen)
            await pilot.press("ctrl+u")
            await pilot.pause()
            assert isinstance(app.screen, TextViewScreen) and app.screen.id == "source-view"
            area = app.screen.query_one(TextArea)
            assert area.read_only and area.text == source_text(mailbox.raw)
            assert "Content-Disposition: attachment" in area.text
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is mailbox


class TestOpenAttachment:
    async def test_text_attachment_inline(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Plain mail with two attachments")
            await pilot.press("o")
            await pilot.pause()
            assert isinstance(app.screen, OpenAttachmentScreen)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, TextViewScreen)
            assert app.screen.query_one(TextArea).text == "1. Shed\n2. Budget\n"

    async def test_mailcap_entry_runs_on_a_private_copy(
        self, demo_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        marker, where = tmp_path / "marker", tmp_path / "where"
        mailcap = tmp_path / "mailcap"
        mailcap.write_text(f"application/pdf; cp %s {marker} && echo %s > {where}\n")
        monkeypatch.setenv("MAILCAPS", str(mailcap))
        deliver(demo_home, pdf_message("Power attachment"))
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Power attachment")
            await pilot.press("o")
            await settle(pilot)
            assert marker.read_bytes() == PDF
            copy = Path(where.read_text().strip())
            assert copy.name == "report.pdf" and not copy.parent.exists()  # removed afterwards
            assert any("report.pdf was opened with the mailcap entry" in str(n.message)
                       for n in app._notifications)  # fmt: skip

    async def test_failing_viewer_is_one_sentence(
        self, demo_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        mailcap = tmp_path / "mailcap"
        mailcap.write_text("application/pdf; exit 4\n")
        monkeypatch.setenv("MAILCAPS", str(mailcap))
        deliver(demo_home, pdf_message("Power failure"))
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Power failure")
            await pilot.press("o")
            await settle(pilot)
            assert any("ended with exit status 4" in str(n.message) for n in app._notifications)


class TestSecurityPane:
    async def test_authentication_and_delivery(self, demo_home: Home) -> None:
        account = get_account(demo_home, "demo")
        add_account(demo_home, replace(account, authserv_id="mx.example.org"), replace=True)
        deliver(demo_home, (CORPUS / "gmail_dmarc_pass.eml").read_bytes())
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Lunch on Friday?")
            assert "· DMARC at your server: pass" in widget_text(app, "SecurityStatus")
            await pilot.press("s")
            await pilot.pause()
            auth = widget_text(app, "#security-authentication")
            assert "DMARC: pass (example.net)" in auth and "confirmed by DMARC" in auth
            assert app.screen.query_one("#security-authentication").has_class("-good")
            delivery = widget_text(app, "#security-delivery")
            assert "Handed to your server by: mail-sor-f41.google.com" in delivery
            assert "[claimed by the sender]" in delivery
            assert "⚠ the text shows www.paypal.com" in delivery
            body = widget_text(app, ".body-text")
            assert "[2] https://evil.example/login  (host: evil.example)" in body


class TestEncryptedAttachment:
    async def test_p7m_opens_through_the_read_path(self, demo_home: Home) -> None:
        import base64

        from smimetui.core.read.mimewalk import parse_message
        from smimetui.tui.screens.passphrase import PassphraseScreen

        box = MaildirBackend(Path(get_account(demo_home, "demo").maildir))
        index = box.open_folder("INBOX")
        uid = next(
            index.summary(p).uid
            for p in range(len(index))
            if index.summary(p).subject.startswith("Encrypted to you (AES-GCM")
        )
        der = parse_message(box.fetch_raw("INBOX", uid)).decoded()
        deliver(
            demo_home,
            (
                "From: bob@example.net\r\nTo: robin@example.org\r\nSubject: Power p7m\r\n"
                'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
                "--B\r\nContent-Type: text/plain\r\n\r\nForwarded.\r\n--B\r\n"
                "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m"
                "\r\nContent-Disposition: attachment; filename=smime.p7m\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n"
                f"{base64.encodebytes(der).decode()}\r\n--B--\r\n"
            ).encode(),
        )
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Power p7m")
            assert "door code is 0815" not in widget_text(app, ".body-text")  # EFAIL: not opened
            await pilot.press("o")
            for _ in range(40):
                await pilot.pause(0.1)
                if isinstance(app.screen, PassphraseScreen):
                    break
            assert isinstance(app.screen, PassphraseScreen)
            await pilot.press(*"demo", "enter")
            await settle(pilot)
            assert isinstance(app.screen, TextViewScreen)
            text = app.screen.query_one(TextArea).text
            assert "The new door code is 0815" in text and "Encrypted" in text


class TestHostileHeaders:
    async def test_ten_thousand_hops_stay_within_limits(self, demo_home: Home) -> None:
        hops = b"".join(
            b"Received: from h%d.example (h%d [192.0.2.1]) by h%d.example with SMTP;"
            b" Thu, 3 Dec 2026 10:00:00 +0000\r\n" % (i, i, i)
            for i in range(10_000)
        )
        # Subject first: the list reads only the start of a header (the backend's own limit)
        head = b"Subject: Power hops\r\nFrom: a@example.net\r\n"
        deliver(demo_home, head + hops + b"\r\nx\r\n")
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Power hops")
            await pilot.press("h", "s")
            await pilot.pause()
            headers = widget_text(app, ".full-headers")
            assert headers.count("\n") == 500
            assert headers.endswith("… 9502 more lines: ctrl+u shows the source")
            delivery = widget_text(app, "#security-delivery")
            assert "Delivery: 10000 hop(s)" in delivery
            assert "(the 50 newest hops are shown)" in delivery
