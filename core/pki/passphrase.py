"""Where the passphrase of a digital ID comes from: a file, the keyring (opt-in), a prompt.

A source yields candidate passphrases for one ID; :func:`attempts` walks a source (chains and
caches included) in order, and the keystore tries each candidate until one unlocks the key.
Sources may have ``accepted``/``rejected`` hooks, which is how :class:`CachedPassphrases` learns
which passphrase to remember, and for how long.
"""

from __future__ import annotations

import getpass
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from smimetui.core.errors import IdentityError, InputError, SmimeTuiError

MAX_PROMPTS = 3


class LockedId(Protocol):
    """What a passphrase source needs of a digital ID (the keystore's DigitalId is one).

    A protocol rather than the keystore's class, because the keystore asks the sources.
    """

    @property
    def id(self) -> str: ...  # the key for caches and the keyring

    @property
    def label(self) -> str: ...  # how a prompt names the ID


class PassphraseSource(Protocol):
    """Candidate passphrases for a digital ID; ``get`` returns None when it has no more."""

    name: str  # how the user knows it: "the passphrase file", "the keyring", "a prompt"

    def get(self, ident: LockedId, attempt: int) -> bytes | None: ...


def attempts(source: PassphraseSource, ident: LockedId) -> Iterator[tuple[bytes, str]]:
    """Every candidate passphrase of ``source`` for ``ident``, with the name of its origin."""
    own = getattr(source, "attempts", None)
    if own is not None:
        yield from own(ident)
        return
    attempt = 0
    while (candidate := source.get(ident, attempt)) is not None:
        yield candidate, source.name
        attempt += 1


def notify(source: PassphraseSource, outcome: str, ident: LockedId, passphrase: bytes) -> None:
    """Tell ``source`` (and the sources inside it) that ``passphrase`` was accepted/rejected."""
    hook = getattr(source, outcome, None)
    if hook is not None:
        hook(ident, passphrase)


def read_passphrase_file(path: str | Path) -> bytes:
    """The first line of ``path``, without its line ending (the passphrase may be empty)."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise InputError(
            f"The passphrase file {path} cannot be read: {err.strerror or err}."
        ) from err
    return data.split(b"\n", 1)[0].removesuffix(b"\r")


def interactive() -> bool:
    """True when a person can be asked: stdin is a terminal."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or detached stdin
        return False


def prompt_new_passphrase(label: str, reader: Callable[[str], str] = getpass.getpass) -> bytes:
    """Ask twice for the passphrase that will protect a stored key."""
    if not interactive():
        raise IdentityError(
            f"The key of {label} needs a passphrase before it is stored: choose a passphrase; "
            "keys are never stored unencrypted (give it with --new-passphrase-file F)."
        )
    for _ in range(MAX_PROMPTS):
        first = reader(f"New passphrase to protect the key of {label}: ")
        if not first:
            sys.stderr.write(
                "An empty passphrase is not allowed: keys are never stored unencrypted.\n"
            )
            continue
        if reader("The same passphrase again: ") == first:
            return first.encode("utf-8")
        sys.stderr.write("The two passphrases differ; try again.\n")
    raise IdentityError("No passphrase was chosen, so the key was not stored.")


class _Chainable:
    """Default ``get`` for sources that produce their candidates with ``attempts``."""

    name: str = ""
    _pending: dict[str, tuple[Iterator[tuple[bytes, str]], list[bytes]]]

    def attempts(self, ident: LockedId) -> Iterator[tuple[bytes, str]]:
        raise NotImplementedError

    def get(self, ident: LockedId, attempt: int) -> bytes | None:
        # Sequential callers (attempt 0, 1, 2, ...) walk one iterator, so a prompt inside is
        # asked once per attempt; prefer attempts() directly.
        if attempt == 0 or ident.id not in self._pending:
            self._pending[ident.id] = (self.attempts(ident), [])
        walker, seen = self._pending[ident.id]
        while len(seen) <= attempt:
            step = next(walker, None)
            if step is None:
                del self._pending[ident.id]
                return None
            seen.append(step[0])
        return seen[attempt]


class FilePassphrase:
    """The first line of a file (``--passphrase-file``)."""

    name = "the passphrase file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def get(self, ident: LockedId, attempt: int) -> bytes | None:
        if attempt > 0:
            return None
        value = read_passphrase_file(self.path)
        return value or None


