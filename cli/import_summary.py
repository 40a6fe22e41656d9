"""The text (or JSON) summary of ``smimetui import``."""

from __future__ import annotations

from smimetui.cli.context import Context
from smimetui.core.migrate.report import ImportReport
from smimetui.core.sanitize import clean_line

NO_SILENT_TRUST = (
    "smimetui trusts no root silently: check this fingerprint with the root's owner, then run"
)


def print_report(ctx: Context, report: ImportReport, title: str, *, as_json: bool) -> None:
    if as_json:
        ctx.print_json(report.to_json())
        return
    out = ctx.out
    where = clean_line(report.location, max_length=300)
    if report.dry_run:
        out(f"Dry run: nothing was changed. This would be imported from {title} ({where}):")
    else:
        out(f"Imported from {title} ({where}):")
    stored = " (keys encrypted in your keystore)" if report.ids and not report.dry_run else ""
    out(f"Digital IDs: {len(report.ids)}{stored}")
    for label, sha in report.ids:
        out(f"  {clean_line(label, max_length=200)}  SHA-256 {sha}")
    out(f"Contacts' certificates: {len(report.contacts)}")
    for addresses, sha in report.contacts:
        out(f"  {clean_line(', '.join(addresses), max_length=300)}  SHA-256 {sha}")
    out(f"CA certificates kept for building chains (not trusted): {len(report.chain_cas)}")
    for name, sha in report.chain_cas:
        out(f"  {name}  SHA-256 {sha}")
    out(f"Roots not trusted: {len(report.roots)}")
    for root in report.roots:
        out(f"  {root.name}  SHA-256 {root.sha256}")
        if root.offered:
            verb = "Would be offered" if report.dry_run else "Offered"
            out(f"    {verb}: {root.why} {NO_SILENT_TRUST}:")
            out(f"    {root.command}")
        else:
            out(f"    Not offered: {root.why}")
    if report.ids and not report.dry_run:
        out("`smimetui id check` tells whether each ID's chain reaches a root you trust.")
    if report.skipped:
        out(f"Not imported: {len(report.skipped)}")
        for sentence in report.skipped:
            out(f"  {clean_line(sentence, max_length=600)}")
