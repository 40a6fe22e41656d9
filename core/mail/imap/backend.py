"""The IMAP backend: imapclient for login, TLS and small commands, a framing reader for bulk.

One connection per backend, owned by whoever holds ``_lock`` (imapclient is not thread-safe);
IDLE runs on a second connection of its own.  Summaries live in the :class:`HeaderCache` and are
brought up to date by :class:`FolderSync`; full messages are cached on disk per
account/folder/UIDVALIDITY/UID.  A dropped connection is reopened on the next call (read-only
commands are retried once at once); flag changes are journalled first and replayed after a
reconnect, so nothing the user did is lost.
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import os
import re
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import quote

import imapclient
from imapclient import imap_utf7
from imapclient.exceptions import LoginError

from smimetui.core.errors import (
    AuthenticationError,
    BackendError,
    CacheDamagedError,
    ConnectionLostError,
    FolderNotFoundError,
    FolderResetError,
    MessageNotFoundError,
    NoTrashError,
    ServerResponseError,
    TlsError,
)
from smimetui.core.mail.base import DELETED, Folder, FolderIndex, FolderRole, Progress
from smimetui.core.mail.imap import oauth_login as imap_oauth
from smimetui.core.mail.imap.cached_index import CachedIndex
from smimetui.core.mail.imap.framing import (
    ImapCommandError,
    RawConnection,
    ResponseLimitError,
    flag_bits,
    uid_set,
)
from smimetui.core.mail.imap.header_cache import HeaderCache
from smimetui.core.mail.imap.roles import Listed, assign_roles, delimiter_text
from smimetui.core.mail.imap.summaries import parse_items
from smimetui.core.mail.imap.sync import FolderSync, MailboxInfo, SyncStats, fetch_rows
from smimetui.core.mail.imap.watchdog import COMMAND_TIMEOUT, Watchdog, cut_socket
from smimetui.core.mail.logins import forget_refused
from smimetui.core.oauth.sasl import TokenSource
from smimetui.core.sanitize import clean_line

T = TypeVar("T")
Security = Literal["tls", "starttls", "none"]

# Errors that mean the connection is gone (imaplib's abort covers BYE and protocol breakage).
_LOST = (OSError, EOFError, imaplib.IMAP4.abort)
_APPENDUID = re.compile(rb"APPENDUID (\d+) (\d+)")
_HIGHESTMODSEQ = re.compile(rb"\[HIGHESTMODSEQ (\d+)\]")
_FETCH_UID = re.compile(rb"\* (\d+) FETCH \(.*?\bUID (\d+)")
IDLE_RENEW = 25 * 60  # RFC 2177: servers may drop an IDLE after 30 minutes
BACKOFF_START, BACKOFF_CAP = 0.5, 60.0
# An interactive call makes 3 attempts over 1.5 s at most before it gives up with a sentence;
# the background reconnect_forever() keeps doubling up to BACKOFF_CAP.
RETRY_DELAYS = (0.5, 1.0)


class _StaleUids(Exception):
    """The folder's UIDVALIDITY is not the one a change's UIDs were taken from."""


def _selectable(flags: Iterable[bytes]) -> bool:
    lowered = {f.lower() for f in flags}
    return b"\\noselect" not in lowered and b"\\nonexistent" not in lowered


def _folders(listed: list[Listed], counts: dict[str, tuple[int, int]]) -> list[Folder]:
    """Folders with their roles (SPECIAL-USE, else the name) and counts (None: not asked)."""
    out = []
    for (name, flags, delim), role in zip(listed, assign_roles(listed), strict=True):
        unread, total = counts.get(name, (None, None))
        display = clean_line(name)
        out.append(Folder(name, display, delim or "/", role, unread, total, _selectable(flags)))
    return out


class ImapBackend:
    """A :class:`MailBackend` on an IMAP server."""

    def __init__(
        self,
        *,
        account: str,
        host: str,
        port: int,
        security: Security,
        username: str,
        password: Callable[[], str],
        cache: HeaderCache | None = None,
        ca_file: str | None = None,
        timeout: float = 30.0,
        message_cache_dir: Path | None = None,
        use_extensions: bool = True,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        own_cache: bool = False,
        command_timeout: float = COMMAND_TIMEOUT,
        oauth2: TokenSource | None = None,
        oauth2_mechanism: str = "",
    ) -> None:
        self.account = account
        self._oauth2, self.oauth2_mechanism = oauth2, oauth2_mechanism  # OAuth2 instead of LOGIN
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self._password = password
        self._own_cache = cache is None or own_cache  # close() closes it
        self.cache = cache if cache is not None else HeaderCache()
        self.ca_file = ca_file
        self.timeout = timeout
        self.message_cache_dir = message_cache_dir
        self.use_extensions = use_extensions
        self.retry_delays = retry_delays  # waits between attempts of one call: its bounded cost
        self.command_timeout = command_timeout  # one command's deadline (see imap_watchdog)
        self._lock = threading.RLock()
        self._client: imapclient.IMAPClient | None = None
        self._raw: RawConnection | None = None
        self._caps: frozenset[bytes] = frozenset()
        self._selected: str | None = None
        self._selected_uidvalidity = 0
        self._indexes: dict[str, CachedIndex] = {}
        self._syncing: dict[str, FolderSync] = {}  # running syncs, for filling_index()
        self._folders: list[Folder] | None = None
        self.connects = 0  # logins so far (tests and diagnostics)
        self.last_sync: SyncStats | None = None
        self.last_refresh_seconds = 0.0  # the last sync's NOOP or SELECT (diagnostics)
        self.last_exists_at = 0.0  # perf_counter() when IDLE last read an EXISTS (diagnostics)
        # Sentences for the user about things done on their behalf (a dropped flag change, a
        # cache moved aside): not errors, the command went on.  See take_notices().
        self.notices: list[str] = []

    # -- connection -------------------------------------------------------------------------------
    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def _open(self) -> imapclient.IMAPClient:
        """A new logged-in connection (used for the main one and for IDLE).  STARTTLS and LOGIN
        run under the command deadline; the password lookup (maybe a prompt) does not."""
        client: imapclient.IMAPClient | None = None
        dog = Watchdog(self.command_timeout, lambda: cut_socket(client and client.socket()))
        try:
            client = imapclient.IMAPClient(
                self.host,
                port=self.port,
                ssl=self.security == "tls",
                ssl_context=self._ssl_context() if self.security == "tls" else None,
                timeout=self.timeout,
            )
            if self.security == "starttls":
                with dog:
                    client.starttls(self._ssl_context())
                # What came before TLS was open to anyone on the path: a "* LIST" or a
                # "* CAPABILITY" injected in clear must not be taken as the server's word.
                client._imap.untagged_responses.clear()
        except ssl.SSLCertVerificationError as exc:
            raise TlsError(
                f"The certificate of {self.where} could not be verified ({exc.verify_message}); "
                "if the server uses a private CA, set the account's CA file.",
            ) from exc
        except ssl.SSLError as exc:
            if dog.fired:
                raise self._endless("setting up TLS", dog) from exc
            raise TlsError(
                f"A secure connection to {self.where} could not be set up ({exc.reason}); "
                "check the port and the security setting (tls/starttls).",
            ) from exc
        except imapclient.exceptions.CapabilityError as exc:
            raise TlsError(
                f"{self.where} does not offer STARTTLS; use security 'tls' on the IMAPS port."
            ) from exc
        except _LOST as exc:  # before IMAP4.error: abort (connection gone) is its subclass
            if dog.fired:
                raise self._endless("setting up TLS", dog) from exc
            raise ConnectionLostError(
                f"Could not connect to {self.where} ({clean_line(str(exc), 200)}); check the "
                "server name and port, or try again when the network is back."
            ) from exc
        except imapclient.exceptions.IMAPClientError as exc:
            raise TlsError(
                f"{self.where} refused STARTTLS ({clean_line(str(exc), 200)}); use security "
                "'tls' on the IMAPS port."
            ) from exc
        if self._oauth2 is not None:
            self._oauth2_login(client, self._oauth2, dog)
            return client
        password = self._password()
        try:
            with dog:
                try:
                    client.login(self.username, password)
                except LoginError as exc:  # imapclient wraps every error, a lost line too
                    if isinstance(exc.__context__, _LOST):
                        raise exc.__context__ from None
                    raise
        except LoginError as exc:
            self._quietly_close(client)
            forget_refused(self._password)
            raise AuthenticationError(
                f"Login failed for {self.username} on {self.host}: the server rejected the "
                "user name or password."
            ) from exc
        except _LOST as exc:
            if dog.fired:
                raise self._endless("logging in", dog) from exc
            raise ConnectionLostError(
                f"{self.where} closed the connection during login; try again later."
            ) from exc
        return client

    def _oauth2_login(
        self, client: imapclient.IMAPClient, tokens: TokenSource, dog: Watchdog
    ) -> None:
        """SASL with an access token (see imap_oauth); the connection is closed on failure."""
        try:
            imap_oauth.login(
                client,
                user=self.username,
                host=self.host,
                port=self.port,
                tokens=tokens,
                dog=dog,
                mechanism=self.oauth2_mechanism,
            )
        except _LOST as exc:
            self._quietly_close(client)
            if dog.fired:
                raise self._endless("logging in", dog) from exc
            raise ConnectionLostError(
                f"{self.where} closed the connection during login; try again later."
            ) from exc
        except BaseException:
            self._quietly_close(client)
            raise

    def _endless(self, what: str, dog: Watchdog) -> ServerResponseError:
        return ServerResponseError(
            f"{self.host} did not finish its answer while {what} within {dog.seconds:g} s "
            "(it kept sending); the connection was closed."
        )

    def _ensure(self) -> imapclient.IMAPClient:
        """The main connection, reconnecting (and replaying pending flag changes) if needed."""
        if self._client is not None:
            return self._client
        client = self._open()
        try:
            caps = frozenset(c.upper() for c in client.capabilities())
            if self.use_extensions and b"QRESYNC" in caps:
                client.enable("QRESYNC")
            self._client, self._caps = client, caps
            self._raw = RawConnection(client._imap)
            self._selected = None
            self.connects += 1
            self._replay_pending()
        except _LOST as exc:
            self._client = client  # so that _drop closes it
            self._drop()
            raise ConnectionLostError(
                f"{self.where} closed the connection right after login; try again later."
            ) from exc
        return client

    def _has(self, capability: bytes) -> bool:
        return self.use_extensions and capability in self._caps

    def _drop(self) -> None:
        client, self._client, self._raw, self._selected = self._client, None, None, None
        if client is not None:
            self._quietly_close(client)

    @staticmethod
    def _quietly_close(client: imapclient.IMAPClient) -> None:
        with contextlib.suppress(Exception):  # the socket is being thrown away anyway
            client.shutdown()

    def _call(
        self,
        what: str,
        fn: Callable[[imapclient.IMAPClient], T],
        retry: bool = True,
        deadline: float | None = None,
    ) -> T:
        """Run ``fn`` on the connection, reconnecting with backoff (``retry_delays``).

        Connecting is always retried (nothing was sent yet); the command itself only when
        ``retry`` says it is idempotent.  A connection found dead is retried at once: it was
        probably idle too long, and the server is likely fine.  Each command must end within
        ``deadline`` (``command_timeout``) and keep under the response size limit, else the
        connection is closed and that is the error (a server that misbehaves so is not retried)."""
        with self._lock:
            waits = list(self.retry_delays)
            while True:
                reused = self._client is not None
                try:
                    client = self._ensure()
                except ConnectionLostError:
                    if not waits:
                        raise
                    time.sleep(waits.pop(0))
                    continue
                cut = functools.partial(cut_socket, client.socket())
                dog = Watchdog(deadline or self.command_timeout, cut)
                try:
                    with dog:
                        if self._raw is not None:
                            self._raw.on_command_done = dog.extend
                        return fn(client)
                except _LOST as exc:
                    self._drop()
                    if dog.fired:
                        raise self._endless(what, dog) from exc
                    if not retry or not waits:
                        raise ConnectionLostError(
                            f"The connection to {self.where} was lost while {what}; "
                            "try again when the server is reachable."
                        ) from exc
                    wait = waits.pop(0)
                    if not reused:  # a connection we just opened died: give the server time
                        time.sleep(wait)
                except (ImapCommandError, imaplib.IMAP4.error) as exc:
                    raise self._refused(what, exc) from exc
                except ResponseLimitError as exc:
                    self._drop()
                    raise ServerResponseError(
                        f"{self.host} sent {exc} while {what}; the connection was closed."
                    ) from exc
                except (_StaleUids, FolderNotFoundError, MessageNotFoundError):
                    raise  # the stream is in step: the connection stays
                except BaseException:
                    # A failure in the middle of a response (a cache write that failed, a bad
                    # answer, an interrupt) leaves the rest of it unread: never reuse the stream.
                    self._drop()
                    raise

    def reconnect_forever(
        self, stop: threading.Event, on_retry: Callable[[float], None] | None = None
    ) -> bool:
        """Reconnect the main connection with capped exponential backoff (for a background
        worker after a ConnectionLostError): True once it is up and pending flag changes are
        replayed, False if ``stop`` was set first.  ``on_retry(seconds)`` is told each wait.
        Login and TLS failures are raised: retrying them helps nobody."""
        delay = BACKOFF_START
        while not stop.is_set():
            with self._lock:
                try:
                    self._ensure().noop()
                    return True
                except ConnectionLostError:
                    pass
                except _LOST:
                    self._drop()
            if on_retry is not None:
                on_retry(delay)
            if stop.wait(delay):
                break
            delay = min(delay * 2, BACKOFF_CAP)
        return False

    def _refused(self, what: str, exc: Exception) -> BackendError:
        text = exc.text if isinstance(exc, ImapCommandError) else str(exc)
        text = clean_line(text.strip(" b'\""), 300)
        if "NONEXISTENT" in text or "doesn't exist" in text.lower():
            return FolderNotFoundError(f"The folder does not exist on {self.host} ({text}).")
        return BackendError(f"{self.host} refused {what}: {text}.")

    def close(self) -> None:
        with self._lock:
            for index in self._indexes.values():
                with contextlib.suppress(Exception):  # a cache gone bad must not block closing
                    self._save_snapshot(index)
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.logout()
            self._drop()
            if self._own_cache:
                self.cache.close()

    # -- selection --------------------------------------------------------------------------------
    def _select(self, client: imapclient.IMAPClient, folder: str) -> MailboxInfo:
        try:
            info = client.select_folder(folder)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            self._selected = None
            if isinstance(exc, imapclient.exceptions.IMAPClientError):
                raise FolderNotFoundError(
                    f"The folder {clean_line(folder)!r} does not exist on {self.host}; "
                    "it may have been deleted or renamed elsewhere."
                ) from exc
            raise
        self._selected = folder
        self._selected_uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        exists = int(info.get(b"EXISTS", 0))
        uidnext = int(info.get(b"UIDNEXT", 0))
        if not uidnext:  # optional in RFC 3501 (Courier never sends it)
            uidnext = self._highest_uid(exists) + 1
        return MailboxInfo(
            uidvalidity=self._selected_uidvalidity,
            uidnext=uidnext,
            highestmodseq=int(info.get(b"HIGHESTMODSEQ", 0)) if self._has(b"QRESYNC") else 0,
            exists=exists,
        )

    def _highest_uid(self, exists: int) -> int:
        """The UID of the last message as of the SELECT just made (0: empty folder): the
        message at sequence number EXISTS.  Not ``UID FETCH *`` nor STATUS: a message arriving
        meanwhile would count, though the SELECT's EXISTS (what a cold fetch takes) does not."""
        if not exists or self._raw is None:
            return 0
        found = [0]

        def on_untagged(line: bytes) -> None:
            m = _FETCH_UID.match(line)
            if m is not None and int(m.group(1)) == exists:
                found[0] = int(m.group(2))

        self._raw.run([b"FETCH %d (UID)" % exists], on_untagged)
        return found[0]

    def _noop_selected(self, folder: str) -> MailboxInfo | None:
        """When ``folder`` is selected since its last sync and QRESYNC is on: a NOOP instead of a
        SELECT (Dovecot re-reads a 100k folder on every SELECT, 0.1-0.3 s; the NOOP only brings
        the session up to date).  None: SELECT instead (not selected, nothing cached to resync
        from, or the server said something only a SELECT sorts out).  The NOOP's own VANISHED
        and FETCH responses are not used: FolderSync asks CHANGEDSINCE anyway, because changes
        announced during imapclient's commands went to imaplib, not to us.  (A STATUS of the
        selected folder pipelined with the NOOP reported a stale HIGHESTMODSEQ; NOOP's tagged
        OK [HIGHESTMODSEQ] is the server's word.)"""
        state = self.cache.folder_state(self.account, folder)
        if (
            self._selected != folder
            or self._raw is None
            or not self._has(b"QRESYNC")
            or state is None
            or not state.complete
            or not state.highestmodseq
            or state.uidvalidity != self._selected_uidvalidity
        ):
            return None
        modseq = [0]
        trouble: list[bytes] = []

        def on_untagged(line: bytes) -> None:
            m = _HIGHESTMODSEQ.search(line)
            if m is not None:
                modseq[0] = max(modseq[0], int(m.group(1)))
            elif line[:5] in (b"* NO ", b"* BAD", b"* BYE") or b"[UIDVALIDITY " in line:
                trouble.append(line)  # deleted, recreated, closed: SELECT tells what now
            elif b"[CLOSED]" in line:
                trouble.append(line)

        try:
            ((_, text),) = self._raw.run([b"NOOP"], on_untagged)
        except ImapCommandError:
            trouble.append(b"NOOP refused")
        if trouble:
            self._selected = None
            return None
        m = _HIGHESTMODSEQ.search(text.encode("latin-1", "replace"))
        if m is not None:
            modseq[0] = max(modseq[0], int(m.group(1)))
        elif self._client is not None:
            # Cyrus's NOOP carries no HIGHESTMODSEQ: without one, expunges (VANISHED has no
            # MODSEQ) would come back on every resync.  Asked before the sync's CHANGEDSINCE,
            # a value too low only repeats changes, never hides one.
            status = self._client.folder_status(folder, [b"HIGHESTMODSEQ"])
            modseq[0] = max(modseq[0], int(status.get(b"HIGHESTMODSEQ", 0)))
        return MailboxInfo(
            uidvalidity=state.uidvalidity,
            uidnext=state.uidnext,
            highestmodseq=modseq[0],
            exists=0,  # FolderSync counts the messages itself on this path
        )

    def _selected_on(self, client: imapclient.IMAPClient, folder: str) -> None:
        if self._selected != folder:
            self._select(client, folder)

    # -- folders ----------------------------------------------------------------------------------
    def list_folders(self) -> list[Folder]:
        folders = self._call("listing folders", self._list)
        self._folders = folders
        return folders

    def _list(self, client: imapclient.IMAPClient) -> list[Folder]:
        if self._has(b"LIST-STATUS") and self._has(b"SPECIAL-USE"):
            return self._list_extended()
        if self._has(b"XLIST") and not self._has(b"SPECIAL-USE"):
            listing = client.xlist_folders()
        else:
            listing = client.list_folders()
        listed: list[Listed] = []
        counts: dict[str, tuple[int, int]] = {}
        for flags, delim, name in listing:
            listed.append((name, list(flags), delimiter_text(delim)))
            if _selectable(flags):
                status = client.folder_status(name, [b"MESSAGES", b"UNSEEN"])
                counts[name] = (int(status[b"UNSEEN"]), int(status[b"MESSAGES"]))
        return _folders(listed, counts)

    def _list_extended(self) -> list[Folder]:
        assert self._raw is not None
        listed: list[Listed] = []
        counts: dict[str, tuple[int, int]] = {}

        def on_untagged(line: bytes) -> None:
            if line.startswith(b"* LIST "):
                items = parse_items(line[7:])
                if len(items) >= 3 and isinstance(items[0], list) and isinstance(items[2], bytes):
                    flags = [f for f in items[0] if isinstance(f, bytes)]
                    delim = items[1] if isinstance(items[1], bytes) else None
                    listed.append((imap_utf7.decode(items[2]), flags, delimiter_text(delim)))
            elif line.startswith(b"* STATUS "):
                items = parse_items(line[9:])
                if len(items) >= 2 and isinstance(items[0], bytes) and isinstance(items[1], list):
                    values = items[1]
                    pairs = {values[i]: values[i + 1] for i in range(0, len(values) - 1, 2)}
                    messages, unseen = pairs.get(b"MESSAGES"), pairs.get(b"UNSEEN")
                    total = int(messages) if isinstance(messages, bytes) and messages else 0
                    unread = int(unseen) if isinstance(unseen, bytes) and unseen else 0
                    counts[imap_utf7.decode(items[0])] = (unread, total)

        self._raw.run([b'LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))'], on_untagged)
        return _folders(listed, counts)

    def folder_for_role(self, role: FolderRole) -> str | None:
        folders = self._folders if self._folders is not None else self.list_folders()
        for folder in folders:
            if folder.role is role:
                return str(folder.name)
        return None

    # -- summaries --------------------------------------------------------------------------------
    def cached_index(self, folder: str) -> CachedIndex | None:
        """What the cache holds for ``folder``, without touching the network (None: nothing)."""
        index = self._indexes.get(folder)
        if index is not None:
            return index
        state = self.cache.folder_state(self.account, folder)
        if state is None:
            return None
        return CachedIndex.load(self.cache, state.id)

    def filling_index(self, folder: str) -> CachedIndex | None:
        """While a cold sync of ``folder`` runs (from its ``progress`` callback, say): the rows
        stored so far, newest first; None when no cold sync is running.  Takes no lock."""
        job = self._syncing.get(folder)
        filling = job.filling if job is not None else None
        return filling.index() if filling is not None and len(filling) else None

    def open_folder(self, folder: str, progress: Progress | None = None) -> FolderIndex:
        """Resync ``folder`` and return its index; offline, a complete cache is returned as is."""
        try:
            self.sync(folder, progress)
        except ConnectionLostError:
            state = self.cache.folder_state(self.account, folder)
            if state is None or not state.complete:
                raise
            index = self.cached_index(folder)
            assert index is not None
            self._indexes[folder] = index
        return self._indexes[folder]

    def sync(self, folder: str, progress: Progress | None = None) -> SyncStats:
        """Bring the cache of ``folder`` up to date; returns what changed."""

        def run(client: imapclient.IMAPClient) -> SyncStats:
            live = self._noop_selected(folder)
            if live is None:
                return resync(client, None)
            try:
                return resync(client, live)
            except ImapCommandError:
                # The selected mailbox went away under us (deleted, maybe recreated): Cyrus
                # says so only now, to the first FETCH.  The resync was one transaction, rolled
                # back; a SELECT tells what is there now.
                self._selected = None
                return resync(client, None)

        def resync(client: imapclient.IMAPClient, live: MailboxInfo | None) -> SyncStats:
            read_before = self._raw.bytes_read if self._raw is not None else 0
            started = time.perf_counter()
            info = live if live is not None else self._select(client, folder)
            self.last_refresh_seconds = time.perf_counter() - started
            assert self._raw is not None
            state = self.cache.folder_state(self.account, folder)
            old = self._indexes.get(folder)
            if old is not None and (state is None or old.folder_id != state.id):
                old = None
            current = state is not None and state.uidvalidity == info.uidvalidity
            if old is None and state is not None and state.complete and current:
                old = CachedIndex.load(self.cache, state.id)  # a snapshot read, not a table scan
            job = FolderSync(
                self._raw,
                self.cache,
                self.account,
                folder,
                info,
                qresync=self._has(b"QRESYNC"),
                known_count=len(old) if old is not None else None,
                index=old,
                live=live is not None,
            )
            self._syncing[folder] = job
            try:
                stats = job.run(progress)
            finally:
                del self._syncing[folder]
            if live is not None:  # the NOOP's answer counts too (it repeats the changes)
                stats = replace(stats, bytes_read=self._raw.bytes_read - read_before)
            state = self.cache.folder_state(self.account, folder)
            assert state is not None
            ch = job.changes
            if old is None or ch.rebuilt or old.folder_id != state.id:
                index = CachedIndex.load(self.cache, state.id)
            elif ch.added or ch.removed or ch.bits:
                index = old.with_changes(ch.added, ch.removed, ch.bits)
            else:
                index = old
            self._indexes[folder] = index
            if not stats.live:  # the running app's resyncs leave it to close() (1.3 MB at 100k)
                self._save_snapshot(index)
            return stats

        what = f"synchronising {clean_line(folder)}"
        try:
            stats = self._call(what, run)
        except CacheDamagedError as exc:  # moved aside and started afresh: fill the new one
            self._indexes.clear()
            stats = self._call(what, run)
            self.notices.append(exc.details)
        self.last_sync = stats
        return stats

    def _save_snapshot(self, index: CachedIndex) -> None:
        """Keep the cache's packed copy of the index current, for the next warm open (the
        caller holds the lock, so the index and the table agree)."""
        columns = index.columns()
        if columns is not None and not self.cache.has_snapshot(index.folder_id):
            self.cache.put_snapshot(index.folder_id, columns)

    # -- messages ---------------------------------------------------------------------------------
    def _message_path(self, folder: str, uidvalidity: int, uid: int) -> Path | None:
        if self.message_cache_dir is None:
            return None
        return (
            self.message_cache_dir
            / quote(self.account, safe="")
            / quote(folder, safe="")
            / str(uidvalidity)
            / f"{uid}.eml"
        )

    def _uidvalidity(self, folder: str) -> int:
        state = self.cache.folder_state(self.account, folder)
        if state is not None:
            return int(state.uidvalidity)
        return int(self._call("opening the folder", lambda c: self._select(c, folder).uidvalidity))

    def fetch_raw(self, folder: str, uid: int) -> bytes:
        """The message's bytes: from the body cache when it holds this UID under the UIDVALIDITY
        of the folder as selected now (a UID of an older UIDVALIDITY names another message),
        else from the server.  Offline, a body cached under the cache's UIDVALIDITY is used."""

        def run(client: imapclient.IMAPClient) -> tuple[bytes | None, Path | None]:
            self._selected_on(client, folder)
            path = self._message_path(folder, self._selected_uidvalidity, uid)
            if path is not None and path.exists():
                return path.read_bytes(), None
            data = client.fetch([uid], [b"BODY.PEEK[]"])
            body = data.get(uid, {}).get(b"BODY[]")
            return (body if isinstance(body, bytes) else None), path

        try:
            raw, path = self._call(  # a whole message: allow for a large one on a slow link
                "fetching a message", run, deadline=self.command_timeout * 10
            )
        except ConnectionLostError:
            state = self.cache.folder_state(self.account, folder)
            cached = self._message_path(folder, state.uidvalidity, uid) if state else None
            if cached is None or not cached.exists():
                raise
            return cached.read_bytes()
        if raw is None:
            raise MessageNotFoundError(
                f"Message {uid} is no longer in {clean_line(folder)}; it was probably moved or "
                "deleted elsewhere. Refresh the folder."
            )
        if path is not None:
            self._keep_body(path, raw)
        return raw

    @staticmethod
    def _keep_body(path: Path, raw: bytes) -> None:
        """Store a fetched body in the cache; a full disk only means it is not cached."""
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
            with os.fdopen(fd, "wb") as f:
                f.write(raw)
            os.replace(tmp, path)
        except OSError:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def set_flags(
        self, folder: str, uids: Iterable[int], add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        uid_list, add_t, remove_t = sorted(set(uids)), tuple(add), tuple(remove)
        if not uid_list or not (add_t or remove_t):
            return
        state = self.cache.folder_state(self.account, folder)
        uidvalidity = state.uidvalidity if state else self._uidvalidity(folder)
        change = self.cache.add_pending(
            self.account, folder, uidvalidity, uid_list, add_t, remove_t
        )
        if state is not None:
            self._apply_flags_locally(folder, state.id, uid_list, add_t, remove_t)
        try:
            self._call(
                "changing flags",
                lambda c: self._store(c, folder, uid_list, add_t, remove_t, uidvalidity),
            )
        except ConnectionLostError as exc:
            raise ConnectionLostError(
                f"{exc.message} The flag change is kept and will be sent after reconnecting."
            ) from exc
        except _StaleUids as exc:
            self.cache.done_pending(change)
            raise FolderResetError(
                f"The flag change was not sent: {clean_line(folder)} was recreated on "
                f"{self.host} (its UIDVALIDITY changed), so those message numbers now name other "
                "messages; refresh the folder and try again."
            ) from exc
        self.cache.done_pending(change)

    def _apply_flags_locally(
        self,
        folder: str,
        folder_id: int,
        uids: list[int],
        add: tuple[str, ...],
        rm: tuple[str, ...],
    ) -> None:
        with self._lock:  # the cache and the index change together (see _save_snapshot)
            updates, bits = [], {}
            for uid, flags in self.cache.flags_of(folder_id, uids).items():
                new = (set(flags.split()) | set(add)) - set(rm)
                text = " ".join(sorted(new))
                b = flag_bits(text.encode("latin-1", "replace"))
                updates.append((uid, b, text, 0))
                bits[uid] = b
            self.cache.set_flags(folder_id, updates)
            index = self._indexes.get(folder)
            if index is not None and index.folder_id == folder_id:
                self._indexes[folder] = index.with_changes(bits=bits)

    def _store(
        self,
        client: imapclient.IMAPClient,
        folder: str,
        uids: list[int],
        add: tuple[str, ...],
        remove: tuple[str, ...],
        uidvalidity: int,
    ) -> None:
        """STORE the change, but only on the UIDVALIDITY the UIDs were taken from."""
        self._selected_on(client, folder)
        if self._selected_uidvalidity != uidvalidity:
            raise _StaleUids(folder)
        if add:
            client.add_flags(uid_set(uids), list(add), silent=True)
        if remove:
            client.remove_flags(uid_set(uids), list(remove), silent=True)

    def _replay_pending(self) -> None:
        """Send journalled flag changes (called right after a (re)connect, lock held).  A change
        made under another UIDVALIDITY than the folder's now is dropped, and said so: its UIDs
        name other messages now."""
        assert self._client is not None
        for change in self.cache.pending(self.account):
            try:
                self._store(
                    self._client,
                    change.folder,
                    list(change.uids),
                    change.add,
                    change.remove,
                    change.uidvalidity,
                )
            except FolderNotFoundError:
                pass
            except _StaleUids:
                self.notices.append(
                    f"A flag change made offline in {clean_line(change.folder)} was not sent: "
                    f"the folder was recreated on {self.host} (its UIDVALIDITY changed), so "
                    "its message numbers now name other messages."
                )
            self.cache.done_pending(change.id)

    def take_notices(self) -> list[str]:
        """Sentences about what was done on the user's behalf since the last call."""
        notices = [*self.cache.take_notices(), *self.notices]
        self.notices.clear()
        return notices

    def pending_changes(self) -> int:
        return len(self.cache.pending(self.account))

    def _forget(self, folder: str, uids: list[int]) -> None:
        with self._lock:
            state = self.cache.folder_state(self.account, folder)
            if state is None:
                return
            self.cache.delete_uids(state.id, uids)
            index = self._indexes.get(folder)
            if index is not None and index.folder_id == state.id:
                self._indexes[folder] = index.with_changes(removed=uids)

    def copy(self, folder: str, uids: Iterable[int], dest: str) -> None:
        uid_list = sorted(set(uids))

        def run(client: imapclient.IMAPClient) -> None:
            self._selected_on(client, folder)
            client.copy(uid_set(uid_list), dest)

        if uid_list:
            self._call(f"copying to {clean_line(dest)}", run, retry=False)

    def move(self, folder: str, uids: Iterable[int], dest: str) -> None:
        uid_list = sorted(set(uids))

        def run(client: imapclient.IMAPClient) -> None:
            self._selected_on(client, folder)
            if self._has(b"MOVE"):
                client.move(uid_set(uid_list), dest)
                return
            client.copy(uid_set(uid_list), dest)
            self._expunge_uids(client, uid_list)

        if uid_list:
            self._call(f"moving to {clean_line(dest)}", run, retry=False)
            self._forget(folder, uid_list)

    def _expunge_uids(self, client: imapclient.IMAPClient, uids: list[int]) -> None:
        client.add_flags(uid_set(uids), [DELETED], silent=True)
        if self._has(b"UIDPLUS"):
            client.uid_expunge(uid_set(uids))
        else:
            client.expunge()

    def delete(self, folder: str, uids: Iterable[int], *, permanently: bool = False) -> str | None:
        uid_list = sorted(set(uids))
        trash = self.folder_for_role(FolderRole.TRASH)
        if trash is None and not permanently:
            self.list_folders()  # created elsewhere since we last looked?
            trash = self.folder_for_role(FolderRole.TRASH)
        if not permanently and trash != folder:
            if trash is None:
                raise NoTrashError(
                    f"There is no Trash folder on {self.host}, so deleting would remove the "
                    "message(s) for good; nothing was deleted. Delete them permanently, or "
                    "create a folder named Trash first."
                )
            if uid_list:
                self.move(folder, uid_list, trash)
            return trash
        if not uid_list:
            return None

        def run(client: imapclient.IMAPClient) -> None:
            self._selected_on(client, folder)
            self._expunge_uids(client, uid_list)

        self._call("deleting messages", run, retry=False)
        self._forget(folder, uid_list)
        return None

    def expunge(self, folder: str) -> None:
        def run(client: imapclient.IMAPClient) -> None:
            self._selected_on(client, folder)
            client.expunge()

        self._call("expunging", run, retry=False)
        self.sync(folder)

    def append(self, folder: str, raw: bytes, flags: Iterable[str] = ()) -> int | None:
        flag_list = list(flags)

        def run(client: imapclient.IMAPClient) -> bytes:
            result = client.append(folder, raw, flags=flag_list)
            return result if isinstance(result, bytes) else str(result).encode()

        text = self._call(f"saving to {clean_line(folder)}", run, retry=False)
        m = _APPENDUID.search(text)
        return int(m.group(2)) if m else None

    def search(self, folder: str, text: str) -> list[int]:
        def run(client: imapclient.IMAPClient) -> list[int]:
            self._selected_on(client, folder)
            charset = None if text.isascii() else "UTF-8"
            return sorted((int(u) for u in client.search(["TEXT", text], charset)), reverse=True)

        return self._call("searching", run)

    # -- IDLE -------------------------------------------------------------------------------------
    def idle(self, folder: str, on_change: Callable[[], None], stop: threading.Event) -> None:
        """Watch ``folder`` on a connection of its own and call ``on_change`` on new mail,
        expunges and flag changes, until ``stop`` is set.  New messages are fetched on this
        connection and are in the index (``cached_index``) before ``on_change`` is called.
        Reconnects with capped exponential backoff; login failures are raised (retrying a
        wrong password helps nobody)."""
        delay = BACKOFF_START
        while not stop.is_set():
            client: imapclient.IMAPClient | None = None
            try:
                client = self._open()
                info = client.select_folder(folder, readonly=True)
                delay = BACKOFF_START
                on_change()  # anything may have happened while we were away
                uidvalidity = int(info.get(b"UIDVALIDITY", 0))
                self._idle_loop(client, folder, uidvalidity, on_change, stop)
            except (ConnectionLostError, TlsError, *_LOST):
                if stop.wait(delay):
                    break
                delay = min(delay * 2, BACKOFF_CAP)
            except imaplib.IMAP4.error as exc:
                raise FolderNotFoundError(
                    f"Cannot watch {clean_line(folder)} for new mail on {self.host}: it does "
                    "not exist."
                ) from exc
            finally:
                if client is not None:
                    self._end_idle(client)

    def _idle_loop(
        self,
        client: imapclient.IMAPClient,
        folder: str,
        uidvalidity: int,
        on_change: Callable[[], None],
        stop: threading.Event,
    ) -> None:
        raw = RawConnection(client._imap)
        client.idle()
        started = time.monotonic()
        while not stop.is_set():
            responses = client.idle_check(timeout=0.5)
            if any(isinstance(r, tuple) and r[:1] == (b"BYE",) for r in responses):
                raise ConnectionResetError("the server said BYE")
            if any(self._is_change(r) for r in responses):
                if any(isinstance(r, tuple) and b"EXISTS" in r for r in responses):
                    # Leave IDLE, fetch the new summaries right here (the folder is selected
                    # already), idle again: one burst of EXISTS is one small fetch.
                    self.last_exists_at = time.perf_counter()
                    client.idle_done()
                    self._take_new(raw, folder, uidvalidity)
                    client.idle()
                    started = time.monotonic()
                on_change()
            if time.monotonic() - started > IDLE_RENEW:
                client.idle_done()
                client.idle()
                started = time.monotonic()

    def _take_new(self, raw: RawConnection, folder: str, uidvalidity: int) -> None:
        """Put messages above the cached UIDNEXT into the cache and the index (IDLE thread)."""
        with self._lock:  # the cache and the index change together (see _save_snapshot)
            state = self.cache.folder_state(self.account, folder)
            index = self._indexes.get(folder)
            if state is None or not state.complete or state.uidvalidity != uidvalidity:
                return  # nothing cached to add to: the next sync does it all
            if index is None or index.folder_id != state.id:
                return
            start = max(state.uidnext, 1)
            rows = fetch_rows(raw, b"%d:*" % start, start, lambda _: None, folder=folder)
            if not rows:
                return
            self.cache.put_rows(state.id, rows)
            uidnext = max(r[0] for r in rows) + 1
            self.cache.set_folder_state(
                state.id, highestmodseq=state.highestmodseq, uidnext=uidnext
            )
            self._indexes[folder] = index.with_changes(added=[(r[0], r[2], r[1]) for r in rows])

    @staticmethod
    def _is_change(response: object) -> bool:
        return isinstance(response, tuple) and any(
            part in (b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED")
            for part in response
            if isinstance(part, bytes)
        )

    def _end_idle(self, client: imapclient.IMAPClient) -> None:
        try:
            client.idle_done()
            client.logout()
        except (imaplib.IMAP4.error, OSError):  # the connection is being closed either way
            self._quietly_close(client)


__all__ = ["ImapBackend", "SyncStats"]
