"""``smimetui inspect FILE.eml``: the security report and the displayed text of one message."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, overload

from smimetui.cli.context import Context
from smimetui.core.errors import InputError, SmimeTuiError
from smimetui.core.read.rawview import header_fields, header_lines, source_text
from smimetui.core.read.report import SecurityReport, SignatureReport
from smimetui.core.read.transportwords import transport_lines
from smimetui.core.read.wording import (
    encryption_headline,
    next_step,
    revocation_words,
    signature_headline,
)

if TYPE_CHECKING:
    from smimetui.core.settings.accounts import Account

if TYPE_CHECKING:
    from smimetui.core.cms.envelope import KeyCandidate
    from smimetui.core.settings.home import Home


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "inspect",
        help="verify and decrypt a message file and explain what it proves",
        description="Print the security report and the displayed text of a message. Exit 0 "
        "whenever a report was produced, whatever the verdict.",
    )
    p.add_argument("file", help="the message (.eml), or - for standard input")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--content",
        metavar="DATA",
        help="FILE is a detached signature (.p7s) and DATA the file it signs",
    )
    add_key_options(p)
    p.set_defaults(handler=run)


def add_key_options(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that reads a message (inspect, show)."""
    p.add_argument("--passphrase-file", metavar="F", help="passphrase of your digital IDs")
    p.add_argument("--pin-file", metavar="F", help="PIN of your smart card (token IDs)")
    p.add_argument(
        "--at",
        metavar="ISO8601",
        type=parse_moment,
        help="validate certificates as of this time (for archived mail); default: now",
    )
    p.add_argument(
        "--fetch-revocation",
        action="store_true",
        help="check revocation online (CRL/OCSP); off by default",
    )
    p.add_argument(
        "--authserv-id",
        metavar="HOST",
        help="your receiving server's authserv-id (Authentication-Results); default: the account's",
    )
    view = p.add_mutually_exclusive_group()
    view.add_argument("--headers", action="store_true", help="print every header field (safe)")
    view.add_argument(
        "--source", action="store_true", help="print the message as it arrived (controls removed)"
    )


def parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 time such as 2026-01-31T12:00:00Z"
        ) from err
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    try:
        return path.read_bytes()
    except FileNotFoundError as err:
        raise InputError(f"{name}: no such file.") from err
    except IsADirectoryError as err:
        raise InputError(f"{name} is a folder, not a message file.") from err
    except OSError as err:
        raise InputError(f"{name} could not be read: {err.strerror}.") from err


class _KeysWhenNeeded(Sequence["KeyCandidate"]):
    """The digital IDs of a home, read (with their modules) only when a message is encrypted:
    verifying a signature needs none of them."""

    def __init__(self, home: Home, passphrase_file: str | None, pin_file: str | None) -> None:
        self._home, self._passphrase_file, self._pin_file = home, passphrase_file, pin_file
        self._keys: list[KeyCandidate] | None = None

    def _load(self) -> list[KeyCandidate]:
        if self._keys is None:
            # lazy: only this command loads it (tests/test_startup.py)
            from smimetui.core.pki.keycandidates import keystore_candidates

            self._keys = keystore_candidates(self._home, self._passphrase_file, self._pin_file)
        return self._keys

    def __len__(self) -> int:
        return len(self._load())

    @overload
    def __getitem__(self, index: int) -> KeyCandidate: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[KeyCandidate]: ...

    def __getitem__(self, index: int | slice) -> KeyCandidate | Sequence[KeyCandidate]:
        return self._load()[index]


def inspect_bytes(
    raw: bytes,
    args: argparse.Namespace,
    ctx: Context,
    *,
    content: bytes | None = None,
    account: Account | None = None,
) -> SecurityReport:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.read.inspect import InspectContext, inspect_message
    from smimetui.core.read.transport import receiving_hosts

    keys = _KeysWhenNeeded(
        ctx.home, getattr(args, "passphrase_file", None), getattr(args, "pin_file", None)
    )
    inspect_ctx = InspectContext.from_home(
        ctx.home,
        keys=keys,
        moment=getattr(args, "at", None),
        fetch_revocation=getattr(args, "fetch_revocation", False),
    )
    authserv = getattr(args, "authserv_id", None) or (account.authserv_id if account else "")
    hosts = account.receiving_hosts if account and not getattr(args, "authserv_id", None) else ""
    inspect_ctx = replace(
        inspect_ctx, authserv_id=authserv, receiving_hosts=receiving_hosts(authserv, hosts)
    )
    return inspect_message(raw, inspect_ctx, detached_content=content)


