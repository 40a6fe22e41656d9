"""Where a token's PIN comes from: ``--pin-file``, the keyring (opt-in, entry ``token:NAME``),
or a question (the terminal, or the TUI's dialog).

Each source gives at most a few candidates; a wrong PIN costs a try on a real card, so a
file's or the keyring's PIN is tried once, never again in a loop.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from smimetui.core.errors import InputError, SmimeTuiError
from smimetui.core.pki.passphrase import MAX_PROMPTS, interactive

# (token name, hint such as "1 try left" or "", attempt from 1) -> PIN, None when cancelled
PinAsk = Callable[[str, str, int], str | None]


class PinSource(Protocol):
    name: str

    def get(self, token: str, attempt: int, hint: str) -> str | None: ...


def keyring_entry(token: str) -> str:
    return f"token:{token}"


def question(token: str, hint: str) -> str:
    """The words of every PIN question: "PIN for token NAME, 1 try left"."""
    return f"PIN for token {token}" + (f", {hint}" if hint else "")


class FilePin:
    name = "the PIN file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def get(self, token: str, attempt: int, hint: str) -> str | None:
        if attempt > 0:
            return None
        try:
            data = self.path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"The PIN file {self.path} cannot be read: {err}.") from err
        return data.split("\n", 1)[0].removesuffix("\r") or None


class KeyringPin:
    name = "the keyring"

    def get(self, token: str, attempt: int, hint: str) -> str | None:
        if attempt > 0:
            return None
        # lazy: keyring probes its backends on import
        from smimetui.core.settings.secrets import get_secret

        try:
            return get_secret(keyring_entry(token)) or None
        except SmimeTuiError:
            return None  # no keyring: the next source asks

    @staticmethod
    def save(token: str, pin: str) -> None:
        # lazy: keyring probes its backends on import
        from smimetui.core.settings.secrets import set_secret

        set_secret(keyring_entry(token), pin)

    @staticmethod
    def forget(token: str) -> None:
        # lazy: keyring probes its backends on import
        from smimetui.core.settings.secrets import delete_secret

        with contextlib.suppress(SmimeTuiError):  # nothing stored, or no keyring
            delete_secret(keyring_entry(token))


class AskPin:
    """Ask a person: the terminal by default, or the TUI's dialog (``ask``)."""

    name = "a prompt"

    def __init__(self, ask: PinAsk | None = None, max_attempts: int = MAX_PROMPTS) -> None:
        self._ask = ask
        self.max_attempts = max_attempts

    def get(self, token: str, attempt: int, hint: str) -> str | None:
        if attempt >= self.max_attempts:
            return None
        if self._ask is not None:
            return self._ask(token, hint, attempt + 1) or None
        if not interactive():
            return None
        return getpass.getpass(question(token, hint) + ": ") or None


class ChainedPins:
    """Sources in order; the login walks them one by one (see ``session``)."""

    def __init__(self, *sources: PinSource) -> None:
        self.sources = sources


_ASKER: list[PinAsk] = []  # the mail reader's PIN dialog, once it runs


def use_asker(ask: PinAsk | None) -> None:
    """Ask PINs with ``ask`` from now on (the TUI's dialog: getpass would break the screen)."""
    _ASKER[:] = [ask] if ask is not None else []


def default_pins(pin_file: str | Path | None = None, ask: PinAsk | None = None) -> ChainedPins:
    """The PIN file if given, then the keyring, then a question (the dialog if one is set)."""
    sources: list[PinSource] = [FilePin(pin_file)] if pin_file else []
    return ChainedPins(*sources, KeyringPin(), AskPin(ask or next(iter(_ASKER), None)))
