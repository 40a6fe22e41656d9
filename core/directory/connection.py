"""Open and bind one LDAP connection to a configured directory, with every failure in words.

ldap3 reports trouble as a zoo of exceptions and result codes; this module turns them into one
:class:`DirectoryError` sentence each: unreachable server, timeout, TLS failure, bad credentials.
Connections are synchronous (callers run them in a worker thread) and bounded by the
directory's timeout for connecting and for every answer.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import re
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import ldap3
from ldap3.core import exceptions as lx

from smimetui.core.directory.servers import Directory, bind_password
from smimetui.core.errors import DirectoryError
from smimetui.core.sanitize import clean_line

AskPassword = Callable[[Directory], str]

_SSL_SOURCE = re.compile(r"\s*\(_ssl\.c:\d+\)")
_TLS_WORDS = ("ssl", "tls", "certificate", "handshake", "wrong version")


def _where(directory: Directory) -> str:
    return f"the directory {directory.name} ({directory.url})"


def _reason(err: BaseException) -> str:
    # ldap3 nests the socket error's repr in tuples: keep only the words.
    text = _SSL_SOURCE.sub("", str(err)).strip("()'\", ")
    return clean_line(text, max_length=160) or type(err).__name__


def _tls(directory: Directory) -> ldap3.Tls:
    return ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        version=ssl.PROTOCOL_TLS_CLIENT,
        ca_certs_file=directory.ca_file or None,
        valid_names=[directory.host],
        sni=None if _is_ip(directory.host) else directory.host,
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_tls_problem(err: BaseException) -> bool:
    text = str(err).lower()
    return isinstance(err, lx.LDAPStartTLSError) or any(w in text for w in _TLS_WORDS)


def _is_timeout(err: BaseException) -> bool:
    return isinstance(err, lx.LDAPResponseTimeoutError) or "timed out" in str(err).lower()


def translate(directory: Directory, err: Exception) -> DirectoryError:
    """One sentence for a low-level ldap3 failure."""
    where = _where(directory)
    if _is_timeout(err):
        return DirectoryError(
            f"{where.capitalize()} did not answer within {directory.timeout:g} seconds; "
            "check the URL or raise the timeout.",
            title="Directory timed out",
        )
    if "doesn't match any name" in str(err):  # ldap3's host name check; its text is a dict
        return DirectoryError(
            f"A secure connection to {where} failed: the server's certificate is not made out "
            f"to {directory.host}; use the name the certificate gives in the URL.",
            title="Directory TLS failed",
        )
    if _is_tls_problem(err):
        return DirectoryError(
            f"A secure connection to {where} failed ({_reason(err)}); check the URL, STARTTLS "
            "and the server's certificate (a private CA needs --ca-file).",
            title="Directory TLS failed",
        )
    if isinstance(err, lx.LDAPSocketOpenError | lx.LDAPSocketSendError | OSError):
        return DirectoryError(
            f"{where.capitalize()} cannot be reached ({_reason(err)}); check the URL and "
            "your network.",
            title="Directory unreachable",
        )
    if isinstance(err, lx.LDAPSocketReceiveError | lx.LDAPSessionTerminatedByServerError):
        return DirectoryError(
            f"{where.capitalize()} closed the connection ({_reason(err)}).",
            title="Directory unreachable",
        )
    return DirectoryError(f"{where.capitalize()} failed: {_reason(err)}.")


def _bind_failed(directory: Directory, result: dict[str, object]) -> DirectoryError:
    code = result.get("result")
    where = _where(directory)
    if code == 49:  # invalidCredentials
        who = directory.bind_dn or "an anonymous login"
        return DirectoryError(
            f"{where.capitalize()} rejected the login as {who}: wrong bind DN or password.",
            title="Directory login failed",
        )
    if code == 48 or code == 53:  # inappropriateAuthentication / unwillingToPerform
        return DirectoryError(
            f"{where.capitalize()} does not allow this login "
            f"({result.get('description')}); set a bind DN and password.",
            title="Directory login failed",
        )
    detail = clean_line(str(result.get("message") or result.get("description")), max_length=160)
    return DirectoryError(f"{where.capitalize()} refused the login: {detail}.")


@contextmanager
def connect(
    directory: Directory, *, ask: AskPassword | None = None, password: str | None = None
) -> Iterator[ldap3.Connection]:
    """A bound connection (anonymous without a bind DN), unbound when the block ends."""
    if directory.bind_dn and password is None:
        password = bind_password(directory, ask)
    server = ldap3.Server(
        directory.host,
        port=directory.port,
        use_ssl=directory.scheme == "ldaps",
        tls=_tls(directory) if directory.uses_tls else None,
        get_info=ldap3.NONE,
        connect_timeout=directory.timeout,
    )
    conn = ldap3.Connection(
        server,
        user=directory.bind_dn or None,
        password=password if directory.bind_dn else None,
        auto_bind=ldap3.AUTO_BIND_NONE,
        receive_timeout=math.ceil(directory.timeout),  # ldap3 packs it as an integer
        raise_exceptions=False,
        auto_referrals=False,  # never follow a referral to a server nobody configured
        return_empty_attributes=False,
    )
    try:
        try:
            conn.open()
            if directory.starttls and not conn.start_tls():
                raise DirectoryError(
                    f"{_where(directory).capitalize()} refused STARTTLS "
                    f"({conn.result.get('description') if conn.result else 'no answer'}); "
                    "use ldaps:// or ask the administrator.",
                    title="Directory TLS failed",
                )
            if not conn.bind():
                raise _bind_failed(directory, conn.result or {})
        except (lx.LDAPException, OSError) as err:
            raise translate(directory, err) from err
        yield conn
    finally:
        with contextlib.suppress(Exception):  # the connection may already be gone
            conn.unbind()


def search(
    directory: Directory, conn: ldap3.Connection, address: str, attributes: list[str]
) -> list[tuple[str, dict[str, list[bytes]]]]:
    """Entries matching the filter for ``address``: (DN, raw attribute values) each."""
    try:
        ok = conn.search(
            directory.base_dn,
            directory.search_filter(address),
            search_scope=ldap3.SUBTREE,
            attributes=attributes,
            size_limit=20,
            time_limit=max(1, int(directory.timeout)),
        )
    except lx.LDAPException as err:
        raise translate(directory, err) from err
    code = (conn.result or {}).get("result")
    if not ok and code not in (0, 4, 32):  # success, sizeLimitExceeded, noSuchObject
        detail = clean_line(str((conn.result or {}).get("description")), max_length=120)
        raise DirectoryError(
            f"{_where(directory).capitalize()} refused the search under {directory.base_dn} "
            f"({detail}); check the base DN and the filter."
        )
    found: list[tuple[str, dict[str, list[bytes]]]] = []
    for entry in conn.response or []:
        if entry.get("type") != "searchResEntry":
            continue  # referrals and other noise
        raw = {str(k): list(v) for k, v in entry.get("raw_attributes", {}).items()}
        found.append((str(entry.get("dn", "")), raw))
    return found
