"""Certificate directories (LDAP), kept in the ``[directories.NAME]`` tables of ``config.toml``.

Directories are global: every account looks recipients up in all of them.  The bind password is
never stored here; it comes from the directory's ``password_command`` or the system keyring
(entry ``directory:NAME``).  The file looks like::

    [directories.corp]
    url = "ldaps://ldap.example.org"
    base_dn = "ou=people,dc=example,dc=org"
    bind_dn = "uid=alice,ou=people,dc=example,dc=org"
    password_command = "pass show ldap"
    filter = "(mail={address})"
    timeout = 10.0

Changing one directory rewrites only that table; every other table is kept as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from ldap3.utils.conv import escape_filter_chars

from smimetui.core.errors import ConfigError, DirectoryError, SecretStoreError
from smimetui.core.settings import secrets
from smimetui.core.settings.home import Home
from smimetui.core.settings.named_tables import NamedTables

DEFAULT_FILTER = "(mail={address})"
DEFAULT_TIMEOUT = 10.0
PLACEHOLDER = "{address}"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_SECRET_KEYS = frozenset({"password", "pass", "secret", "bind_password", "passphrase"})
_DEFAULT_PORTS = {"ldap": 389, "ldaps": 636}


@dataclass(frozen=True, slots=True)
class Directory:
    name: str
    url: str  # ldap://host[:port] or ldaps://host[:port]
    base_dn: str
    bind_dn: str = ""  # empty: anonymous lookups
    password_command: str = ""
    starttls: bool = False  # upgrade an ldap:// connection with STARTTLS
    filter: str = DEFAULT_FILTER
    timeout: float = DEFAULT_TIMEOUT
    ca_file: str = ""  # extra CA bundle for a private directory's TLS certificate

    @property
    def secret_key(self) -> str:
        """The keyring entry that holds the bind password."""
        return f"directory:{self.name}"

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme.lower()

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or _DEFAULT_PORTS[self.scheme]

    @property
    def uses_tls(self) -> bool:
        return self.scheme == "ldaps" or self.starttls

    @property
    def source(self) -> str:
        """How a certificate found here is labelled in contacts ("directory <url>")."""
        return f"directory {self.url}"

    def search_filter(self, address: str) -> str:
        """The filter for ``address``; LDAP filter characters in it are escaped (RFC 4515)."""
        # str.replace, not str.format: a template must not reach attributes of the address.
        return self.filter.replace(PLACEHOLDER, escape_filter_chars(address.strip()))

    def validate(self) -> Directory:
        """Raise ConfigError naming the first setting that cannot work; return self."""
        where = f"Directory {self.name!r}"
        if not _NAME.match(self.name):
            raise ConfigError(
                f"{where}: a name uses letters, digits, '.', '_' or '-' (up to 64 characters)."
            )
        _check_url(where, self.url)
        if self.scheme == "ldaps" and self.starttls:
            raise ConfigError(
                f"{where}: ldaps:// is already encrypted; STARTTLS is only for ldap:// URLs."
            )
        if not self.base_dn.strip() or "=" not in self.base_dn:
            raise ConfigError(
                f"{where}: the base DN {self.base_dn!r} is not a DN (dc=example,...)."
            )
        if self.bind_dn and "=" not in self.bind_dn:
            raise ConfigError(f"{where}: the bind DN {self.bind_dn!r} is not a DN (uid=...,...).")
        _check_filter(where, self.filter)
        if not 0 < self.timeout <= 300:
            raise ConfigError(f"{where}: the timeout must be between 0 and 300 seconds.")
        return self


def _check_url(where: str, url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as err:
        raise ConfigError(f"{where}: the URL {url!r} is not valid ({err}).") from err
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise ConfigError(f"{where}: the URL must start with ldap:// or ldaps://, not {url!r}.")
    if not parts.hostname:
        raise ConfigError(f"{where}: the URL {url!r} names no server.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            f"{where}: give only the server in the URL (ldaps://host:port) and the base DN "
            "with --base."
        )


def _check_filter(where: str, template: str) -> None:
    if PLACEHOLDER not in template:
        raise ConfigError(f"{where}: the filter {template!r} must contain {PLACEHOLDER}.")
    depth = 0
    for char in template:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if not (template.startswith("(") and template.endswith(")")) or depth != 0:
        raise ConfigError(
            f"{where}: the filter {template!r} is not an LDAP filter in parentheses, "
            "like (mail={address})."
        )


# -- TOML mapping ---------------------------------------------------------------------------
_TYPES: dict[str, type] = {
    f.name: {"str": str, "bool": bool, "float": float}.get(str(f.type), str)
    for f in fields(Directory)
}


def directory_from_table(name: str, table: dict[str, Any]) -> Directory:
    """Build a Directory from its TOML table; ConfigError names a wrong or secret key."""
    if not isinstance(table, dict):
        raise ConfigError(f"Directory {name!r}: [directories.{name}] must be a table.")
    if _SECRET_KEYS & {str(k).lower() for k in table}:
        raise ConfigError(
            f"[directories.{name}] contains a password; secrets are never read from the config "
            f"file. Remove it and use password_command or the keyring "
            f"(smimetui directory password {name})."
        )
    values: dict[str, Any] = {"name": name}
    for key, kind in _TYPES.items():
        if key == "name" or key not in table:
            continue
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            wanted = {str: "a string", bool: "true or false", float: "a number"}[kind]
            raise ConfigError(f"Directory {name!r}: {key} must be {wanted}.")
        values[key] = value
    for required in ("url", "base_dn"):
        if required not in values:
            raise ConfigError(f'Directory {name!r} has no {required}; add {required} = "...".')
    return Directory(**values).validate()


def directory_to_table(directory: Directory) -> dict[str, Any]:
    """The TOML table; empty and default values are left out."""
    table: dict[str, Any] = {}
    for f in fields(Directory):
        value = getattr(directory, f.name)
        if f.name == "name" or value in ("", False):
            continue
        table[f.name] = value
    return table


DIRECTORIES: NamedTables[Directory] = NamedTables(
    section="directories",
    noun="directory",
    article="A",
    command="smimetui directory",
    from_table=directory_from_table,
    to_table=directory_to_table,
)


def load_directories(home: Home) -> list[Directory]:
    """Every configured directory, in file order."""
    return DIRECTORIES.load(home)


def get_directory(home: Home, name: str) -> Directory:
    directories = load_directories(home)
    for directory in directories:
        if directory.name == name:
            return directory
    raise DIRECTORIES.unknown(name, [d.name for d in directories])


def add_directory(home: Home, directory: Directory, *, replace: bool = False) -> None:
    DIRECTORIES.add(home, directory.validate(), replace=replace)


def remove_directory(home: Home, name: str) -> Directory:
    """Delete the directory's table (and its stored password) and return what it was."""
    removed = DIRECTORIES.remove(home, name)
    secrets.delete_secret(removed.secret_key)
    return removed


# -- the bind password ----------------------------------------------------------------------
def password_source(directory: Directory) -> str:
    """Where the bind password comes from, in a word (for `directory list`)."""
    if not directory.bind_dn:
        return "anonymous"
    if directory.password_command:
        return "command"
    try:
        return "keyring" if secrets.get_secret(directory.secret_key) else "asked when needed"
    except SecretStoreError:
        return "asked when needed"


def bind_password(directory: Directory, ask: Callable[[Directory], str] | None = None) -> str:
    """The bind password: password command, then keyring, then ``ask``; DirectoryError if none."""
    if directory.password_command:
        command = directory.password_command
        return str(secrets.run_password_command(command, timeout=max(directory.timeout, 30.0)))
    try:
        stored = secrets.get_secret(directory.secret_key)
    except SecretStoreError:
        stored = None
    if stored:
        return str(stored)
    if ask is not None:
        return ask(directory)
    raise DirectoryError(
        f"The directory {directory.name} needs the password for {directory.bind_dn}; set a "
        f"password command or store it with 'smimetui directory password {directory.name}'."
    )
