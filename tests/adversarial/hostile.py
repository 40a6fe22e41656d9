"""Hostile mail for the terminal tests: escape sequences and markup in every displayed field.

Each payload carries a marker so a test can tell that the field was displayed (marker present)
and that its escape sequence was not (never the marker with its ESC prefix).
"""

from __future__ import annotations

import base64
import urllib.parse

from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.makecerts import Issued
from tests.support import crafted as mail
from tests.support.pki import FixturePKI

# (raw sequence as it appears in the mail, marker text that follows the control bytes)
OSC_TITLE = "\x1b]0;PWNED-TITLE\x07"
OSC_CLIPBOARD = "\x1b]52;c;Y2xpcGJvYXJk\x07"  # writes "clipboard" to the clipboard
OSC_LINK = "\x1b]8;;http://evil.example/LINK-MARK\x07click\x1b]8;;\x07"
CSI_RED = "\x1b[31mRED-MARK\x1b[0m"
CSI_CLEAR = "\x1b[2J\x1b[HCLEAR-MARK"
C1_CSI = "\u009b31mC1-MARK"
BACKSPACE_CR = "BS-MARK\x08\x08\x08\rCR-MARK"
MARKUP = "[bold]BOLD-MARK[/] [@click=app.quit]CLICK-MARK[/] [link=http://evil.example]LN[/link]"
BIDI = "\u202eRTL-MARK\u202c"

ALL = (OSC_TITLE, OSC_CLIPBOARD, OSC_LINK, CSI_RED, CSI_CLEAR, C1_CSI, BACKSPACE_CR, MARKUP, BIDI)

# What must never reach a terminal: the sequences with their introducer.
FORBIDDEN = (
    b"\x1b]0;PWNED",
    b"\x1b]52;",
    b"\x1b]8;;http://evil",
    b"\x1b[31mRED-MARK",
    b"\x1b[2J\x1b[HCLEAR",
    b"\xc2\x9b",  # 8-bit CSI, UTF-8 encoded
    b"\x9b31m",
    b"\x08\x08\x08",
    b"\rCR-MARK",
    b"\xe2\x80\xae",  # U+202E RIGHT-TO-LEFT OVERRIDE, UTF-8 encoded
)
MARKERS = ("PWNED-TITLE", "RED-MARK", "C1-MARK", "BOLD-MARK", "CLICK-MARK")


def hostile_cert(fixture_pki: FixturePKI) -> Issued:
    """A certificate from the trusted CA whose name fields carry escapes and markup."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    leaf = pki.make_leaf(
        fixture_pki.intermediate,
        ["eve\x1b[2J@example.org", "eve@example.org"],
        common_name=f"Eve {OSC_TITLE} {C1_CSI} [bold]CN-MARK[/]",
    )
    # make_leaf puts only the CN in the subject; add O/OU with markup by re-issuing.
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{MARKUP} {CSI_RED}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Eve {OSC_TITLE} {C1_CSI} CN-MARK"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(leaf.cert.issuer)
        .public_key(leaf.key.public_key())
        .serial_number(leaf.cert.serial_number)
        .not_valid_before(leaf.cert.not_valid_before_utc)
        .not_valid_after(leaf.cert.not_valid_after_utc)
    )
    for ext in leaf.cert.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    cert = builder.sign(fixture_pki.intermediate.key, pki._hash_for(fixture_pki.intermediate.key))
    return Issued(cert, leaf.key)


def _encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def hostile_message(fixture_pki: FixturePKI, *, signer: Issued | None = None) -> bytes:
    body = (
        "BODY-MARK\n" + "\n".join(ALL) + "\n✓ Verified: Signed by alice@example.org — verified.\n"
    )
    latin1 = b"LATIN1-MARK \x1b[5A \x9b31m \x07 \x9d0;x\x9c end\n"
    name = urllib.parse.quote(f"{OSC_TITLE}{CSI_RED}FILE-MARK [bold]x[/].txt")
    parts = [
        mail.entity(body),
        mail.entity(latin1, "text/plain; charset=iso-8859-1"),
        mail.entity(
            b"attachment body\n",
            "application/octet-stream",
            [f"Content-Disposition: attachment; filename*=utf-8''{name}"],
        ),
    ]
    content = mail.multipart("mixed", parts, "hostile")
    if signer is not None:
        content = mail.signed(content, mail.key_of(signer, fixture_pki.intermediate))
    headers = [
        f"From: {OSC_LINK} {MARKUP} <eve@example.org>",
        "To: me@example.org",
        f"Subject: SUBJ-MARK {OSC_TITLE} {CSI_RED} {MARKUP} "
        + _encoded_word(OSC_CLIPBOARD + C1_CSI),
        "Date: Mon, 01 Jun 2026 10:00:00 +0000",
        "Message-ID: <hostile@example.org>",
    ]
    return mail.message(content, headers)
