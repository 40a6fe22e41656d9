"""The session's one passphrase source: the keyring first, then the user, remembered for hours.

Unlocking a digital ID once serves reading, signing, drafts and sending for the rest of the
session (and carries over when the front end switches accounts), so the chain is built once per
session and shared, never once per use.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from smimetui.core.pki.passphrase import (
    MAX_PROMPTS,
    CachedPassphrases,
    ChainedPassphrases,
    KeyringPassphrase,
    LockedId,
)

PASSPHRASE_TTL = 8 * 3600.0  # seconds a passphrase is remembered after its last use

# (the ID's label, the attempt from 1) -> the passphrase; None: the user cancelled
PassphraseAsk = Callable[[str, int], bytes | None]


class AskedPassphrase:
    """A PassphraseSource that asks the user (the front end's dialog), up to ``MAX_PROMPTS``
    times per unlock; a cancelled question ends the attempts."""

    name = "the passphrase prompt"

    def __init__(self, ask: PassphraseAsk) -> None:
        self._ask = ask

    def get(self, ident: LockedId, attempt: int) -> bytes | None:
        if attempt >= MAX_PROMPTS:
            return None
        return self._ask(ident.label, attempt + 1)


def session_passphrases(
    ask: PassphraseAsk,
    *,
    ttl_seconds: float = PASSPHRASE_TTL,
    clock: Callable[[], float] = time.monotonic,
) -> CachedPassphrases:
    """The keyring (only IDs the user saved there: no question at all), then ``ask``; a
    passphrase that worked is remembered for ``ttl_seconds``."""
    chain = ChainedPassphrases(KeyringPassphrase(), AskedPassphrase(ask))
    return CachedPassphrases(chain, ttl_seconds=ttl_seconds, clock=clock)
