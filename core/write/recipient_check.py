"""For each recipient, whether encrypted mail can reach them: the compose screen's live line.

The same rules as sending (``send.build``): a contact's certificate that validates, or, for
your own address, your encryption ID (as for the copy to yourself).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smimetui.core.errors import RecipientCertificateError, SmimeTuiError
from smimetui.core.pki.contacts import Contacts
from smimetui.core.write.recipients import choose_recipients
from smimetui.core.write.send import Writer, self_recipient, validator


@dataclass(frozen=True, slots=True)
class RecipientLine:
    address: str
    ok: bool
    reason: str = ""

    @property
    def text(self) -> str:
        return (
            f"✓ {self.address}: {self.reason or 'certificate available'}"
            if self.ok
            else f"✗ {self.address}: {self.reason}"
        )


def recipient_lines(writer: Writer, addresses: Sequence[str]) -> list[RecipientLine]:
    book = Contacts(writer.home)
    check = validator(writer.home)
    me = writer.address.lower()
    lines = []
    for address in addresses:
        if address.lower() == me:
            lines.append(_self_line(writer, address))
            continue
        try:
            choose_recipients([address], book, validator=check)
            lines.append(RecipientLine(address, True))
        except RecipientCertificateError as err:
            reason = err.message.split(f"{address.lower()}: ", 1)[-1].rstrip(".")
            lines.append(RecipientLine(address, False, reason))
    return lines


def _self_line(writer: Writer, address: str) -> RecipientLine:
    """You are a recipient: your own encryption ID serves (as for the copy to yourself)."""
    try:
        self_recipient(writer)
    except SmimeTuiError as err:  # no ID, or its token cannot be read
        return RecipientLine(address, False, err.message.rstrip("."))
    return RecipientLine(address, True, "your own digital ID")
