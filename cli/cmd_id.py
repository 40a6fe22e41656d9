"""``smimetui id``: your digital IDs (certificates with their private keys).

One ``_register_<name>`` and one ``cmd_<name>`` function per subcommand; ``SUBCOMMANDS`` lists
the registrars in ``--help`` order, so new subcommands are added without touching the others.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smimetui.cli.context import Context
from smimetui.cli.directory_commands import register_id_publish
from smimetui.core.errors import InputError, KeyUnlockError, SmimeTuiError
from smimetui.core.pki.keystore import DigitalId, Keystore
from smimetui.core.pki.passphrase import (
    MAX_PROMPTS,
    KeyringPassphrase,
    interactive,
    prompt_new_passphrase,
    read_passphrase_file,
)
from smimetui.core.settings.config import load_config

_SubParsers = Any  # argparse's private _SubParsersAction


def _usable_for(ident: DigitalId) -> str:
    uses = [u for u, ok in (("signing", ident.can_sign), ("encryption", ident.can_encrypt)) if ok]
    return " and ".join(uses) or "neither signing nor encryption"


def _issuer_name(ident: DigitalId) -> str:
    issuer: str = ident.cert.issuer
    for part in issuer.split(", "):
        if part.startswith("Common Name: "):
            return part.removeprefix("Common Name: ")
    return issuer


# -- id import ------------------------------------------------------------------------------------


def _register_import(sub: _SubParsers) -> None:
    p = sub.add_parser(
        "import",
        help="import a digital ID from a .p12/.pfx file",
        description="Store the certificate, its chain and its private key; the key is kept "
        "encrypted with a passphrase (the file's, or a new one).",
    )
    p.add_argument("file", metavar="FILE.p12", help="PKCS#12 file (.p12 or .pfx)")
    p.add_argument("--passphrase-file", metavar="F", help="file whose first line opens FILE.p12")
    p.add_argument(
        "--new-passphrase-file",
        metavar="F",
        help="protect the stored key with this passphrase instead of the file's",
    )
    p.add_argument(
        "--keyring",
        action="store_true",
        help="also save the stored key's passphrase in the system keyring (opt-in)",
    )
    p.set_defaults(handler=cmd_import)


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"The file {path} cannot be read: {err.strerror or err}.") from err
    store = Keystore(ctx.home)
    name = str(path)
    opened = store.open_pkcs12(data, _passphrase_for(store, data, args, name), name=name)
    new = read_passphrase_file(args.new_passphrase_file) if args.new_passphrase_file else None
    protect = new if new is not None else opened.passphrase
    if not protect:
        protect = prompt_new_passphrase(opened.label)
    known = {i.id for i in store.list()}
    ident = store.add(opened.cert, opened.key, opened.chain, protect)
    _print_summary(ctx, ident, store, updated=ident.id in known)
    from smimetui.cli.id_lifecycle import doctor, print_doctor  # the doctor runs on import

    print_doctor(ctx, ident, doctor(ctx, ident))
    if args.keyring:
        _save_in_keyring(ctx, ident, protect)
    return 0


def _save_in_keyring(ctx: Context, ident: DigitalId, passphrase: bytes) -> None:
    try:
        KeyringPassphrase.save(ident, passphrase)
    except SmimeTuiError as err:  # the ID is stored either way; say why the keyring is not used
        print(
            f"smimetui: the passphrase was not saved in the keyring: {err.one_line()}",
            file=sys.stderr,
        )
        return
    ctx.out("  Keyring:      passphrase saved (unlocks without asking)")


def _passphrase_for(
    store: Keystore, data: bytes, args: argparse.Namespace, name: str
) -> bytes | None:
    """The passphrase that opens the file: given, empty, or asked for on the terminal."""
    if args.passphrase_file:
        given: bytes = read_passphrase_file(args.passphrase_file)
        return given
    try:  # many exported files have no passphrase: do not ask for one needlessly
        store.open_pkcs12(data, None, name=name)
        return None
    except KeyUnlockError:
        if not interactive():
            raise KeyUnlockError(
                f"{name} is protected by a passphrase; give it with --passphrase-file F."
            ) from None
    for attempt in range(MAX_PROMPTS):
        answer = getpass.getpass(f"Passphrase for {name}: ").encode("utf-8")
        try:
            store.open_pkcs12(data, answer, name=name)
            return answer
        except KeyUnlockError:
            if attempt + 1 < MAX_PROMPTS:
                sys.stderr.write("That passphrase is wrong; try again.\n")
    raise KeyUnlockError(f"The passphrase for {name} is wrong.")


def _print_summary(ctx: Context, ident: DigitalId, store: Keystore, *, updated: bool) -> None:
    out = ctx.out
    verb = "Updated" if updated else "Imported"
    out(f"{verb} digital ID {ident.short_id} for {', '.join(ident.emails) or '(no address)'}")
    out(f"  Subject:      {ident.cert.subject}")
    out(f"  Issuer:       {ident.cert.issuer}")
    out(f"  Valid:        {ident.cert.not_before:%Y-%m-%d} to {ident.cert.not_after:%Y-%m-%d}")
    out(f"  Usable for:   {_usable_for(ident)}")
    if ident.chain:
        names = ", ".join(c.display_name for c in ident.chain)
        count = len(ident.chain)
        out(f"  Chain:        {count} certificate{'s' if count > 1 else ''} ({names})")
    else:
        out("  Chain:        none in the file (the issuer's certificate may be needed)")
    out(f"  Stored in:    {store.root / ident.id} (private key encrypted)")


# -- id list ----------------------------------------------------------------------------------


def _register_list(sub: _SubParsers) -> None:
    p = sub.add_parser("list", help="list your digital IDs, newest first")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_list)


def id_to_json(ident: DigitalId) -> dict[str, Any]:
    return {
        "id": ident.id,
        "emails": list(ident.emails),
        **{k: v for k, v in ident.cert.to_json().items() if k != "email"},
        "can_sign": ident.can_sign,
        "can_encrypt": ident.can_encrypt,
        "added": ident.added.isoformat(),
        "chain": [c.to_json() for c in ident.chain],
    }


def _token_ids(ctx: Context) -> list[Any]:
    """The IDs on registered tokens (none, and no PKCS#11 import, without registrations);
    a token that cannot be read is one line on stderr, the keystore IDs still list."""
    if not load_config(ctx.home).get("tokens"):
        return []
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.pki.tokens.ids import token_ids

    found, problems = token_ids(ctx.home)
    for problem in problems:
        print(f"smimetui: {problem}", file=sys.stderr)
    return found


def token_id_to_json(found: Any) -> dict[str, Any]:
    return {
        "id": found.reference,
        "emails": list(found.info.email),
        **{k: v for k, v in found.info.to_json().items() if k != "email"},
        "can_sign": found.can_sign,
        "can_encrypt": found.can_encrypt,
        "token": found.module.name,
        "token_label": found.token_label,
        "key": found.key,
    }


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    store = Keystore(ctx.home)
    idents = store.list()
    for folder in store.skipped:
        print(f"smimetui: skipped unreadable digital ID in {folder}", file=sys.stderr)
    on_tokens = _token_ids(ctx)
    if args.json:
        ctx.print_json([id_to_json(i) for i in idents] + [token_id_to_json(t) for t in on_tokens])
        return 0
    if not idents and not on_tokens:
        ctx.out("You have no digital IDs yet; import one with `smimetui id import FILE.p12`.")
        return 0
    now = dt.datetime.now(dt.UTC)
    rows = [("ID", "ADDRESS", "SUBJECT", "ISSUER", "VALID UNTIL", "USE")]

    def until(not_after: dt.datetime) -> str:
        return f"{not_after:%Y-%m-%d}" + (" (expired)" if not_after < now else "")

    def use(can_sign: bool, can_encrypt: bool) -> str:
        return "/".join(u for u, ok in (("sign", can_sign), ("encrypt", can_encrypt)) if ok) or "-"

    for i in idents:
        rows.append(
            (
                i.short_id,
                ", ".join(i.emails) or "-",
                i.cert.display_name,
                _issuer_name(i),
                until(i.cert.not_after),
                use(i.can_sign, i.can_encrypt),
            )
        )
    for t in on_tokens:  # marked by their ID: token:NAME/...
        issuer = next(
            (
                p.removeprefix("Common Name: ")
                for p in t.info.issuer.split(", ")
                if p.startswith("Common Name: ")
            ),
            t.info.issuer,
        )
        rows.append(
            (
                t.short_reference,
                ", ".join(t.info.email) or "-",
                t.info.display_name,
                issuer,
                until(t.info.not_after),
                use(t.can_sign, t.can_encrypt) + " (on token)",
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        ctx.out("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _lifecycle() -> tuple[Callable[[_SubParsers], None], ...]:
    from smimetui.cli.id_lifecycle import LIFECYCLE_SUBCOMMANDS  # new/export/check/remove

    return LIFECYCLE_SUBCOMMANDS


SUBCOMMANDS: tuple[Callable[[_SubParsers], None], ...] = (
    _register_import,
    _register_list,
    *_lifecycle(),
    register_id_publish,  # id publish: put your certificate in a directory
)


def register(subparsers: _SubParsers) -> None:
    parser = subparsers.add_parser("id", help="your digital IDs (certificates with their keys)")
    sub = parser.add_subparsers(dest="id_command", metavar="SUBCOMMAND", required=True)
    for registrar in SUBCOMMANDS:
        registrar(sub)
