"""Sign and encrypt 1,000 messages to 3 recipients (and yourself): in-process vs openssl cms.

Ours is the whole write path (``compose``: 7-bit canonical MIME, header protection, SignedData
with RFC 8551 attributes, EnvelopedData AES-256-CBC to RSA and EC recipients plus yourself).
The signers alternate RSA-2048 and P-256 (the bench corpus of ``bench/verify.py``); the
recipients are RSA-2048, P-256 and RSA-2048.  The baseline runs, per message, ``openssl cms
-sign`` and then ``openssl cms -encrypt`` on its output (two processes one after the other, no
shell; ours is single-threaded too) on the same messages with the same keys and recipients.
One output of each side is decrypted with openssl afterwards, outside the timed region.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.common import Record, parser, progress, report, timed
from smimetui.core.cms.encrypt import Recipient
from smimetui.core.cms.sign import SigningKey
from smimetui.core.pki import makecerts as pki
from smimetui.core.write.sign_encrypt import ComposeOptions, compose
from tests.support.smime_corpus import body, make_pki, workdir


@dataclass(frozen=True)
class Sender:
    address: str
    signer: SigningKey
    recipients: tuple[Recipient, ...]  # the three correspondents and yourself
    sign_cmd: tuple[str, ...]
    recipient_files: tuple[str, ...]


def draft(sender: str, rng: random.Random, n: int) -> bytes:
    head = (
        f"From: {sender}\r\nTo: r1@bench.example, r2@bench.example\r\n"
        f"Cc: r3@bench.example\r\nSubject: bench {n}\r\nDate: Mon, 02 Feb 2026 10:00:00 +0000\r\n"
        f"Message-ID: <bench-{n}@bench.example>\r\n"
    )
    return head.encode() + body(rng, n)


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def senders(tmp: Path, bench, recips: list[pki.Issued]) -> list[Sender]:  # type: ignore[no-untyped-def]
    inter = _write(tmp / "inter.pem", bench.intermediate.cert_pem)
    others = [_write(tmp / f"r{i + 1}.pem", r.cert_pem) for i, r in enumerate(recips)]
    out = []
    for n, issued in enumerate(bench.signers):
        address = issued.cert.subject.rfc4514_string().split("=", 1)[1]
        cert = _write(tmp / f"signer{n}.pem", issued.cert_pem)
        key = _write(tmp / f"signer{n}.key", issued.key_pem())
        recipients = [Recipient(f"r{i + 1}@bench.example", r.cert) for i, r in enumerate(recips)]
        recipients.append(Recipient("yourself", issued.cert, is_self=True))
        out.append(
            Sender(
                address=address,
                signer=SigningKey(issued.cert, issued.key, (bench.intermediate.cert,)),
                recipients=tuple(recipients),
                sign_cmd=(
                    "openssl",
                    "cms",
                    "-sign",
                    "-md",
                    "sha256",
                    "-signer",
                    cert,
                    "-inkey",
                    key,
                    "-certfile",
                    inter,
                ),  # fmt: skip
                recipient_files=(*others, cert),
            )
        )
    return out


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--messages", type=int, default=1000)
    args = p.parse_args()
    bench = make_pki()
    recips = [
        pki.make_leaf(bench.intermediate, "r1@bench.example", key_kind="rsa2048"),
        pki.make_leaf(bench.intermediate, "r2@bench.example", key_kind="p256"),
        pki.make_leaf(bench.intermediate, "r3@bench.example", key_kind="rsa2048"),
    ]
    options = ComposeOptions(sign=True, encrypt=True)
    rng = random.Random(11)
    with workdir() as tmp:
        people = senders(tmp, bench, recips)
        jobs = []
        for n in range(args.messages):
            who = people[n % len(people)]
            raw = draft(who.address, rng, n)
            jobs.append((who, raw, _write(tmp / f"{n:05d}.eml", raw)))
        outputs: list[bytes] = []

        def ours() -> None:
            outputs.clear()
            for who, raw, _ in jobs:
                result = compose(raw, signer=who.signer, recipients=who.recipients, options=options)
                outputs.append(result.data)

        def openssl() -> None:
            signed = str(tmp / "signed.tmp")
            for who, _, path in jobs:
                subprocess.run(
                    [*who.sign_cmd, "-in", path, "-out", signed],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=True,
                )
                subprocess.run(
                    [
                        "openssl",
                        "cms",
                        "-encrypt",
                        "-aes256",
                        "-in",
                        signed,
                        "-out",
                        path + ".out",
                        *who.recipient_files,
                    ],  # fmt: skip
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=True,
                )

        progress(f"signing and encrypting {len(jobs)} messages in-process ...")
        t_ours = timed(ours)
        progress(f"signing and encrypting {len(jobs)} messages with openssl (2 processes each) ...")
        t_base = timed(openssl)
        # Both outputs must be real: the EC recipient decrypts the first of each.
        key = _write(tmp / "r2.key", recips[1].key_pem())
        for sample in (outputs[0], Path(jobs[0][2] + ".out").read_bytes()):
            subprocess.run(
                ["openssl", "cms", "-decrypt", "-recip", str(tmp / "r2.pem"), "-inkey", key],
                input=sample,
                check=True,
                capture_output=True,
            )
    record = Record.of(
        "sign_encrypt", t_ours, t_base, 10, f"seconds for {len(jobs)} messages, 3 recipients"
    )
    report(
        [record],
        as_json=args.json,
        notes=[
            f"per message: ours {t_ours / len(jobs) * 1000:.2f} ms, "
            f"openssl {t_base / len(jobs) * 1000:.2f} ms (sign, then encrypt)"
        ],
    )


if __name__ == "__main__":
    main()
