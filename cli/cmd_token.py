"""``smimetui token``: smart cards and tokens through their PKCS#11 module.

``token add NAME --module PATH`` registers a module, ``token list`` shows its slots, tokens and
the certificates on them (with the ID to bind: ``token:NAME/FINGERPRINT``), ``token pin``
saves or forgets the PIN in the keyring (opt-in), ``token remove`` forgets a module.
"""

from __future__ import annotations

import argparse
from typing import Any

from smimetui.cli.context import Context
from smimetui.core.errors import InputError

_SubParsers = Any  # argparse's private _SubParsersAction


def register(subparsers: _SubParsers) -> None:
    parser = subparsers.add_parser(
        "token", help="smart cards and tokens (PKCS#11): keys that never leave the card"
    )
    sub = parser.add_subparsers(dest="token_command", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("add", help="register a PKCS#11 module under a name")
    p.add_argument("name", metavar="NAME", help="your name for it (letters, digits, . _ -)")
    p.add_argument(
        "--module", metavar="PATH", required=True, help="the module, e.g. opensc-pkcs11.so"
    )
    _pin_options(p)
    p.add_argument(
        "--remember-pin",
        action="store_true",
        help="save the PIN in the system keyring (entry token:NAME); asked or from --pin-file",
    )
    p.set_defaults(handler=cmd_add)
    p = sub.add_parser("list", help="slots, tokens and the IDs on them")
    p.add_argument("--json", action="store_true", help="print JSON")
    _pin_options(p, "log in first, so that private keys hidden behind the PIN are seen")
    p.set_defaults(handler=cmd_list)
    p = sub.add_parser("pin", help="save the PIN of a token in the keyring, or forget it")
    p.add_argument("name", metavar="NAME")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--remember", action="store_true", help="check the PIN and save it")
    what.add_argument("--forget", action="store_true", help="delete the saved PIN")
    _pin_options(p)
    p.set_defaults(handler=cmd_pin)
    p = sub.add_parser("remove", help="forget a registered module (and its saved PIN)")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_remove)


def _pin_options(p: argparse.ArgumentParser, text: str = "the token's PIN") -> None:
    p.add_argument("--pin-file", metavar="F", help=f"a file whose first line is the PIN: {text}")


def _remember(ctx: Context, name: str, pin_file: str | None) -> None:
    """Log in with the PIN (proving it right) and only then save it in the keyring."""
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.pki.tokens import ids
    from smimetui.core.pki.tokens.pin import AskPin, ChainedPins, FilePin, KeyringPin
    from smimetui.core.pki.tokens.registry import get_module

    module = get_module(ctx.home, name)
    given: list[str] = []

    class _Keep:
        name = "the PIN"

        def __init__(self, inner: FilePin | AskPin) -> None:
            self.inner = inner

        def get(self, token: str, attempt: int, hint: str) -> str | None:
            pin = self.inner.get(token, attempt, hint)
            if pin is not None:
                given.append(pin)
            return pin

    source = _Keep(FilePin(pin_file) if pin_file else AskPin())
    ids.log_in(module, ChainedPins(source))
    if not given:
        raise InputError(
            f"No PIN for token {name} to remember: give --pin-file F or run in a terminal.",
            title="No PIN",
        )
    KeyringPin.save(name, given[-1])
    ctx.out(f"The PIN of token {name} is saved in the keyring (entry token:{name}).")


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.pki.tokens.registry import add_module, remove_module
    from smimetui.core.pki.tokens.session import load

    entry = add_module(ctx.home, args.name, args.module)
    try:
        load(entry)  # a file that is no PKCS#11 module is refused now, not at first use
    except Exception:
        remove_module(ctx.home, args.name)
        raise
    ctx.out(f"Added token {entry.name} (module {entry.module}).")
    if args.remember_pin:
        _remember(ctx, args.name, args.pin_file)
    ctx.out(f"`smimetui token list` shows its IDs; bind one with token:{entry.name}/FINGERPRINT.")
    return 0


def _cert_json(found: Any) -> dict[str, Any]:
    return {
        "id": found.reference,
        "short_id": found.short_reference,
        "label": found.label,
        "cka_id": found.ckaid.hex(),
        "emails": list(found.info.email),
        "subject": found.info.subject,
        "issuer": found.info.issuer,
        "not_after": found.info.not_after.isoformat(),
        "sha256": found.info.sha256,
        "private_key": found.key,
        "signing": found.has_key and found.can_sign,
        "encryption": found.has_key and found.can_encrypt,
    }


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.pki.tokens import ids
    from smimetui.core.pki.tokens.errors import TokenError
    from smimetui.core.pki.tokens.pin import FilePin
    from smimetui.core.pki.tokens.registry import list_modules

    modules = list_modules(ctx.home)
    report: list[dict[str, Any]] = []
    for module in modules:
        entry: dict[str, Any] = {"name": module.name, "module": module.module, "tokens": []}
        try:
            if args.pin_file:
                ids.log_in(module, _only(FilePin(args.pin_file)))
            views = ids.scan(module)
        except TokenError as err:
            entry["problem"] = err.one_line()
            report.append(entry)
            continue
        for view in views:
            entry["tokens"].append(
                {
                    "slot": view.slot,
                    "label": view.label,
                    "serial": view.serial,
                    "manufacturer": view.manufacturer,
                    "model": view.model,
                    "pin": view.pin,
                    "certificates": [_cert_json(c) for c in view.certs],
                }
            )
        report.append(entry)
    if args.json:
        ctx.print_json(report)
        return 0
    if not modules:
        ctx.out("No tokens yet; add a module with `smimetui token add NAME --module PATH`.")
        return 0
    for entry in report:
        ctx.out(f"{entry['name']}: {entry['module']}")
        if "problem" in entry:
            ctx.out(f"  {entry['problem']}")
        elif not entry["tokens"]:
            ctx.out("  no token inserted")
        for token in entry["tokens"]:
            pin = f", PIN: {token['pin']}" if token["pin"] else ""
            ctx.out(
                f"  slot {token['slot']}: token {token['label']} (serial {token['serial']}{pin})"
            )
            for cert in token["certificates"]:
                uses = [u for u in ("signing", "encryption") if cert[u]]
                ctx.out(f"    {cert['short_id']}  {', '.join(cert['emails']) or cert['subject']}")
                ctx.out(
                    f"      private key: {cert['private_key']}; "
                    f"for {' and '.join(uses) or 'nothing (no key)'}; "
                    f"valid until {cert['not_after'][:10]}"
                )
    return 0


def _only(source: Any) -> Any:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.pki.tokens.pin import ChainedPins

    return ChainedPins(source)


def cmd_pin(args: argparse.Namespace, ctx: Context) -> int:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.pki.tokens.pin import KeyringPin
    from smimetui.core.pki.tokens.registry import get_module

    get_module(ctx.home, args.name)
    if args.forget:
        KeyringPin.forget(args.name)
        ctx.out(f"The saved PIN of token {args.name} is forgotten.")
        return 0
    _remember(ctx, args.name, args.pin_file)
    return 0


def cmd_remove(args: argparse.Namespace, ctx: Context) -> int:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.pki.tokens.pin import KeyringPin
    from smimetui.core.pki.tokens.registry import remove_module

    remove_module(ctx.home, args.name)
    KeyringPin.forget(args.name)
    ctx.out(f"Removed token {args.name}; its IDs are no longer offered.")
    return 0
