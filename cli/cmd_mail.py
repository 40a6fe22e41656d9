"""``smimetui folders|list|show|sync|delete``: read an account's mail from the command line.

``show`` prints exactly what ``smimetui inspect`` prints for a file, for a message in a folder;
``list --json`` rows carry uid, from, subject, date (ISO 8601), flags and the signed/encrypted
hints from the message structure (no verification happens in ``list``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from smimetui.cli.context import Context
from smimetui.core.errors import InputError, NoTrashError
from smimetui.core.mail.base import (
    ANSWERED,
    DRAFT,
    FLAGGED,
    SEEN,
    MailBackend,
    SecurityHint,
    Summary,
)
from smimetui.core.mail.factory import PasswordPrompt, open_backend
from smimetui.core.sanitize import clean_line
from smimetui.core.settings.accounts import Account, get_account


def _account_option(p: argparse.ArgumentParser) -> None:
    # A dest of its own: the top-level --account (for the TUI) must not be overwritten.
    p.add_argument("--account", dest="mail_account", metavar="NAME", help="default: the default")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("folders", help="list an account's folders")
    _account_option(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_folders)

    p = sub.add_parser("list", help="list the messages of a folder, newest first")
    p.add_argument("folder", nargs="?", default="INBOX", help="default: INBOX")
    _account_option(p)
    p.add_argument("--limit", type=int, metavar="N", help="at most N messages")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run_list)

    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.cli.cmd_inspect import add_key_options

    p = sub.add_parser(
        "show",
        help="verify and decrypt a message in a folder (the same report as inspect)",
        description="Print the security report and text of message UID, as 'smimetui inspect' "
        "does for a file. Exit 0 whenever a report was produced, whatever the verdict.",
    )
    p.add_argument("uid", type=int, help="the message's UID (from 'smimetui list')")
    p.add_argument("--folder", default="INBOX", metavar="F", help="default: INBOX")
    _account_option(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_key_options(p)
    p.set_defaults(handler=run_show)

    p = sub.add_parser(
        "delete",
        help="move messages to the Trash folder (in Trash: delete them for good)",
        description="Move messages UID... of a folder to the account's Trash folder, or delete "
        "them for good when they are in Trash already or with --permanently. Without a Trash "
        "folder nothing is deleted unless --permanently is given.",
    )
    p.add_argument("uids", type=int, nargs="+", metavar="UID", help="from 'smimetui list'")
    p.add_argument("--folder", default="INBOX", metavar="F", help="default: INBOX")
    p.add_argument("--permanently", action="store_true", help="delete for good, not to Trash")
    _account_option(p)
    p.set_defaults(handler=run_delete)

    p = sub.add_parser("sync", help="bring the local cache of every folder up to date")
    _account_option(p)
    p.set_defaults(handler=run_sync)


# -- shared ---------------------------------------------------------------------------------
def terminal_prompt() -> PasswordPrompt | None:
    """Ask on the terminal, or None when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        return None
    return lambda question: getpass.getpass(f"{question}: ")


@contextmanager
def opened(args: argparse.Namespace, ctx: Context) -> Iterator[tuple[Account, MailBackend]]:
    name = getattr(args, "mail_account", None) or getattr(args, "account", None)
    account = get_account(ctx.home, name)
    backend = open_backend(account, ctx.home, prompt=terminal_prompt())
    try:
        yield account, backend
    finally:
        take_notices = getattr(backend, "take_notices", None)  # IMAP: a cache moved aside, ...
        notices: list[str] = take_notices() if take_notices is not None else []
        backend.close()
        for notice in notices:
            print(f"smimetui: {' '.join(notice.split())}", file=sys.stderr)


_FLAG_LETTERS = ((FLAGGED, "F"), (ANSWERED, "A"), (DRAFT, "D"))


def flag_letters(row: Summary) -> str:
    letters = "N" if SEEN not in row.flags else " "
    letters += "".join(letter if flag in row.flags else " " for flag, letter in _FLAG_LETTERS)
    badge = {SecurityHint.SIGNED: "S", SecurityHint.ENCRYPTED: "E"}.get(row.security, " ")
    return letters + badge + ("@" if row.has_attachments else " ")


