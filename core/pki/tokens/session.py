"""PKCS#11 modules loaded once per process, tokens found afresh on each use, one logged-in
session per token kept for the life of the process (the PIN is asked once).

Slots are listed on every use, and when a token is not found the module is initialised again
(some modules, SoftHSM2 among them, only see tokens present at C_Initialize): a card inserted
after smimetui started is found without a restart.  A session that fails because the card went
away becomes "removed" in one sentence.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pkcs11
from pkcs11 import Attribute, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11e

from smimetui.core.pki.tokens import errors
from smimetui.core.pki.tokens.pin import ChainedPins
from smimetui.core.pki.tokens.registry import TokenModule

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Lib

T = TypeVar("T")
# One lock for the module state: a C_Finalize while another thread lists or signs would pull
# its session away.  Held while a PIN is asked (other token work waits for the answer).
_LOCK = threading.RLock()
_LIBS: dict[str, Lib] = {}
_SESSIONS: dict[tuple[str, str], pkcs11.Session] = {}  # (module path, token serial) -> logged in

# The card is gone, or the session died with it (SoftHSM2 reports a deleted token's objects as
# invalid handles).
REMOVED = (
    p11e.DeviceRemoved,
    p11e.TokenNotPresent,
    p11e.TokenNotRecognised,
    p11e.SessionClosed,
    p11e.SessionHandleInvalid,
    p11e.ObjectHandleInvalid,
    p11e.KeyHandleInvalid,
    p11e.DeviceError,
)


def load(module: TokenModule) -> Lib:
    """The loaded module (C_Initialize once per process); TokenError when it cannot be."""
    with _LOCK:
        lib = _LIBS.get(module.module)
        if lib is not None:
            return lib
        if not Path(module.module).is_file():
            raise errors.TokenError(
                f"The PKCS#11 module {module.module} of token {module.name} is missing; install "
                f"it again or point the token at it (`smimetui token remove {module.name}`, then "
                "`token add`)."
            )
        try:
            lib = pkcs11.lib(module.module)
        except (p11e.PKCS11Error, OSError) as err:
            raise errors.TokenError(
                f"The PKCS#11 module {module.module} of token {module.name} cannot be loaded "
                "(not a PKCS#11 library, or built for another system).",
                details=str(err),
            ) from err
        _LIBS[module.module] = lib
        return lib


def reset() -> None:
    """Log out and unload every module (tests; after a module's registration is removed)."""
    with _LOCK:
        for session in _SESSIONS.values():
            _close(session)
        _SESSIONS.clear()
        for lib in _LIBS.values():
            with contextlib.suppress(p11e.PKCS11Error):
                lib.finalize()
        _LIBS.clear()


def _close(session: pkcs11.Session) -> None:
    with contextlib.suppress(p11e.PKCS11Error):  # already gone with its card
        session.close()


def _refresh(module: TokenModule) -> None:
    """C_Finalize + C_Initialize: sees tokens added since, drops this module's sessions."""
    lib = load(module)
    for key in [k for k in _SESSIONS if k[0] == module.module]:
        _close(_SESSIONS.pop(key))
    try:
        lib.reinitialize()
    except p11e.PKCS11Error as err:
        raise errors.failed(module.name, "start again", err) from err


def lock() -> threading.RLock:
    return _LOCK


def refresh_if_idle(module: TokenModule) -> None:
    """Start the module again when nothing is logged in to it, so that a listing shows cards
    inserted since (modules that watch their readers do that anyway; it costs little)."""
    with _LOCK:
        if module.module in _LIBS and not any(k[0] == module.module for k in _SESSIONS):
            _refresh(module)


def tokens(module: TokenModule) -> Iterator[tuple[pkcs11.Slot, pkcs11.Token]]:
    """Every slot with a token in it, listed now."""
    lib = load(module)
    try:
        slots = lib.get_slots(token_present=True)
    except p11e.PKCS11Error as err:
        raise errors.failed(module.name, "list its slots", err) from err
    for slot in slots:
        try:
            token = slot.get_token()
        except p11e.PKCS11Error:
            continue  # pulled out while listing (SoftHSM2: a deleted token is a GeneralError)
        if TokenFlag(token.flags) & TokenFlag.TOKEN_INITIALIZED:  # a blank card holds no ID
            yield slot, token


def find(module: TokenModule, serial: str) -> pkcs11.Token:
    """The token with ``serial`` now, initialising the module again once if it is not seen."""
    for attempt in (0, 1):
        for _slot, token in tokens(module):
            if token.serial.decode(errors="replace").strip() == serial:
                return token
        if attempt == 0:
            _refresh(module)
    raise errors.TokenRemovedError(
        f"The smart card of token {module.name} (serial {serial}) is not inserted; insert it "
        "and try again."
    )


def serial_of(token: pkcs11.Token) -> str:
    return token.serial.decode(errors="replace").strip()


def pin_hint(flags: TokenFlag) -> str:
    """The token's own word on tries left (PKCS#11 only says "low" or "final")."""
    if flags & TokenFlag.USER_PIN_FINAL_TRY:
        return "1 try left"
    if flags & TokenFlag.USER_PIN_COUNT_LOW:
        return "few tries left"
    return ""


def _fresh_flags(module: TokenModule, serial: str) -> TokenFlag:
    """Flags as the token says them now (pkcs11.Token keeps the ones read when it was made)."""
    return TokenFlag(find(module, serial).flags)


def login(module: TokenModule, token: pkcs11.Token, pins: ChainedPins) -> pkcs11.Session:
    """A session logged in as the user, asking the PIN sources in order."""
    name, serial = module.name, serial_of(token)
    flags = TokenFlag(token.flags)
    if flags & TokenFlag.USER_PIN_LOCKED:
        raise errors.locked(name)
    try:
        if flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH:  # a PIN pad on the reader
            return token.open(user_pin=pkcs11.PROTECTED_AUTH)
        if not flags & TokenFlag.LOGIN_REQUIRED:
            return token.open()
    except p11e.PinLocked as err:
        raise errors.locked(name) from err
    except p11e.PinIncorrect as err:
        raise errors.wrong_pin(name, pin_hint(_fresh_flags(module, serial))) from err
    hint = pin_hint(flags)
    tried = False
    for source in pins.sources:
        attempt = 0
        while (pin := source.get(name, attempt, hint)) is not None:
            attempt += 1
            tried = True
            try:
                return token.open(user_pin=pin)
            except p11e.PinLocked as err:
                raise errors.locked(name) from err
            except p11e.UserPinNotInitialized as err:
                raise errors.TokenPinError(
                    f"Token {name} has no user PIN set yet; set one with the card's tool."
                ) from err
            except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange):
                flags = _fresh_flags(module, serial)
                if flags & TokenFlag.USER_PIN_LOCKED:
                    raise errors.locked(name) from None
                hint = pin_hint(flags)
            except REMOVED as err:
                raise errors.removed(name) from err
    if tried:
        raise errors.wrong_pin(name, hint)
    raise errors.TokenPinError(
        f"Token {name} needs its PIN: give it with --pin-file F, save it in the keyring with "
        f"`smimetui token pin {name} --remember`, or run in a terminal to be asked."
    )


