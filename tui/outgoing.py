"""The compose screen's words for a send through core's one write path (``core/write``).

The rules (IDs, recipients' certificates, yourself, preferences, Sent, drafts) are core's, and
the session hands out the ``Writer`` (``MailSession.writer``); only what the user is told, with
this screen's keys in it, is the TUI's.
"""

from __future__ import annotations

from smimetui.core.errors import NoPassphraseError
from smimetui.core.write.form import OutgoingMail, to_rfc5322
from smimetui.core.write.send import Writer, send_message


def send(writer: Writer, mail: OutgoingMail) -> str:
    """Send the form (blocking: call from a worker); the sentence for the notification."""
    try:
        done = send_message(writer, to_rfc5322(mail), sign=mail.sign, encrypt=mail.encrypt)
    except NoPassphraseError as err:
        raise NoPassphraseError(
            "Not sent: your digital ID stayed locked (no passphrase was given). Send again "
            "(ctrl+g) to be asked, or turn signing off (ctrl+s).",
            title="Not sent",
        ) from err
    partly = done.partly.one_line() if done.partly else ""  # it went out: say so, close
    return " ".join(text for text in (done.summary, done.bcc_note, partly) if text)
