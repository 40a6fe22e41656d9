"""The compose screen: From, To/Cc/Bcc (completed from contacts), Subject, body, attachments.

Sign and encrypt are toggled with ctrl+s and ctrl+t (neither is a text-editing key in Input or
TextArea); their state is always on screen, and a live line says for each recipient whether a
certificate is available.  Drafts are saved every 30 seconds after a change and on leaving
(encrypted to yourself when the message is to be encrypted).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Static, TextArea

from smimetui.core.smime.report import SecurityReport
from smimetui.core.smime.senders import reply_to_mismatch
from smimetui.tui import messages as m
from smimetui.tui.directory import (
    change_question,
    found_details,
    found_line,
    import_usable,
    lookup_missing,
    resolve,
)
from smimetui.tui.keys import UiSettings
from smimetui.tui.outgoing import (
    OutgoingMail,
    WriteContext,
    attach_file,
    forward,
    recipient_lines,
    reply_to,
    save_draft,
    send,
)
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.services import MailSession
from smimetui.tui.worker_errors import WorkerErrors

if TYPE_CHECKING:
    from smimetui.core.contacts import CertificateChange
    from smimetui.core.ldap_lookup import Found

AUTOSAVE_SECONDS = 30.0
_FIELDS = ("to", "cc", "bcc", "subject")


def warning_content(sentence: str, reply_to: str) -> Content:
    """The Reply-To warning with the addresses replies would go to highlighted."""
    from email.utils import getaddresses

    content = Content("⚠ " + sentence)
    for _, address in getaddresses([reply_to]):
        start = content.plain.find(address) if address else -1
        if start >= 0:
            content = content.stylize("bold reverse", start, start + len(address))
    return content


class ComposeScreen(WorkerErrors, Screen[None]):
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
    ]

    def __init__(
        self,
        session: MailSession,
        *,
        mode: str = "new",
        original: SecurityReport | None = None,
        settings: UiSettings | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.settings = settings or UiSettings()
        self.ctx = WriteContext(session)
        sign_default = bool(getattr(session.account, "sign_by_default", False)) or session.demo
        me = session.identity.from_header
        if original is not None and mode in ("reply", "reply-all"):
            self.mail = reply_to(
                original,
                session.identity.address,
                me,
                to_all=mode == "reply-all",
                sign=sign_default,
            )
        elif original is not None and mode == "forward":
            self.mail = forward(original, me, sign=sign_default)
        else:
            encrypt = bool(getattr(session.account, "encrypt_by_default", False))
            self.mail = OutgoingMail(from_header=me, sign=sign_default, encrypt=encrypt)
        self.draft_uid: int | None = None
        self.dirty = False
        self.generation = 0
        self._autosave: Timer | None = None
        self._check_timer: Timer | None = None
        self.reply_warning = (
            reply_to_mismatch(original)
            if original is not None and mode in ("reply", "reply-all")
            else None
        )
        self.missing: tuple[str, ...] = ()  # recipients without a usable certificate
        self.directory_found: dict[str, list[Found]] = {}  # lower-case address -> found
        self._asked: set[str] = set()  # addresses already looked up in the directories
        self._cert_text = ""

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
        self._load_contacts()
        self._show_state()
        self._schedule_check()
        first = "#compose-body" if self.mail.to else "#compose-to"
        self.query_one(first).focus()

    # -- state on screen ---------------------------------------------------------------------
    def _show_state(self) -> None:
        sign = "✓ Signed" if self.mail.sign else "✗ Not signed"
        enc = "✓ Encrypted" if self.mail.encrypt else "✗ Not encrypted"
        line = self.query_one("#compose-security", Static)
        line.update(Content(f"{sign} (ctrl+s)   {enc} (ctrl+t)   Send: ctrl+g"))
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
        self.dirty = True
        if self._autosave is None:
            self._autosave = self.set_timer(AUTOSAVE_SECONDS, self._autosave_now)
        if isinstance(event, Input.Changed) and event.input.id in (
            "compose-to",
            "compose-cc",
            "compose-bcc",
        ):
            self._schedule_check()

    def _schedule_check(self) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(0.4, self._check_recipients)

    def _check_recipients(self) -> None:
        self.mail = self._read_form()
        self.generation += 1
        self.check_recipients(self.mail.recipients, self.generation)

    # -- workers -----------------------------------------------------------------------------
    @work(
        thread=True, exclusive=True, exit_on_error=False, group="contacts", description="contacts"
    )
    def _load_contacts(self) -> None:
        from smimetui.core.contacts import Contacts

        entries = []
        for contact in Contacts(self.session.home).list():
            for info in contact.addresses:
                entries.append(f"{contact.name} <{info.address}>" if contact.name else info.address)
        self.app.call_from_thread(self._set_suggestions, entries)

    def _set_suggestions(self, entries: list[str]) -> None:
        for name in ("to", "cc", "bcc"):
            self.query_one(f"#compose-{name}", Input).suggester = SuggestFromList(
                entries, case_sensitive=False
            )

    @work(thread=True, exclusive=True, exit_on_error=False, group="recipients", description="check")
    def check_recipients(self, addresses: list[str], generation: int) -> None:
        lines = recipient_lines(self.session, addresses) if addresses else []
        missing = tuple(ln.address for ln in lines if not ln.ok)
        texts = tuple((ln.text, ln.ok) for ln in lines)
        self.post_message(m.RecipientsChecked(texts, generation, missing))

    @work(thread=True, exit_on_error=False, group="directory", description="directory lookup")
    def lookup_directory(self, addresses: list[str]) -> None:
        found = lookup_missing(self.session.home, addresses)
        if found is not None:  # None: no directory is set up, so nothing happens
            self.post_message(m.DirectoryLookedUp(found))

    @work(thread=True, exit_on_error=False, group="directory", description="directory import")
    def import_directory(self, found: list[Found]) -> None:
        summary, changes = import_usable(self.session.home, found)
        self.post_message(m.DirectoryImported(summary, changes))

    @work(thread=True, exit_on_error=False, group="directory", description="directory change")
    def resolve_directory_change(self, change: object, accept: bool) -> None:
        summary = resolve(self.session.home, change, accept)
        self.app.call_from_thread(self.notify, Content(summary), title="Contacts")

    @work(thread=True, exclusive=True, exit_on_error=False, group="send", description="send")
    def _send(self, mail: OutgoingMail) -> None:
        summary = send(self.ctx, mail)
        self.post_message(m.MessageSent(summary))

    @work(thread=True, exclusive=True, exit_on_error=False, group="draft", description="save draft")
    def _save_draft(self, mail: OutgoingMail, close: bool) -> None:
        folder, uid = save_draft(self.ctx, mail, self.draft_uid)
        self.draft_uid = uid
        self.post_message(m.DraftSaved(folder, mail.encrypt))
        if close:
            self.app.call_from_thread(self.dismiss, None)

    # -- results -----------------------------------------------------------------------------
    def on_recipients_checked(self, message: m.RecipientsChecked) -> None:
        if message.generation != self.generation:
            return
        widget = self.query_one("#compose-recipients", Static)
        self.missing = message.missing
        if not message.lines:
            self._cert_text = ""
            widget.update("Certificates: add recipients to see who can receive encrypted mail.")
            widget.remove_class("-missing")
            return
        self._cert_text = "Certificates: " + "   ".join(text for text, _ in message.lines)
        widget.set_class(not all(ok for _, ok in message.lines), "-missing")
        self._show_certificates()
        new = [a for a in self.missing if a.lower() not in self._asked]
        if new:
            self._asked.update(a.lower() for a in new)
            self.lookup_directory(new)

    def _show_certificates(self) -> None:
        lines = [self._cert_text]
        for address in self.missing:
            found = self.directory_found.get(address.lower())
            if found is not None:
                lines.append("Directory: " + found_line(address, found))
        self.query_one("#compose-recipients", Static).update(Content("\n".join(lines)))
        self.refresh_bindings()

    def on_directory_looked_up(self, message: m.DirectoryLookedUp) -> None:
        for address, found in message.found.items():
            self.directory_found[address.lower()] = found
        self._show_certificates()

    def on_directory_imported(self, message: m.DirectoryImported) -> None:
        self.notify(message.summary, title="Stored", markup=False)
        self._confirm_changes(list(message.changes))

    def _confirm_changes(self, changes: list[CertificateChange]) -> None:
        if not changes:
            self._recheck_after_import()
            return
        change, rest = changes[0], changes[1:]
        question, details = change_question(change)

        def answered(yes: bool | None) -> None:
            self.resolve_directory_change(change, bool(yes))
            self._confirm_changes(rest)

        self.app.push_screen(
            ConfirmScreen("Replace certificate?", question, details, yes="Replace"), answered
        )

    def _recheck_after_import(self) -> None:
        for address in self.missing:
            self.directory_found.pop(address.lower(), None)
        self._schedule_check()

    def on_message_sent(self, message: m.MessageSent) -> None:
        self.app.notify(message.summary, title="Sent", markup=False)
        self.dirty = False
        self.dismiss(None)

    def on_draft_saved(self, message: m.DraftSaved) -> None:
        self.dirty = False
        how = "encrypted to yourself" if message.encrypted else "not encrypted"
        self.notify(f"Draft saved in {message.folder} ({how}).", title="Draft", markup=False)

    def _autosave_now(self) -> None:
        self._autosave = None
        if self.dirty:
            self._save_draft(self._read_form(), False)

    # -- actions -----------------------------------------------------------------------------
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

    def _usable_found(self) -> list[Found]:
        wanted = {a.lower() for a in self.missing}
        return [
            f
            for address, found in self.directory_found.items()
            if address in wanted
            for f in found
            if f.usable
        ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "directory_import" and not self._usable_found():
            return None
        return True

    def action_directory_import(self) -> None:
        usable = self._usable_found()
        if not usable:
            return
        shown = [f for a in self.missing for f in self.directory_found.get(a.lower(), [])]
        question = (
            f"Import {len(usable)} usable certificate(s) from the directory into your contacts? "
            "Unusable ones are listed but never imported."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.import_directory(usable)

        dialog = ConfirmScreen("Import from directory", question, found_details(shown), "Import")
        self.app.push_screen(dialog, answered)

    def action_close(self) -> None:
        attach = self.query_one("#compose-attach-path", Input)
        if attach.display:
            attach.display = False
            self.query_one("#compose-body").focus()
            return
        if self.dirty:
            self._save_draft(self._read_form(), True)
        else:
            self.dismiss(None)

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
            except Exception as err:  # noqa: BLE001 - shown through the one error path
                self.app.show_error(err)  # type: ignore[attr-defined]
            self._show_state()
            self.dirty = True
        event.input.value = ""
        self.query_one("#compose-body").focus()

    def action_editor(self) -> None:
        editor = (
            self.settings.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        )
        body = self.query_one("#compose-body", TextArea)
        with tempfile.NamedTemporaryFile("w+", suffix=".eml.txt", delete=False) as handle:
            handle.write(body.text)
            path = handle.name
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), path], check=False)
            with open(path, encoding="utf-8") as handle:
                body.load_text(handle.read())
        finally:
            os.unlink(path)