def _keyring_key(ident: LockedId) -> str:
    return f"key:{ident.id}"


class KeyringPassphrase:
    """The system keyring, opt-in: only IDs whose passphrase the user saved there."""

    name = "the keyring"

    def get(self, ident: LockedId, attempt: int) -> bytes | None:
        if attempt > 0:
            return None
        # lazy: keyring probes its backends on import
        from smimetui.core.settings.secrets import get_secret

        try:
            secret = get_secret(_keyring_key(ident))
        except SmimeTuiError:
            return None  # no keyring here: the next source (a prompt) takes over
        return secret.encode("utf-8") if secret else None

    @staticmethod
    def save(ident: LockedId, passphrase: bytes) -> None:
        """Opt in: remember the passphrase of ``ident`` in the keyring."""
        # lazy: keyring probes its backends on import
        from smimetui.core.settings.secrets import set_secret

        try:
            text = passphrase.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError("The keyring only stores passphrases that are valid UTF-8.") from err
        set_secret(_keyring_key(ident), text)

    @staticmethod
    def forget(ident: LockedId) -> None:
        # lazy: keyring probes its backends on import
        from smimetui.core.settings.secrets import delete_secret

        delete_secret(_keyring_key(ident))


class PromptPassphrase:
    """Ask on the terminal, up to three times; never when stdin is not a terminal."""

    name = "a prompt"

    def __init__(
        self,
        max_attempts: int = MAX_PROMPTS,
        *,
        reader: Callable[[str], str] = getpass.getpass,
        is_interactive: Callable[[], bool] = interactive,
    ) -> None:
        self.max_attempts = max_attempts
        self._reader = reader
        self._is_interactive = is_interactive

    def get(self, ident: LockedId, attempt: int) -> bytes | None:
        if attempt >= self.max_attempts or not self._is_interactive():
            return None
        tries = f" (attempt {attempt + 1} of {self.max_attempts})" if attempt else ""
        answer = self._reader(f"Passphrase for your digital ID {ident.label}{tries}: ")
        return answer.encode("utf-8") if answer else None  # empty: the user gave up


class ChainedPassphrases(_Chainable):
    """Try several sources in order: e.g. the file, then the keyring, then a prompt."""

    def __init__(self, *sources: PassphraseSource) -> None:
        self.sources = sources
        self.name = ", ".join(s.name for s in sources)
        self._pending = {}

    def attempts(self, ident: LockedId) -> Iterator[tuple[bytes, str]]:
        for source in self.sources:
            yield from attempts(source, ident)

    def accepted(self, ident: LockedId, passphrase: bytes) -> None:
        for source in self.sources:
            notify(source, "accepted", ident, passphrase)

    def rejected(self, ident: LockedId, passphrase: bytes) -> None:
        for source in self.sources:
            notify(source, "rejected", ident, passphrase)


class CachedPassphrases(_Chainable):
    """Remember a passphrase that worked for ``ttl_seconds`` (the TUI asks once per session)."""

    def __init__(
        self,
        source: PassphraseSource,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.ttl = ttl_seconds
        self.name = source.name
        self._clock = clock
        self._cache: dict[str, tuple[bytes, float]] = {}
        self._pending = {}

    def _fresh(self, ident: LockedId) -> bytes | None:
        entry = self._cache.get(ident.id)
        if entry is None:
            return None
        if self._clock() >= entry[1]:
            del self._cache[ident.id]
            return None
        return entry[0]

    def attempts(self, ident: LockedId) -> Iterator[tuple[bytes, str]]:
        remembered = self._fresh(ident)
        if remembered is not None:
            yield remembered, "the remembered passphrase"
        yield from attempts(self.source, ident)

    def accepted(self, ident: LockedId, passphrase: bytes) -> None:
        self._cache[ident.id] = (passphrase, self._clock() + self.ttl)
        notify(self.source, "accepted", ident, passphrase)

    def rejected(self, ident: LockedId, passphrase: bytes) -> None:
        entry = self._cache.get(ident.id)
        if entry is not None and entry[0] == passphrase:
            del self._cache[ident.id]
        notify(self.source, "rejected", ident, passphrase)

    def clear(self) -> None:
        """Forget every remembered passphrase (lock now)."""
        self._cache.clear()
