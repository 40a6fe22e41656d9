"""Generated S/MIME corpora for the read-path benchmarks (seeded, two-level chains)."""

from __future__ import annotations

import random
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from smimetui.core.pki import makecerts as pki

WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
]


@dataclass(frozen=True)
class BenchPKI:
    root: pki.Issued
    intermediate: pki.Issued
    signers: tuple[pki.Issued, ...]  # RSA-2048 and P-256


def make_pki() -> BenchPKI:
    root = pki.make_ca("Bench Root CA")
    inter = pki.make_ca("Bench Intermediate CA", issuer=root)
    rsa_user = pki.make_leaf(inter, "rsa.user@bench.example", key_kind="rsa2048")
    ec_user = pki.make_leaf(inter, "ec.user@bench.example", key_kind="p256")
    return BenchPKI(root, inter, (rsa_user, ec_user))


def body(rng: random.Random, n: int) -> bytes:
    text = " ".join(rng.choice(WORDS) for _ in range(60 + n % 40))
    return f"Content-Type: text/plain; charset=utf-8\r\n\r\nMessage {n}: {text}\r\n".encode()


def signed_messages(bench: BenchPKI, count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        signer = bench.signers[n % len(bench.signers)]
        addr = signer.cert.subject.rfc4514_string().split("=", 1)[1]
        smime = (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(body(rng, n))
            .add_signer(signer.cert, signer.key, hashes.SHA256())
            .add_certificate(bench.intermediate.cert)
            .sign(Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
        )
        head = f"From: {addr}\r\nTo: reader@bench.example\r\nSubject: bench {n}\r\n".encode()
        out.append(head + smime)
    return out


def system_bundle() -> Path:
    for candidate in ("/etc/ssl/certs/ca-certificates.crt", ssl.get_default_verify_paths().cafile):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise SystemExit("no system CA bundle found")


@contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="smimetui-bench-") as tmp:
        yield Path(tmp)


def write_all(directory: Path, messages: list[bytes]) -> list[Path]:
    paths = []
    for n, raw in enumerate(messages):
        path = directory / f"{n:05d}.eml"
        path.write_bytes(raw)
        paths.append(path)
    return paths


def run_quiet(args: list[str]) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
