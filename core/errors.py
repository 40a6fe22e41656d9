"""One error hierarchy for everything a user can run into.

Every error carries a short ``title`` (for a notification heading) and a message written as a
sentence the user can act on.  The CLI prints ``str(error)`` as one line on stderr and exits 2; the
TUI shows ``title`` and ``str(error)`` in a notification.  Nothing else should reach a user.
"""

from __future__ import annotations


class SmimeTuiError(Exception):
    """Base class: ``title`` is a few words, ``str(err)`` a sentence the user can act on."""

    title: str = "Error"

    def __init__(self, message: str, *, title: str | None = None, details: str = "") -> None:
        super().__init__(message)
        if title is not None:
            self.title = title
        # Longer technical details (shown in a modal / with --verbose), never required to act.
        self.details = details

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.title

    def one_line(self) -> str:
        """The message folded onto one line, for stderr."""
        return " ".join(self.message.split())


class InputError(SmimeTuiError):
    """Unreadable input from the user: a missing file, not a message, a garbage certificate."""

    title = "Unreadable input"


class ConfigError(SmimeTuiError):
    title = "Configuration problem"


class MimeError(InputError):
    title = "Malformed message"


class CmsError(InputError):
    """Malformed or unsupported CMS (PKCS#7) structure."""

    title = "Malformed S/MIME data"


class CertificateError(InputError):
    title = "Certificate problem"


class KeyUnlockError(SmimeTuiError):
    """A private key could not be unlocked (wrong or missing passphrase)."""

    title = "Could not unlock key"


class NoPassphraseError(KeyUnlockError):
    """No source gave a passphrase at all (none configured, or the prompt was cancelled)."""


class DecryptionError(SmimeTuiError):
    title = "Decryption failed"


class NoKeyError(DecryptionError):
    """None of our digital IDs is a recipient of the message."""

    title = "No key for this message"


class IdentityError(SmimeTuiError):
    """A digital ID is missing, unusable, or ambiguous."""

    title = "Digital ID problem"


class TrustStoreError(SmimeTuiError):
    title = "Trust store problem"


class ContactsError(SmimeTuiError):
    title = "Contacts problem"


class RecipientCertificateError(SmimeTuiError):
    """Encryption cannot go ahead: at least one recipient has no usable certificate."""

    title = "Cannot encrypt"


class SecretStoreError(SmimeTuiError):
    title = "Secret store problem"


class BackendError(SmimeTuiError):
    """Mail server or mail store problem."""

    title = "Mail store problem"


class AuthenticationError(BackendError):
    title = "Login failed"


class ConnectionLostError(BackendError):
    title = "Connection problem"


class FolderNotFoundError(BackendError):
    title = "Folder not found"


class MessageNotFoundError(BackendError):
    title = "Message not found"


class NoTrashError(BackendError):
    """Deleting would remove messages for good: there is no Trash folder to move them to."""

    title = "No Trash folder"


class SendError(SmimeTuiError):
    title = "Sending failed"


class PartlySentError(SendError):
    """The message went out and was saved, but a Bcc recipient's own copy did not: sending
    again would send it twice to the others."""

    title = "Bcc copy not sent"


class DirectoryError(SmimeTuiError):
    """LDAP certificate directory problem."""

    title = "Directory problem"


class ResourceLimitError(InputError):
    """Input exceeded a safety limit (nesting depth, size, decompression ratio)."""

    title = "Message too complex"


class TlsError(BackendError):
    """A secure connection could not be set up (certificate not verified, wrong port/mode)."""

    title = "Secure connection failed"


class FolderResetError(BackendError):
    """The folder's UIDVALIDITY changed: the UIDs the user acted on now name other messages."""

    title = "Folder changed on the server"


class CacheError(BackendError):
    """The local header cache cannot be used (damaged, locked, disk full)."""

    title = "Cache problem"


class ServerResponseError(BackendError):
    """The server's answer was damaged, too large, or never ended."""

    title = "Bad answer from the server"


class CacheDamagedError(CacheError):
    """The header cache file was damaged; it was moved aside and a new one started."""

    title = "Cache rebuilt"


class AutoconfigError(SmimeTuiError):
    """Automatic account setup: a source sent something unusable, or nothing was found."""

    title = "Automatic setup"
