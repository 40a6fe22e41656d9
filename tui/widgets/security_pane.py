"""The security status bar and the detailed security pane.

Both render a :class:`SecurityReport` only; every string in it comes from a message or a
certificate, so it is put on screen through ``Content`` (never parsed as markup).  The status bar
is its own widget, docked above the body: nothing in the message body can draw into it.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from smimetui.core.pki.chain import ChainLink
from smimetui.core.read.harvest import SignerRecord
from smimetui.core.read.report import EncryptionReport, SecurityReport, SignatureReport
from smimetui.core.read.wording import encryption_headline, revocation_words
from smimetui.tui.verdict import Level, Verdict, verdict_for
from smimetui.tui.widgets.transport_sections import dmarc_note, fill_transport


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "not stated"


def _level_class(level: Level) -> str:
    return f"-{level.value}"


class SecurityStatus(Static):
    """One line, icon + word + headline + next step; the body cannot write here."""

    def show(self, report: SecurityReport | None, pending: str = "") -> None:
        for level in Level:
            self.remove_class(_level_class(level))
        if report is None:
            self.add_class(_level_class(Level.UNCHECKED))
            self.update(Content(pending))
            return
        verdict = verdict_for(report)
        self.add_class(_level_class(verdict.level))
        text = verdict.status_line
        if report.signature is not None and report.encryption is not None:
            text += f"  {encryption_headline(report.encryption, signed=True)}"
        if verdict.next_step:
            text += f"  → {verdict.next_step}"
        text += dmarc_note(report)
        self.update(Content(text))


class SecurityPane(VerticalScroll):
    """Everything we know about the signature and the encryption, in plain words."""

    def compose(self) -> ComposeResult:
        yield Static(id="security-verdict", classes="security-section")
        yield Static(id="security-authentication", classes="security-section")
        yield Static(id="security-signature", classes="security-section")
        yield Static(id="security-chain", classes="security-section")
        yield Static(id="security-encryption", classes="security-section")
        yield Static(id="security-delivery", classes="security-section")

    def show(self, report: SecurityReport | None, signer: SignerRecord | None = None) -> None:
        verdict_widget = self.query_one("#security-verdict", Static)
        sig_widget = self.query_one("#security-signature", Static)
        chain_widget = self.query_one("#security-chain", Static)
        enc_widget = self.query_one("#security-encryption", Static)
        fill_transport(
            self.query_one("#security-authentication", Static),
            self.query_one("#security-delivery", Static),
            report,
        )
        if report is None:
            for widget in (verdict_widget, sig_widget, chain_widget, enc_widget):
                widget.update("")
            return
        verdict = verdict_for(report)
        verdict_widget.update(Content("\n".join(verdict_lines(verdict, report))))
        for level in Level:
            verdict_widget.remove_class(_level_class(level))
        verdict_widget.add_class(_level_class(verdict.level))
        sig = report.signature
        contact = contact_lines(signer, report)
        sig_text = "\n".join(signature_lines(sig, report) + contact) if sig else ""
        sig_widget.update(Content(sig_text))
        sig_widget.display = sig is not None
        chain_widget.update(Content("\n".join(chain_lines(sig.chain_path))) if sig else "")
        chain_widget.display = bool(sig and sig.chain_path)
        enc = report.encryption
        enc_widget.update(Content("\n".join(encryption_lines(enc))) if enc else "")
        enc_widget.display = enc is not None


def verdict_lines(verdict: Verdict, report: SecurityReport) -> list[str]:
    lines = [f"{verdict.icon} {verdict.word}", verdict.headline]
    if verdict.next_step:
        lines.append(f"Next step: {verdict.next_step}")
    problems = list(report.problems)
    if report.signature:
        problems += [p for p in report.signature.problems if p not in problems]
    if report.encryption:
        problems += [p for p in report.encryption.problems if p not in problems]
    lines += [f"• {p}" for p in problems]
    if report.validated_at:
        lines.append(f"Chain validated as of {_when(report.validated_at)}.")
    return lines


def signature_lines(sig: SignatureReport, report: SecurityReport) -> list[str]:
    lines = ["Signature"]
    if sig.signer is not None:
        addrs = ", ".join(sig.signer.email) or "no address in the certificate"
        lines.append(f"  Signer:     {sig.signer.display_name} <{addrs}>")
    else:
        lines.append("  Signer:     unknown (no signer certificate)")
    match = "✓ yes" if sig.from_match else "✗ NO — the signer is not the sender"
    lines.append(f"  From:       {report.from_display}")
    lines.append(f"  Matches:    {match}")
    lines.append(f"  Verdict:    {sig.verdict.value}, chain {sig.chain.value}")
    lines.append(f"  Covers:     {'the whole message' if sig.covers.value == 'whole' else 'part'}")
    lines.append(f"  Signed at:  {_when(sig.signing_time)} (as claimed by the signer)")
    lines.append(f"  Digest:     {sig.digest_algorithm or 'unknown'}")
    lines.append(f"  Algorithm:  {sig.signature_algorithm or 'unknown'}")
    lines.append(f"  Revocation: {revocation_words(sig.revocation)}")
    if sig.signer_count != 1:
        lines.append(f"  Signers:    {sig.signer_count}")
    lines += [f"  Note: {note}" for note in sig.notes]
    if sig.signer is not None:
        lines.append("  Keys: v view certificate · ctrl+k add to contacts · t trust root")
    return lines


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "unknown"


def contact_lines(signer: SignerRecord | None, report: SecurityReport | None = None) -> list[str]:
    """Whether the signer's certificate is in the contacts, where it came from, when seen."""
    if signer is None:
        return []
    if not signer.in_contacts:
        from smimetui.core.read.certificate_import import why_not_importable

        reason = why_not_importable(report) if report is not None else None
        how = "ctrl+k adds it, after asking" if reason is None else reason.rstrip(".")
        return [f"  Contacts:   not stored for {signer.address} ({how})"]
    state = "waiting for your confirmation" if signer.pending else "stored"
    lines = [
        f"  Contacts:   {state} for {signer.address}",
        f"  Source:     {signer.source}",
        f"  Seen:       first {_day(signer.first_seen)}, last {_day(signer.last_seen)}",
    ]
    if signer.harvested:
        lines.append("  Learnt:     their mail program's capabilities, from this signature")
    return lines


def chain_lines(path: tuple[ChainLink, ...]) -> list[str]:
    lines = ["Chain (signer → root)"]
    for depth, link in enumerate(path):
        mark = "✓" if link.ok else "✗"
        indent = "  " + "  " * depth
        lines.append(f"{indent}{mark} {link.cert.subject}")
        valid = f"{link.cert.not_before:%Y-%m-%d} to {link.cert.not_after:%Y-%m-%d}"
        lines.append(f"{indent}  valid {valid} · {link.status}")
    return lines


def encryption_lines(enc: EncryptionReport) -> list[str]:
    integrity = "yes (authenticated)" if enc.authenticated else "NO (CBC: not integrity-protected)"
    lines = [
        "Encryption",
        f"  Status:     {enc.status.value.replace('-', ' ')}",
        f"  Algorithm:  {enc.algorithm or 'unknown'}",
        f"  Integrity:  {integrity}",
    ]
    if enc.key_management:
        lines.append(f"  Key:        {enc.key_management}")
    for who in enc.recipients:
        lines.append(f"  For:        {who}")
    if enc.decrypted_with is not None:
        lines.append(f"  Opened with: {enc.decrypted_with.display_name}")
    return lines
