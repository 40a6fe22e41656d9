"""IMAP login with an OAuth2 access token: SASL OAUTHBEARER or XOAUTH2.

imapclient's ``oauth2_login`` answers the server's error challenge with the same token again,
so the error JSON is lost; here the challenge is kept (and answered with the empty line both
mechanisms expect) and turned into a sentence.  A refused token is renewed once (the provider
may have revoked it early) and tried again on the same connection.
"""

from __future__ import annotations

import imaplib

import imapclient

from smimetui.core.errors import AuthenticationError
from smimetui.core.mail.imap.watchdog import Watchdog
from smimetui.core.oauth import sasl


def offered_mechanisms(client: imapclient.IMAPClient) -> list[str]:
    caps = [bytes(c).decode("ascii", "replace").upper() for c in client.capabilities()]
    return [c[5:] for c in caps if c.startswith("AUTH=")]


def login(
    client: imapclient.IMAPClient,
    *,
    user: str,
    host: str,
    port: int,
    tokens: sasl.TokenSource,
    dog: Watchdog,
    mechanism: str = "",
) -> str:
    """Authenticate ``client``; the mechanism used, or AuthenticationError with the reason."""
    offered = offered_mechanisms(client)
    chosen = sasl.choose_mechanism(offered, mechanism)
    if chosen is None:
        wanted = mechanism.upper() or "XOAUTH2 or OAUTHBEARER"
        raise AuthenticationError(
            f"{host} does not offer OAuth2 login ({wanted}); it offers "
            f"{', '.join(offered) or 'no SASL mechanism'}. Check the server, or use a password."
        )
    refused = _attempt(client, chosen, user, host, port, tokens(), dog)
    if refused is None:
        return chosen
    if not refused.wrong_scope:  # a new token cannot add a scope; a stale one it can replace
        refused = _attempt(client, chosen, user, host, port, tokens.renew(), dog)
        if refused is None:
            return chosen
    raise tokens.rejected(f"Login failed for {user} on {host}", refused)


def _attempt(
    client: imapclient.IMAPClient,
    mechanism: str,
    user: str,
    host: str,
    port: int,
    token: str,
    dog: Watchdog,
) -> sasl.ServerError | None:
    """One AUTHENTICATE; None on success, else what the server said."""
    message = sasl.initial_response(mechanism, user, token, host, port)
    challenges: list[bytes] = []
    sent = False

    def answer(challenge: bytes) -> bytes:
        nonlocal sent
        if not sent:
            sent = True
            return message
        challenges.append(challenge)  # the error JSON; the empty line lets the server say NO
        return b""

    try:
        with dog:
            client._command_and_check("authenticate", mechanism, answer)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error:
        return sasl.read_error(challenges[0] if challenges else None)
    return None
