"""The compose screen: From, To/Cc/Bcc (completed from contacts), Subject, body, attachments.

Sign and encrypt are toggled with ctrl+s and ctrl+t (neither is a text-editing key in Input or
TextArea); their state is always on screen, and a live line says for each recipient whether a
certificate is available.  Drafts are saved every 30 seconds after a change and on leaving
(encrypted to yourself when the message is to be encrypted).

The screen owns the form and wires components that each own one concern:
``RecipientCertificates`` (the certificate line), ``DirectoryLookup`` (certificates from LDAP
for recipients without one) and ``DraftAutosave`` (saving drafts).  Their workers run on this
screen; the handlers here hand each result to its component.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static, TextArea
from textual.worker import Worker

from smimetui.core.errors import InputError
from smimetui.core.read.report import SecurityReport
from smimetui.core.read.senders import reply_to_mismatch
from smimetui.core.session.mail_session import MailSession
from smimetui.core.write.form import (
    OutgoingMail,
    attach_file,
    forward,
    mail_from_draft,
    reply_to,
)
from smimetui.tui import messages as m
from smimetui.tui.app_services import mail_app
from smimetui.tui.editor import edit_text, editor_command
from smimetui.tui.keys import UiSettings
from smimetui.tui.outgoing import send
from smimetui.tui.screens.compose_directory import DirectoryLookup
from smimetui.tui.screens.compose_drafts import AUTOSAVE_SECONDS, DraftAutosave
from smimetui.tui.screens.compose_recipients import RecipientCertificates
from smimetui.tui.screens.compose_suggestions import load_suggestions
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.worker_errors import show_worker_error

if TYPE_CHECKING:
    from smimetui.core.directory.lookup import Found

__all__ = ["AUTOSAVE_SECONDS", "ComposeScreen", "warning_content"]
_FIELDS = ("to", "cc", "bcc", "subject")
_RECIPIENT_FIELDS = ("compose-to", "compose-cc", "compose-bcc")


def warning_content(sentence: str, reply_to: str) -> Content:
    """The Reply-To warning with the addresses replies would go to highlighted."""
    from email.utils import getaddresses

    content = Content("⚠ " + sentence)
    for _, address in getaddresses([reply_to]):
        start = content.plain.find(address) if address else -1
        if start >= 0:
            content = content.stylize("bold reverse", start, start + len(address))
    return content


class ComposeScreen(Screen[None]):
    """``mode`` is new, reply, reply-all, forward or draft (``original`` is then the draft)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+g", "send", "Send", tooltip="Send the message", id="compose-send"),
        Binding("ctrl+s", "toggle_sign", "Sign", tooltip="Sign on/off", id="compose-sign"),
        Binding(
            "ctrl+t", "toggle_encrypt", "Encrypt", tooltip="Encrypt on/off", id="compose-encrypt"
        ),
        Binding("ctrl+o", "attach", "Attach", tooltip="Attach a file", id="compose-attach"),
        Binding(
            "ctrl+l",
            "directory_import",
            "Directory",
            tooltip="Import recipients' certificates found in the directory",
            id="compose-directory",
        ),
        Binding("f2", "editor", "$EDITOR", tooltip="Edit the body in $EDITOR", id="compose-editor"),
        Binding("escape", "close", "Close", tooltip="Save as draft and close", id="compose-close"),
        # Priority: the app moves focus before it hands the next key on, so keys typed (or
        # pasted as keys) right after a tab land in the next field, not in the one left.
        Binding("tab", "next_field", "Next field", show=False, priority=True, id="compose-next"),
        Binding(
            "shift+tab",
            "previous_field",
            "Previous field",
            show=False,
            priority=True,
            id="compose-previous",
        ),
    ]

    def __init__(
        self,
        session: MailSession,
        *,
        mode: str = "new",
        original: SecurityReport | None = None,
        settings: UiSettings | None = None,
        draft_uid: int | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.settings = settings or UiSettings()
        self.writer = session.writer()
        self.mail = self._initial_mail(mode, original)
        replying = original is not None and mode in ("reply", "reply-all")
        self.reply_warning = reply_to_mismatch(original) if original and replying else None
        self.drafts = DraftAutosave(self, self.writer, self._read_form, draft_uid)
        self.recipients = RecipientCertificates(self, self.writer, self._recipients_now)
        self.directory = DirectoryLookup(self, session, imported=self._recheck_after_import)

    def _initial_mail(self, mode: str, original: SecurityReport | None) -> OutgoingMail:
        session = self.session
        sign = bool(getattr(session.account, "sign_by_default", False)) or session.demo
        me = session.own_address.from_header
        if original is not None and mode in ("reply", "reply-all"):
            to_all = mode == "reply-all"
            return reply_to(original, session.own_address.address, me, to_all=to_all, sign=sign)
        if original is not None and mode == "forward":
            return forward(original, me, sign=sign)
        if original is not None and mode == "draft":
            return mail_from_draft(original, me, sign=sign)
        encrypt = bool(getattr(session.account, "encrypt_by_default", False))
        return OutgoingMail(from_header=me, sign=sign, encrypt=encrypt)

    def compose(self) -> ComposeResult:
        with Vertical(id="compose-form"):
            yield Static(Content(f"From: {self.mail.from_header}"), id="compose-from")
            if self.reply_warning:
                yield Static(
                    warning_content(self.reply_warning, self.mail.to), id="compose-warning"
                )
            for name in _FIELDS:
                with Horizontal(classes="compose-row"):
                    yield Label(name.capitalize(), classes="compose-label")
                    yield Input(getattr(self.mail, name), id=f"compose-{name}")
            yield Static(id="compose-security")
            yield Static(id="compose-recipients")
            yield TextArea(
                self.mail.body, id="compose-body", soft_wrap=True, show_line_numbers=False
            )
            yield Static(id="compose-attachments")
            yield Input(
                id="compose-attach-path",
                placeholder="File to attach, enter to add, escape to cancel",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#compose-attach-path").display = False
        load_suggestions(self, self.session.home, _RECIPIENT_FIELDS)
        self._show_state()
        self.recipients.schedule()
        first = "#compose-body" if self.mail.to else "#compose-to"
        self.query_one(first).focus()

    # -- state on screen ---------------------------------------------------------------------
    def _show_state(self) -> None:
        sign = "✓ Signed" if self.mail.sign else "✗ Not signed"
        enc = "✓ Encrypted" if self.mail.encrypt else "✗ Not encrypted"
        line = self.query_one("#compose-security", Static)
        text = f"{sign} (ctrl+s)   {enc} (ctrl+t)   Send: ctrl+g"
        if self.mail.encrypt and self.query_one("#compose-bcc", Input).value.strip():
            text += (
                "\nBcc: each Bcc recipient gets a separately encrypted copy (To/Cc cannot see them)"
            )
        line.update(Content(text))
        line.set_class(self.mail.sign, "-signed")
        names = ", ".join(a.filename for a in self.mail.attachments)
        attach = self.query_one("#compose-attachments", Static)
        attach.display = bool(names)
        attach.update(Content(f"Attachments: {names}"))

    def _read_form(self) -> OutgoingMail:
        def value(name: str) -> str:
            return self.query_one(f"#compose-{name}", Input).value

        return replace(
            self.mail,
            to=value("to"),
            cc=value("cc"),
            bcc=value("bcc"),
            subject=value("subject"),
            body=self.query_one("#compose-body", TextArea).text,
        )

    @on(Input.Changed)
    @on(TextArea.Changed)
    def form_changed(self, event: Input.Changed | TextArea.Changed) -> None:
        if isinstance(event, Input.Changed) and event.input.id == "compose-attach-path":
            return
        self.drafts.mark_dirty()
        if isinstance(event, Input.Changed) and event.input.id in _RECIPIENT_FIELDS:
            self.recipients.schedule()
        if isinstance(event, Input.Changed) and event.input.id == "compose-bcc":
            self._show_state()

    def _recipients_now(self) -> list[str]:
        self.mail = self._read_form()  # the form as it stands is the mail from now on
        return self.mail.recipients

    # What tests read.
    @property
    def dirty(self) -> bool:
        return self.drafts.dirty

    @property
    def edits(self) -> int:
        return self.drafts.edits

    @property
    def draft_uid(self) -> int | None:
        return self.drafts.draft_uid

    @property
    def directory_found(self) -> dict[str, list[Found]]:
        return self.directory.found

    def _autosave_now(self) -> None:
        self.drafts.autosave_now()  # what the 30-second timer does

    # -- worker results, each to the component that owns it ------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        show_worker_error(self, event)
        self.drafts.worker_ended(event)

    def on_draft_saved(self, message: m.DraftSaved) -> None:
        self.drafts.saved(message)

    def on_recipients_checked(self, message: m.RecipientsChecked) -> None:
        if self.recipients.checked(message):
            self._show_certificates()
            self.directory.ask(self.recipients.missing)

    def on_directory_looked_up(self, message: m.DirectoryLookedUp) -> None:
        self.directory.looked_up(message)
        self._show_certificates()

    def on_directory_imported(self, message: m.DirectoryImported) -> None:
        self.directory.import_done(message)

    def _show_certificates(self) -> None:
        self.recipients.show(self.directory.lines(self.recipients.missing))

    def _recheck_after_import(self) -> None:
        self.directory.forget(self.recipients.missing)
        self.recipients.schedule()

    # -- workers -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="send", description="send")
    def _send(self, mail: OutgoingMail) -> None:
        summary = send(self.writer, mail)
        self.drafts.discard_saved()
        self.post_message(m.MessageSent(summary))

    def on_message_sent(self, message: m.MessageSent) -> None:
        self.app.notify(message.summary, title="Sent", markup=False)
        self.drafts.mark_sent()
        self.dismiss(None)

    # -- actions -----------------------------------------------------------------------------
    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_toggle_sign(self) -> None:
        self.mail = replace(self._read_form(), sign=not self.mail.sign)
        self._show_state()

    def action_toggle_encrypt(self) -> None:
        self.mail = replace(self._read_form(), encrypt=not self.mail.encrypt)
        self._show_state()

    def action_send(self) -> None:
        mail = self._read_form()
        self.mail = mail
        if mail.reply_to_encrypted and not mail.encrypt:
            question = (
                "You are answering an encrypted message without encryption: your reply (and "
                "anything quoted in it) would travel readable by anyone. Send unencrypted?"
            )

            def answered(yes: bool | None) -> None:
                if yes:
                    self._send(mail)

            self.app.push_screen(ConfirmScreen("Send unencrypted?", question, yes="Send"), answered)
            return
        self._send(mail)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "directory_import" and not self.directory.usable(self.recipients.missing):
            return None
        return True

    def action_close(self) -> None:
        attach = self.query_one("#compose-attach-path", Input)
        if attach.display:
            attach.display = False
            self.query_one("#compose-body").focus()
            return
        self.drafts.close_saving()

    def action_attach(self) -> None:
        path = self.query_one("#compose-attach-path", Input)
        path.display = True
        path.focus()

    @on(Input.Submitted, "#compose-attach-path")
    def attach_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        if event.value.strip():
            try:
                self.mail = attach_file(self._read_form(), event.value.strip())
            except Exception as err:  # shown through the one error path
                mail_app(self).show_error(err)
            self._show_state()
            self.drafts.mark_dirty()
        event.input.value = ""
        self.query_one("#compose-body").focus()

    def action_directory_import(self) -> None:
        self.directory.offer_import(self.recipients.missing)

    def action_editor(self) -> None:
        body = self.query_one("#compose-body", TextArea)
        command = editor_command(self.settings.editor)
        try:
            with self.app.suspend():
                text = edit_text(body.text, command)
        except SuspendNotSupported:
            message = "$EDITOR needs the terminal, and this session cannot hand it over."
            mail_app(self).show_error(InputError(message, title="No editor here"))
            return
        except InputError as err:
            mail_app(self).show_error(err)
            return
        if text != body.text:
            body.load_text(text)
            self.drafts.mark_dirty()
