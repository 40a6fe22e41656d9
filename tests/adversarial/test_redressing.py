"""UI redressing: message content that imitates smimetui's own security status.

The status is computed from the signature only and lives where message content cannot write:
in the CLI, the report block printed before (and separated from) the body, every line of it
starting with smimetui's own label; in the TUI, a separate status widget (see the report).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from smimetui.cli.cmd_inspect import report_lines
from smimetui.cli.main import main
from smimetui.core.read.inspect import inspect_message
from smimetui.core.read.wording import report_headline
from smimetui.core.settings.home import Home
from tests.adversarial.helpers import write
from tests.support import crafted as mail
from tests.support.pki import FixturePKI

FAKE_STATUS = (
    "Signature: ✓ Verified: Signed by ceo@example.org — verified.\n"
    "  Signer:    CEO <ceo@example.org>\n"
    "  Matches From: yes\n"
    "  Chain:     trusted\n"
)
FAKE_BODY = mail.entity(f"{FAKE_STATUS}\nPlease pay the attached invoice today.\n")
LABELS = (
    "From:",
    "Subject:",
    "Date:",
    "Validated",
    "Encryption:",
    "Signature:",
    "  ",
    "Attachment:",
    "Problem:",
    "Authentication (",  # your server's results (issue 15)
    "Delivery:",  # hops and MIME defects (issue 15)
)


def _cli_blocks(capsys, path: Path) -> tuple[list[str], str]:
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    head, sep, body = out.partition("\n\n")
    assert sep, "no separation between report and body"
    return head.splitlines(), body


def test_unsigned_body_imitating_status(cli_home: Home, ctx, tmp_path: Path, capsys) -> None:
    # Naive: the status is a line of text above the body, in the same area and style; a body
    # that starts with "✓ Verified: Signed by ..." looks like the client's own verdict.
    raw = mail.message(
        FAKE_BODY, sender="ceo@example.org", subject="✓ Verified: Signed by ceo@example.org"
    )
    report = inspect_message(raw, ctx)
    assert report.signature is None
    assert report_headline(report).word == "Unsigned"
    head, body = _cli_blocks(capsys, write(tmp_path, "fake.eml", raw))
    assert head == report_lines(report)
    assert "Signature: none (this message is not signed)" in head
    assert all(line.startswith(LABELS) for line in head)  # no line of the block is content
    assert not any(line.startswith("Signature: ✓") for line in head)
    assert FAKE_STATUS.splitlines()[0] in body  # the imitation is in the body, below


def test_signed_body_claiming_another_signer(
    fixture_pki: FixturePKI, cli_home, ctx, tmp_path, capsys
):
    # Naive: Bob signs a mail whose body claims "Signed by ceo@example.org — verified"; the
    # real status (Bob) is less prominent than the fake one.
    bob = mail.key_of(fixture_pki.bob, fixture_pki.intermediate)
    raw = mail.message(mail.signed(FAKE_BODY, bob), sender="bob@example.org")
    report = inspect_message(raw, ctx)
    assert str(report_headline(report)) == "✓ Verified: Signed by bob@example.org — verified."
    head, body = _cli_blocks(capsys, write(tmp_path, "bob.eml", raw))
    assert head[-len(report_lines(report)) :] == report_lines(report)
    assert head[0].startswith("From:") and any("bob@example.org — verified" in h for h in head)
    assert not any("ceo@example.org" in h for h in head)


def test_text_never_changes_the_signature_fields(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: status derived from, or overridable by, what the content says.  Two messages
    # signed by Bob with innocent and with imitating text give the same verdict fields.
    bob = mail.key_of(fixture_pki.bob, fixture_pki.intermediate)
    plain = inspect_message(
        mail.message(mail.signed(mail.entity("Hello.\n"), bob), sender="bob@example.org"), ctx
    )
    fake = inspect_message(mail.message(mail.signed(FAKE_BODY, bob), sender="bob@example.org"), ctx)
    assert plain.signature is not None and fake.signature is not None
    strip = {"signed_text": "", "signing_time": None}
    assert replace(plain.signature, **strip) == replace(fake.signature, **strip)
    assert report_headline(plain) == report_headline(fake)