@dataclass(frozen=True, slots=True)
class KeyRef:
    """Where a private key lives: which module, which token (by serial), which CKA_ID."""

    module: TokenModule
    serial: str
    ckaid: bytes
    pins: ChainedPins


def session_for(ref: KeyRef) -> pkcs11.Session:
    """The token's logged-in session, logging in (asking the PIN) the first time."""
    with _LOCK:
        key = (ref.module.module, ref.serial)
        session = _SESSIONS.get(key)
        if session is None:
            session = login(ref.module, find(ref.module, ref.serial), ref.pins)
            _SESSIONS[key] = session
        return session


def logged_in(module: TokenModule, serial: str) -> pkcs11.Session | None:
    return _SESSIONS.get((module.module, serial))


def with_key(ref: KeyRef, what: str, operation: Callable[[Any], T]) -> T:
    """Run ``operation`` on the private key object; the key itself never leaves the token."""
    name = ref.module.name
    with _LOCK:
        for attempt in (0, 1):
            session = session_for(ref)
            try:
                found = list(
                    session.get_objects(
                        {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: ref.ckaid}
                    )
                )
                if not found and not _still_there(ref):
                    raise errors.removed(name)
                if not found:
                    raise errors.TokenError(
                        f"Token {name} holds the certificate but no private key for it "
                        f"(CKA_ID {ref.ckaid.hex()}); this ID cannot {what}."
                    )
                return operation(found[0])
            except REMOVED as err:
                _SESSIONS.pop((ref.module.module, ref.serial), None)
                _close(session)
                if attempt == 0 and _still_there(ref):
                    continue  # the session died (module started again), the card did not
                raise errors.removed(name) from err
            except p11e.UserNotLoggedIn:
                _SESSIONS.pop((ref.module.module, ref.serial), None)
                _close(session)
                if attempt == 0:
                    continue
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _still_there(ref: KeyRef) -> bool:
    try:
        find(ref.module, ref.serial)
    except errors.TokenError:
        return False
    return True
