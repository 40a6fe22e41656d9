"""``smimetui trust add|list|remove``: the roots you trust in addition to the system store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from smimetui.cli.context import Context
from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.errors import InputError
from smimetui.core.pki.trust import TrustStore
from smimetui.core.sanitize import clean_line

MAX_CERT_FILE = 1 << 20  # a root certificate is a few KiB; refuse to slurp anything huge


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("trust", help="manage the root certificates you trust")
    cmds = p.add_subparsers(dest="trust_command", metavar="ACTION", required=True)

    add = cmds.add_parser(
        "add",
        help="trust a root (CA or self-signed) certificate",
        description="Trust a CA or self-signed certificate (PEM or DER) as a root for "
        "signatures. Check its fingerprint with its owner first.",
    )
    add.add_argument("file", metavar="FILE", type=Path)
    add.set_defaults(handler=run_add)

    lst = cmds.add_parser("list", help="list the roots you added")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.add_argument("--all", action="store_true", help="also count the system's trusted roots")
    lst.set_defaults(handler=run_list)

    rm = cmds.add_parser(
        "remove",
        help="stop trusting a root you added",
        description="SELECTOR is the start of the SHA-256 fingerprint (at least 8 hex digits) "
        "or part of the subject; it must match exactly one root.",
    )
    rm.add_argument("selector", metavar="SELECTOR")
    rm.set_defaults(handler=run_remove)


def _read(path: Path) -> bytes:
    shown = clean_line(str(path), max_length=200)
    try:
        if path.stat().st_size > MAX_CERT_FILE:
            raise InputError(f"{shown} is too large to be a certificate.")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{shown} does not exist.") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{shown} is a directory, not a certificate file.") from exc
    except OSError as exc:
        raise InputError(f"{shown} cannot be read: {exc.strerror or exc}.") from exc


def _describe(info: CertInfo) -> str:
    kind = "self-signed" if info.self_signed else f"issued by {info.issuer}"
    return (
        f"{info.display_name} ({kind}; valid until {info.not_after.date().isoformat()})\n"
        f"  sha256 {info.sha256}"
    )


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    info = TrustStore(ctx.home, use_system=False).add(_read(args.file))
    ctx.out(f"Trusted as a root: {_describe(info)}")
    return 0


def _root_json(info: CertInfo) -> dict[str, Any]:
    return {**info.to_json(), "self_signed": info.self_signed}


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    store = TrustStore(ctx.home, use_system=args.all)
    roots = store.user_roots()
    system = store.system_anchors() if args.all else ()
    if args.json:
        data: dict[str, Any] = {"roots": [_root_json(r) for r in roots]}
        if args.all:
            bundle = store.system_bundle
            data["system"] = {"bundle": str(bundle) if bundle else None, "count": len(system)}
        ctx.print_json(data)
        return 0
    if not roots:
        ctx.out("You have not added any roots (smimetui trust add FILE).")
    for info in roots:
        ctx.out(_describe(info))
    if args.all:
        where = clean_line(str(store.system_bundle)) if store.system_bundle else "none found"
        ctx.out(f"System store: {len(system)} trusted roots ({where}).")
    return 0


def run_remove(args: argparse.Namespace, ctx: Context) -> int:
    info = TrustStore(ctx.home, use_system=False).remove(args.selector)
    ctx.out(f"No longer trusted: {_describe(info)}")
    return 0
