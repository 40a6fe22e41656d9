"""Publish your own certificate in a directory so that others can encrypt to you.

The certificate replaces ``userCertificate;binary`` on your own entry (the one the directory's
filter finds for your address).  Writing needs a bind: anonymous users may never change a
directory, and the directory's access rules decide whether your bind DN may write the entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import ldap3
from cryptography import x509
from ldap3.core import exceptions as lx

from smimetui.core.directory.connection import AskPassword, connect, search, translate
from smimetui.core.directory.servers import Directory
from smimetui.core.errors import DirectoryError
from smimetui.core.sanitize import clean_line

ATTRIBUTE = "userCertificate;binary"


@dataclass(frozen=True, slots=True)
class Published:
    directory: str  # its name
    url: str
    entry: str  # the DN that now carries the certificate
    replaced: int  # how many certificates the entry held before


def _refused(directory: Directory, dn: str, result: dict[str, object]) -> DirectoryError:
    code = result.get("result")
    where = f"The directory {directory.name} ({directory.url})"
    if code == 50:  # insufficientAccessRights
        return DirectoryError(
            f"{where} does not let {directory.bind_dn} change {dn}; publishing needs write "
            "access to userCertificate on your own entry (ask the administrator).",
            title="Publishing refused",
        )
    detail = clean_line(str(result.get("message") or result.get("description")), max_length=160)
    return DirectoryError(
        f"{where} refused to store the certificate in {dn}: {detail}.", title="Publishing refused"
    )


def publish(
    directory: Directory,
    cert_der: bytes,
    email: str,
    *,
    ask: AskPassword | None = None,
    password: str | None = None,
) -> Published:
    """Replace ``userCertificate;binary`` on the one entry the filter finds for ``email``."""
    x509.load_der_x509_certificate(cert_der)  # a programming error if this is not a certificate
    if not directory.bind_dn:
        raise DirectoryError(
            f"Publishing to the directory {directory.name} needs a login; add it again with "
            "--bind-dn (and --password-command, or store the password).",
            title="Publishing needs a login",
        )
    shown = clean_line(email)
    with connect(directory, ask=ask, password=password) as conn:
        entries = search(directory, conn, email, [ATTRIBUTE])
        if not entries:
            raise DirectoryError(
                f"The directory {directory.name} has no entry for {shown} under "
                f"{directory.base_dn}, so there is nowhere to publish the certificate.",
                title="Not found",
            )
        if len(entries) > 1:
            dns = "; ".join(clean_line(dn, max_length=120) for dn, _ in entries[:3])
            raise DirectoryError(
                f"The directory {directory.name} has {len(entries)} entries for {shown} ({dns}); "
                "narrow the directory's filter so that it finds only your own entry.",
            )
        dn, raw = entries[0]
        before = sum(len(v) for k, v in raw.items() if k.lower().startswith("usercertificate"))
        try:
            ok = conn.modify(dn, {ATTRIBUTE: [(ldap3.MODIFY_REPLACE, [cert_der])]})
        except lx.LDAPException as err:
            raise translate(directory, err) from err
        if not ok:
            raise _refused(directory, clean_line(dn, max_length=200), conn.result or {})
    return Published(directory.name, directory.url, clean_line(dn, max_length=300), before)
