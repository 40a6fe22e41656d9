"""Verify 1,000 signed messages in-process vs one ``openssl cms -verify`` process per message.

Both sides check the same messages (RSA-2048 and P-256 signers, two-level chains) against the
system CA bundle plus the bench root.  Ours is the whole read path (``inspect_message``: MIME,
CMS, chain, identity), with the trust store built once inside the timed region.
"""

from __future__ import annotations

from pathlib import Path

from bench.common import Record, parser, progress, report, timed
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.settings.home import Home
from tests.support.smime_corpus import (
    make_pki,
    run_quiet,
    signed_messages,
    system_bundle,
    workdir,
    write_all,
)


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

        ctx: list[InspectContext] = []

        def setup() -> None:
            validator = ChainValidator(TrustStore(home))
            validator.trust.anchor_set()  # reads and indexes the system bundle + bench root
            ctx.append(InspectContext(validator=validator))

        def ours(subset: list[bytes]) -> None:
            for raw in subset:
                sig = inspect_message(raw, ctx[0]).signature
                assert sig is not None and sig.is_trustworthy, sig

        def openssl(subset: list[Path]) -> None:
            for path in subset:
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

        # Even messages are signed with RSA-2048, odd ones with P-256 (see signed_messages).
        count = len(messages)
        progress(f"verifying {count} messages in-process ...")
        t_setup = timed(setup)
        t_ours = [timed(lambda k=k: ours(messages[k::2])) for k in (0, 1)]
        progress(f"verifying {count} messages with one openssl process each ...")
        t_base = [timed(lambda k=k: openssl(paths[k::2])) for k in (0, 1)]
    unit = f"seconds for {count} messages"
    halves = ((count + 1) // 2, count // 2)
    records = [
        Record.of("verify", t_setup + sum(t_ours), sum(t_base), 40, unit),
        Record.of("verify_rsa2048", t_ours[0], t_base[0], 40, f"seconds, {halves[0]} messages"),
        Record.of("verify_p256", t_ours[1], t_base[1], 40, f"seconds, {halves[1]} messages"),
    ]
    report(
        records,
        as_json=args.json,
        notes=[
            f"per message: ours {(t_setup + sum(t_ours)) / count * 1000:.2f} ms, "
            f"openssl {sum(t_base) / count * 1000:.2f} ms",
            f"ours includes reading the trust anchors once ({t_setup * 1000:.0f} ms: system "
            "bundle + bench root); the per-key rows do not.",
        ],
    )


if __name__ == "__main__":
    main()
