"""Read Thunderbird's autoconfig format (config-v1.1.xml) without trusting it.

The document comes from the network, so it is parsed by lxml with entities, DTDs and network
access all off, and a document that declares a DOCTYPE at all is refused: a config file never
needs one, and that is where entity expansion ("billion laughs") and external entities live.
Every value that is used is checked (host name syntax, port range) and cleaned of control
characters before anyone sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from smimetui.core.autoconfig.model import (
    SECURITY_RANK,
    Auth,
    Security,
    Server,
    Settings,
    expand,
    valid_host,
)
from smimetui.core.autoconfig.providers import provider_for_host
from smimetui.core.errors import AutoconfigError
from smimetui.core.sanitize import clean_line

_SOCKET_TYPES: dict[str, Security] = {
    "ssl": "tls",
    "tls": "tls",
    "starttls": "starttls",
    "plain": "none",
}
_PASSWORD = {"password-cleartext", "plain", "password-encrypted", "secure"}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


class BadConfig(AutoconfigError):
    """A config file that is refused; ``reason`` is the phrase for the explanation."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"The config file from {source} was refused: {reason}.")
        self.reason = reason


_ENTITIES = (
    "it declares a DOCTYPE or entities, which a config file never needs "
    "(that is how XML entity attacks work)"
)


def parse_document(data: bytes, source: str) -> etree._Element:
    """The root element; BadConfig (one sentence) for hostile or broken XML."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise BadConfig(source, _ENTITIES)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        raise BadConfig(source, "it is not well-formed XML") from err
    if root.getroottree().docinfo.doctype:
        raise BadConfig(source, _ENTITIES)  # in an encoding the byte check cannot see
    if root.tag != "clientConfig":
        raise BadConfig(source, "it is not an autoconfig file (no clientConfig)")
    return root


@dataclass(frozen=True, slots=True)
class _Candidate:
    server: Server
    methods: frozenset[str]
    order: int


def _text(element: etree._Element, tag: str) -> str:
    found = element.find(tag)
    return clean_line(found.text or "", max_length=255) if found is not None else ""


def _candidate(element: etree._Element, email: str, order: int) -> _Candidate | None:
    """The server described by ``element``, or None when it cannot be used as given."""
    host = expand(_text(element, "hostname"), email).lower().rstrip(".")
    port = _text(element, "port")
    security = _SOCKET_TYPES.get(_text(element, "socketType").lower())
    if not valid_host(host) or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    if security is None:
        return None
    methods = frozenset(
        clean_line(a.text or "").lower() for a in element.findall("authentication")
    ) or frozenset({"password-cleartext"})
    if not methods & (_PASSWORD | {"oauth2"}):
        return None  # NTLM, GSSAPI, client certificates: not what smimetui signs in with
    username = _text(element, "username") or "%EMAILADDRESS%"
    return _Candidate(Server(host, int(port), security, username), methods, order)


def _best(elements: list[etree._Element], email: str) -> _Candidate | None:
    found = [c for i, e in enumerate(elements) if (c := _candidate(e, email, i)) is not None]
    found.sort(key=lambda c: (SECURITY_RANK[c.server.security], c.order))
    return found[0] if found else None


def _auth(imap: _Candidate) -> tuple[Auth, str]:
    provider = provider_for_host(imap.server.host)
    if "oauth2" in imap.methods and (provider or not imap.methods & _PASSWORD):
        return "oauth2", provider
    return "password", ""


def _servers(providers: list[etree._Element], tag: str, kind: str) -> list[etree._Element]:
    return [e for p in providers for e in p.findall(tag) if e.get("type") == kind]


def parse(data: bytes, email: str, source: str) -> Settings:
    """The best IMAP and SMTP servers in the document, for ``email``."""
    root = parse_document(data, source)
    providers = root.findall("emailProvider")
    imap = _best(_servers(providers, "incomingServer", "imap"), email)
    if imap is None:
        raise BadConfig(source, "it lists no IMAP server that smimetui can use")
    smtp = _best(_servers(providers, "outgoingServer", "smtp"), email)
    auth, provider = _auth(imap)
    return Settings(
        source=source,
        imap=imap.server,
        smtp=smtp.server if smtp else None,
        auth=auth,
        provider=provider,
    )
