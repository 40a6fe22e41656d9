"""Verify 1,000 signed messages in-process vs one ``openssl cms -verify`` process per message.

Both sides check the same messages (RSA-2048 and P-256 signers, two-level chains) against the
system CA bundle plus the bench root.  Ours is the whole read path (``inspect_message``: MIME,
CMS, chain, identity), with the trust store built once inside the timed region.
"""

from __future__ import annotations

from bench.common import Record, parser, progress, report, timed
from bench.smime_corpus import (
    make_pki,
    run_quiet,
    signed_messages,
    system_bundle,
    workdir,
    write_all,
)
from smimetui.core.home import Home
from smimetui.core.smime.inspect import InspectContext, inspect_message
from smimetui.core.smime.trust import ChainValidator, TrustStore


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--messages", type=int, default=1000)
    args = p.parse_args()
    bench = make_pki()
    messages = signed_messages(bench, args.messages)
    with workdir() as tmp:
        paths = write_all(tmp, messages)
        bundle = tmp / "bundle.pem"
        bundle.write_bytes(system_bundle().read_bytes() + bench.root.cert_pem)
        home = Home.at(tmp / "home")
        TrustStore(home).add(bench.root.cert_pem)

        def ours() -> None:
            ctx = InspectContext(validator=ChainValidator(TrustStore(home)))
            for raw in messages:
                sig = inspect_message(raw, ctx).signature
                assert sig is not None and sig.is_trustworthy, sig

        def openssl() -> None:
            for path in paths:
                run_quiet(
                    [
                        "openssl",
                        "cms",
                        "-verify",
                        "-in",
                        str(path),
                        "-CAfile",
                        str(bundle),
                        "-out",
                        "/dev/null",
                    ]
                )

        progress(f"verifying {len(messages)} messages in-process ...")
        t_ours = timed(ours)
        progress(f"verifying {len(messages)} messages with one openssl process each ...")
        t_base = timed(openssl)
    record = Record.of("verify", t_ours, t_base, 40, f"seconds for {len(messages)} messages")
    report(
        [record],
        as_json=args.json,
        notes=[
            f"per message: ours {t_ours / len(messages) * 1000:.2f} ms, "
            f"openssl {t_base / len(messages) * 1000:.2f} ms"
        ],
    )


if __name__ == "__main__":
    main()
