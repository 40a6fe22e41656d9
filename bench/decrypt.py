"""Decrypt 1,000 messages in-process vs one ``openssl cms -decrypt`` process per message.

Half the messages are AES-256-CBC to an RSA-2048 recipient, half AES-256-GCM to a P-256 recipient
(ECDH).  Ours is the whole read path (``inspect_message``) with the keys already unlocked, as in
the TUI after the passphrase prompt.  The messages are made by openssl (not timed).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Record, parser, progress, report, timed
from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.read.report import EncryptionStatus
from smimetui.core.settings.home import Home
from tests.support.smime_corpus import body, make_pki, run_quiet, workdir


def _encrypt(tmp: Path, n: int, recipient: Path, cipher: str) -> Path:
    import random

    plain = tmp / f"{n:05d}.txt"
    plain.write_bytes(body(random.Random(n), n))
    out = tmp / f"{n:05d}.eml"
    run_quiet(
        [
            "openssl",
            "cms",
            "-encrypt",
            cipher,
            "-in",
            str(plain),
            "-out",
            str(out),
            "-from",
            "sender@bench.example",
            "-subject",
            f"bench {n}",
            str(recipient),
        ]
    )
    return out


def _rsa_private_op_seconds(key: object, rounds: int = 200) -> float:
    """Seconds per RSA PKCS#1 v1.5 decryption with the bench key: the floor of the RSA row."""
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    assert isinstance(key, rsa.RSAPrivateKey)
    blob = key.public_key().encrypt(b"k" * 32, padding.PKCS1v15())
    return timed(lambda: [key.decrypt(blob, padding.PKCS1v15()) for _ in range(rounds)]) / rounds


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--messages", type=int, default=1000)
    args = p.parse_args()
    bench = make_pki()
    with workdir() as tmp:
        files = []
        for i, signer in enumerate(bench.signers):
            (tmp / f"r{i}.pem").write_bytes(signer.cert_pem)
            (tmp / f"r{i}.key").write_bytes(signer.key_pem())
            files.append((tmp / f"r{i}.pem", tmp / f"r{i}.key"))
        ciphers = ["-aes-256-cbc", "-aes-256-gcm"]
        progress(f"making {args.messages} encrypted messages with openssl ...")
        with ThreadPoolExecutor(max_workers=2) as pool:
            paths = list(
                pool.map(
                    lambda n: _encrypt(tmp, n, files[n % 2][0], ciphers[n % 2]),
                    range(args.messages),
                )
            )
        messages = [path.read_bytes() for path in paths]
        home = Home.at(tmp / "home")
        keys = [StaticKeyCandidate(s.cert, s.key) for s in bench.signers]

        def ours(subset: list[bytes]) -> None:
            ctx = InspectContext(validator=ChainValidator(TrustStore(home)), keys=keys)
            for raw in subset:
                enc = inspect_message(raw, ctx).encryption
                assert enc is not None and enc.status is EncryptionStatus.DECRYPTED, enc

        def openssl(indices: range) -> None:
            for n in indices:
                cert, key = files[n % 2]
                run_quiet(
                    [
                        "openssl",
                        "cms",
                        "-decrypt",
                        "-in",
                        str(paths[n]),
                        "-recip",
                        str(cert),
                        "-inkey",
                        str(key),
                        "-out",
                        "/dev/null",
                    ]
                )

        count = len(messages)
        progress(f"decrypting {count} messages in-process ...")
        t_ours = [timed(lambda k=k: ours(messages[k::2])) for k in (0, 1)]
        progress(f"decrypting {count} messages with one openssl process each ...")
        t_base = [timed(lambda k=k: openssl(range(k, count, 2))) for k in (0, 1)]
        rsa_op = _rsa_private_op_seconds(bench.signers[0].key)
    unit = f"seconds for {count} messages"
    n_rsa = count // 2 + count % 2
    records = [
        Record.of("decrypt", sum(t_ours), sum(t_base), 12, unit),
        Record.of(
            "decrypt_rsa2048_cbc",
            t_ours[0],
            t_base[0],
            12,
            f"seconds, {n_rsa} messages",
        ),
        Record.of("decrypt_p256_gcm", t_ours[1], t_base[1], 12, f"seconds, {count // 2} messages"),
    ]
    notes = [
        f"per message: ours {sum(t_ours) / count * 1000:.2f} ms, "
        f"openssl {sum(t_base) / count * 1000:.2f} ms",
        f"RSA-2048 decryption is one private-key operation, {rsa_op * 1000:.2f} ms in this run "
        "on our side (openssl does the same one): the RSA row cannot exceed "
        f"{t_base[0] / n_rsa / rsa_op:.1f}x and the whole not "
        f"{sum(t_base) / (n_rsa * rsa_op):.1f}x, however fast the rest is.",
    ]
    report(records, as_json=args.json, notes=notes)


if __name__ == "__main__":
    main()
