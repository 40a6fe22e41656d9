"""Hypothesis fuzzing of the public core API: MIME trees, CMS DER and certificates.

Bounded for CI (a few hundred examples, well under 30 s); ``python -m bench.fuzz --seconds N``
runs the same generators for as long as wanted.  Only SmimeTuiError may come out of
inspect_message, parse_message, verify_signed_data, describe/decrypt_envelope and
CertInfo.from_der; anything else is a crash (a traceback in front of a user).
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import crafted as mail
from tests.support.fuzzgen import (
    BYTE_OPS,
    CONTENT_TYPES,
    DER_OPS,
    MULTIPARTS,
    Seeds,
    build_seeds,
    mutate_bytes,
    mutate_der,
    run_one,
    targets,
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@functools.cache
def _seeds() -> Seeds:
    return build_seeds()


@functools.cache
def _targets() -> dict[str, Any]:
    return targets(_seeds())


def ops(kinds: tuple[str, ...]) -> st.SearchStrategy[list[tuple[str, float, int, bytes]]]:
    return st.lists(
        st.tuples(
            st.sampled_from(kinds),
            st.floats(0, 1, exclude_max=True),
            st.integers(0, 0xFFFF),
            st.binary(min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=4,
    )


# A MIME tree is drawn as data and rendered with the seeds: ("leaf", ctype, encoding, payload)
# where payload is raw bytes or ("cms", index, ops); ("multi", subtype, boundary, children, closed)
_leaf = st.tuples(
    st.just("leaf"),
    st.sampled_from(CONTENT_TYPES),
    st.sampled_from(["", "base64", "quoted-printable", "8bit", "x-bogus"]),
    st.one_of(st.binary(max_size=120), st.tuples(st.just("cms"), st.integers(0, 3), ops(DER_OPS))),
)
_trees = st.recursive(
    _leaf,
    lambda children: st.tuples(
        st.just("multi"),
        st.sampled_from(MULTIPARTS),
        st.sampled_from(["b", "=_q", "", "x y", "b" * 75]),
        st.lists(children, max_size=3),
        st.booleans(),
    ),
    max_leaves=8,
)


def _render(tree: tuple[Any, ...]) -> bytes:
    if tree[0] == "multi":
        _, subtype, boundary, children, closed = tree
        parts = b"".join(f"--{boundary}\r\n".encode() + _render(c) + b"\r\n" for c in children)
        end = f"--{boundary}--\r\n".encode() if closed else b""
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
        return head + parts + end
    _, ctype, encoding, payload = tree
    if isinstance(payload, tuple):
        payload = mutate_der(_seeds().cms[payload[1]], payload[2])
    if encoding == "base64":
        payload = mail.b64(payload)
    head = f"Content-Type: {ctype}\r\n"
    if encoding:
        head += f"Content-Transfer-Encoding: {encoding}\r\n"
    return head.encode() + b"\r\n" + payload


def _no_crash(name: str, data: bytes) -> None:
    exc = run_one(_targets()[name], data)
    assert exc is None, f"{name} raised {type(exc).__name__}: {exc}"


@FUZZ
@given(tree=_trees, sender=st.sampled_from(["a@b.c", "", "x <a@b.c>, y@z.d", "\x1b <a@b.c>"]))
def test_fuzz_mime_trees(tree: tuple[Any, ...], sender: str) -> None:
    raw = mail.message(_render(tree), [f"From: {sender}", "Subject: fuzz"])
    _no_crash("parse_message", raw)
    _no_crash("inspect_message", raw)


@FUZZ
@given(index=st.integers(0, 4), edits=ops(BYTE_OPS))
def test_fuzz_mutated_mail(index: int, edits: list[tuple[str, float, int, bytes]]) -> None:
    _no_crash("inspect_message", mutate_bytes(_seeds().mails[index], edits))


@FUZZ
@given(index=st.integers(0, 3), edits=ops(DER_OPS))
def test_fuzz_cms_der(index: int, edits: list[tuple[str, float, int, bytes]]) -> None:
    der = mutate_der(_seeds().cms[index], edits)
    for name in ("verify_signed_data", "describe_envelope", "decrypt_envelope"):
        _no_crash(name, der)


@FUZZ
@given(index=st.integers(0, 3), edits=ops(DER_OPS))
def test_fuzz_certificates(index: int, edits: list[tuple[str, float, int, bytes]]) -> None:
    seeds = _seeds()
    cert = mutate_der(seeds.certs[index], edits)
    _no_crash("CertInfo.from_der", cert)
    # the same damaged certificate carried in an otherwise valid signature
    signed = seeds.cms[0]
    if seeds.certs[2] in signed:
        _no_crash("verify_signed_data", signed.replace(seeds.certs[2], cert, 1))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=3000))
def test_fuzz_random_bytes_everywhere(data: bytes) -> None:
    for name in _targets():
        _no_crash(name, data)
