"""discover(): each source in Thunderbird's order, against the loopback DNS and HTTPS servers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from smimetui.core.autoconfig import srv
from smimetui.core.autoconfig.discover import discover
from smimetui.core.autoconfig.model import Discovery, Server, Settings
from smimetui.core.errors import AutoconfigError
from tests.support.internet import ISPDB, Internet


def never(domain: str) -> bool:
    raise AssertionError(f"consent asked for {domain} although a private source answered")


def found(d: Discovery) -> Settings:
    assert d.settings is not None, d.explanation()
    return d.settings


class TestOwnAutoconfig:
    def test_autoconfig_host_wins_and_best_servers_are_chosen(self, internet: Internet) -> None:
        d = discover("alice@own.test", internet.network(), never)
        s = found(d)
        assert s.source == "autoconfig.own.test"
        # SSL/TLS over STARTTLS over plain; pop3 ignored; placeholders in the host expanded
        assert s.imap == Server("imap.own.test", 993, "tls", "%EMAILLOCALPART%")
        assert s.smtp == Server("smtp.own.test", 465, "tls", "%EMAILLOCALPART%")
        assert s.auth == "password"
        # the SRV records of own.test were never needed, and the address went along
        assert ("_imaps._tcp.own.test", "SRV") not in internet.dns.queries
        assert internet.site.log == [
            ("autoconfig.own.test", "/mail/config-v1.1.xml?emailaddress=alice@own.test")
        ]

    def test_well_known_after_autoconfig_host(self, internet: Internet) -> None:
        d = discover("bob@wellknown.test", internet.network(), never)
        assert found(d).imap.host == "imap.wellknown.test"
        assert d.steps[0].source == "autoconfig.wellknown.test"
        assert d.steps[0].outcome == "no such host"
        assert str(d.steps[1]) == "wellknown.test/.well-known: found"

    def test_https_redirect_is_followed(self, internet: Internet) -> None:
        assert found(discover("c@moved.test", internet.network(), never)).imap.host == (
            "imap.moved.test"
        )

    def test_redirect_to_plain_http_is_not_followed(self, internet: Internet) -> None:
        d = discover("c@downgrade.test", internet.network(), lambda _d: False)
        assert d.settings is None
        assert str(d.steps[0]) == (
            "autoconfig.downgrade.test: redirected to an address that is not https"
        )
        assert ("new.moved.test", "/config.xml") not in internet.site.log

    def test_certificate_is_verified_against_the_host_name(self, internet: Internet) -> None:
        d = discover("d@untrusted.test", internet.network(), lambda _d: False)
        assert d.settings is None
        assert d.steps[0].source == "autoconfig.untrusted.test"
        assert d.steps[0].outcome.startswith("certificate not trusted")

    def test_without_the_test_ca_nothing_is_trusted(self, internet: Internet) -> None:
        d = discover("alice@own.test", internet.network(trusted=False), lambda _d: False)
        assert d.settings is None or d.settings.source != "autoconfig.own.test"
        assert d.steps[0].outcome.startswith("certificate not trusted")

    def test_oauth2_hosts_in_a_config_file_select_the_provider(self, internet: Internet) -> None:
        s = found(discover("e@oauth.test", internet.network(), never))
        assert (s.auth, s.provider, s.auth_words) == ("oauth2", "microsoft", "OAuth2 (microsoft)")


class TestHostileXml:
    def test_entity_bomb_is_refused_and_the_next_source_used(self, internet: Internet) -> None:
        d = discover("f@hostile.test", internet.network(), never)
        assert d.steps[0].source == "autoconfig.hostile.test"
        assert d.steps[0].outcome.startswith("refused, it declares a DOCTYPE or entities")
        assert found(d).imap.host == "imap.hostile.test" and found(d).source.startswith("SRV")

    def test_external_entity_is_refused(self, internet: Internet) -> None:
        d = discover("g@xxe.test", internet.network(), lambda _d: False)
        assert d.settings is None
        assert "refused" in d.explanation() and "root:" not in d.explanation()


class TestSrv:
    def test_priority_then_implicit_tls(self, internet: Internet) -> None:
        s = found(discover("h@srv.test", internet.network(), never))
        assert s.source == "SRV records of srv.test"
        assert s.imap == Server("mail.srv.test", 993, "tls")  # same priority: implicit TLS
        assert s.smtp == Server("smtp.srv.test", 587, "starttls")  # lower priority wins

    def test_heaviest_weight_among_the_lowest_priority(self, internet: Internet) -> None:
        server, _why = srv.best_server(internet.network(), "weights.test", srv.IMAP_LABELS)
        assert server is not None and server.host == "heavy.weights.test"

    def test_dot_target_means_not_offered(self, internet: Internet) -> None:
        d = discover("i@dot.test", internet.network(), lambda _d: False)
        assert d.settings is None
        assert 'SRV: IMAP not offered (_imaps._tcp, _imap._tcp is ".")' in d.explanation()
        assert "MX: mx.dot.test" in d.explanation()


class TestMx:
    def test_microsoft_365_mx_selects_the_preset_and_oauth2(self, internet: Internet) -> None:
        s = found(discover("j@ms.test", internet.network(), never))
        assert (s.auth, s.provider) == ("oauth2", "microsoft")
        assert s.imap == Server("outlook.office365.com", 993, "tls")
        assert s.smtp == Server("smtp.office365.com", 587, "starttls")
        assert s.source == "MX of ms.test (Microsoft 365)"

    def test_google_mx_lowest_preference(self, internet: Internet) -> None:
        s = found(discover("k@gmail.test", internet.network(), never))
        assert (s.auth, s.provider, s.imap.host) == ("oauth2", "google", "imap.gmail.com")


class TestIspdb:
    def test_not_asked_without_consent(self, internet: Internet) -> None:
        asked: list[str] = []
        d = discover("l@isp.test", internet.network(), lambda dom: asked.append(dom) is not None)
        assert asked == ["isp.test"] and d.settings is None and not d.ispdb_asked
        assert ISPDB not in internet.site.hosts_asked()
        assert ("autoconfig.thunderbird.net", "A") not in internet.dns.queries
        assert "ISPDB: not asked" in d.explanation()

    def test_asked_with_consent(self, internet: Internet) -> None:
        d = discover("m@isp.test", internet.network(), lambda _d: True)
        s = found(d)
        assert d.ispdb_asked and s.source == "ISPDB (isp.test)" and s.imap.host == "imap.isp.test"
        assert (ISPDB, "/v1.1/isp.test") in internet.site.log

    def test_by_the_mx_domain(self, internet: Internet) -> None:
        d = discover("n@hosted.test", internet.network(), lambda _d: True)
        assert found(d).source == "ISPDB (mailhost.test)"
        assert "ISPDB (hosted.test): HTTP 404" in d.explanation()


class TestNothing:
    def test_every_source_is_explained(self, internet: Internet) -> None:
        d = discover("o@nothing.test", internet.network(), lambda _d: False)
        assert d.settings is None
        assert d.explanation() == (
            "autoconfig.nothing.test: no such host; nothing.test/.well-known: no such host; "
            "SRV: IMAP none; MX: no such name; ISPDB: not asked (it would learn the domain)"
        )

    def test_unanswered_dns_is_told_apart_from_no_record(self, internet: Internet) -> None:
        silent = replace(internet.network(), nameserver=("127.0.0.1", 9), dns_timeout=0.3)
        d = discover("o@nothing.test", silent, lambda _d: False)
        assert d.settings is None
        assert "autoconfig.nothing.test: no answer (timeout)" in d.explanation()
        assert "SRV: IMAP no answer (timeout); MX: no answer (timeout)" in d.explanation()

    def test_international_domain_is_asked_in_ascii(self, internet: Internet) -> None:
        d = discover("r@bücher.test", internet.network(), lambda _d: False)
        assert d.steps[0].source == "autoconfig.xn--bcher-kva.test"
        assert ("xn--bcher-kva.test", "MX") in internet.dns.queries

    def test_not_an_address(self, internet: Internet) -> None:
        with pytest.raises(AutoconfigError, match="not an email address"):
            discover("nobody", internet.network(), never)

    def test_reserved_domain_asks_nobody(self, internet: Internet) -> None:
        d = discover("p@host.invalid", internet.network(), never)
        assert d.settings is None and internet.dns.queries == [] and internet.site.log == []
