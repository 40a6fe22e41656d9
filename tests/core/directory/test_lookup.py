"""Certificate lookup against a real slapd: each entry case, validation, import, failures."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from smimetui.core.directory.lookup import (
    find_certificates,
    import_found,
    lookup_all,
    lookup_recipients,
    unusable_error,
)
from smimetui.core.directory.servers import Directory, add_directory
from smimetui.core.errors import ContactsError, DirectoryError
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.contacts import Contacts
from smimetui.core.settings.home import Home
from tests.support.ldap import LdapWorld
from tests.support.servers.ports import free_port
from tests.support.servers.slapd import PEOPLE

pytestmark = pytest.mark.slapd


def _sha(issued: pki.Issued) -> str:
    from hashlib import sha256

    return sha256(issued.cert.public_bytes(Encoding.DER)).hexdigest()


class TestFindCertificates:
    def test_valid_certificate_is_usable(
        self, trusted_home: Home, corp: Directory, ldap_world: LdapWorld
    ) -> None:
        (found,) = find_certificates(trusted_home, "alice@example.org")
        assert found.usable and found.problems == ()
        assert found.sha256 == _sha(ldap_world.pki.alice)
        assert found.email == "alice@example.org"
        assert found.source == f"directory {ldap_world.slapd.url}"
        assert found.entry == f"uid=alice,{PEOPLE}"
        assert "Alice Liddell" in found.subject and "Fixture Intermediate CA" in found.issuer
        assert found.not_after == ldap_world.pki.alice.cert.not_valid_after_utc
        assert len(found.chain) == 1  # the intermediate from the userSMIMECertificate bundle

    def test_address_case_does_not_matter(self, trusted_home: Home, corp: Directory) -> None:
        (found,) = find_certificates(trusted_home, "Alice@Example.ORG")
        assert found.usable

    def test_two_certificates_are_both_offered(
        self, trusted_home: Home, corp: Directory, ldap_world: LdapWorld
    ) -> None:
        found = find_certificates(trusted_home, "bob@example.org")
        assert {f.sha256 for f in found} == {_sha(ldap_world.pki.bob), _sha(ldap_world.bob_rsa)}
        assert all(f.usable for f in found)

    def test_expired_certificate_is_not_usable(self, trusted_home: Home, corp: Directory) -> None:
        (found,) = find_certificates(trusted_home, "carol@example.org")
        assert not found.usable
        assert any("expired on" in p for p in found.problems)
        assert not any("signer" in p for p in found.problems)

    def test_rogue_root_is_not_trusted(self, trusted_home: Home, corp: Directory) -> None:
        (found,) = find_certificates(trusted_home, "rogue@example.org")
        assert not found.usable
        assert any("Rogue Root CA" in p for p in found.problems)

    def test_without_the_intermediate_there_is_no_chain(
        self, home: Home, ldap_world: LdapWorld
    ) -> None:
        # The same entry, but nothing trusted: a directory never makes a certificate trusted.
        add_directory(home, ldap_world.directory())
        (found,) = find_certificates(home, "alice@example.org")
        assert not found.usable and found.problems

    def test_wrong_usage_is_not_usable(self, trusted_home: Home, corp: Directory) -> None:
        (found,) = find_certificates(trusted_home, "dave@example.org")
        assert not found.usable
        assert any("emailProtection" in p for p in found.problems)

    def test_certificate_for_another_address(self, trusted_home: Home, corp: Directory) -> None:
        (found,) = find_certificates(trusted_home, "mismatch@example.org")
        assert not found.usable
        assert found.problems == (
            "The certificate is made out to alice@example.org, not to mismatch@example.org.",
        )

    def test_entry_without_certificate(self, trusted_home: Home, corp: Directory) -> None:
        with pytest.raises(DirectoryError, match="holds no certificate"):
            find_certificates(trusted_home, "nocert@example.org")

    def test_no_entry(self, trusted_home: Home, corp: Directory) -> None:
        with pytest.raises(DirectoryError, match="No directory entry for zed@example.org"):
            find_certificates(trusted_home, "zed@example.org")

    @pytest.mark.parametrize(
        "hostile",
        ["*@example.org", "alice@example.org)(mail=*", "*)(uid=*@x", "alice@example.org)(|(cn=*"],
    )
    def test_hostile_addresses_match_nothing(
        self, trusted_home: Home, corp: Directory, hostile: str
    ) -> None:
        with pytest.raises(DirectoryError, match="No directory entry"):
            find_certificates(trusted_home, hostile)

    def test_not_an_address(self, trusted_home: Home, corp: Directory) -> None:
        with pytest.raises(DirectoryError, match="is not an e-mail address"):
            find_certificates(trusted_home, "*")

    def test_no_directory_configured(self, trusted_home: Home) -> None:
        with pytest.raises(DirectoryError, match="No certificate directory is set up"):
            find_certificates(trusted_home, "alice@example.org")

    def test_unknown_directory_name(self, trusted_home: Home, corp: Directory) -> None:
        with pytest.raises(DirectoryError, match="no directory named 'other'"):
            find_certificates(trusted_home, "alice@example.org", directory="other")

    def test_only_unusable_certificates_in_words(self, trusted_home: Home, corp: Directory) -> None:
        found = find_certificates(trusted_home, "carol@example.org")
        err = unusable_error("carol@example.org", found)
        assert "only expired or untrusted certificates for carol@example.org" in str(err)
        assert "expired on" in str(err)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


class TestFailures:
    def test_unreachable_server(self, trusted_home: Home, ldap_world: LdapWorld) -> None:
        add_directory(trusted_home, ldap_world.directory(url=f"ldap://127.0.0.1:{free_port()}"))
        with pytest.raises(DirectoryError, match="cannot be reached") as err:
            find_certificates(trusted_home, "alice@example.org")
        assert err.value.title == "Directory unreachable"
        assert "\n" not in str(err.value)

    def test_timeout(self, trusted_home: Home, ldap_world: LdapWorld, silent_port: int) -> None:
        add_directory(
            trusted_home,
            ldap_world.directory(url=f"ldap://127.0.0.1:{silent_port}", timeout=1.0),
        )
        started = time.monotonic()
        with pytest.raises(DirectoryError, match="did not answer within 1 seconds") as err:
            find_certificates(trusted_home, "alice@example.org")
        assert time.monotonic() - started < 30
        assert err.value.title == "Directory timed out"

    def test_bad_credentials(self, trusted_home: Home, ldap_world: LdapWorld) -> None:
        add_directory(
            trusted_home,
            ldap_world.directory(
                bind_dn=ldap_world.people["alice"].dn, password_command="echo wrong"
            ),
        )
        with pytest.raises(DirectoryError, match="rejected the login as uid=alice") as err:
            find_certificates(trusted_home, "bob@example.org")
        assert err.value.title == "Directory login failed"

    def test_good_credentials(self, trusted_home: Home, ldap_world: LdapWorld) -> None:
        add_directory(
            trusted_home,
            ldap_world.directory(
                bind_dn=ldap_world.people["alice"].dn, password_command="echo alice-secret"
            ),
        )
        assert all(f.usable for f in find_certificates(trusted_home, "bob@example.org"))

    def test_wrong_base_dn_is_no_entry(self, trusted_home: Home, ldap_world: LdapWorld) -> None:
        add_directory(trusted_home, ldap_world.directory(base_dn="ou=nobody,dc=example,dc=org"))
        with pytest.raises(DirectoryError, match="No directory entry"):
            find_certificates(trusted_home, "alice@example.org")

    def test_ldaps_to_a_plain_port_is_a_tls_failure(
        self, trusted_home: Home, ldap_world: LdapWorld
    ) -> None:
        add_directory(
            trusted_home,
            ldap_world.directory(url=f"ldaps://127.0.0.1:{ldap_world.slapd.port}"),
        )
        with pytest.raises(DirectoryError) as err:
            find_certificates(trusted_home, "alice@example.org")
        assert err.value.title == "Directory TLS failed"
        assert "_ssl.c" not in str(err.value) and "('" not in str(err.value)


class TestLookupRecipients:
    def test_per_address_usable_first(self, trusted_home: Home, corp: Directory) -> None:
        result = lookup_recipients(
            trusted_home, ["alice@example.org", "carol@example.org", "zed@example.org"]
        )
        assert [f.usable for f in result["alice@example.org"]] == [True]
        assert [f.usable for f in result["carol@example.org"]] == [False]
        assert result["zed@example.org"] == []

    def test_no_directories_means_nothing_found(self, trusted_home: Home) -> None:
        assert lookup_recipients(trusted_home, ["alice@example.org"]) == {"alice@example.org": []}

    def test_a_failing_directory_is_skipped_while_another_answers(
        self, trusted_home: Home, corp: Directory, ldap_world: LdapWorld
    ) -> None:
        down = replace(corp, name="down", url=f"ldap://127.0.0.1:{free_port()}")
        add_directory(trusted_home, down)
        result = lookup_all(trusted_home, ["alice@example.org"])
        assert len(result.errors) == 1 and result.asked == 1
        assert lookup_recipients(trusted_home, ["alice@example.org"])["alice@example.org"]

    def test_all_directories_failing_raises(
        self, trusted_home: Home, ldap_world: LdapWorld
    ) -> None:
        add_directory(trusted_home, ldap_world.directory(url=f"ldap://127.0.0.1:{free_port()}"))
        with pytest.raises(DirectoryError, match="cannot be reached"):
            lookup_recipients(trusted_home, ["alice@example.org"])

    def test_runs_in_a_worker_thread(self, trusted_home: Home, corp: Directory) -> None:
        out: dict[str, object] = {}
        worker = threading.Thread(
            target=lambda: out.update(lookup_recipients(trusted_home, ["bob@example.org"]))
        )
        worker.start()
        worker.join(30)
        assert len(out["bob@example.org"]) == 2  # type: ignore[arg-type]


class TestImport:
    def test_usable_ones_are_stored_with_the_directory_source(
        self, trusted_home: Home, corp: Directory, ldap_world: LdapWorld
    ) -> None:
        found = find_certificates(trusted_home, "alice@example.org")
        assert import_found(trusted_home, found) == []
        info = Contacts(trusted_home).address("alice@example.org")
        assert info is not None
        (stored,) = info.certificates
        assert stored.sha256 == _sha(ldap_world.pki.alice)
        assert stored.source == f"directory {ldap_world.slapd.url}"
        assert not stored.accepted  # trusted through its chain, not by a user's say-so
        assert Contacts(trusted_home).contact("alice@example.org").name == "Alice Liddell"  # type: ignore[union-attr]
        assert len(Contacts(trusted_home).intermediates()) == 1

    def test_imported_certificates_can_be_encrypted_to(
        self, trusted_home: Home, corp: Directory
    ) -> None:
        from smimetui.core.pki.trust import ChainValidator, TrustStore
        from smimetui.core.write.recipients import choose_recipients

        import_found(trusted_home, find_certificates(trusted_home, "alice@example.org"))
        validator = ChainValidator(TrustStore(trusted_home))
        (recipient,) = choose_recipients(
            ["alice@example.org"], Contacts(trusted_home), validator=validator
        )
        assert recipient.label == "alice@example.org"

    def test_unusable_ones_are_never_stored(self, trusted_home: Home, corp: Directory) -> None:
        with pytest.raises(ContactsError, match="nothing was imported"):
            import_found(trusted_home, find_certificates(trusted_home, "carol@example.org"))
        assert Contacts(trusted_home).address("carol@example.org") is None

    def test_a_changed_certificate_waits_for_confirmation(
        self, trusted_home: Home, corp: Directory, ldap_world: LdapWorld
    ) -> None:
        book = Contacts(trusted_home)
        book.add_certificate(ldap_world.pki.rogue_alice.cert, source="file", accepted=True)
        changes = import_found(trusted_home, find_certificates(trusted_home, "alice@example.org"))
        assert [c.address for c in changes] == ["alice@example.org"]
        assert changes[0].new_issuer

    def test_two_certificates_for_a_new_address_are_both_stored(
        self, trusted_home: Home, corp: Directory
    ) -> None:
        found = find_certificates(trusted_home, "bob@example.org")
        assert import_found(trusted_home, found) == []
        info = Contacts(trusted_home).address("bob@example.org")
        assert info is not None and len(info.certificates) == 2
        assert not any(c.pending or c.accepted for c in info.certificates)


class TestTls:
    def test_ldaps_with_the_private_ca(self, trusted_home: Home, ldap_world: LdapWorld) -> None:
        server = ldap_world.slapd
        add_directory(
            trusted_home, ldap_world.directory(url=server.ldaps_url, ca_file=str(server.ca_file))
        )
        (found,) = find_certificates(trusted_home, "alice@example.org")
        assert found.usable and found.source == f"directory {server.ldaps_url}"

    def test_starttls_with_the_private_ca(self, trusted_home: Home, ldap_world: LdapWorld) -> None:
        server = ldap_world.slapd
        add_directory(
            trusted_home, ldap_world.directory(starttls=True, ca_file=str(server.ca_file))
        )
        assert find_certificates(trusted_home, "alice@example.org")[0].usable

    @pytest.mark.parametrize("mode", ["ldaps", "starttls"])
    def test_unverified_server_certificate(
        self, trusted_home: Home, ldap_world: LdapWorld, mode: str
    ) -> None:
        server = ldap_world.slapd
        settings = {"url": server.ldaps_url} if mode == "ldaps" else {"starttls": True}
        add_directory(trusted_home, ldap_world.directory(**settings))  # type: ignore[arg-type]
        with pytest.raises(DirectoryError, match="certificate verify failed") as err:
            find_certificates(trusted_home, "alice@example.org")
        assert err.value.title == "Directory TLS failed"

    def test_certificate_for_another_host(self, trusted_home: Home, ldap_world: LdapWorld) -> None:
        server = ldap_world.slapd
        add_directory(
            trusted_home,
            ldap_world.directory(
                url=f"ldaps://localhost:{server.tls_port}", ca_file=str(server.ca_file)
            ),
        )
        with pytest.raises(DirectoryError, match="not made out to localhost") as err:
            find_certificates(trusted_home, "alice@example.org")
        assert "{" not in str(err.value)
