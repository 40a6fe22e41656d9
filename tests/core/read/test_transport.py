"""Full headers, source, Authentication-Results, the delivery path and links (issue 15).

Corpus files in ``tests/support/corpus_transport/`` copy the header shapes of real providers
(Postfix in front of a Dovecot LMTP, Gmail's outbound relays, Exchange Online's internal hops);
expectations come from RFC 8601 (authserv-id, result names, ptype.property) and RFC 5321 §4.4
(trace fields).
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from smimetui.core.read.authresults import authentication_report
from smimetui.core.read.bodytext import html_with_links
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.read.links import make_link
from smimetui.core.read.rawview import MAX_SOURCE_BYTES, header_fields, header_lines, source_text
from smimetui.core.read.report import SecurityReport
from smimetui.core.read.transport import receiving_hosts
from smimetui.core.settings.home import Home
from tests.support.corpus import TRANSPORT

CORPUS = TRANSPORT
SERVER = "mx.example.org"


def read(name: str, home: Home, authserv: str = SERVER, hosts: str = "") -> SecurityReport:
    ctx = InspectContext.from_home(home)
    ctx = replace(ctx, authserv_id=authserv, receiving_hosts=receiving_hosts(authserv, hosts))
    raw = (CORPUS / name).read_bytes() if not name.startswith("<") else name[1:].encode()
    return inspect_message(raw, ctx)


def hops_message(count: int) -> bytes:
    lines = [
        b"Received: from h%d.example.net (h%d.example.net [192.0.2.%d])\r\n\tby %s with ESMTP"
        b" id %d; Thu, 3 Dec 2026 10:%02d:00 +0000\r\n"
        % (i, i, i % 250 + 1, b"mx.example.org" if i == 0 else b"h%d.example.net" % (i - 1),
           i, (60 - i % 60) % 60)
        for i in range(count)
    ]  # fmt: skip
    return b"".join(lines) + b"From: a@example.net\r\nSubject: many\r\n\r\nbody\r\n"


class TestRawView:
    def test_headers_in_order_unfolded(self) -> None:
        fields, cut = header_fields((CORPUS / "gmail_dmarc_pass.eml").read_bytes())
        names = [f.name for f in fields]
        assert names[:4] == ["Return-Path", "Delivered-To", "Received", "Authentication-Results"]
        assert not cut
        assert "\n" not in fields[3].value and "dmarc=pass" in fields[3].value

    def test_control_characters_removed(self) -> None:
        raw = b"Subject: a\x1b]52;c;bad\x07 b\x9b\r\nX-Evil: \xe2\x80\xaeabc\r\n\r\nbody\x1b[2J\r\n"
        lines = header_lines(raw)
        assert all("\x1b" not in ln and "\x07" not in ln for ln in lines)
        assert "<U+202E>" in lines[1]
        assert "\x1b" not in source_text(raw) and "body" in source_text(raw)

    def test_source_is_cut_at_the_limit(self) -> None:
        raw = b"Subject: big\r\n\r\n" + b"x" * (MAX_SOURCE_BYTES + 10)
        text = source_text(raw)
        assert text.endswith("MiB)\n") and len(text) < MAX_SOURCE_BYTES + 200


class TestAuthenticationResults:
    def test_own_server_only(self, home: Home) -> None:
        auth = read("gmail_dmarc_pass.eml", home).authentication
        assert auth is not None and auth.found
        assert (
            auth.line
            == "DKIM: pass (example.net) · SPF: pass (example.net) · DMARC: pass (example.net)"
        )
        assert auth.ignored == 1  # mx.google.com's claims about paypal.com were not read
        assert "confirmed by DMARC that this message comes from example.net" in auth.summary

    def test_dmarc_fail_says_from_not_confirmed(self, home: Home) -> None:
        report = read("outlook_dmarc_fail.eml", home)
        auth = report.authentication
        assert auth is not None and auth.result_of("dmarc") is not None
        assert auth.line.startswith("DKIM: fail (bank.example) · SPF: fail")
        assert "support@bank.example is not confirmed" in auth.summary
        # Exchange's own header (no authserv-id of ours) says pass: ignored
        assert auth.ignored == 1

    def test_wrong_authserv_id_is_ignored(self) -> None:
        forged = ["mx.example.org.evil.example; dmarc=pass header.from=bank.example"]
        auth = authentication_report(forged, SERVER, "support@bank.example")
        assert auth is not None and not auth.found and auth.ignored == 1
        assert auth.line == "no result from your server mx.example.org"

    def test_not_configured_means_nothing_is_read(self, home: Home) -> None:
        assert read("gmail_dmarc_pass.eml", home, authserv="").authentication is None

    def test_topmost_own_instance_wins(self) -> None:
        values = [f"{SERVER}; dmarc=fail header.from=a.example", f"{SERVER}; dmarc=pass"]
        auth = authentication_report(values, SERVER, "x@a.example")
        assert auth is not None and auth.line == "DMARC: fail (a.example)"

    def test_authserv_id_with_version(self) -> None:
        value = f"{SERVER} 1; spf=pass smtp.mailfrom=a.example"
        auth = authentication_report([value], SERVER, "")
        assert auth is not None and auth.line == "SPF: pass (a.example)"
        quoted = authentication_report([f'"{SERVER}"; spf=pass'], SERVER, "")
        assert quoted is not None and quoted.ignored == 0  # ours, and said to be unreadable
        assert quoted.problems

    def test_malformed_is_a_sentence(self) -> None:
        auth = authentication_report([f"{SERVER}; =;;=="], SERVER, "a@b.example")
        assert auth is not None and not auth.found
        assert auth.problems == (
            "Your server's Authentication-Results could not be read (malformed).",
        )

    def test_control_characters_and_huge_fields(self) -> None:
        injected = f"{SERVER}; dkim=pass header.d=ex\x1b[31mample.org"
        auth = authentication_report([injected], SERVER, "a@example.org")
        assert auth is not None and "\x1b" not in auth.line
        huge = f"{SERVER}; " + "; ".join(["dkim=pass header.d=a.example"] * 2000)
        auth = authentication_report([huge], SERVER, "a@a.example")
        assert auth is not None and not auth.found and "longer than" in auth.problems[0]

    def test_json(self, home: Home) -> None:
        data = read("outlook_dmarc_fail.eml", home).to_json()["authentication"]
        assert data["authserv_id"] == SERVER and data["found"] is True
        assert {"method": "dmarc", "result": "fail", "domain": "bank.example"} in data["results"]


class TestDelivery:
    def test_hops_labels_and_sender(self, home: Home) -> None:
        delivery = read("gmail_dmarc_pass.eml", home).delivery
        assert delivery is not None and delivery.total_hops == 3
        first, mine, inside = delivery.hops
        assert first.claimed and not first.own and first.delay is None
        assert mine.own and mine.delay == 2.0 and "google.com" in mine.source
        assert inside.after and not inside.claimed
        assert delivery.sender_ip == "209.85.220.41"
        assert delivery.first_external.startswith("mail-sor-f41.google.com")

    def test_receiving_hosts_from_the_account(self, home: Home) -> None:
        delivery = read(
            "gmail_dmarc_pass.eml", home, hosts="mx.example.org, imap.example.org"
        ).delivery
        assert delivery is not None and [h.own for h in delivery.hops] == [False, True, True]

    def test_no_server_known(self, home: Home) -> None:
        delivery = read("gmail_dmarc_pass.eml", home, authserv="").delivery
        assert delivery is not None and not any(h.claimed or h.own for h in delivery.hops)
        assert delivery.sender_ip == ""

    def test_defects_in_words(self, home: Home) -> None:
        delivery = read("hidden_epilogue.eml", home).delivery
        assert delivery is not None
        text = " ".join(delivery.defects)
        assert "epilogue" in text and "2 From headers" in text
        assert "no Message-ID header" in text and "no Date header" in text

    def test_ten_thousand_hops_within_limits(self, home: Home) -> None:
        started = time.monotonic()
        report = read("<" + hops_message(10_000).decode(), home)
        assert time.monotonic() - started < 10
        delivery = report.delivery
        assert delivery is not None and delivery.total_hops == 10_000
        assert len(delivery.hops) == 200 and delivery.hops[-1].own

    def test_json(self, home: Home) -> None:
        data = read("outlook_dmarc_fail.eml", home).to_json()["delivery"]
        assert data["sender_ip"] == "40.107.22.101"
        assert [h["claimed"] for h in data["hops"]] == [True, False]
        assert data["defects"] == ["The message has no Message-ID header."]


class TestLinks:
    def test_numbered_references_with_hosts(self) -> None:
        text, links = html_with_links('<p>See <a href="https://docs.example.org/a">docs</a></p>', 0)
        assert "docs [1]" in text
        assert text.endswith("Links:\n[1] https://docs.example.org/a  (host: docs.example.org)\n")
        assert not links[0].flagged

    @pytest.mark.parametrize(
        ("text", "href", "flagged"),
        [
            ("https://www.paypal.com/login", "https://evil.example/x", True),
            ("paypal.com", "http://xn--pypal-4ve.com/", True),
            ("www.example.org", "https://example.org/page", False),
            ("example.org", "https://mail.example.org/", False),
            ("Click here", "https://anything.example/", False),
            ("https://bank.example", "mailto:x@evil.example", False),
        ],
    )
    def test_mismatch(self, text: str, href: str, flagged: bool) -> None:
        assert make_link(1, href, text).flagged is flagged

    def test_punycode_host_is_shown_both_ways(self) -> None:
        assert (
            make_link(1, "http://xn--pypal-4ve.com/", "x").host == "pаypal.com = xn--pypal-4ve.com"
        )

    def test_flagged_link_is_a_problem_in_the_report(self, home: Home) -> None:
        report = read("gmail_dmarc_pass.eml", home)
        assert [link.number for link in report.links if link.flagged] == [2]
        assert any("shows www.paypal.com but goes to evil.example" in p for p in report.problems)
        assert "[2] https://evil.example/login" in report.text
        assert report.to_json()["links"][1]["flagged"] is True


class TestLargeAndQuiet:
    def big(self, megabytes: int) -> bytes:
        data = b"QUJD" * (megabytes * 1024 * 256)
        return (
            b"From: a@b.example\r\nSubject: big\r\nMessage-ID: <x@y>\r\n"
            b"Date: Thu, 3 Dec 2026 10:00:00 +0000\r\nContent-Type: multipart/mixed; boundary=B"
            b"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + data
            + b"\r\n--B--\r\n"
        )

    def test_large_body_not_parsed_and_said(self, home: Home) -> None:
        started = time.monotonic()
        delivery = read("<" + self.big(6).decode(), home).delivery
        assert time.monotonic() - started < 10
        assert delivery is not None and delivery.defects == (
            "The MIME structure of this large message was not checked for defects (over 4 MiB).",
        )

    def test_mail_parser_prints_nothing(
        self, home: Home, capfd: pytest.CaptureFixture[str]
    ) -> None:
        delivery = read("<" + self.big(1).decode(), home).delivery
        assert delivery is not None and delivery.defects == ()
        out, err = capfd.readouterr()
        assert out == "" and err == ""
