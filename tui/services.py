"""What the screens call into: one mail session over the core (backend, read path, stores).

Everything here blocks (disk, network, crypto) and is called from worker threads only.  It holds
no widgets; results go back to the UI as messages from ``tui/messages.py``.  Verification results
are cached per message so that scrolling back never verifies twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.errors import SmimeTuiError
from smimetui.core.mail.base import FolderIndex, MailBackend, Progress, SecurityHint
from smimetui.core.read.report import EncryptionStatus, SecurityReport
from smimetui.core.settings.home import Home

if TYPE_CHECKING:
    from smimetui.tui.opening import FolderOpening

PASSPHRASE_TTL = 8 * 3600.0  # seconds an unlocked passphrase is remembered
MAX_PROMPTS = 3
# ident, attempt -> passphrase (None: the user cancelled)
PassphraseAsk = Callable[[str, int], bytes | None]


class ReportCache:
    """LRU of security reports by (folder, uid); thread-safe (workers fill it, the UI reads)."""

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int], SecurityReport] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, folder: str, uid: int) -> SecurityReport | None:
        with self._lock:
            report = self._items.get((folder, uid))
            if report is not None:
                self._items.move_to_end((folder, uid))
            return report

    def put(self, folder: str, uid: int, report: SecurityReport) -> None:
        with self._lock:
            self._items[(folder, uid)] = report
            self._items.move_to_end((folder, uid))
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def forget(self, folder: str, uid: int | None = None) -> None:
        with self._lock:
            for key in [k for k in self._items if k[0] == folder and uid in (None, k[1])]:
                del self._items[key]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who we are when writing: the From address and the name shown with it."""

    address: str
    display_name: str = ""

    @property
    def from_header(self) -> str:
        from email.utils import formataddr

        return formataddr((self.display_name, self.address)) if self.display_name else self.address


