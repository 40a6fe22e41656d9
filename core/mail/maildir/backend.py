"""A MailBackend over a local Maildir++ tree, as Dovecot, mbsync and offlineimap keep mail.

The root directory is INBOX; every other folder is a ``.Name`` directory beside its ``cur``,
``new`` and ``tmp`` (hierarchy separated by ``.``, names in modified UTF-7 as Dovecot writes
them).  Flags live in the filename info (``:2,FRS``).  Maildir has no UIDs, so each folder keeps
a small uid map file (``smimetui-uidlist``) that gives every message, keyed by the unique part of
its filename, a number that stays the same across flag changes and ``new`` -> ``cur`` moves.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable
from itertools import count
from pathlib import Path

from imapclient import imap_utf7

from smimetui.core.errors import BackendError, FolderNotFoundError, MessageNotFoundError
from smimetui.core.mail.base import (
    DELETED,
    ROLE_NAMES,
    Folder,
    FolderIndex,
    FolderRole,
    ListIndex,
    Progress,
    Summary,
)
from smimetui.core.mail.maildir.summaries import searchable_text, summarize
from smimetui.core.mail.maildir.uids import UidMap
from smimetui.core.sanitize import clean_line

INBOX = "INBOX"
DELIMITER = "."
# Filename info letters <-> IMAP flags (https://cr.yp.to/proto/maildir.html).
LETTER_TO_FLAG = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "P": "$Forwarded",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": DELETED,
}
FLAG_TO_LETTER = {flag: letter for letter, flag in LETTER_TO_FLAG.items()}
_ROLE_DEFAULT_NAMES = {
    FolderRole.SENT: "Sent",
    FolderRole.DRAFTS: "Drafts",
    FolderRole.TRASH: "Trash",
}
_SUBDIRS = ("cur", "new", "tmp")
_deliveries = count()


def split_name(filename: str) -> tuple[str, str]:
    """(unique key, flag letters) of a Maildir filename."""
    key, sep, info = filename.partition(":")
    letters = info[2:] if sep and info.startswith("2,") else ""
    return key, letters


def flags_of(letters: str) -> frozenset[str]:
    return frozenset(LETTER_TO_FLAG[c] for c in letters if c in LETTER_TO_FLAG)


def letters_for(flags: Iterable[str], keep: str = "") -> str:
    """Info letters for ``flags``, keeping letters we do not map (Dovecot keywords a-z)."""
    letters = {FLAG_TO_LETTER[f] for f in flags if f in FLAG_TO_LETTER}
    letters |= {c for c in keep if c not in LETTER_TO_FLAG}
    return "".join(sorted(letters))


def unique_name() -> str:
    """A new unique Maildir base name: time.Mmicro_Ppid_Qcount.host."""
    now = time.time()
    host = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
    micro = int((now % 1) * 1_000_000)
    return f"{int(now)}.M{micro}P{os.getpid()}Q{next(_deliveries)}.{host}"


class MaildirBackend:
    """The MailBackend protocol over a Maildir++ tree rooted at ``root`` (the INBOX)."""

    def __init__(self, root: Path, *, create: bool = False) -> None:
        self.root = Path(root).expanduser()
        if create:
            self._make_maildir(self.root)
        if not all((self.root / d).is_dir() for d in ("cur", "new")):
            raise BackendError(
                f"{self.root} is not a Maildir (it has no cur and new directories); "
                "check the account's maildir path.",
                title="No Maildir",
            )
        # folder -> {uid: current filename relative to the folder dir}, from the last scan
        self._files: dict[str, dict[int, str]] = {}

    # -- folders -------------------------------------------------------------------------
    def _folder_dir(self, folder: str) -> Path:
        if folder.upper() == INBOX:
            return self.root
        bad = not folder or folder.startswith(".") or ".." in folder
        if bad or "/" in folder or "\0" in folder:
            raise FolderNotFoundError(f"{folder!r} is not a valid Maildir folder name.")
        return self.root / f".{folder}"

    def _existing_dir(self, folder: str) -> Path:
        path = self._folder_dir(folder)
        if not (path / "cur").is_dir():
            raise FolderNotFoundError(f"There is no folder {folder!r} in the Maildir {self.root}.")
        return path

    @staticmethod
    def _make_maildir(path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        for sub in _SUBDIRS:
            (path / sub).mkdir(exist_ok=True, mode=0o700)

    def create_folder(self, folder: str) -> None:
        path = self._folder_dir(folder)
        self._make_maildir(path)
        if path != self.root:
            # marks a Maildir++ subfolder (Dovecot, courier)
            (path / "maildirfolder").touch(mode=0o600)

    def list_folders(self) -> list[Folder]:
        names = [INBOX] + sorted(
            entry.name[1:]
            for entry in os.scandir(self.root)
            if entry.name.startswith(".")
            and entry.name not in (".", "..")
            and entry.is_dir()
            and os.path.isdir(os.path.join(entry.path, "cur"))
        )
        return [self._folder_info(name) for name in names]

    def _folder_info(self, name: str) -> Folder:
        path = self._folder_dir(name)
        unread = total = 0
        for sub in ("new", "cur"):
            for entry in os.scandir(path / sub):
                if entry.name.startswith("."):
                    continue
                total += 1
                if sub == "new" or "S" not in split_name(entry.name)[1]:
                    unread += 1
        return Folder(
            name=name,
            display=_display_name(name),
            delimiter=DELIMITER,
            role=self._role_of(name),
            unread=unread,
            total=total,
        )

    @staticmethod
    def _role_of(name: str) -> FolderRole | None:
        if name.upper() == INBOX:
            return FolderRole.INBOX
        leaf = _display_name(name).rsplit(DELIMITER, 1)[-1]
        return ROLE_NAMES.get(leaf.lower())

    def folder_for_role(self, role: FolderRole) -> str | None:
        for folder in self.list_folders():
            if folder.role is role:
                return folder.name
        return None

    def _folder_for_role_or_create(self, role: FolderRole) -> str:
        name = self.folder_for_role(role)
        if name is None:
            name = _ROLE_DEFAULT_NAMES[role]
            self.create_folder(name)
        return name

    # -- messages ------------------------------------------------------------------------
    def _scan(self, folder: str) -> dict[int, str]:
        """Current uid -> filename for the folder, assigning uids to messages seen first."""
        path = self._existing_dir(folder)
        by_key: dict[str, tuple[str, float]] = {}
        for sub in ("new", "cur"):
            for entry in os.scandir(path / sub):
                if entry.name.startswith("."):
                    continue
                key = split_name(entry.name)[0]
                try:
                    arrived = _arrival_time(entry.name, entry.stat().st_mtime)
                except FileNotFoundError:
                    continue  # moved away while we looked
                by_key[key] = (f"{sub}/{entry.name}", arrived)
        with UidMap(path / "smimetui-uidlist") as uids:
            mapping = uids.update(sorted(by_key, key=lambda k: (by_key[k][1], k)))
        files = {uid: by_key[key][0] for key, uid in mapping.items()}
        self._files[folder] = files
        return files

    def _path_of(self, folder: str, uid: int) -> Path:
        name = self._files.get(folder, {}).get(uid)
        path = self._folder_dir(folder) / name if name else None
        if path is None or not path.exists():
            name = self._scan(folder).get(uid)
            if name is None:
                raise MessageNotFoundError(
                    f"There is no message {uid} in {folder!r}; it may have been moved or deleted."
                )
            path = self._folder_dir(folder) / name
        return path

    def open_folder(self, folder: str, progress: Progress | None = None) -> FolderIndex:
        files = self._scan(folder)
        base = self._folder_dir(folder)
        rows: list[Summary] = []
        total = len(files)
        for done, uid in enumerate(sorted(files, reverse=True), 1):
            name = files[uid]
            try:
                rows.append(summarize(uid, base / name, flags_of(split_name(name)[1])))
            except FileNotFoundError:
                continue  # removed by another program during the scan
            if progress is not None and (done % 500 == 0 or done == total):
                progress(done, total)
        return ListIndex(rows)

    def fetch_raw(self, folder: str, uid: int) -> bytes:
        try:
            return self._path_of(folder, uid).read_bytes()
        except FileNotFoundError as err:
            raise MessageNotFoundError(
                f"There is no message {uid} in {folder!r}; it may have been moved or deleted."
            ) from err

    def set_flags(
        self, folder: str, uids: Iterable[int], add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        add, remove = set(add), set(remove)
        for uid in uids:
            path = self._path_of(folder, uid)
            key, letters = split_name(path.name)
            flags = (flags_of(letters) | add) - remove
            new = self._folder_dir(folder) / "cur" / f"{key}:2,{letters_for(flags, letters)}"
            if new != path:
                os.rename(path, new)  # seen flags always live in cur/
                self._files[folder][uid] = f"cur/{new.name}"

    def append(self, folder: str, raw: bytes, flags: Iterable[str] = ()) -> int | None:
        """Deliver ``raw`` into ``folder`` (created when missing, as IMAP clients do)."""
        path = self._folder_dir(folder)
        if not (path / "cur").is_dir():
            self.create_folder(folder)
        key = unique_name()
        tmp = path / "tmp" / key
        try:
            # 0600 like Dovecot: mail is private, whatever the umask
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(tmp, path / "cur" / f"{key}:2,{letters_for(flags)}")
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise BackendError(
                f"The message could not be saved to {folder!r}: {err.strerror}."
            ) from err
        files = self._scan(folder)
        return next((u for u, n in files.items() if split_name(n[4:])[0] == key), None)

    def copy(self, folder: str, uids: Iterable[int], dest: str) -> None:
        self._existing_dir(dest)
        for uid in uids:
            path = self._path_of(folder, uid)
            self.append(dest, path.read_bytes(), flags_of(split_name(path.name)[1]))

    def move(self, folder: str, uids: Iterable[int], dest: str) -> None:
        dest_dir = self._existing_dir(dest)
        if dest_dir == self._existing_dir(folder):
            return
        for uid in uids:
            path = self._path_of(folder, uid)
            target = dest_dir / path.parent.name / path.name
            if target.exists():  # the same message was copied there before: keep both
                self.copy(folder, [uid], dest)
                path.unlink()
            else:
                os.rename(path, target)  # same filesystem: atomic, flags kept in the name
            self._files[folder].pop(uid, None)

    def delete(self, folder: str, uids: Iterable[int], *, permanently: bool = False) -> str | None:
        uids = list(uids)
        if permanently or self._role_of(folder) is FolderRole.TRASH:
            self.set_flags(folder, uids, add=[DELETED])
            self.expunge(folder)
            return None
        trash = self._folder_for_role_or_create(FolderRole.TRASH)  # a local store may make one
        self.move(folder, uids, trash)
        return trash

    def expunge(self, folder: str) -> None:
        for uid, name in list(self._scan(folder).items()):
            if DELETED in flags_of(split_name(name)[1]):
                (self._folder_dir(folder) / name).unlink(missing_ok=True)
                self._files[folder].pop(uid, None)

    def search(self, folder: str, text: str) -> list[int]:
        needle = text.casefold()
        base = self._folder_dir(folder)
        found = []
        for uid, name in sorted(self._scan(folder).items(), reverse=True):
            try:
                if needle in searchable_text((base / name).read_bytes()).casefold():
                    found.append(uid)
            except FileNotFoundError:
                continue
        return found

    def uidvalidity(self, folder: str) -> int:
        with UidMap(self._existing_dir(folder) / "smimetui-uidlist") as uids:
            return uids.validity

    def close(self) -> None:
        self._files.clear()


def _display_name(name: str) -> str:
    try:
        decoded = imap_utf7.decode(name.encode("ascii"))
    except (UnicodeError, ValueError):
        decoded = name
    return clean_line(decoded)


def _arrival_time(filename: str, mtime: float) -> float:
    """Delivery time: the leading seconds of a standard name, else the file's mtime."""
    head = filename.split(".", 1)[0]
    return float(head) if head.isdigit() else mtime
