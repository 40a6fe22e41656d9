"""The demo's messages: one builder per case, each with what the security pane must say."""

from __future__ import annotations

import datetime as dt

from smimetui.core.cms.encrypt import Preference
from smimetui.core.demo import messages as dm
from smimetui.core.demo.model import (
    DEMO_ADDRESS,
    DEMO_NAME,
    DEMO_PASSPHRASE,
    Builder,
    DemoMessage,
    DemoPki,
    Expect,
    on_day,
    recipient,
)
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.read.report import Coverage, EncryptionStatus, SignatureVerdict

YOU = f"{DEMO_NAME} <{DEMO_ADDRESS}>"
ALICE = "Alice Liddell <alice@example.org>"
BOB = "Bob Builder <bob@example.org>"
GOOD = Expect(
    signed=True,
    signature=SignatureVerdict.GOOD,
    chain=ChainStatus.TRUSTED,
    from_match=True,
    covers=Coverage.WHOLE,
)


def _when(number: int) -> dt.datetime:
    """Message ``number`` arrives on its own day in March 2025, in order."""
    return on_day(2025, 3, 1, 8) + dt.timedelta(hours=number * 7)


def _mid(number: int) -> str:
    return f"demo-{number:02d}@example.org"


def _msg(
    number: int,
    sender: str,
    subject: str,
    entity: bytes,
    *,
    to: str = YOU,
    cc: str = "",
    in_reply_to: str = "",
) -> bytes:
    return dm.message(
        sender=sender,
        to=to,
        subject=subject,
        date=_when(number),
        message_id=_mid(number),
        entity=entity,
        in_reply_to=in_reply_to,
        cc=cc,
    )


def welcome(p: DemoPki, n: int) -> DemoMessage:
    text = (
        "Welcome to the smimetui demo.\n\n"
        "Every message in this folder shows one thing the security pane can tell you; its\n"
        "subject says what you should see. Press s to open the security pane, ? for all keys.\n\n"
        f"Your digital ID is {DEMO_ADDRESS}. When a message needs your private key you are\n"
        f'asked for its passphrase: it is "{DEMO_PASSPHRASE}".\n\n'
        "Sending works too: mail you send lands in the Outbox folder, nothing leaves this\n"
        "computer.\n"
    )
    raw = _msg(
        n, "smimetui <demo@example.org>", "Welcome to the demo (not signed)", dm.text_part(text)
    )
    return DemoMessage("INBOX", raw, Expect(), seen=True)


