"""Send a finished message through an SMTP server: implicit TLS, STARTTLS or (when asked for)
plain, certificate verification against the system store or the account's CA file, AUTH when
the account has a username.

Every recipient is checked with RCPT before any data goes out; if the server refuses one, the
transaction is reset and nothing is sent, so a message never reaches only some recipients by
surprise.  Every failure is a :class:`SendError` whose sentence says what to do.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from typing import Literal

from smimetui.core.errors import SendError, SmimeTuiError
from smimetui.core.mail.logins import forget_refused
from smimetui.core.oauth import sasl
from smimetui.core.oauth.sasl import TokenSource
from smimetui.core.sanitize import clean_line

Security = Literal["tls", "starttls", "none"]


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return clean_line(f"{code} {text}", max_length=300)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verifying client context: the system store, plus ``ca_file`` for private servers."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as err:
            raise SendError(
                f"The CA file {ca_file} could not be loaded ({err}); check the account's ca_file.",
                title="TLS problem",
            ) from err
    return context


def crlf(raw: bytes) -> bytes:
    """``raw`` with every line ending as CRLF, as SMTP (and the S/MIME canonical form) wants."""
    if b"\n" not in raw.replace(b"\r\n", b""):
        return raw
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class SmtpSender:
    def __init__(
        self,
        host: str,
        port: int,
        security: Security = "starttls",
        username: str = "",
        password: Callable[[], str] | None = None,
        ca_file: str | None = None,
        timeout: float = 30.0,
        oauth2: TokenSource | None = None,
        oauth2_mechanism: str = "",
    ) -> None:
        if security not in ("tls", "starttls", "none"):
            raise SendError(f"SMTP security {security!r} is not one of tls, starttls, none.")
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.ca_file, self.timeout = ca_file, timeout
        self.oauth2, self.oauth2_mechanism = oauth2, oauth2_mechanism  # OAuth2 instead of PLAIN

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, raw: bytes, mail_from: str, rcpt_to: Sequence[str]) -> None:
        """Deliver ``raw`` (bytes as they are, line endings made CRLF) to every recipient."""
        if not rcpt_to:
            raise SendError("The message has no recipients; add at least one To, Cc or Bcc.")
        try:
            with self._connect() as server:
                self._login(server)
                self._transaction(server, crlf(raw), mail_from, list(rcpt_to))
        except SmimeTuiError:  # SendError, or an OAuth2 sign-in the user must repeat
            raise
        except Exception as err:  # smtplib, ssl and socket errors become one sentence each
            raise self._explain(err) from err

    # -- steps ---------------------------------------------------------------------------
    def _connect(self) -> smtplib.SMTP:
        server: smtplib.SMTP
        if self.security == "tls":
            context = tls_context(self.ca_file)
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            server.ehlo()
            if self.security == "starttls":
                if not server.has_extn("starttls"):
                    raise SendError(
                        f"The SMTP server {self.where} does not offer STARTTLS, so the message "
                        "and password would travel unencrypted; use security 'tls' (port 465) "
                        "or ask the provider.",
                        title="TLS problem",
                    )
                server.starttls(context=tls_context(self.ca_file))
                server.ehlo()
        except BaseException:
            server.close()
            raise
        return server

    def _login(self, server: smtplib.SMTP) -> None:
        if not self.username:
            return
        if not server.has_extn("auth"):
            hint = " before STARTTLS" if self.security == "none" else ""
            raise SendError(
                f"The SMTP server {self.where} does not offer login (AUTH){hint}; "
                "check the security setting or remove the username.",
                title="SMTP login refused",
            )
        if self.oauth2 is not None:
            self._oauth2_auth(server, self.oauth2)
            return
        if self.password is None:
            raise SendError(f"No password is available for the SMTP login at {self.where}.")
        try:
            self._auth(server, self.password())
        except smtplib.SMTPAuthenticationError:
            forget_refused(self.password)
            raise

    def _oauth2_auth(self, server: smtplib.SMTP, tokens: TokenSource) -> None:
        """AUTH OAUTHBEARER or XOAUTH2 with an access token, renewed once if refused."""
        offered = server.esmtp_features.get("auth", "").upper().split()
        mechanism = sasl.choose_mechanism(offered, self.oauth2_mechanism)
        if mechanism is None:
            raise SendError(
                f"The SMTP server {self.where} does not offer OAuth2 login (XOAUTH2 or "
                f"OAUTHBEARER); it offers {' '.join(offered) or 'none'}.",
                title="SMTP login refused",
            )
        refused = self._sasl(server, mechanism, tokens())
        if refused is not None and not refused.wrong_scope:
            refused = self._sasl(server, mechanism, tokens.renew())
        if refused is not None:
            raise tokens.rejected(f"The SMTP server {self.where} refused the login", refused)

    def _sasl(self, server: smtplib.SMTP, mechanism: str, token: str) -> sasl.ServerError | None:
        message = sasl.initial_response(mechanism, self.username, token, self.host, self.port)
        challenges: list[bytes] = []

        def answer(challenge: bytes | None = None) -> str:
            if challenge is None:
                return message.decode("ascii")
            challenges.append(challenge)  # the error JSON; an empty line lets it say 535
            return ""

        try:
            server.auth(mechanism, answer)
        except smtplib.SMTPAuthenticationError:
            return sasl.read_error(challenges[0] if challenges else None)
        return None

    def _auth(self, server: smtplib.SMTP, password: str) -> None:
        # smtplib's login() encodes credentials as ASCII; RFC 4616/4954 allow UTF-8, so a
        # password like "pässword" must work.  PLAIN first (we are inside TLS), LOGIN otherwise.
        mechanisms = server.esmtp_features.get("auth", "").upper().split()
        user = self.username.encode("utf-8")

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        if "PLAIN" in mechanisms:
            code, reply = server.docmd(
                "AUTH", "PLAIN " + b64(b"\0" + user + b"\0" + password.encode())
            )
        elif "LOGIN" in mechanisms:
            code, reply = server.docmd("AUTH", "LOGIN " + b64(user))
            if code == 334:
                code, reply = server.docmd(b64(password.encode("utf-8")))
        else:
            raise SendError(
                f"The SMTP server {self.where} offers no login method smimetui supports "
                f"(it offers {' '.join(mechanisms) or 'none'}; PLAIN or LOGIN are needed).",
                title="SMTP login refused",
            )
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)

    def _transaction(
        self, server: smtplib.SMTP, raw: bytes, mail_from: str, rcpt_to: list[str]
    ) -> None:
        options = []
        if any(b > 127 for b in raw) and server.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if not all(a.isascii() for a in [mail_from, *rcpt_to]):
            if not server.has_extn("smtputf8"):
                raise SendError(
                    f"The SMTP server {self.where} cannot take non-ASCII addresses (no SMTPUTF8)."
                )
            options.append("SMTPUTF8")
        code, message = server.mail(mail_from, options)
        if code != 250:
            raise SendError(
                f"The SMTP server refused the sender address {mail_from} "
                f"({_reply(code, message)}); check the account's email address.",
                title="Sender refused",
            )
        refused = []
        for rcpt in rcpt_to:
            code, message = server.rcpt(rcpt)
            if code not in (250, 251):
                refused.append(f"{clean_line(rcpt, 320)} ({_reply(code, message)})")
        if refused:
            server.rset()
            raise SendError(
                f"The SMTP server refused {len(refused)} recipient(s): {'; '.join(refused)}. "
                "Nothing was sent; correct or remove them and send again.",
                title="Recipient refused",
            )
        code, message = server.data(raw)
        if code != 250:
            raise SendError(
                f"The SMTP server did not accept the message ({_reply(code, message)}).",
                title="Message refused",
            )

    # -- errors --------------------------------------------------------------------------
    def _explain(self, err: BaseException) -> SendError:
        where = self.where
        cause = err.__context__ if isinstance(err, smtplib.SMTPServerDisconnected) else None
        if isinstance(err, TimeoutError | socket.timeout) or isinstance(cause, TimeoutError):
            return SendError(
                f"The SMTP server {where} did not answer within {self.timeout:g} seconds; "
                "check the host and port, or try again later.",
                title="SMTP timeout",
            )
        if isinstance(err, ConnectionRefusedError):
            return SendError(
                f"The SMTP server {where} refused the connection; check the host and port "
                "(587 for STARTTLS, 465 for TLS) and that the server is running.",
                title="Connection refused",
            )
        if isinstance(err, socket.gaierror):
            return SendError(
                f"The SMTP server name {self.host!r} could not be found; check the host name.",
                title="Unknown host",
            )
        if isinstance(err, ssl.SSLCertVerificationError):
            return SendError(
                f"The certificate of the SMTP server {where} could not be verified "
                f"({err.verify_message}); for a server with a private CA, set the account's "
                "CA file.",
                title="TLS problem",
            )
        if isinstance(err, ssl.SSLError):
            hint = "security 'tls' is for port 465, 'starttls' for 587"
            return SendError(
                f"The TLS handshake with the SMTP server {where} failed ({err.reason or err}); "
                f"{hint}.",
                title="TLS problem",
            )
        if isinstance(err, smtplib.SMTPAuthenticationError):
            return SendError(
                f"The SMTP server {where} refused the login for {self.username} "
                f"({_reply(err.smtp_code, err.smtp_error)}); check the username and password.",
                title="SMTP login refused",
            )
        if isinstance(err, smtplib.SMTPResponseException):
            reply = _reply(err.smtp_code, err.smtp_error)
            return SendError(f"The SMTP server {where} answered with an error ({reply}).")
        if isinstance(err, smtplib.SMTPServerDisconnected):
            return SendError(
                f"The SMTP server {where} closed the connection unexpectedly; try again, and "
                "check the security setting if it keeps happening.",
                title="Connection problem",
            )
        if isinstance(err, OSError):
            reason = err.strerror or str(err) or type(err).__name__
            return SendError(
                f"The SMTP server {where} could not be reached ({reason}).",
                title="Connection problem",
            )
        return SendError(f"Sending through {where} failed ({type(err).__name__}: {err}).")
