"""Mail accounts, kept in the ``[accounts.NAME]`` tables of ``config.toml``.

An account reads mail either from an IMAP server or from a local Maildir (as mbsync/offlineimap
users keep it) and sends through SMTP.  Passwords are never stored here: they come from the
account's ``password_command``, the system keyring, or a prompt (see ``backends.factory``).

The file looks like::

    [accounts.work]
    email = "alice@example.org"
    default = true
    imap = { host = "imap.example.org", port = 993, security = "tls", username = "alice" }
    smtp = { host = "smtp.example.org", port = 587, security = "starttls" }

    [accounts.m365]                  # OAuth2: tokens in the keyring, see core/oauth
    email = "alice@contoso.com"
    auth = "oauth2"
    oauth2 = { provider = "microsoft", client_id = "...", tenant = "contoso.onmicrosoft.com" }

Changing one account rewrites only that account's table; every other table (and keys this
version does not know) is kept as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, Literal

from smimetui.core.errors import ConfigError
from smimetui.core.settings.home import Home
from smimetui.core.settings.named_tables import NamedTables

Security = Literal["tls", "starttls", "none"]
SECURITY_CHOICES: tuple[str, ...] = ("tls", "starttls", "none")
DEFAULT_PORTS: dict[tuple[str, str], int] = {
    ("imap", "tls"): 993,
    ("imap", "starttls"): 143,
    ("imap", "none"): 143,
    ("smtp", "tls"): 465,
    ("smtp", "starttls"): 587,
    ("smtp", "none"): 25,
}
AUTH_CHOICES: tuple[str, ...] = ("password", "oauth2")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
# Keys that would mean a secret in the file: refused on load, never written.
_SECRET_KEYS = frozenset(
    {"password", "pass", "secret", "passphrase", "client_secret", "refresh_token", "access_token"}
)


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    email: str
    display_name: str = ""
    imap_host: str = ""
    imap_port: int = 993
    imap_security: Security = "tls"
    username: str = ""
    password_command: str = ""
    ca_file: str = ""  # extra CA bundle for private servers (IMAP and SMTP)
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Security = "starttls"
    smtp_username: str = ""  # empty: the IMAP username
    maildir: str = ""  # a local Maildir++ tree instead of IMAP
    sent_folder: str = ""  # overrides the folder found by its role
    drafts_folder: str = ""
    signing_id: str = ""  # digital ID sha256 fingerprint prefix
    encryption_id: str = ""
    include_certs: bool = True
    sign_by_default: bool = False
    encrypt_by_default: bool = False
    default: bool = False
    # Your receiving server: the authserv-id of its Authentication-Results (RFC 8601), and the
    # host names (comma-separated; ".example.org" for a domain) that stamp its Received lines.
    authserv_id: str = ""
    receiving_hosts: str = ""
    # "password" (the default) or "oauth2": sign in at the provider, log in with SASL XOAUTH2 or
    # OAUTHBEARER.  The refresh token and any client secret live in the keyring.
    auth: str = "password"
    oauth2_provider: str = ""  # microsoft, google, or an OpenID issuer URL
    oauth2_client_id: str = ""  # the user's (or organisation's) app registration
    oauth2_tenant: str = ""  # Microsoft: common, organizations, a domain or a tenant ID
    oauth2_scopes: str = ""  # space-separated; empty: the provider's mail scopes
    oauth2_mechanism: str = ""  # xoauth2 or oauthbearer; empty: what the server offers
    oauth2_token_command: str = ""  # prints an access token (oama, mutt_oauth2.py)

    @property
    def is_local(self) -> bool:
        """Mail is read from a Maildir, not an IMAP server."""
        return bool(self.maildir) and not self.imap_host

    @property
    def smtp_login(self) -> str:
        return self.smtp_username or self.username

    @property
    def secret_key(self) -> str:
        """The keyring entry that holds this account's password."""
        return f"account:{self.name}"

    @property
    def uses_oauth2(self) -> bool:
        return self.auth == "oauth2"

    def validate(self) -> Account:
        """Raise ConfigError naming the first setting that cannot work; return self."""
        where = f"Account {self.name!r}"
        if not _NAME.match(self.name):
            raise ConfigError(
                f"{where}: a name uses letters, digits, '.', '_' or '-' (up to 64 characters)."
            )
        if "@" not in self.email or any(c.isspace() for c in self.email):
            raise ConfigError(f"{where}: {self.email!r} is not an email address.")
        if self.imap_host and self.maildir:
            raise ConfigError(
                f"{where}: mail comes either from an IMAP server or from a Maildir, not both; "
                "remove imap host or maildir."
            )
        if not self.imap_host and not self.maildir:
            raise ConfigError(f"{where}: set an IMAP host (--imap-host) or a Maildir (--maildir).")
        if self.imap_host and not self.username:
            raise ConfigError(f"{where}: an IMAP account needs a username (--username).")
        if self.auth not in AUTH_CHOICES:
            raise ConfigError(f"{where}: auth {self.auth!r} is not one of password, oauth2.")
        if (
            self.uses_oauth2
            and not self.oauth2_token_command
            and not (self.oauth2_provider and self.oauth2_client_id)
        ):
            raise ConfigError(
                f"{where}: OAuth2 needs a provider and your app's client ID (--oauth2 PROVIDER "
                "--client-id ID), or a token command (--oauth2-token-command)."
            )
        if self.oauth2_mechanism.upper() not in ("", "XOAUTH2", "OAUTHBEARER"):
            raise ConfigError(f"{where}: oauth2 mechanism must be xoauth2 or oauthbearer.")
        for kind, sec, port in (
            ("IMAP", self.imap_security, self.imap_port),
            ("SMTP", self.smtp_security, self.smtp_port),
        ):
            if sec not in SECURITY_CHOICES:
                raise ConfigError(
                    f"{where}: {kind} security {sec!r} is not one of tls, starttls, none."
                )
            if not 0 < port < 65536:
                raise ConfigError(f"{where}: {kind} port {port} is not between 1 and 65535.")
        return self