def _file_account(ctx: Context) -> Account | None:
    """The default account, for its receiving server; none configured is fine for a file."""
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.settings.accounts import default_account, load_accounts

    try:
        return default_account(load_accounts(ctx.home))
    except SmimeTuiError:
        return None


def print_view(raw: bytes, args: argparse.Namespace, ctx: Context) -> bool:
    """``--headers`` / ``--source``: print that view instead of the report."""
    if getattr(args, "headers", False):
        if args.json:
            fields, _cut = header_fields(raw)
            ctx.print_json([{"name": f.name, "value": f.value} for f in fields])
        else:
            for line in header_lines(raw):
                ctx.out(line)
        return True
    if getattr(args, "source", False):
        ctx.out(source_text(raw).rstrip("\n"))
        return True
    return False


def run(args: argparse.Namespace, ctx: Context) -> int:
    raw = read_input(args.file)
    if print_view(raw, args, ctx):
        return 0
    content = read_input(args.content) if getattr(args, "content", None) else None
    report = inspect_bytes(raw, args, ctx, content=content, account=_file_account(ctx))
    print_report(report, ctx, as_json=args.json)
    return 0


def print_report(report: SecurityReport, ctx: Context, *, as_json: bool) -> None:
    if as_json:
        ctx.print_json(report.to_json())
        return
    for line in report_lines(report):
        ctx.out(line)
    ctx.out("")
    ctx.out(report.text)


def _signature_lines(sig: SignatureReport) -> list[str]:
    lines = [f"Signature: {signature_headline(sig)}"]
    if sig.signer is not None:
        addrs = ", ".join(sig.signer.email) or "no address"
        lines.append(f"  Signer:    {sig.signer.display_name} <{addrs}>")
        lines.append(f"  Matches From: {'yes' if sig.from_match else 'NO'}")
    lines.append(f"  Chain:     {sig.chain.value}")
    for link in sig.chain_path:
        lines.append(f"    - {link.cert.display_name}: {link.status}")
    lines.append(f"  Covers:    {'the whole message' if sig.covers.value == 'whole' else 'part'}")
    lines.append(f"  Revocation: {revocation_words(sig.revocation)}")
    if sig.digest_algorithm or sig.signature_algorithm:
        lines.append(f"  Algorithm: {sig.digest_algorithm} with {sig.signature_algorithm}")
    if sig.signing_time:
        lines.append(f"  Signed at: {sig.signing_time.isoformat()}")
    lines.extend(f"  Problem:   {p}" for p in sig.problems)
    lines.extend(f"  Note:      {n}" for n in sig.notes)
    return lines


def report_lines(report: SecurityReport) -> list[str]:
    lines = [f"From:      {report.from_display or report.from_addr}"]
    lines.append(f"Subject:   {report.subject}")
    if report.date:
        lines.append(f"Date:      {report.date}")
    if report.validated_at is not None:
        lines.append(f"Validated as of {report.validated_at.isoformat()} (not now), as asked.")
    if report.encryption is not None:
        enc = report.encryption
        signed = report.signature is not None and not report.signature.over_ciphertext
        lines.append(f"Encryption: {encryption_headline(enc, signed)}")
        if enc.recipients:
            lines.append(f"  For:       {'; '.join(enc.recipients)}")
        lines.extend(f"  Problem:   {p}" for p in enc.problems)
    if report.signature is not None:
        lines.extend(_signature_lines(report.signature))
    elif report.encryption is None:
        lines.append("Signature: none (this message is not signed)")
    for att in report.attachments:
        lines.append(f"Attachment: {att.filename} ({att.content_type}, {att.size} bytes)")
    lines.extend(f"Problem:   {p}" for p in report.problems)
    lines.extend(transport_lines(report))
    step = next_step(report)
    if step:
        lines.append(f"Next step: {step}")
    return lines
