"""Decryption key candidates: the user's digital IDs, unlocked lazily, or keys already in memory.

Only the candidate whose certificate matches a recipient is unlocked, so a user with several IDs
is asked for one passphrase, and an unlocked key is kept for the life of the candidate (unlocking
runs a deliberately slow KDF).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509

from smimetui.core.cms.envelope import KeyCandidate
from smimetui.core.cms.keytypes import PrivateKey
from smimetui.core.errors import SmimeTuiError
from smimetui.core.settings.home import Home

if TYPE_CHECKING:
    from smimetui.core.pki.tokens.pin import PinAsk


@dataclass(frozen=True, slots=True)
class StaticKeyCandidate:
    """A key that is already unlocked (tests, benchmarks, the demo's generator)."""

    cert: x509.Certificate
    key: PrivateKey

    def private_key(self) -> PrivateKey:
        return self.key


def keystore_candidates(
    home: Home,
    passphrase_file: str | Path | None = None,
    pin_file: str | Path | None = None,
) -> list[KeyCandidate]:
    """Every digital ID in ``home`` (old ones too: they still decrypt old mail), then the IDs
    on the registered tokens (a token's PIN is asked only when its certificate matches)."""
    return [*_keystore(home, passphrase_file), *token_candidates(home, pin_file)]


def token_candidates(
    home: Home, pin_file: str | Path | None = None, ask: PinAsk | None = None
) -> list[KeyCandidate]:
    """The encryption IDs on the tokens present now; none without registered tokens (and
    python-pkcs11 is then not even imported)."""
    # lazy: the keystore and PKCS#11 only when a key is needed
    from smimetui.core.settings.config import load_config

    try:
        if not load_config(home).get("tokens"):
            return []
    except SmimeTuiError:
        return []
    # lazy: the keystore and PKCS#11 only when a key is needed
    from smimetui.core.pki.tokens.ids import candidates
    from smimetui.core.pki.tokens.pin import default_pins

    return list(candidates(home, default_pins(pin_file, ask)))


def _keystore(home: Home, passphrase_file: str | Path | None) -> list[KeyCandidate]:
    # lazy: the keystore and PKCS#11 only when a key is needed
    from smimetui.core.pki.keystore import Keystore
    from smimetui.core.pki.passphrase import (
        ChainedPassphrases,
        FilePassphrase,
        KeyringPassphrase,
        PassphraseSource,
        PromptPassphrase,
    )

    if not home.keystore_dir.exists():
        return []
    sources: list[PassphraseSource] = (
        [FilePassphrase(Path(passphrase_file))] if passphrase_file else []
    )
    sources += [KeyringPassphrase(), PromptPassphrase()]
    return list(Keystore(home).candidates(ChainedPassphrases(*sources)))