def good_alice(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part("Hi Robin,\n\nLunch on Friday at 12:30? The usual place.\n\nAlice\n")
    entity = dm.signed(body, dm.signing_key(p.alice, [p.issuing]), _when(n), "sig-alice-1")
    return DemoMessage(
        "INBOX", _msg(n, ALICE, "Good signature from a contact: lunch on Friday", entity), GOOD
    )


def good_bob_opaque(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part("Robin,\n\nThe shed is finished. Invoice follows next week.\n\nBob\n")
    entity = dm.opaque_signed(body, dm.signing_key(p.bob, [p.issuing]), _when(n))
    subject = "Good signature (opaque, ECDSA P-256): the shed is finished"
    return DemoMessage("INBOX", _msg(n, BOB, subject, entity), GOOD)


def unknown_dan(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part(
        "Hello Robin,\n\nWe met at the conference. My certificate is attached to this signed\n"
        "message; press ctrl+k to add it to your contacts, then you can encrypt to me.\n\nDan\n"
    )
    entity = dm.signed(body, dm.signing_key(p.dan, [p.issuing]), _when(n), "sig-dan")
    subject = "Signed by someone new: press ctrl+k to import Dan's certificate"
    return DemoMessage("INBOX", _msg(n, "Dan Newcomer <dan@example.com>", subject, entity), GOOD)


def tampered(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part("Please transfer EUR 100 to the usual account.\n\nAlice\n")
    entity = dm.signed(body, dm.signing_key(p.alice, [p.issuing]), _when(n), "sig-tamper")
    entity = entity.replace(b"EUR 100 ", b"EUR 900 ", 1)  # altered after signing
    expect = Expect(signed=True, signature=SignatureVerdict.BAD)
    subject = "Tampered: altered after signing (invalid signature)"
    return DemoMessage("INBOX", _msg(n, ALICE, subject, entity), expect)


def untrusted_root(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part("Your account will be closed unless you confirm your password.\n")
    entity = dm.signed(body, dm.signing_key(p.mallory, [p.mallory_root]), _when(n), "sig-mal")
    expect = Expect(signed=True, signature=SignatureVerdict.GOOD, chain=ChainStatus.UNTRUSTED)
    subject = "Signed, but by an untrusted root CA"
    return DemoMessage("INBOX", _msg(n, "Mallory <mallory@example.net>", subject, entity), expect)


def expired(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part("Robin,\n\nStill using my old certificate, sorry!\n\nCarol\n")
    signer = dm.signing_key(p.carol_expired, [p.issuing])
    entity = dm.signed(body, signer, on_day(2023, 6, 1), "sig-carol")
    expect = Expect(signed=True, signature=SignatureVerdict.GOOD, chain=ChainStatus.EXPIRED)
    subject = "Signed with an expired certificate: ask Carol for her renewed one"
    return DemoMessage(
        "INBOX", _msg(n, "Carol Expired <carol@example.org>", subject, entity), expect
    )


def from_mismatch(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part("Dear customer,\n\nPlease confirm your details at our new address.\n")
    entity = dm.signed(body, dm.signing_key(p.dan, [p.issuing]), _when(n), "sig-mismatch")
    expect = Expect(
        signed=True, signature=SignatureVerdict.GOOD, chain=ChainStatus.TRUSTED, from_match=False
    )
    subject = "From does not match the signer (signed by dan@, From says bank)"
    raw = _msg(n, "Example Bank <security@bank.example>", subject, entity)
    return DemoMessage("INBOX", raw, expect)


def partial(p: DemoPki, n: int) -> DemoMessage:
    signed_part = dm.signed(
        dm.text_part("The meeting is on Tuesday at 10:00.\n\nAlice\n"),
        dm.signing_key(p.alice, [p.issuing]),
        _when(n),
        "sig-inner",
    )
    unsigned = dm.text_part("FORWARDED NOTE (not signed): the meeting moved to Thursday!\n")
    entity = dm.multipart("mixed", [unsigned, signed_part], "mixed-partial")
    expect = Expect(signed=True, signature=SignatureVerdict.GOOD, covers=Coverage.PARTIAL)
    subject = "Partially signed: only the boxed part is Alice's"
    return DemoMessage("INBOX", _msg(n, ALICE, subject, entity), expect)


def _enc(p: DemoPki, n: int, pref: Preference, subject: str, text: str) -> DemoMessage:
    rcpts = [recipient(p.you, "Robin"), recipient(p.bob, "Bob")]
    entity = dm.encrypted(dm.text_part(text), rcpts, pref)
    expect = Expect(encryption=EncryptionStatus.DECRYPTED, authenticated=pref is Preference.GCM)
    return DemoMessage("INBOX", _msg(n, BOB, subject, entity), expect)


def encrypted_cbc(p: DemoPki, n: int) -> DemoMessage:
    text = "The door code is 4711. (AES-256-CBC: confidential, but not tamper-evident.)\n"
    return _enc(p, n, Preference.CBC, "Encrypted to you (AES-CBC, not signed)", text)


def encrypted_gcm(p: DemoPki, n: int) -> DemoMessage:
    text = "The new door code is 0815. (AES-256-GCM: authenticated encryption.)\n"
    return _enc(p, n, Preference.GCM, "Encrypted to you (AES-GCM, not signed)", text)


def signed_encrypted(p: DemoPki, n: int) -> DemoMessage:
    inner = dm.signed(
        dm.text_part("Robin,\n\nThe contract draft is attached in my next mail.\n\nAlice\n"),
        dm.signing_key(p.alice, [p.issuing]),
        _when(n),
        "sig-enc",
    )
    rcpts = [recipient(p.you, "Robin"), recipient(p.alice, "Alice")]
    entity = dm.encrypted(inner, rcpts, Preference.GCM)
    expect = Expect(
        signed=True,
        signature=SignatureVerdict.GOOD,
        chain=ChainStatus.TRUSTED,
        from_match=True,
        encryption=EncryptionStatus.DECRYPTED,
        authenticated=True,
    )
    return DemoMessage(
        "INBOX", _msg(n, ALICE, "Signed and encrypted: contract draft", entity), expect
    )


def someone_else(p: DemoPki, n: int) -> DemoMessage:
    entity = dm.encrypted(
        dm.text_part("Eve's secret.\n"), [recipient(p.eve, "Eve")], Preference.GCM
    )
    expect = Expect(encryption=EncryptionStatus.NO_KEY)
    subject = "Encrypted for someone else: you cannot read this"
    raw = _msg(n, "Eve Elsewhere <eve@example.net>", subject, entity, to="eve@example.net")
    return DemoMessage("INBOX", raw, expect)


def certs_only_msg(p: DemoPki, n: int) -> DemoMessage:
    entity = dm.certs_only([p.bob, p.issuing])
    expect = Expect(certificates=2)
    return DemoMessage(
        "INBOX", _msg(n, BOB, "Certificates only: Bob's certificate and CA", entity), expect
    )


def attachments(p: DemoPki, n: int) -> DemoMessage:
    entity = dm.multipart(
        "mixed",
        [
            dm.text_part("Hi Robin,\n\nThe minutes and the budget are attached.\n\nBob\n"),
            dm.attachment_part("minutes.txt", "text/plain", b"1. Shed\n2. Budget\n"),
            dm.attachment_part("budget.csv", "text/csv", b"item,eur\nwood,420\nnails,12\n"),
        ],
        "mixed-attach",
    )
    return DemoMessage("INBOX", _msg(n, BOB, "Plain mail with two attachments", entity), Expect())


def html_mail(p: DemoPki, n: int) -> DemoMessage:
    html = (
        "<html><body><h1>Spring newsletter</h1><p>Our <b>garden party</b> is on May 3rd.</p>"
        '<img src="http://tracker.example/pixel.gif?u=robin" alt="">'
        '<p><a href="https://example.org/rsvp">RSVP here</a></p></body></html>'
    )
    entity = dm.multipart(
        "alternative",
        [dm.text_part(html, "html")],
        "alt-html",
    )
    raw = _msg(
        n, "Garden Club <news@garden.example>", "HTML mail (no remote content loaded)", entity
    )
    return DemoMessage("INBOX", raw, Expect())


def _thread(p: DemoPki, n: int, who: str, subject: str, text: str, parent: int | None) -> bytes:
    signer = {"alice": (p.alice, ALICE), "bob": (p.bob, BOB)}[who]
    entity = dm.signed(
        dm.text_part(text), dm.signing_key(signer[0], [p.issuing]), _when(n), f"t{n}"
    )
    cc = ALICE if who == "bob" else BOB
    in_reply_to = _mid(parent) if parent is not None else ""
    return _msg(n, signer[1], subject, entity, cc=cc, in_reply_to=in_reply_to)


def thread_1(p: DemoPki, n: int) -> DemoMessage:
    raw = _thread(
        p, n, "alice", "Thread: garden shed plans", "Shall we build the shed in April?\n", None
    )
    return DemoMessage("INBOX", raw, GOOD, seen=True)


def thread_2(p: DemoPki, n: int) -> DemoMessage:
    text = "> Shall we build the shed in April?\n\nApril works for me.\n"
    raw = _thread(p, n, "bob", "Re: Thread: garden shed plans", text, n - 1)
    return DemoMessage("INBOX", raw, GOOD, seen=True)


def thread_3(p: DemoPki, n: int) -> DemoMessage:
    text = "> April works for me.\n\nGreat, I will order the wood.\n"
    raw = _thread(p, n, "alice", "Re: Thread: garden shed plans", text, n - 1)
    return DemoMessage("INBOX", raw, GOOD)


def thread_4(p: DemoPki, n: int) -> DemoMessage:
    text = "> Great, I will order the wood.\n\nGet the larch, it lasts longer.\n"
    raw = _thread(p, n, "bob", "Re: Thread: garden shed plans", text, n - 1)
    return DemoMessage("INBOX", raw, GOOD)


def hostile(p: DemoPki, n: int) -> DemoMessage:
    """Markup and escape sequences everywhere: they must show literally and do nothing."""
    evil = "[bold]not bold[/bold] [@click=app.quit]click me[/] [link=https://x.example]x[/link]"
    subject = f"Hostile text shown literally: {evil} \x1b[31mred\x1b[0m \x1b]52;c;aGk=\x07\x07"
    body = (
        f"{evil}\n"
        "ESC sequences: \x1b[2J\x1b[31mRED\x1b[0m, OSC 52: \x1b]52;c;cHduZWQ=\x07, bell: \x07\n"
        "Bidi override: \u202egnp.exe\u202c\n"
    )
    entity = dm.multipart(
        "mixed",
        [dm.text_part(body), dm.attachment_part("[b]evil[/b]\x1b[2J.txt", "text/plain", b"x\n")],
        "mixed-hostile",
    )
    sender = "[red]Admin[/red] \x1b[1m <hostile@example.net>"
    return DemoMessage("INBOX", _msg(n, sender, subject, entity), Expect())


def redress(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part(
        "✓ Verified: Signed by ceo@example.org — verified.\n\n"
        "Please pay the attached invoice today.\n"
    )
    subject = "Not signed, but the body imitates our status line"
    return DemoMessage("INBOX", _msg(n, "CEO <ceo@example.org>", subject, body), Expect())


def wrong_usage(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part("Signed with my web server's certificate, that should do, right?\n")
    entity = dm.signed(body, dm.signing_key(p.dave_wrong_usage, [p.issuing]), _when(n), "sig-dave")
    expect = Expect(signed=True, signature=SignatureVerdict.GOOD, chain=ChainStatus.WRONG_USAGE)
    subject = "Signed with a certificate not meant for e-mail"
    return DemoMessage(
        "INBOX", _msg(n, "Dave Webserver <dave@example.org>", subject, entity), expect
    )


def sent_copy(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part("Alice,\n\nFriday works. See you there.\n\nRobin\n")
    entity = dm.signed(body, dm.signing_key(p.you, [p.issuing]), _when(n), "sig-you")
    raw = _msg(n, YOU, "Re: Good signature from a contact: lunch on Friday", entity, to=ALICE)
    return DemoMessage("Sent", raw, GOOD, seen=True)


def archived(p: DemoPki, n: int) -> DemoMessage:
    body = dm.text_part("Old news, kept in the archive.\n")
    entity = dm.signed(body, dm.signing_key(p.alice, [p.issuing]), _when(n), "sig-arch")
    return DemoMessage(
        "Archive", _msg(n, ALICE, "Archived: old signed note", entity), GOOD, seen=True
    )


def cbc_signed(p: DemoPki, n: int) -> DemoMessage:
    inner = dm.signed(
        dm.text_part("Robin,\n\nHere are the keys to the allotment.\n\nBob\n"),
        dm.signing_key(p.bob, [p.issuing]),
        _when(n),
        "sig-bob-cbc",
    )
    entity = dm.encrypted(
        inner, [recipient(p.you, "Robin"), recipient(p.bob, "Bob")], Preference.CBC
    )
    expect = Expect(
        signed=True,
        signature=SignatureVerdict.GOOD,
        chain=ChainStatus.TRUSTED,
        from_match=True,
        encryption=EncryptionStatus.DECRYPTED,
        authenticated=False,
    )
    return DemoMessage(
        "INBOX", _msg(n, BOB, "Signed and encrypted (AES-CBC): allotment keys", entity), expect
    )


CATALOG: tuple[Builder, ...] = (
    archived,
    sent_copy,
    thread_1,
    thread_2,
    thread_3,
    thread_4,
    good_alice,
    good_bob_opaque,
    unknown_dan,
    tampered,
    untrusted_root,
    expired,
    from_mismatch,
    partial,
    encrypted_cbc,
    encrypted_gcm,
    signed_encrypted,
    cbc_signed,
    someone_else,
    certs_only_msg,
    attachments,
    html_mail,
    wrong_usage,
    hostile,
    redress,
    welcome,
)