# -- TOML mapping ---------------------------------------------------------------------------
# field name -> (sub-table or "", key in the table)
_LAYOUT: dict[str, tuple[str, str]] = {
    "imap_host": ("imap", "host"),
    "imap_port": ("imap", "port"),
    "imap_security": ("imap", "security"),
    "username": ("imap", "username"),
    "smtp_host": ("smtp", "host"),
    "smtp_port": ("smtp", "port"),
    "smtp_security": ("smtp", "security"),
    "smtp_username": ("smtp", "username"),
    "oauth2_provider": ("oauth2", "provider"),
    "oauth2_client_id": ("oauth2", "client_id"),
    "oauth2_tenant": ("oauth2", "tenant"),
    "oauth2_scopes": ("oauth2", "scopes"),
    "oauth2_mechanism": ("oauth2", "mechanism"),
    "oauth2_token_command": ("oauth2", "token_command"),
}
# Values that are the default and so stay out of the file (older versions never wrote them).
_UNWRITTEN_DEFAULTS: dict[str, object] = {"default": False, "auth": "password"}
_FIELD_TYPES: dict[str, type] = {
    f.name: {"str": str, "int": int, "bool": bool}.get(str(f.type), str) for f in fields(Account)
}


def account_from_table(name: str, table: dict[str, Any]) -> Account:
    """Build an Account from its TOML table; ConfigError names a wrong or secret key."""
    if not isinstance(table, dict):
        raise ConfigError(f"Account {name!r}: [accounts.{name}] must be a table.")
    _refuse_secrets(name, table)
    values: dict[str, Any] = {"name": name}
    for field_name, kind in _FIELD_TYPES.items():
        if field_name == "name":
            continue
        sub, key = _LAYOUT.get(field_name, ("", field_name))
        source = table.get(sub, {}) if sub else table
        if not isinstance(source, dict):
            raise ConfigError(f"Account {name!r}: '{sub}' must be a table.")
        if key not in source:
            continue
        value = source[key]
        if kind is bool and not isinstance(value, bool):
            raise ConfigError(f"Account {name!r}: {key} must be true or false.")
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"Account {name!r}: {sub} {key} must be a number.")
        if kind is str and not isinstance(value, str):
            raise ConfigError(f"Account {name!r}: {key} must be a string.")
        values[field_name] = value
    if "email" not in values:
        raise ConfigError(f'Account {name!r} has no email address; add email = "...".')
    return Account(**values).validate()


def account_to_table(account: Account) -> dict[str, Any]:
    """The TOML table for ``account``; empty strings and unused sections are left out."""
    table: dict[str, Any] = {}
    for f in fields(Account):
        if f.name == "name":
            continue
        value = getattr(account, f.name)
        if value == "" or value == _UNWRITTEN_DEFAULTS.get(f.name):
            continue
        if (f.name.startswith("imap_") or f.name == "username") and account.is_local:
            continue
        if f.name.startswith("smtp_") and not account.smtp_host:
            continue
        sub, key = _LAYOUT.get(f.name, ("", f.name))
        (table.setdefault(sub, {}) if sub else table)[key] = value
    return table


def _refuse_secrets(name: str, table: dict[str, Any]) -> None:
    for scope in ("", "imap", "smtp", "oauth2"):
        tbl = table.get(scope) if scope else table
        if isinstance(tbl, dict) and _SECRET_KEYS & {str(k).lower() for k in tbl}:
            place = f"[accounts.{name}{'.' + scope if scope else ''}]"
            raise ConfigError(
                f"{place} contains a password or token; secrets are never read from the config "
                "file. Remove it and use password_command or the keyring "
                f"(smimetui account password {name}; for OAuth2: smimetui account login {name})."
            )


# -- the accounts table ---------------------------------------------------------------------
ACCOUNTS: NamedTables[Account] = NamedTables(
    section="accounts",
    noun="account",
    article="An",
    command="smimetui account",
    from_table=account_from_table,
    to_table=account_to_table,
)


def load_accounts(home: Home) -> list[Account]:
    """Every configured account, in file order."""
    return ACCOUNTS.load(home)


def default_account(accounts: list[Account]) -> Account | None:
    """The account marked default, else the first one."""
    for account in accounts:
        if account.default:
            return account
    return accounts[0] if accounts else None


def get_account(home: Home, name: str | None = None) -> Account:
    """The named account, or the default one; ConfigError when there is none."""
    accounts = load_accounts(home)
    if not accounts:
        raise ConfigError(
            "No mail account is set up; add one with 'smimetui account add NAME --email ADDR ...'."
        )
    if name is None:
        found = default_account(accounts)
        assert found is not None
        return found
    for account in accounts:
        if account.name == name:
            return account
    raise ACCOUNTS.unknown(name, [a.name for a in accounts])


def add_account(home: Home, account: Account, *, replace: bool = False) -> None:
    """Save ``account``; marking it default clears the mark on the others."""

    def clear_other_defaults(table: dict[str, Any]) -> None:
        for other_name, other in table.items():
            if other_name != account.name and isinstance(other, dict):
                other.pop("default", None)

    ACCOUNTS.add(
        home,
        account.validate(),
        replace=replace,
        adjust_others=clear_other_defaults if account.default else None,
    )


def remove_account(home: Home, name: str) -> Account:
    """Delete the account's table and return what it was."""
    return ACCOUNTS.remove(home, name)
