"""Publishing your own certificate to a real slapd, and refusing clearly when it cannot be done."""

from __future__ import annotations

from hashlib import sha256

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from smimetui.core.directory.lookup import Assessor, lookup_in
from smimetui.core.directory.publish import publish
from smimetui.core.directory.servers import Directory
from smimetui.core.errors import DirectoryError
from smimetui.core.settings.home import Home
from tests.support.ldap import LdapWorld

pytestmark = pytest.mark.slapd


def _as(world: LdapWorld, uid: str, password: str) -> Directory:
    return world.directory(bind_dn=world.people[uid].dn, password_command=f"echo {password}")


class TestPublish:
    def test_replaces_the_certificate_on_your_own_entry(
        self, trusted_home: Home, ldap_world: LdapWorld
    ) -> None:
        der = ldap_world.pub.cert.public_bytes(Encoding.DER)
        done = publish(_as(ldap_world, "pub", "pub-secret"), der, "pub@example.org")
        assert done.entry == ldap_world.people["pub"].dn
        # Anyone can now find it (anonymously), and it validates.
        found, _ = lookup_in(
            ldap_world.directory(), ["pub@example.org"], Assessor.for_home(trusted_home)
        )
        (item,) = found["pub@example.org"]
        assert item.sha256 == sha256(der).hexdigest()
        assert item.problems == ("The certificate chain is incomplete: the certificate of the "
                                 "issuer (Fixture Intermediate CA) is neither in the directory "
                                 "entry nor known here, so the certificate cannot be traced to a "
                                 "trusted root.",)  # fmt: skip
        # Publishing again replaces, never adds.
        again = publish(_as(ldap_world, "pub", "pub-secret"), der, "pub@example.org")
        assert again.replaced == 1
        found, _ = lookup_in(
            ldap_world.directory(), ["pub@example.org"], Assessor.for_home(trusted_home)
        )
        assert len(found["pub@example.org"]) == 1

    def test_needs_a_bind(self, ldap_world: LdapWorld) -> None:
        der = ldap_world.pub.cert.public_bytes(Encoding.DER)
        with pytest.raises(DirectoryError, match="needs a login; add it again with --bind-dn"):
            publish(ldap_world.directory(), der, "pub@example.org")

    def test_wrong_password(self, ldap_world: LdapWorld) -> None:
        der = ldap_world.pub.cert.public_bytes(Encoding.DER)
        with pytest.raises(DirectoryError, match="wrong bind DN or password"):
            publish(_as(ldap_world, "pub", "not-it"), der, "pub@example.org")

    def test_someone_elses_entry_is_refused(self, ldap_world: LdapWorld) -> None:
        der = ldap_world.pub.cert.public_bytes(Encoding.DER)
        with pytest.raises(DirectoryError, match="does not let uid=alice") as err:
            publish(_as(ldap_world, "alice", "alice-secret"), der, "pub@example.org")
        assert err.value.title == "Publishing refused"

    def test_no_entry(self, ldap_world: LdapWorld) -> None:
        der = ldap_world.pub.cert.public_bytes(Encoding.DER)
        with pytest.raises(DirectoryError, match="no entry for ghost@example.org"):
            publish(_as(ldap_world, "pub", "pub-secret"), der, "ghost@example.org")

    def test_two_entries_are_never_guessed(self, ldap_world: LdapWorld) -> None:
        der = ldap_world.pub.cert.public_bytes(Encoding.DER)
        with pytest.raises(DirectoryError, match="has 2 entries for twin@example.org"):
            publish(_as(ldap_world, "twin1", "twin-secret"), der, "twin@example.org")

    def test_the_password_can_be_given(self, ldap_world: LdapWorld) -> None:
        directory = ldap_world.directory(bind_dn=ldap_world.people["pub"].dn)
        der = ldap_world.pub.cert.public_bytes(Encoding.DER)
        assert publish(directory, der, "pub@example.org", ask=lambda d: "pub-secret").entry
