"""Secrets (account passwords, opt-in key passphrases) live in the system keyring, never in files.

When no keyring backend is usable (a headless machine without Secret Service), the caller is told
plainly with :class:`KeyringUnavailable` and asks the user at run time instead.  A
``password_command`` (``pass show mail``) is the other supported source, as aerc and NeoMutt users
expect.
"""

from __future__ import annotations

import shlex
import subprocess
from typing import TYPE_CHECKING

from smimetui.core.errors import SecretStoreError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "smimetui"


class KeyringUnavailable(SecretStoreError):
    title = "No keyring"


def _keyring() -> KeyringBackend:
    """The active keyring backend (what ``keyring.get_password`` and friends delegate to)."""
    import keyring  # imported lazily: it probes D-Bus backends on import
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or "fail" in type(backend).__module__:
        raise KeyringUnavailable(
            "No system keyring is available on this machine, so secrets cannot be stored; "
            "smimetui will ask for them when needed (or set a password command)."
        )
    return backend


def keyring_status() -> tuple[bool, str]:
    """(available, explanation) for showing in setup screens and `account list`."""
    try:
        kr = _keyring()
    except KeyringUnavailable as err:
        return False, err.message
    except Exception as err:  # a broken backend is the same as none for the user
        return False, f"The system keyring does not work here ({type(err).__name__})."
    return True, f"Secrets are kept in {type(kr).__name__}."


def get_secret(key: str) -> str | None:
    """The secret stored under ``key`` (e.g. ``account:work``), or None when there is none."""
    kr = _keyring()
    try:
        return kr.get_password(SERVICE, key)
    except Exception as err:  # backends are plugins with their own error types
        raise SecretStoreError(f"The keyring could not be read: {err}.") from err


def set_secret(key: str, value: str) -> None:
    kr = _keyring()
    try:
        kr.set_password(SERVICE, key, value)
    except Exception as err:  # backends are plugins with their own error types
        raise SecretStoreError(f"The keyring refused to store the secret: {err}.") from err


def delete_secret(key: str) -> None:
    try:
        kr = _keyring()
        kr.delete_password(SERVICE, key)
    except KeyringUnavailable:
        return
    except Exception:  # any backend's error: nothing stored is what was wanted
        return  # nothing stored is the outcome the caller wanted


def run_password_command(
    command: str, *, timeout: float = 30.0, what: str = "password command"
) -> str:
    """Run a password command such as ``pass show mail`` and return its first output line
    (``what`` names it in errors: an OAuth2 token command is run the same way)."""
    try:
        result = subprocess.run(
            shlex.split(command),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as err:
        raise SecretStoreError(f"The {what} {command!r} could not be run: {err.strerror}.") from err
    except subprocess.TimeoutExpired as err:
        raise SecretStoreError(
            f"The {what} {command!r} did not finish within {timeout:.0f} seconds."
        ) from err
    if result.returncode != 0:
        reason = " ".join(result.stderr.split())[:200] or f"exit status {result.returncode}"
        raise SecretStoreError(f"The {what} {command!r} failed: {reason}.")
    lines = result.stdout.splitlines()
    if not lines or not lines[0]:
        raise SecretStoreError(f"The {what} {command!r} printed nothing.")
    return lines[0]
