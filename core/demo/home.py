"""The demo home: a demo CA, your own digital ID, contacts, and a Maildir that shows every case.

``ensure_demo_home(home)`` creates it once (a marker file says it is complete) and is UI-free.
Every message's subject says what the security pane will say, and ``DemoMessage.expect`` states
it in machine terms so that a test can run the read path over each one and compare.

Dates are fixed (messages in March 2025, certificates valid 2025-2035, the expired one in
2023), so the demo looks the same every time; only the keys are new each time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.x509.oid import ExtendedKeyUsageOID

from smimetui.core.cms.encrypt import Preference
from smimetui.core.demo import messages as dm
from smimetui.core.demo.catalog import CATALOG
from smimetui.core.demo.model import (
    DEMO_ADDRESS,
    DEMO_NAME,
    DEMO_PASSPHRASE,
    VALID_FROM,
    VALID_TO,
    DemoMessage,
    DemoPki,
    Expect,
    on_day,
)
from smimetui.core.mail.base import SEEN
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.makecerts import Issued
from smimetui.core.settings.home import Home, private_file

MARKER = "demo.json"
MAILDIR = "Mail"
FOLDERS = ("Sent", "Drafts", "Trash", "Outbox", "Archive")


@dataclass(frozen=True, slots=True)
class DemoInfo:
    home: Home
    address: str
    maildir: Path
    messages: int


def make_demo_pki() -> DemoPki:
    root = pki.make_ca(
        "smimetui Demo Root CA",
        org="smimetui demo",
        not_before=on_day(2024, 1, 1, 0),
        not_after=on_day(2044, 1, 1, 0),
        key_kind="p256",
    )
    issuing = pki.make_ca(
        "smimetui Demo Issuing CA",
        org="smimetui demo",
        issuer=root,
        not_before=on_day(2024, 1, 1, 0),
        not_after=on_day(2040, 1, 1, 0),
        key_kind="p256",
    )

    def leaf(addr: str, name: str, issuer: Issued = issuing, **kw: object) -> Issued:
        kw.setdefault("not_before", VALID_FROM)
        kw.setdefault("not_after", VALID_TO)
        return pki.make_leaf(issuer, addr, common_name=name, **kw)  # type: ignore[arg-type]

    mallory_root = pki.make_ca(
        "Totally Legit Root CA",
        not_before=on_day(2024, 1, 1, 0),
        not_after=on_day(2044, 1, 1, 0),
        key_kind="p256",
    )
    return DemoPki(
        root=root,
        issuing=issuing,
        you=leaf(DEMO_ADDRESS, DEMO_NAME),
        alice=leaf("alice@example.org", "Alice Liddell"),
        bob=leaf("bob@example.org", "Bob Builder", key_kind="p256"),
        carol_expired=leaf(
            "carol@example.org",
            "Carol Expired",
            not_before=on_day(2023, 1, 1, 0),
            not_after=on_day(2024, 1, 1, 0),
            key_kind="p256",
        ),
        dan=leaf("dan@example.com", "Dan Newcomer", key_kind="p256"),
        dave_wrong_usage=leaf(
            "dave@example.org",
            "Dave Webserver",
            eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
            key_kind="p256",
        ),
        eve=leaf("eve@example.net", "Eve Elsewhere", key_kind="p256"),
        mallory_root=mallory_root,
        mallory=leaf("mallory@example.net", "Mallory", issuer=mallory_root, key_kind="p256"),
    )


def ensure_demo_home(home: Home) -> DemoInfo:
    """Create the demo home once; later calls only report where it is."""
    maildir = home.data_dir / MAILDIR
    marker = home.data_dir / MARKER
    if marker.exists():
        count = json.loads(marker.read_text("utf-8")).get("messages", 0)
        return DemoInfo(home, DEMO_ADDRESS, maildir, int(count))
    demo = make_demo_pki()
    _write_stores(home, demo)
    messages = build_messages(demo)
    _write_maildir(maildir, messages)
    _write_config(home, maildir)
    home.ensure(home.data_dir)
    summary = {"messages": len(messages), "address": DEMO_ADDRESS}
    private_file(marker).write_text(json.dumps(summary), "utf-8")
    return DemoInfo(home, DEMO_ADDRESS, maildir, len(messages))


def _write_stores(home: Home, demo: DemoPki) -> None:
    # lazy: only the demo's first start writes its stores (startup stays light)
    from smimetui.core.pki.contacts import SOURCE_FILE, Contacts
    from smimetui.core.pki.keystore import Keystore
    from smimetui.core.pki.trust import TrustStore

    TrustStore(home).add(demo.root.cert_pem)
    Keystore(home).add(
        demo.you.cert, demo.you.key, [demo.issuing.cert], DEMO_PASSPHRASE.encode("utf-8")
    )
    book = Contacts(home)
    for person, name in (
        (demo.alice, "Alice Liddell"),
        (demo.bob, "Bob Builder"),
        (demo.carol_expired, "Carol Expired"),
    ):
        book.add_certificate(person.cert, source=SOURCE_FILE, name=name, accepted=True)


def _write_maildir(root: Path, messages: list[DemoMessage]) -> None:
    # lazy: only the demo's first start writes its stores (startup stays light)
    from smimetui.core.mail.maildir.backend import MaildirBackend

    backend = MaildirBackend(root, create=True)
    for folder in FOLDERS:
        backend.create_folder(folder)
    for msg in messages:
        backend.append(msg.folder, msg.raw, [SEEN] if msg.seen else [])
    backend.close()


def _write_config(home: Home, maildir: Path) -> None:
    # lazy: only the demo's first start writes its stores (startup stays light)
    from smimetui.core.settings.accounts import Account, add_account

    add_account(
        home,
        Account(
            name="demo",
            email=DEMO_ADDRESS,
            display_name=DEMO_NAME,
            maildir=str(maildir),
            sent_folder="Sent",
            drafts_folder="Drafts",
            sign_by_default=True,
            default=True,
        ),
        replace=True,
    )


def build_messages(demo: DemoPki) -> list[DemoMessage]:
    """Every demo message, oldest first."""
    out: list[DemoMessage] = []
    for number, build in enumerate(CATALOG, start=1):
        out.append(build(demo, number))
    return out


__all__ = [
    "DEMO_ADDRESS",
    "DEMO_PASSPHRASE",
    "DemoInfo",
    "DemoMessage",
    "DemoPki",
    "Expect",
    "Preference",
    "build_messages",
    "dm",
    "ensure_demo_home",
    "make_demo_pki",
]
