"""What a session asks its user, from a worker thread: the front end's dialogs as callbacks.

The session is built before the front end can show anything (the first folder starts opening
while the UI is still loading), so the answers are attached later (:attr:`Questions.prompts`)
and :attr:`Questions.ui_ready` says when they can be shown.  A login question (a password, a
new OAuth2 sign-in) waits for that; a passphrase or PIN question is only asked by work the UI
started, and without a prompt it has no answer (the key stays locked).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smimetui.core.errors import SmimeTuiError
from smimetui.core.session.passphrases import PassphraseAsk
from smimetui.core.settings.accounts import Account

if TYPE_CHECKING:
    from smimetui.core.mail.factory import PasswordPrompt
    from smimetui.core.oauth.tokens import SignInHook
    from smimetui.core.pki.tokens.pin import PinAsk

# (the account's name, the sentence to show) -> the password; None: the user cancelled
PasswordAsk = Callable[[str, str], str | None]


@dataclass(frozen=True, slots=True)
class Prompts:
    """The front end's answers; a missing one means the question cannot be asked."""

    passphrase: PassphraseAsk | None = None
    password: PasswordAsk | None = None
    sign_in: SignInHook | None = None  # (account, reason) -> signed in again
    pin: PinAsk | None = None  # (token, hint, attempt) -> PIN


class Questions:
    """The session's side of its questions; thread-safe to read (``prompts`` is replaced
    whole, never changed in place)."""

    def __init__(self, prompts: Prompts | None = None) -> None:
        self.prompts = prompts or Prompts()
        self.ui_ready = threading.Event()  # set once the front end runs and can ask

    def passphrase(self, label: str, attempt: int) -> bytes | None:
        ask = self.prompts.passphrase
        return ask(label, attempt) if ask is not None else None

    def pin(self, token: str, hint: str, attempt: int) -> str | None:
        ask = self.prompts.pin
        return ask(token, hint, attempt) if ask is not None else None

    def sign_in(self, account: Account, reason: str) -> bool:
        """An OAuth2 account's saved sign-in is gone: True once the user signed in again."""
        self.ui_ready.wait()
        ask = self.prompts.sign_in
        return bool(ask(account, reason)) if ask is not None else False

    def password_prompt(self, account: Account, *, cancelled: str) -> PasswordPrompt:
        """The login's password question for ``account`` (``core/mail/factory``); a cancelled
        one raises an error ending in ``cancelled`` ("the account stays offline")."""

        def ask(sentence: str) -> str:
            self.ui_ready.wait()
            answer = self.prompts.password
            password = answer(account.name, sentence) if answer is not None else None
            if password is None:
                raise SmimeTuiError(f"No password was given; {cancelled}.", title="Login")
            return password

        return ask
