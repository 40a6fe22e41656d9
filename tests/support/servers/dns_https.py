"""A DNS server and an HTTPS server on loopback, standing in for the Internet in the automatic
setup tests.

The DNS server is dnspython's message API on a UDP socket (the client side is dnspython too): it
answers from a table of (name, type) -> records, says NXDOMAIN for names it does not know and
NOERROR with no answer for known names without that type.  The HTTPS server holds files by
(Host, path), speaks TLS with a certificate from a test CA for every host name the tests use, and
keeps a log of each request, so a test can prove that a host (the ISPDB) was never asked.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from smimetui.core.pki import makecerts as pki

Records = dict[tuple[str, str], list[str]]


class DnsServer:
    """Authoritative-looking answers for ``records``; ``queries`` logs (name, type)."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.queries: list[tuple[str, str]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="test-dns")
        self._thread.start()

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        texts = self.records.get((name, rdtype))
        if texts:
            response.answer.append(
                dns.rrset.from_text_list(question.name, 300, dns.rdataclass.IN, rdtype, texts)
            )
        elif not any(known == name for known, _type in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self._sock.sendto(self._answer(wire), peer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


@dataclass
class Site:
    """What the HTTPS server holds: (host, path) -> (status, body, Location)."""

    files: dict[tuple[str, str], tuple[int, bytes, str]] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)  # (Host, path with query)

    def put(self, host: str, path: str, body: bytes) -> None:
        self.files[(host, path)] = (200, body, "")

    def redirect(self, host: str, path: str, location: str) -> None:
        self.files[(host, path)] = (302, b"", location)

    def hosts_asked(self) -> set[str]:
        return {host for host, _path in self.log}


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            site.log.append((host, self.path))
            status, body, location = site.files.get(
                (host, urlsplit(self.path).path), (404, b"not here", "")
            )
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class HttpsServer:
    """TLS on a loopback port; the certificate names every host in ``names``."""

    def __init__(self, site: Site, names: Iterable[str], directory: Path) -> None:
        ca = pki.make_ca("smimetui autoconfig test CA")
        san = x509.SubjectAlternativeName([x509.DNSName(n) for n in names])
        leaf = pki.make_leaf(
            ca,
            [],
            common_name="autoconfig tests",
            eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
            san=False,
            extra_extensions=[(san, False)],
        )
        self.ca_file = directory / "ca.pem"
        self.ca_file.write_bytes(ca.cert_pem)
        (directory / "server.pem").write_bytes(leaf.cert_pem)
        (directory / "server.key").write_bytes(leaf.key_pem())
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(directory / "server.pem", directory / "server.key")
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True, name="test-https"
        )
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(2)
