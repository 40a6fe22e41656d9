"""Fetch one autoconfig document over HTTPS: certificate and host name always verified, a short
timeout, a size limit, and at most a few redirects (to https only).

Failures raise :class:`FetchFailed` with a few words for the explanation ("no answer (timeout)",
"certificate not trusted", "HTTP 404"); the caller moves on to the next source.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urljoin, urlsplit

from smimetui.core.autoconfig import dnslookup
from smimetui.core.autoconfig.network import Network
from smimetui.core.errors import ConfigError

MAX_BYTES = 256 * 1024  # real config files are a few kilobytes
MAX_REDIRECTS = 3


class FetchFailed(Exception):
    """This source gave nothing; ``str()`` says why in a few words."""


def tls_context(ca_file: str) -> ssl.SSLContext:
    """The system trust store, plus ``ca_file`` (a private CA) when given."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as err:
            raise ConfigError(f"The CA file {ca_file} could not be loaded ({err}).") from err
    return context


class _Connection(http.client.HTTPSConnection):
    """An HTTPS connection to ``address`` that still verifies the certificate for ``host``."""

    def __init__(
        self, host: str, address: str, port: int, context: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def _connection(
    host: str, port: int, network: Network, context: ssl.SSLContext
) -> http.client.HTTPSConnection:
    if network.nameserver is None:
        return http.client.HTTPSConnection(
            host, port, timeout=network.http_timeout, context=context
        )
    found, why = dnslookup.addresses(network, host)
    if not found:
        raise FetchFailed(
            "no such host" if why in (dnslookup.NO_SUCH_NAME, dnslookup.NONE) else why
        )
    return _Connection(host, found[0], port, context, network.http_timeout)


def _get_once(url: str, network: Network, context: ssl.SSLContext) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise FetchFailed("redirected to an address that is not https")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPSConnection | None = None
    try:
        # A port named in a redirect is kept; otherwise 443 (or the test hook's port).
        conn = _connection(parts.hostname, parts.port or network.https_port, network, context)
        conn.request("GET", target, headers={"Accept": "application/xml, text/xml"})
        response = conn.getresponse()
        body = response.read(MAX_BYTES + 1)
        return response.status, response.getheader("Location") or "", body
    except ssl.SSLCertVerificationError as err:
        raise FetchFailed(f"certificate not trusted ({err.verify_message})") from err
    except TimeoutError as err:
        raise FetchFailed("no answer (timeout)") from err
    except socket.gaierror as err:
        raise FetchFailed("no such host") from err
    except ConnectionRefusedError as err:
        raise FetchFailed("no answer (connection refused)") from err
    except (OSError, http.client.HTTPException) as err:
        raise FetchFailed(f"no answer ({type(err).__name__})") from err
    except ValueError as err:  # a malformed port or host name (IDNA) in the address
        raise FetchFailed("not a usable address") from err
    finally:
        if conn is not None:
            conn.close()


def fetch(url: str, network: Network) -> bytes:
    """The body of ``url``; FetchFailed for anything but a 200 within the limits."""
    context = tls_context(network.ca_file)
    for _ in range(MAX_REDIRECTS + 1):
        status, location, body = _get_once(url, network, context)
        if status in (301, 302, 303, 307, 308) and location:
            url = urljoin(url, location)
            continue
        if status != 200:
            raise FetchFailed(f"HTTP {status}")
        if len(body) > MAX_BYTES:
            raise FetchFailed("answer too large")
        return body
    raise FetchFailed("too many redirects")
