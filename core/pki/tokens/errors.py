"""What went wrong with a token, as one sentence: PKCS#11 return codes mean nothing to users."""

from __future__ import annotations

from smimetui.core.errors import KeyUnlockError, SmimeTuiError


class TokenError(SmimeTuiError):
    """A module that is missing or cannot be loaded, a card that is not there or was removed."""

    title = "Smart card problem"


class TokenRemovedError(TokenError):
    title = "Smart card removed"


class TokenPinError(KeyUnlockError):
    """The PIN was wrong, not given, or the token's PIN is locked."""

    title = "Could not unlock smart card"


class TokenPinLockedError(TokenPinError):
    title = "Smart card PIN locked"


def removed(name: str) -> TokenRemovedError:
    return TokenRemovedError(
        f"The smart card of token {name} was removed (or its token deleted); insert it and "
        "try again."
    )


def locked(name: str) -> TokenPinLockedError:
    return TokenPinLockedError(
        f"The PIN of token {name} is locked after too many wrong tries; unblock it with the "
        "card's PUK or administrator tool, then try again."
    )


def wrong_pin(name: str, hint: str) -> TokenPinError:
    tail = f" ({hint})" if hint else ""
    return TokenPinError(f"The PIN for token {name} was wrong{tail}; nothing was unlocked.")


def failed(name: str, what: str, err: BaseException) -> TokenError:
    """Anything else the module said no to, named by its PKCS#11 error."""
    code = type(err).__name__
    return TokenError(
        f"Token {name} refused to {what} ({code}).",
        details=str(err) or code,
    )
