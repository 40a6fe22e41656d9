"""One account's mail session: its mail store behind one lock, the read path with the reports
already verified, the session's one passphrase cache, and the ``Writer`` of the one write path.

Every method blocks (disk, network, crypto): the front end calls them from worker threads.
imapclient is not thread-safe, so every call on the mail store holds the session's lock, and the
``Writer`` it hands out holds the same lock.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from email.utils import formataddr
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.mail.base import Folder, FolderIndex, MailBackend, Progress, SecurityHint
from smimetui.core.read.report import EncryptionStatus, SecurityReport
from smimetui.core.session.folder_opening import FolderOpening
from smimetui.core.session.passphrases import session_passphrases
from smimetui.core.session.questions import Questions
from smimetui.core.session.report_cache import ReportCache
from smimetui.core.settings.accounts import Account
from smimetui.core.settings.home import Home

if TYPE_CHECKING:  # the read and write paths load on first use (the app starts before them)
    from smimetui.core.cms.envelope import KeyCandidate
    from smimetui.core.mail.factory import PasswordSource
    from smimetui.core.pki.keystore import StoredKey
    from smimetui.core.pki.passphrase import CachedPassphrases
    from smimetui.core.read.inspect import InspectContext
    from smimetui.core.write.send import Writer


@dataclass(frozen=True, slots=True)
class OwnAddress:
    """Who we are when writing: the From address and the name shown with it."""

    address: str
    display_name: str = ""

    @property
    def from_header(self) -> str:
        return formataddr((self.display_name, self.address)) if self.display_name else self.address


@runtime_checkable
class CachedFolders(Protocol):
    """A mail store with a header cache (IMAP): rows at once, before or while it syncs."""

    def cached_index(self, folder: str) -> FolderIndex | None: ...

    def filling_index(self, folder: str) -> FolderIndex | None: ...


def open_session(home: Home, account: Account, *, demo: bool = False) -> MailSession:
    """The session of ``account``: its mail store is opened with the session's questions for a
    password or a new OAuth2 sign-in (asked once the front end runs)."""
    from smimetui.core.mail.factory import open_backend

    questions = Questions()
    backend = open_backend(
        account,
        home,
        prompt=questions.password_prompt(account, cancelled="the account stays offline"),
        sign_in=questions.sign_in,
    )
    return MailSession(home, backend, account, demo=demo, questions=questions)


class MailSession:
    """One account's mail store plus what the read and write paths need across calls."""

    def __init__(
        self,
        home: Home,
        backend: MailBackend,
        account: Account,
        *,
        demo: bool = False,
        questions: Questions | None = None,
    ) -> None:
        self.home = home
        self.backend = backend
        self.account = account
        self.own_address = OwnAddress(account.email, account.display_name)
        self.demo = demo  # the demo home: sent mail goes to the local Outbox folder
        self.questions = questions or Questions()
        self.reports = ReportCache()
        self._lock = threading.Lock()  # one mail-store call at a time
        self._lock_passphrases = threading.Lock()
        self._passphrases: CachedPassphrases | None = None
        self._keys: list[StoredKey] | None = None
        self._opening: FolderOpening | None = None
        self._smtp_password: PasswordSource | None = None  # made at the first send

    # -- the mail store ---------------------------------------------------------------------
    def open_early(self, folder: str) -> None:
        """Start opening ``folder`` now, in a thread (before the UI is built); the first
        :meth:`open_folder` of it takes that call over."""
        self._opening = FolderOpening(folder, self._open_folder).start()

    def open_folder(self, folder: str, progress: Progress | None = None) -> FolderIndex:
        opening, self._opening = self._opening, None
        if opening is not None and opening.folder == folder:
            return opening.result(progress)
        return self._open_folder(folder, progress)

    def _open_folder(self, folder: str, progress: Progress | None) -> FolderIndex:
        with self._lock:
            return self.backend.open_folder(folder, progress)

    def cached_index(self, folder: str) -> FolderIndex | None:
        """What the header cache holds for ``folder``, without the network (IMAP), else None."""
        store = self.backend
        return store.cached_index(folder) if isinstance(store, CachedFolders) else None

    def filling_index(self, folder: str) -> FolderIndex | None:
        """The rows a running cold sync of ``folder`` has stored so far (IMAP), else None."""
        store = self.backend
        return store.filling_index(folder) if isinstance(store, CachedFolders) else None

    def list_folders(self) -> list[Folder]:
        with self._lock:
            return self.backend.list_folders()

    def set_flags(
        self, folder: str, uids: Iterable[int], add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        with self._lock:
            self.backend.set_flags(folder, list(uids), add=list(add), remove=list(remove))

    def move(self, folder: str, uids: Iterable[int], dest: str) -> None:
        """Move to ``dest``; their reports are forgotten (they are addressed by folder)."""
        uids = list(uids)
        with self._lock:
            self.backend.move(folder, uids, dest)
        self._forget(folder, uids)

    def delete(self, folder: str, uids: Iterable[int], *, permanently: bool = False) -> str | None:
        """``MailBackend.delete``: the Trash folder's name, or None when gone for good."""
        uids = list(uids)
        with self._lock:
            trash = self.backend.delete(folder, uids, permanently=permanently)
        self._forget(folder, uids)
        return trash

    def search(self, folder: str, text: str) -> list[int]:
        with self._lock:
            return self.backend.search(folder, text)

    def fetch(self, folder: str, uid: int) -> bytes:
        with self._lock:
            return self.backend.fetch_raw(folder, uid)

    def close(self) -> None:
        """Let go of the mail store (another account was opened); failures do not matter now."""
        with contextlib.suppress(Exception), self._lock:
            self.backend.close()

    def _forget(self, folder: str, uids: list[int]) -> None:
        for uid in uids:
            self.reports.forget(folder, uid)

    # -- passphrases and keys ---------------------------------------------------------------
    @property
    def passphrases(self) -> CachedPassphrases:
        """The session's one passphrase source (``passphrases.session_passphrases``): the
        keyring, then the user; unlocking once serves reading, signing, drafts and sending."""
        with self._lock_passphrases:
            if self._passphrases is None:
                self._passphrases = session_passphrases(self.questions.passphrase)
            return self._passphrases

    def share_passphrases(self, other: MailSession) -> None:
        """Use ``other``'s passphrase cache (switching accounts keeps IDs unlocked)."""
        with self._lock_passphrases:
            self._passphrases = other.passphrases

    def _key_candidates(self) -> list[KeyCandidate]:
        from smimetui.core.pki.keycandidates import token_candidates

        if self._keys is None:
            from smimetui.core.pki.keystore import Keystore

            exists = self.home.keystore_dir.exists()
            self._keys = Keystore(self.home).candidates(self.passphrases) if exists else []
        # Tokens are looked at again on each use: a card inserted since is found.
        return [*self._keys, *token_candidates(self.home, ask=self.questions.pin)]

    # -- the read path ----------------------------------------------------------------------
    def inspect(self, raw: bytes, *, decrypt: bool = True) -> SecurityReport:
        from smimetui.core.read.inspect import inspect_message

        return inspect_message(raw, self._context(decrypt=decrypt))

    def _context(self, *, decrypt: bool) -> InspectContext:
        """Trust, contacts and (to decrypt) the keys; the account's receiving server for the
        delivery facts, which badges (``decrypt`` off) do not show."""
        from smimetui.core.read.inspect import InspectContext
        from smimetui.core.read.transport import receiving_hosts

        keys = self._key_candidates() if decrypt else []
        context = InspectContext.from_home(self.home, keys=keys)
        authserv = self.account.authserv_id
        hosts = receiving_hosts(authserv, self.account.receiving_hosts)
        return replace(context, transport=decrypt, authserv_id=authserv, receiving_hosts=hosts)

    def open_message(self, folder: str, uid: int) -> tuple[bytes, SecurityReport]:
        """The original bytes and their report (verified once; a locked one is asked for
        again next time)."""
        raw = self.fetch(folder, uid)
        cached = self.reports.get(folder, uid)
        if cached is not None:
            return raw, cached
        report = self.inspect(raw)
        enc = report.encryption
        if enc is None or enc.status is not EncryptionStatus.LOCKED:
            self.reports.put(folder, uid, report)
        return raw, report

    def verify_for_badge(self, folder: str, uid: int, hint: SecurityHint) -> SecurityReport | None:
        """Verify a signed row in the background; never decrypts (that waits for opening)."""
        if hint is not SecurityHint.SIGNED or self.reports.get(folder, uid) is not None:
            return None
        report = self.inspect(self.fetch(folder, uid), decrypt=False)
        if report.encryption is None:
            self.reports.put(folder, uid, report)
        return report

    def trust_root(self, cert: CertInfo) -> str:
        """Trust ``cert`` as a root; every verdict is verified again.  The sentence saying so."""
        from smimetui.core.pki.trust import TrustStore

        TrustStore(self.home).add(cert.der)
        self.reports.clear()
        return f"Trusted {cert.display_name} (SHA-256 {cert.sha256[:16]}…) as a root."

    # -- the write path ---------------------------------------------------------------------
    def writer(self) -> Writer:
        """What ``core/write`` needs: this account and mail store (under the session's lock),
        the session's passphrases, and its questions for the SMTP password or a new sign-in."""
        from smimetui.core.mail.factory import PasswordSource
        from smimetui.core.write.send import Writer

        if self._smtp_password is None:
            prompt = self.questions.password_prompt(
                self.account, cancelled="the message was not sent"
            )
            self._smtp_password = PasswordSource(self.account, prompt, server="smtp")
        return Writer(
            self.home,
            self.account,
            self.passphrases,
            backend=self.backend,
            lock=self._lock,
            smtp_password=self._smtp_password,
            sign_in=self.questions.sign_in,
            local_outbox=self.demo,
        )
