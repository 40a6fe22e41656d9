"""Interop with the engines of the clients our users correspond with (issue 11).

Both directions, with the fixture PKI: Alice and Ralph have RSA keys, Bob a P-256 key, all
issued by the fixture intermediate under the fixture root.  "We" are a smimetui home holding
Alice's and Bob's digital IDs and trusting the fixture root; the peers (NSS's cmsutil, Bouncy
Castle's mail API) trust the same root and hold the same keys.  We read their mail with
``smimetui inspect --json``; they read ours as their documentation says they verify and decrypt.
"""

from __future__ import annotations

import pytest

from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.makecerts import Issued

from .ours import OurHome, make_home


@pytest.fixture(scope="session")
def ralph(fixture_pki) -> Issued:  # type: ignore[no-untyped-def]
    """A second RSA correspondent: mail between two RSA users has no ECDH recipient."""
    return pki.make_leaf(fixture_pki.intermediate, "ralph@example.org", common_name="Ralph")


@pytest.fixture(scope="session")
def ours(fixture_pki, ralph: Issued, tmp_path_factory: pytest.TempPathFactory) -> OurHome:  # type: ignore[no-untyped-def]
    ids = [fixture_pki.alice, fixture_pki.bob]
    return make_home(tmp_path_factory.mktemp("ours"), fixture_pki, ids, [*ids, ralph])
