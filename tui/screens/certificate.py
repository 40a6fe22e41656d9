"""Full details of one certificate (and the chain it came with), shown literally."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.pki.chain import ChainLink
from smimetui.core.read.wording import grouped_fingerprint

fingerprint = grouped_fingerprint  # the name the screens use


def certificate_lines(cert: CertInfo) -> list[str]:
    return [
        f"Subject:      {cert.subject}",
        f"Email:        {', '.join(cert.email) or '(none)'}",
        f"Issuer:       {cert.issuer}",
        f"Serial:       {cert.serial}",
        f"Valid from:   {cert.not_before:%Y-%m-%d %H:%M} UTC",
        f"Valid until:  {cert.not_after:%Y-%m-%d %H:%M} UTC",
        f"Self-signed:  {'yes' if cert.self_signed else 'no'}",
        f"SHA-256:      {fingerprint(cert.sha256)}",
    ]


class CertificateScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,v", "close", "Close", tooltip="Back to the message", id="cert-close")
    ]

    def __init__(self, cert: CertInfo, chain: tuple[ChainLink, ...] = ()) -> None:
        super().__init__(classes="dialog-screen")
        self.cert = cert
        self.chain = chain

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="certificate-dialog"):
            yield Static(
                Content(f"Certificate of {self.cert.display_name}"), classes="dialog-title"
            )
            yield Static(Content("\n".join(certificate_lines(self.cert))), id="certificate-body")
            for link in self.chain[1:]:
                mark = "✓" if link.ok else "✗"
                text = "\n".join(
                    [f"{mark} Issued by · {link.status}", *certificate_lines(link.cert)]
                )
                yield Static(Content(text), classes="certificate-issuer")

    def action_close(self) -> None:
        self.dismiss(None)
