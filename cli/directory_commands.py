"""``smimetui contacts lookup`` and ``smimetui id publish``: the directory side of two groups.

They live here, next to ``cmd_directory``, and are hooked into the ``contacts`` and ``id``
parsers by one registrar call each (``register_contacts_lookup``, ``register_id_publish``).
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from smimetui.cli.context import Context
from smimetui.core.directory.lookup import Found, find_certificates, import_found, unusable_error
from smimetui.core.directory.publish import publish
from smimetui.core.directory.servers import Directory, load_directories
from smimetui.core.errors import ContactsError, DirectoryError, IdentityError
from smimetui.core.pki.contacts import CertificateChange, Contacts
from smimetui.core.pki.keystore import DigitalId, Keystore
from smimetui.core.pki.passphrase import interactive
from smimetui.core.sanitize import clean_line
from smimetui.core.settings.accounts import default_account, load_accounts

_SubParsers = Any  # argparse's private _SubParsersAction


def ask_password(directory: Directory) -> str:
    """Ask on the terminal for a bind password that is neither a command nor in the keyring."""
    if not interactive():
        raise DirectoryError(
            f"The directory {directory.name} needs the password for {directory.bind_dn}; set a "
            f"password command or store it with 'smimetui directory password {directory.name}'."
        )
    return getpass.getpass(f"Password for {directory.bind_dn} ({directory.name}): ")


# -- contacts lookup ------------------------------------------------------------------------


def register_contacts_lookup(sub: _SubParsers) -> None:
    p = sub.add_parser(
        "lookup",
        help="look ADDR's certificates up in your directories",
        description="Search every directory (or --directory NAME) for ADDR's certificates and "
        "validate each one (trusted chain, e-mail encryption, address). --import stores the "
        "usable ones in contacts, with the directory as their source. Exits 2 when none is "
        "usable, except with --json, whose list says so (usable false, with the problems).",
    )
    p.add_argument("address", metavar="ADDR")
    p.add_argument("--directory", metavar="NAME", help="search only this directory")
    p.add_argument("--import", dest="do_import", action="store_true", help="store usable ones")
    p.add_argument("--yes", action="store_true", help="accept changed certificates on --import")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_lookup)


def _print_found(ctx: Context, found: list[Found]) -> None:
    for item in found:
        verdict = "usable" if item.usable else "NOT usable"
        ctx.out(f"{item.sha256[:16]}  {item.subject}  until {item.not_after:%Y-%m-%d}  {verdict}")
        ctx.out(f"  issuer {item.issuer}")
        ctx.out(f"  from {item.source}, entry {item.entry}")
        for problem in item.problems:
            ctx.out(f"  - {problem}")


def _settle(book: Contacts, changes: list[CertificateChange], yes: bool) -> None:
    """Changed certificates need a yes (--yes or at the prompt); otherwise they are dropped."""
    refused = []
    for change in changes:
        if not yes and interactive():
            answer = input(f"{change.describe()} Accept the new certificate? [y/N] ")
            yes_now = answer.strip().lower() in ("y", "yes")
        else:
            yes_now = yes
        if yes_now:
            book.confirm(change)
        else:
            book.reject(change)
            refused.append(change)
    if refused:
        raise ContactsError(
            " ".join(c.describe() for c in refused)
            + " Not imported; run again with --yes to accept."
        )


def cmd_lookup(args: argparse.Namespace, ctx: Context) -> int:
    found = find_certificates(ctx.home, args.address, directory=args.directory, ask=ask_password)
    if args.json:
        ctx.print_json([f.to_json() for f in found])
    else:
        _print_found(ctx, found)
    usable = [f for f in found if f.usable]
    if not usable:
        if args.json:  # the list says it all (usable false, problems): a report, exit 0
            return 0
        raise unusable_error(args.address, found)
    if args.do_import:
        changes = import_found(ctx.home, usable)
        _settle(Contacts(ctx.home), changes, args.yes)
        count = len(usable)
        if not args.json:
            ctx.out(
                f"Imported {count} certificate{'s' if count != 1 else ''} for "
                f"{clean_line(args.address)} from the directory."
            )
    return 0


# -- id publish -----------------------------------------------------------------------------


def register_id_publish(sub: _SubParsers) -> None:
    p = sub.add_parser(
        "publish",
        help="publish your certificate in a directory",
        description="Replace userCertificate;binary on your own directory entry (found by the "
        "directory's filter for EMAIL) with your newest encryption certificate, so that others "
        "can find it. Needs a directory with a bind DN that may write your entry.",
    )
    p.add_argument("email", nargs="?", metavar="EMAIL", help="default: the default account's")
    p.add_argument("--directory", metavar="NAME", help="needed when there are several")
    p.set_defaults(handler=cmd_publish)


def _own_address(ctx: Context, given: str | None) -> str:
    if given:
        return given
    account = default_account(load_accounts(ctx.home))
    if account is not None:
        return str(account.email)
    addresses = {e for ident in Keystore(ctx.home).list() for e in ident.emails}
    if len(addresses) == 1:
        return str(addresses.pop())
    raise IdentityError("Say which of your addresses to publish: smimetui id publish EMAIL.")


def _identity(ctx: Context, email: str) -> DigitalId:
    ids = Keystore(ctx.home).find(email)
    usable = [i for i in ids if i.can_encrypt]  # newest first
    if usable:
        return usable[0]
    if ids:
        raise IdentityError(
            f"Your digital IDs for {clean_line(email)} cannot receive encrypted mail, so there is "
            "nothing worth publishing."
        )
    raise IdentityError(
        f"You have no digital ID for {clean_line(email)}; import one (smimetui id import) first."
    )


def _directory(ctx: Context, name: str | None) -> Directory:
    directories = load_directories(ctx.home)
    if name is not None:
        for directory in directories:
            if directory.name == name:
                return directory
        raise DirectoryError(f"There is no directory named {name!r}; see smimetui directory list.")
    if len(directories) == 1:
        return directories[0]
    if not directories:
        raise DirectoryError(
            "No certificate directory is set up; add one with "
            "'smimetui directory add NAME --url URL --base DN --bind-dn DN'."
        )
    names = ", ".join(d.name for d in directories)
    raise DirectoryError(f"Choose a directory with --directory (one of: {names}).")


def cmd_publish(args: argparse.Namespace, ctx: Context) -> int:
    email = _own_address(ctx, args.email)
    ident = _identity(ctx, email)
    directory = _directory(ctx, args.directory)
    done = publish(directory, ident.cert.der, email, ask=ask_password)
    ctx.out(
        f"Published {ident.cert.display_name} ({ident.short_id}) in {done.entry} "
        f"on {directory.name} ({directory.url})."
    )
    return 0
