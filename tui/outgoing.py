"""The compose screen's side of core's one write path (``core/write``): the session as a
``Writer`` and the app's words for a send.  The rules (IDs, recipients' certificates, yourself,
preferences, Sent, drafts) are core's; the workers that call these live on the screens.
"""

from __future__ import annotations

from smimetui.core.errors import NoPassphraseError
from smimetui.core.write.form import OutgoingMail, to_rfc5322
from smimetui.core.write.send import Writer, send_message
from smimetui.tui.services import MailSession


def writer_for(session: MailSession) -> Writer:
    """The session's account and mail store, with its one passphrase cache."""
    return Writer(
        session.home,
        session.account,
        session.passphrases,
        backend=session.backend,
        lock=session._lock,
        local_outbox=session.demo,
    )


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