class MailSession:
    """One account's backend plus the stores the read and write paths need."""

    def __init__(
        self,
        home: Home,
        backend: MailBackend,
        identity: Identity,
        *,
        account: Any = None,
        demo: bool = False,
    ) -> None:
        self.home = home
        self.backend = backend
        self.identity = identity
        self.account = account
        self.demo = demo
        self.reports = ReportCache()
        self.ask_passphrase: PassphraseAsk | None = None
        self.ask_password: Callable[[str, str], str | None] | None = None  # (account, prompt)
        # An OAuth2 account's sign-in is gone: (account, reason) -> signed in again (a dialog)
        self.ask_sign_in: Callable[[Any, str], bool] | None = None
        self.ask_pin: Callable[[str, str, int], str | None] | None = None  # token, hint, attempt
        self._lock_passphrases = threading.Lock()
        self._lock = threading.Lock()  # one backend call at a time (imapclient is not thread-safe)
        self._keys: list[Any] | None = None
        self._passphrases: Any = None  # one cache for the session: reading, signing, drafts
        self.ui_ready = threading.Event()  # set once the app runs and can ask questions
        self._opening: FolderOpening | None = None

    # -- folders --------------------------------------------------------------------------
    def open_early(self, folder: str) -> None:
        """Start opening ``folder`` now, in a thread (before the app is built); the first
        :meth:`open_folder` of it takes that call over."""
        from smimetui.tui.opening import FolderOpening

        self._opening = FolderOpening(folder, self._open_folder).start()

    def open_folder(self, folder: str, progress: Progress | None = None) -> FolderIndex:
        opening, self._opening = self._opening, None
        if opening is not None and opening.folder == folder:
            return opening.result(progress)
        return self._open_folder(folder, progress)

    def _open_folder(self, folder: str, progress: Progress | None) -> FolderIndex:
        index: FolderIndex = self.backend_call("open_folder", folder, progress)
        return index

    def cached_index(self, folder: str) -> FolderIndex | None:
        """What the header cache holds for ``folder``, without the network (IMAP), else None."""
        cached = getattr(self.backend, "cached_index", None)
        return cached(folder) if cached is not None else None

    def filling_index(self, folder: str) -> FolderIndex | None:
        """The rows a running cold sync of ``folder`` has stored so far (IMAP), else None."""
        filling = getattr(self.backend, "filling_index", None)
        return filling(folder) if filling is not None else None

    # -- read path ------------------------------------------------------------------------
    def share_passphrases(self, other: MailSession) -> None:
        """Use ``other``'s passphrase cache (switching accounts keeps IDs unlocked)."""
        self._passphrases = other.passphrases

    def close(self) -> None:
        """Let go of the backend (another account was opened); failures do not matter now."""
        import contextlib

        with contextlib.suppress(Exception), self._lock:
            self.backend.close()

    def _key_candidates(self) -> list[Any]:
        if self._keys is None:
            from smimetui.core.pki.keystore import Keystore

            if not self.home.keystore_dir.exists():
                self._keys = []
            else:
                self._keys = list(Keystore(self.home).candidates(self.passphrases))
        # Tokens are looked at again on each use: a card inserted since is found.
        from smimetui.core.pki.keycandidates import token_candidates

        return [*self._keys, *token_candidates(self.home, ask=self._ask_pin)]

    def _ask_pin(self, token: str, hint: str, attempt: int) -> str | None:
        ask = self.ask_pin
        return ask(token, hint, attempt) if ask is not None else None

    @property
    def passphrases(self) -> Any:
        """The session's one passphrase source: the keyring first (no question at all), then
        the modal.  A passphrase that worked is remembered for the session, so unlocking once
        serves reading, signing, drafts and sending."""
        with self._lock_passphrases:
            if self._passphrases is None:
                from smimetui.core.pki.passphrase import (
                    CachedPassphrases,
                    ChainedPassphrases,
                    KeyringPassphrase,
                )

                chain = ChainedPassphrases(KeyringPassphrase(), _AskPassphrase(self))
                self._passphrases = CachedPassphrases(chain, ttl_seconds=PASSPHRASE_TTL)
            return self._passphrases

    def _context(self, *, decrypt: bool) -> Any:
        from smimetui.core.read.inspect import InspectContext

        keys: Sequence[Any] = self._key_candidates() if decrypt else ()
        context = InspectContext.from_home(self.home, keys=keys)
        return _with_receiving_server(context, self.account, transport=decrypt)

    def fetch(self, folder: str, uid: int) -> bytes:
        with self._lock:
            return self.backend.fetch_raw(folder, uid)

    def inspect(self, raw: bytes, *, decrypt: bool = True) -> SecurityReport:
        from smimetui.core.read.inspect import inspect_message

        return inspect_message(raw, self._context(decrypt=decrypt))

    def open_message(self, folder: str, uid: int) -> tuple[bytes, SecurityReport]:
        raw = self.fetch(folder, uid)
        cached = self.reports.get(folder, uid)
        if cached is not None:
            return raw, cached
        report = self.inspect(raw)
        enc = report.encryption
        if enc is None or enc.status is not EncryptionStatus.LOCKED:
            self.reports.put(folder, uid, report)  # a locked one is asked for again next time
        return raw, report

    def verify_for_badge(self, folder: str, uid: int, hint: SecurityHint) -> SecurityReport | None:
        """Verify a signed row in the background; never decrypts (that waits for opening)."""
        if hint is not SecurityHint.SIGNED or self.reports.get(folder, uid) is not None:
            return None
        report = self.inspect(self.fetch(folder, uid), decrypt=False)
        if report.encryption is None:
            self.reports.put(folder, uid, report)
        return report

    # -- certificates ---------------------------------------------------------------------
    def trust_root(self, cert: CertInfo) -> str:
        from smimetui.core.pki.trust import TrustStore

        TrustStore(self.home).add(cert.der)
        return f"Trusted {cert.display_name} (SHA-256 {cert.sha256[:16]}…) as a root."

    def backend_call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a backend method under the session's lock."""
        with self._lock:
            return getattr(self.backend, method)(*args, **kwargs)


class _AskPassphrase:
    """A PassphraseSource that asks the user through the session's prompt (a modal)."""

    name = "the passphrase prompt"

    def __init__(self, session: MailSession) -> None:
        self.session = session

    def get(self, ident: Any, attempt: int) -> bytes | None:
        ask = self.session.ask_passphrase
        if ask is None or attempt >= MAX_PROMPTS:
            return None
        return ask(str(getattr(ident, "label", ident)), attempt + 1)


def error_text(err: BaseException) -> tuple[str, str]:
    """(title, sentence) for a notification; unexpected errors still get a sentence."""
    if isinstance(err, SmimeTuiError):
        return err.title, err.message
    return "Unexpected error", f"{type(err).__name__}: {err}. Please report this as a bug."


def _with_receiving_server(context: Any, account: Any, *, transport: bool) -> Any:
    """The account's receiving server (authserv-id, hosts) for the delivery facts; badges
    (``transport`` off) need none of it."""
    from dataclasses import replace

    from smimetui.core.read.transport import receiving_hosts

    authserv = str(getattr(account, "authserv_id", "") or "")
    hosts = receiving_hosts(authserv, str(getattr(account, "receiving_hosts", "") or ""))
    return replace(context, transport=transport, authserv_id=authserv, receiving_hosts=hosts)
