"""``account add NAME --email E`` without a host: find the settings, show them, ask, fill in.

The look-up itself is :func:`smimetui.core.autoconfig.discover.discover`; this module is the
conversation around it: asking before the public ISPDB learns the domain, showing what was
found, and asking before anything is saved (``--yes`` skips that question, never the ISPDB one:
scripts give ``--ispdb`` to allow it).
"""

from __future__ import annotations

import argparse
import sys

from smimetui.cli.context import Context
from smimetui.core.autoconfig.model import SECURITY_WORDS, Discovery, Server, Settings, expand
from smimetui.core.autoconfig.network import Network
from smimetui.core.errors import AutoconfigError
from smimetui.core.sanitize import clean_line


def add_arguments(add: argparse.ArgumentParser) -> None:
    add.add_argument(
        "--ispdb",
        action="store_true",
        help="also ask Thunderbird's public settings database (it learns your domain)",
    )
    add.add_argument("--yes", action="store_true", help="save found settings without asking")
    add.add_argument("--verbose", action="store_true", help="say which sources were asked")


def _ask(ctx: Context, question: str) -> bool:
    """A y/N question on stdin; no answer (end of input) is no."""
    sys.stdout.write(question + " [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    if not answer.endswith("\n") or not sys.stdin.isatty():
        ctx.out()  # a terminal echoed the Enter key; piped answers are not echoed
    return answer.strip().lower() in ("y", "yes")


def _server_line(kind: str, server: Server | None, email: str) -> str:
    if server is None:
        return f"  {kind:<9} none found (give --smtp-host to send mail)"
    # The host is checked syntax; the username template is network text, cleaned.
    template = clean_line(server.username, max_length=200)
    login = expand(template, email)
    form = f" ({template})" if login != template else ""
    security = SECURITY_WORDS[server.security]
    return f"  {kind:<9} {server.host}:{server.port}, {security}, username {login}{form}"


def describe(found: Discovery, settings: Settings) -> list[str]:
    lines = [
        clean_line(f"Found settings for {found.email} (from {settings.source}):"),
        _server_line("incoming", settings.imap, found.email),
        _server_line("outgoing", settings.smtp, found.email),
        f"  {'sign-in':<9} {settings.auth_words}",
    ]
    if settings.plain_text:
        lines.append(
            "Warning: the only server offered has no TLS: your password and mail would travel "
            "unencrypted."
        )
    return lines


def _nothing_found(found: Discovery) -> AutoconfigError:
    declined = any(step.source == "ISPDB" for step in found.steps)
    allow = ", or allow the public database with --ispdb" if declined else ""
    return AutoconfigError(
        clean_line(
            f"No settings were found for {found.domain} ({found.explanation()}); give them by "
            "hand: --imap-host HOST --username USER, and --smtp-host HOST to send (ports and "
            f"security have defaults){allow}."
        )
    )


def discover_settings(args: argparse.Namespace, ctx: Context, ca_file: str) -> Settings | None:
    """The settings found and accepted (written into ``args``), or None when declined."""

    def consent(domain: str) -> bool:
        if args.ispdb or args.yes:
            return bool(args.ispdb)  # a script allows the ISPDB only by naming it
        return _ask(
            ctx,
            f"Nothing found at {domain} itself. Ask Thunderbird's public database "
            f"(autoconfig.thunderbird.net)? It would learn the domain {domain}.",
        )

    from smimetui.core.autoconfig.discover import discover  # dnspython, only when used

    found = discover(args.email, Network.from_environment(ca_file=ca_file), consent)
    if args.verbose:
        ctx.out(clean_line(f"Looked at: {found.explanation()}"))
    settings = found.settings
    if settings is None:
        raise _nothing_found(found)
    for line in describe(found, settings):
        ctx.out(line)
    if not args.yes and not _ask(ctx, f"Save account {args.name} with these settings?"):
        return None
    _fill(args, settings)
    return settings


def _fill(args: argparse.Namespace, settings: Settings) -> None:
    """Put the settings where ``account add``'s options go; options the user gave win."""
    imap, smtp = settings.imap, settings.smtp
    args.imap_host, args.imap_port, args.imap_security = imap.host, imap.port, imap.security
    given = bool(args.username)  # --username is the login for IMAP and SMTP alike
    args.username = args.username or expand(imap.username, args.email)
    if smtp is not None and not args.smtp_host:
        args.smtp_host, args.smtp_port, args.smtp_security = smtp.host, smtp.port, smtp.security
        login = args.username if given else expand(smtp.username, args.email)
        args.smtp_username = args.smtp_username or (login if login != args.username else "")