def row_json(row: Summary) -> dict[str, Any]:
    return {
        "uid": row.uid,
        "from": row.sender,
        "from_addr": row.sender_addr,
        "subject": row.subject,
        "date": row.date.isoformat() if row.date else None,
        "flags": sorted(clean_line(f) for f in row.flags),
        "signed": row.security is SecurityHint.SIGNED,
        "encrypted": row.security is SecurityHint.ENCRYPTED,
        "attachments": row.has_attachments,
        "size": row.size,
    }


# -- commands -------------------------------------------------------------------------------
def run_folders(args: argparse.Namespace, ctx: Context) -> int:
    with opened(args, ctx) as (_account, backend):
        folders = backend.list_folders()
    if args.json:
        ctx.print_json(
            [
                {  # names come from the server: cleaned like every other field
                    "name": clean_line(f.name),
                    "display": f.display,
                    "role": f.role.value if f.role else None,
                    "unread": f.unread,
                    "total": f.total,
                    "delimiter": clean_line(f.delimiter),
                    "selectable": f.selectable,
                }
                for f in folders
            ]
        )
        return 0
    for f in folders:
        role = f" ({f.role.value})" if f.role else ""
        counts = f"{f.unread} unread of {f.total}" if f.total is not None else ""
        ctx.out(f"{f.display + role:<40} {counts}".rstrip())
    return 0


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    if args.limit is not None and args.limit < 0:
        raise InputError("--limit must be 0 or more.")
    with opened(args, ctx) as (_account, backend):
        index = backend.open_folder(args.folder)
        count = len(index) if args.limit is None else min(args.limit, len(index))
        rows = [index.summary(i) for i in range(count)]
    if args.json:
        ctx.print_json([row_json(r) for r in rows])
        return 0
    for r in rows:
        when = r.date.astimezone().strftime("%Y-%m-%d %H:%M") if r.date else " " * 16
        ctx.out(f"{r.uid:>7} {when} {flag_letters(r)} {r.sender[:30]:<30} {r.subject}")
    return 0


def run_show(args: argparse.Namespace, ctx: Context) -> int:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.cli.cmd_inspect import inspect_bytes, print_report, print_view

    with opened(args, ctx) as (account, backend):
        raw = backend.fetch_raw(args.folder, args.uid)
    if print_view(raw, args, ctx):
        return 0
    print_report(inspect_bytes(raw, args, ctx, account=account), ctx, as_json=args.json)
    return 0


def run_delete(args: argparse.Namespace, ctx: Context) -> int:
    count = len(set(args.uids))
    with opened(args, ctx) as (_account, backend):
        try:
            trash = backend.delete(args.folder, args.uids, permanently=args.permanently)
        except NoTrashError as exc:
            raise NoTrashError(f"{exc.message} (smimetui delete --permanently)") from exc
    folder = clean_line(args.folder)
    if trash is None:
        ctx.out(f"Deleted {count} message(s) from {folder} for good.")
    else:
        ctx.out(f"Moved {count} message(s) from {folder} to {clean_line(trash)}.")
    return 0


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        width = 30
        filled = width * min(done, total) // total
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r{self.label[:30]:<30} [{bar}] {done}/{total}")
        sys.stderr.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def run_sync(args: argparse.Namespace, ctx: Context) -> int:
    with opened(args, ctx) as (account, backend):
        for folder in backend.list_folders():
            if not folder.selectable:
                continue
            bar = ProgressBar(folder.display)
            try:
                sync = getattr(backend, "sync", None)
                if sync is not None:  # IMAP: bring the header cache up to date
                    stats = sync(folder.name, bar)
                    bar.finish()
                    ctx.out(_sync_line(folder.display, stats))
                else:  # Maildir: nothing remote; scanning numbers new messages
                    total = len(backend.open_folder(folder.name, bar))
                    bar.finish()
                    ctx.out(f"{folder.display}: {total} messages")
            except BaseException:
                bar.finish()
                raise
    return 0


def _sync_line(name: str, stats: Any) -> str:
    changes = [
        f"{getattr(stats, attr, 0)} {label}"
        for attr, label in (
            ("new", "new"),
            ("expunged", "removed"),
            ("flag_changes", "flag changes"),
        )
        if getattr(stats, attr, 0)
    ]
    detail = f" ({', '.join(changes)})" if changes else ", up to date"
    return f"{name}: {getattr(stats, 'total', 0)} messages{detail}"
