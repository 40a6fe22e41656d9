"""The session's passphrase chain on a real keystore: the keyring first, then the user (wrong,
then right; cancelled; three wrong answers), remembered until unused for the TTL."""

from __future__ import annotations

import pytest

from smimetui.core.errors import KeyUnlockError, NoPassphraseError
from smimetui.core.pki.keystore import DigitalId, Keystore
from smimetui.core.pki.passphrase import MAX_PROMPTS, KeyringPassphrase
from smimetui.core.session.passphrases import PASSPHRASE_TTL, session_passphrases
from smimetui.core.settings.home import Home

from .conftest import RIGHT, User


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def your_id(home: Home) -> tuple[Keystore, DigitalId]:
    keystore = Keystore(home)
    (ident,) = keystore.list()
    return keystore, ident


class TestSessionPassphrases:
    def test_wrong_then_right_then_remembered(self, demo: Home) -> None:
        keystore, ident = your_id(demo)
        user = User(b"wrong", RIGHT)
        source = session_passphrases(user)
        keystore.unlock_with(ident, source)
        assert user.asked == [(ident.label, 1), (ident.label, 2)]
        keystore.unlock_with(ident, source)  # signing, drafts, the next message: no question
        assert len(user.asked) == 2

    def test_cancel_leaves_it_locked_and_remembers_nothing(self, demo: Home) -> None:
        keystore, ident = your_id(demo)
        user = User(None, RIGHT)
        source = session_passphrases(user)
        with pytest.raises(NoPassphraseError, match="is locked and no passphrase was given"):
            keystore.unlock_with(ident, source)
        assert user.asked == [(ident.label, 1)]  # a cancel ends the questions at once
        keystore.unlock_with(ident, source)  # the next use asks again
        assert user.asked == [(ident.label, 1), (ident.label, 1)]

    def test_three_wrong_answers_end_in_a_sentence(self, demo: Home) -> None:
        keystore, ident = your_id(demo)
        user = User(*[b"wrong"] * 5)
        with pytest.raises(KeyUnlockError, match="is wrong .tried the passphrase prompt"):
            keystore.unlock_with(ident, session_passphrases(user))
        assert [attempt for _, attempt in user.asked] == list(range(1, MAX_PROMPTS + 1))

    def test_remembered_until_unused_for_the_ttl(self, demo: Home) -> None:
        keystore, ident = your_id(demo)
        user, clock = User(RIGHT, RIGHT), Clock()
        source = session_passphrases(user, clock=clock)
        keystore.unlock_with(ident, source)
        clock.now += PASSPHRASE_TTL - 1
        keystore.unlock_with(ident, source)  # each use keeps it for another TTL
        clock.now += PASSPHRASE_TTL - 1
        keystore.unlock_with(ident, source)
        assert len(user.asked) == 1
        clock.now += PASSPHRASE_TTL
        keystore.unlock_with(ident, source)
        assert len(user.asked) == 2

    def test_a_passphrase_saved_in_the_keyring_asks_nothing(self, demo: Home) -> None:
        keystore, ident = your_id(demo)
        KeyringPassphrase.save(ident, RIGHT)
        user = User()
        keystore.unlock_with(ident, session_passphrases(user))
        assert user.asked == []
