"""The read path: from the original bytes of a message to a :class:`SecurityReport`.

Security layers are peeled only at the root of the message: a ``multipart/signed`` or an
``application/pkcs7-mime`` that *is* the message (or is what the previous layer unwrapped to).
Such a signature covers the whole displayed message.  A signed part deeper inside is a partial
signature; an encrypted part deeper inside is never decrypted automatically (EFAIL).  Every
string in the report is sanitised.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.cms.signeddata import load_signed_data
from smimetui.core.errors import (
    CmsError,
    DecryptionError,
    InputError,
    KeyUnlockError,
    MimeError,
    NoKeyError,
    ResourceLimitError,
    SmimeTuiError,
)
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read import protected
from smimetui.core.read.bodytext import BodyCollector
from smimetui.core.read.mimewalk import (
    Entity,
    canonical_crlf,
    header_str,
    parse_entity,
    parse_message,
)
from smimetui.core.read.report import (
    Coverage,
    EncryptionReport,
    EncryptionStatus,
    SecurityReport,
    SignatureReport,
    SignatureVerdict,
)
from smimetui.core.read.senders import message_problems, reply_to_mismatch, with_sender_problem
from smimetui.core.read.sigreport import _error, evaluate_signature
from smimetui.core.read.smimekind import bare_cms_message, label_note, smime_kind, sniff
from smimetui.core.sanitize import clean_line
from smimetui.core.settings.home import Home

if TYPE_CHECKING:
    from cryptography import x509

    from smimetui.core.cms.envelope import KeyCandidate
    from smimetui.core.cms.envelope_values import EnvelopeInfo

MAX_LAYERS = 6
_ID_DATA = "1.2.840.113549.1.7.1"
_ID_COMPRESSED = "1.2.840.113549.1.9.16.1.9"
_COMPRESSED_PROBLEM = (
    "This message uses compressed S/MIME, which smimetui does not open "
    "(compressed data could be a decompression bomb)."
)
# What asn1crypto raises when damage deep in a structure surfaces during lazy parsing.
_DAMAGE = (ValueError, TypeError, KeyError, IndexError, OverflowError)


@dataclass(slots=True)
class InspectContext:
    """What the read path needs besides the message: trust, keys, and the moment of validation."""

    validator: ChainValidator
    keys: Sequence[KeyCandidate] = ()
    moment: datetime | None = None  # validate chains as of this time (forensics); None = now
    extra_certs: Sequence[asn1_x509.Certificate] = ()  # e.g. certificates from contacts
    # Delivery path and authentication results (read when ``transport`` is on): the account's
    # receiving server's authserv-id and host names (``transport.receiving_hosts``).
    transport: bool = True
    authserv_id: str = ""
    receiving_hosts: tuple[str, ...] = ()

    @classmethod
    def from_home(
        cls,
        home: Home,
        *,
        keys: Sequence[KeyCandidate] = (),
        moment: datetime | None = None,
        fetch_revocation: bool | None = None,
    ) -> InspectContext:
        """Trust store, contacts' certificates and settings of ``home``.

        ``fetch_revocation=None`` follows ``[security] fetch_revocation`` in the config (off
        unless the user turned it on: checking revocation contacts CAs over the network).
        """
        if fetch_revocation is None:
            fetch_revocation = _config_fetch_revocation(home)
        validator = ChainValidator(TrustStore(home), fetch_revocation=fetch_revocation)
        known = _known_certs(home) + _own_certs(home)
        return cls(validator=validator, keys=keys, moment=moment, extra_certs=known)


def _config_fetch_revocation(home: Home) -> bool:
    # lazy: only this step of reading needs it (startup stays light)
    from smimetui.core.settings.config import load_config

    security = load_config(home).get("security", {})
    return isinstance(security, dict) and security.get("fetch_revocation") is True


def _known_certs(home: Home) -> list[asn1_x509.Certificate]:
    """Contacts' certificates and stored intermediates: they find a signer whose mail carried
    no certificate and complete chains.  They are never trust anchors."""
    if not home.contacts_db.exists():
        return []

    # lazy: only this step of reading needs it (startup stays light)
    from smimetui.core.pki.contacts import Contacts

    contacts = Contacts(home)
    ders = [cert.public_bytes(Encoding.DER) for cert in contacts.intermediates()]
    for contact in contacts.list():
        for info in contact.addresses:
            ders.extend(c.der for c in info.certificates if not c.pending)
    certs = []
    for der in dict.fromkeys(ders):
        with suppress(*_DAMAGE):
            certs.append(asn1_x509.Certificate.load(der))
    return certs


def _own_certs(home: Home) -> list[asn1_x509.Certificate]:
    """Your own certificates and their chains: gpgsm and KMail leave the signer's certificate
    out of mail, also of mail you sent yourself.  Never trust anchors because of this."""
    if not home.keystore_dir.exists():
        return []
    # lazy: only this step of reading needs it (startup stays light)
    from smimetui.core.pki.keystore import Keystore

    certs = []
    for ident in Keystore(home).list():
        for info in (ident.cert, *ident.chain):
            with suppress(*_DAMAGE):
                certs.append(asn1_x509.Certificate.load(info.der))
    return certs


@dataclass(frozen=True, slots=True)
class _Pending:
    """A root signature layer, evaluated once the displayed From is decided."""

    der: bytes
    detached: bytes | None
    over_ciphertext: bool


@dataclass(slots=True)
class _State:
    ctx: InspectContext
    from_values: list[str] = field(default_factory=list)
    layers: list[SignatureReport | _Pending] = field(default_factory=list)  # outer first
    signatures: list[SignatureReport] = field(default_factory=list)  # the layers, evaluated
    encryption: EncryptionReport | None = None
    partial: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    certificates: list[CertInfo] = field(default_factory=list)
    inside_encryption: bool = False
    notes: list[str] = field(default_factory=list)  # facts that do not make it worse


def _smime_kind(entity: Entity) -> str | None:
    return smime_kind(entity)


def _text_of(entity: Entity) -> str:
    collector = BodyCollector()
    collector.collect(entity)
    return collector.text


def _peel(entity: Entity, state: _State) -> Entity | None:
    """Remove root security layers; returns the content entity, or None if nothing is shown."""
    for _ in range(MAX_LAYERS):
        kind = _smime_kind(entity)
        note = label_note(entity, kind)
        if note:
            state.notes.append(note)
        if kind is None:
            return entity
        if kind == "multipart-signed":
            entity = _peel_multipart_signed(entity, state)
        elif kind == "signed":
            next_entity = _peel_opaque_signed(entity, state)
            if next_entity is None:
                return None
            entity = next_entity
        elif kind == "enveloped":
            next_entity = _peel_enveloped(entity, state)
            if next_entity is None:
                return None
            entity = next_entity
        elif kind == "certs-only":
            _collect_certs_only(entity, state)
            return None
        elif kind == "foreign-signed":
            state.problems.append(_foreign_signature_problem(entity))
            return entity.children[0] if entity.children else None
        else:
            state.problems.append(_COMPRESSED_PROBLEM)
            return None
    raise ResourceLimitError(
        f"The message is wrapped in more than {MAX_LAYERS} S/MIME layers; smimetui stops there."
    )


def _foreign_signature_problem(entity: Entity) -> str:
    protocol = clean_line(entity.param("protocol") or "unknown", max_length=80)
    return (
        f"This message is signed with another scheme ({protocol}, e.g. OpenPGP), which "
        "smimetui does not check: treat it as unsigned."
    )


def _is_ciphertext(entity: Entity) -> bool:
    return _smime_kind(entity) == "enveloped"


def _evaluate(
    state: _State,
    der: bytes,
    detached: bytes | None,
    *,
    over_ciphertext: bool = False,
    partial: bool = False,
    signed_text: str = "",
) -> SignatureReport:
    """One signature against this message's From, trust and moment of validation."""
    return evaluate_signature(
        der,
        detached=detached,
        from_values=state.from_values,
        validator=state.ctx.validator,
        covers=Coverage.PARTIAL if (partial or over_ciphertext) else Coverage.WHOLE,
        over_ciphertext=over_ciphertext,
        signed_text=signed_text,
        extra_certs=state.ctx.extra_certs,
        moment=state.ctx.moment,
    )


def _peel_multipart_signed(entity: Entity, state: _State) -> Entity:
    if len(entity.children) != 2:
        content = entity.children[0] if entity.children else entity
        state.layers.append(_malformed_signed(f"it has {len(entity.children)} parts instead of 2"))
        return content if content is not entity else _empty_entity()
    content, signature = entity.children
    over_ciphertext = _is_ciphertext(content)
    state.layers.append(_Pending(signature.decoded(), canonical_crlf(content.raw), over_ciphertext))
    return content


def _peel_opaque_signed(entity: Entity, state: _State) -> Entity | None:
    der = entity.decoded()
    try:
        signed = load_signed_data(der)
        econtent_type = signed["encap_content_info"]["content_type"].dotted
        if econtent_type != _ID_DATA:
            # Only plain data is a message; compressed content could be a decompression bomb
            # and anything else is not mail.  Never parsed, never shown.
            what = "compressed data" if econtent_type == _ID_COMPRESSED else "data of another kind"
            state.layers.append(
                _malformed_signed(f"it signs {what}, not a message, so smimetui does not open it")
            )
            if econtent_type == _ID_COMPRESSED:
                state.problems.append(_COMPRESSED_PROBLEM)
            return None
        econtent = signed["encap_content_info"]["content"]
        inner_bytes = econtent.native if econtent.native is not None else None
        if inner_bytes is not None and not isinstance(inner_bytes, bytes):
            raise CmsError("The signed content is not a byte string.")
    except (CmsError, *_DAMAGE) as err:
        state.layers.append(_malformed_signed(_reason(err).rstrip(".")))
        return None
    if inner_bytes is None:
        state.layers.append(_malformed_signed("it carries no content"))
        return None
    inner = parse_entity(inner_bytes)
    over_ciphertext = _is_ciphertext(inner)
    state.layers.append(_Pending(der, None, over_ciphertext))
    return inner


def _malformed_signed(reason: str) -> SignatureReport:
    return _error(Coverage.WHOLE, f"The signature could not be read: {reason}.")


def _empty_entity() -> Entity:
    return parse_entity(b"Content-Type: text/plain\r\n\r\n")


def _envelope_facts(info: EnvelopeInfo) -> dict[str, Any]:
    return {
        "algorithm": info.algorithm,
        "authenticated": info.authenticated,
        "recipients": tuple(r.describe() for r in info.recipients),
        "key_management": ", ".join(dict.fromkeys(r.key_management for r in info.recipients)),
    }


def _failed_envelope(der: bytes, status: EncryptionStatus, problem: str) -> EncryptionReport:
    from smimetui.core.cms.envelope import describe_envelope  # signed mail never needs it

    try:
        facts = _envelope_facts(describe_envelope(der))
    except (CmsError, *_DAMAGE) as err:
        status = EncryptionStatus.ERROR
        problem = f"The encrypted message could not be read: {_reason(err)}"
        facts = {"algorithm": "unknown", "authenticated": False}
    return EncryptionReport(status=status, problems=(problem,), **facts)


def _peel_enveloped(entity: Entity, state: _State) -> Entity | None:
    from smimetui.core.cms.envelope import decrypt_envelope  # signed mail never needs it

    der = entity.decoded()
    try:
        outcome = decrypt_envelope(der, state.ctx.keys)
        inner = parse_entity(outcome.content)
    except NoKeyError as err:
        state.encryption = _failed_envelope(der, EncryptionStatus.NO_KEY, err.one_line())
        return None
    except KeyUnlockError as err:
        state.encryption = _failed_envelope(der, EncryptionStatus.LOCKED, err.one_line())
        return None
    except (DecryptionError, CmsError, MimeError) as err:
        state.encryption = _failed_envelope(der, EncryptionStatus.ERROR, err.one_line())
        return None
    except _DAMAGE:
        problem = "The encrypted message is damaged and could not be decrypted."
        state.encryption = _failed_envelope(der, EncryptionStatus.ERROR, problem)
        return None
    state.encryption = EncryptionReport(
        status=EncryptionStatus.DECRYPTED,
        problems=tuple(outcome.problems),
        decrypted_with=CertInfo.from_der(_cert_der(outcome.used_cert)),
        **_envelope_facts(outcome.info),
    )
    state.inside_encryption = True
    return inner


def _reason(err: Exception) -> str:
    return err.one_line() if isinstance(err, SmimeTuiError) else "its structure is damaged."


def _cert_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _collect_certs_only(entity: Entity, state: _State) -> None:
    try:
        signed = load_signed_data(entity.decoded())
        certs = [c.chosen for c in signed["certificates"] or () if c.name == "certificate"]
        state.certificates.extend(CertInfo.from_asn1(c) for c in certs)
    except (CmsError, *_DAMAGE):
        state.problems.append("The certificates in this message could not be read.")


def _header_text(value: object) -> str:
    if value is None:
        return ""
    text = header_str(value)
    if "=?" in text:  # RFC 2047 encoded words; decoding is slow, most headers have none
        with suppress(Exception):  # undecodable: shown as it came, sanitised
            text = str(make_header(decode_header(text)))
    return clean_line(text)


def _from_parts(headers: Message) -> tuple[str, str]:
    values = headers.get_all("from") or []
    if all(isinstance(v, str) for v in values):
        return _from_strings(tuple(values))
    return _from_strings_uncached(values)


@lru_cache(maxsize=2048)
def _from_strings(values: tuple[str, ...]) -> tuple[str, str]:
    """Senders repeat: parsing their From once is enough (the result is immutable)."""
    return _from_strings_uncached(values)


def _from_strings_uncached(values: Sequence[object]) -> tuple[str, str]:
    display = _header_text(values[0]) if values else ""
    pairs = getaddresses([header_str(v) for v in values])
    addr = clean_line(pairs[0][1], max_length=320) if pairs else ""
    return addr, display


def _evaluate_layers(state: _State, values: list[str]) -> None:
    state.from_values = values
    state.signatures = [
        layer
        if isinstance(layer, SignatureReport)
        else _evaluate(state, layer.der, layer.detached, over_ciphertext=layer.over_ciphertext)
        for layer in state.layers
    ]


def _decide_from(root: Entity, inner: Message | None, state: _State) -> tuple[Message, str]:
    """The header section whose From is displayed, and a problem when the protected From is not
    the outer From.  The root signatures are evaluated against the From that is displayed."""
    outer_values = protected.from_values(root.headers)
    if inner is None or inner.get("from") is None:  # no protected From: the outer one stays
        _evaluate_layers(state, outer_values)
        return root.headers, ""
    inner_values = protected.from_values(inner)
    _evaluate_layers(state, inner_values)
    if protected.same_sender(inner_values, outer_values):
        return inner, ""
    if protected.vouches_for_from(state.signatures):
        return inner, protected.differs_sentence(outer_values, inner_values, accepted=True)
    _evaluate_layers(state, outer_values)  # a claim nobody vouches for: the outer From stays
    return root.headers, protected.differs_sentence(outer_values, inner_values, accepted=False)


def _detached(signature: bytes, data: bytes, state: _State) -> Entity:
    """A detached signature file (.p7s) over ``data`` exactly as given: the content is the
    root (shown as text when it is UTF-8 text, else as an attachment), the signature its only
    layer."""
    if sniff(signature) != "signed":
        raise InputError("The signature file is not an S/MIME signature (CMS SignedData).")
    der = signature
    if der.lstrip().startswith(b"-----BEGIN"):
        with suppress(*_DAMAGE):
            der = pem.unarmor(der.strip())[2]
    state.layers.append(_Pending(der, data, over_ciphertext=False))
    try:
        data.decode("utf-8")
        head = b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    except UnicodeDecodeError:
        head = b"Content-Type: application/octet-stream\r\n"
        head += b'Content-Disposition: attachment; filename="content"\r\n\r\n'
    return parse_entity(head + data)


def inspect_message(
    raw: bytes, ctx: InspectContext, *, detached_content: bytes | None = None
) -> SecurityReport:
    """Build the security report for ``raw``.  Raises InputError only for unreadable input.

    ``raw`` is a message, or a bare CMS file (a saved ``smime.p7m``, DER or PEM); with
    ``detached_content`` it is a detached signature (``.p7s``) over exactly those bytes.
    """
    state = _State(ctx=ctx)
    content: Entity | None
    if detached_content is not None:
        root = content = _detached(raw, detached_content, state)
    else:
        root = parse_message(bare_cms_message(raw) or raw)
        content = _peel(root, state)
    inner = protected.protected_headers(content) if content is not None else None
    headers = inner if inner is not None else root.headers  # Subject, To, Cc, ...
    from_headers, from_problem = _decide_from(root, inner, state)
    collector = BodyCollector(on_signed=lambda e, c: _partial_signature(e, c, state))
    collector.hide_legacy_display = inner is not None
    if content is not None:
        collector.signed = bool(state.signatures)
        collector.collect(content)
    if state.certificates and content is None:
        collector.add_text(
            "This message carries certificates only:\n"
            + "\n".join(f"  {c.display_name} <{', '.join(c.email)}>" for c in state.certificates)
        )
    signature = _primary_signature(state, collector.text)
    if signature is not None and state.notes:
        signature = replace(signature, notes=(*signature.notes, *state.notes))
    encryption = _finish_encryption(state, signature)
    from_addr, from_display = _from_parts(from_headers)
    if signature is not None:
        signature = with_sender_problem(signature, from_headers, from_addr)
    problems = list(state.problems) + collector.problems
    if from_problem and signature is not None:
        signature = replace(signature, problems=(*signature.problems, from_problem))
    elif from_problem:
        problems.append(from_problem)
    problems.extend(_defect_problems(root))
    problems.extend(message_problems(from_headers, from_addr, from_display, signature))
    carried = list(state.certificates)
    if signature is not None:
        carried.extend(c for c in signature.certificates if c not in carried)
    report = SecurityReport(
        from_addr=from_addr,
        from_display=from_display,
        subject=_header_text(headers.get("subject")),
        text=collector.text,
        signature=signature,
        encryption=encryption,
        problems=tuple(dict.fromkeys(problems)),
        to=_header_text(headers.get("to")),
        cc=_header_text(headers.get("cc")),
        date=_header_text(headers.get("date") or root.headers.get("date")),
        attachments=tuple(collector.attachments),
        validated_at=ctx.moment,
        headers_protected=inner is not None,
        was_html=collector.was_html,
        segments=tuple(collector.segments),
        certificates=tuple(carried),
        message_id=_header_text(root.headers.get("message-id")),
        in_reply_to=_header_text(headers.get("in-reply-to") or root.headers.get("in-reply-to")),
        references=_header_text(headers.get("references") or root.headers.get("references")),
        reply_to=_header_text(headers.get("reply-to")),
    )
    if signature is not None and (reply := reply_to_mismatch(report)):
        report = replace(report, problems=(*report.problems, reply))
    report = _with_links(report, collector)
    if ctx.transport and detached_content is None and bare_cms_message(raw) is None:
        report = _with_transport(report, raw, ctx)
    return report


def _with_links(report: SecurityReport, collector: BodyCollector) -> SecurityReport:
    if not collector.links:
        return report
    flagged = tuple(link.problem for link in collector.links if link.flagged)
    return replace(report, links=tuple(collector.links), problems=(*report.problems, *flagged))


def _with_transport(report: SecurityReport, raw: bytes, ctx: InspectContext) -> SecurityReport:
    # lazy: only this step of reading needs it (startup stays light)
    from smimetui.core.read.transport import transport_facts

    facts = transport_facts(raw, report.from_addr, ctx.authserv_id, ctx.receiving_hosts)
    return replace(
        report,
        authentication=facts.authentication,
        delivery=facts.delivery,
        problems=(*report.problems, *facts.problems),
    )


def _partial_signature(entity: Entity, collector: BodyCollector, state: _State) -> None:
    """A multipart/signed below the root: its text is a signed segment, the signature partial."""
    if _smime_kind(entity) == "foreign-signed":
        state.problems.append(_foreign_signature_problem(entity))
        for child in entity.children[:1]:
            collector.collect(child)
        return
    if len(entity.children) != 2 or collector.signed:
        # inside a whole-message signature nested signatures add nothing; malformed: show as is
        for child in entity.children[:1]:
            collector.collect(child)
        return
    content, signature = entity.children
    before = len(collector.segments)
    collector.signed = True
    collector.collect(content)
    collector.signed = False
    signed_text = "".join(s.text for s in collector.segments[before:] if s.signed)
    state.partial.append(
        _evaluate(
            state,
            signature.decoded(),
            canonical_crlf(content.raw),
            partial=True,
            signed_text=signed_text,
        )
    )


def _primary_signature(state: _State, text: str) -> SignatureReport | None:
    """The signature that speaks about the displayed text; the others add their problems."""
    layers = state.signatures
    inner = [s for s in layers if not s.over_ciphertext]
    if inner:
        chosen = inner[-1]  # the innermost: it covers the plaintext the user reads
        primary = replace(chosen, signed_text=text)
    elif layers:
        chosen = primary = layers[-1]
    elif state.partial:
        chosen = primary = state.partial[0]
    else:
        return None
    extra: list[str] = []
    for other in layers + state.partial:
        if other is chosen:
            continue
        who = other.signer.email[0] if other.signer and other.signer.email else "a signer"
        if other.over_ciphertext and other.verdict is SignatureVerdict.GOOD:
            continue  # the outer signature of a triple wrap: it vouches for the envelope only
        if other.verdict is not SignatureVerdict.GOOD or other.problems:
            extra.extend(f"Another signature (by {who}): {p}" for p in other.problems[:2])
    if len(state.partial) > 1 or (state.partial and layers):
        extra.append("This message has several separately signed parts; only one is shown.")
    if extra:
        primary = replace(primary, problems=tuple(dict.fromkeys(primary.problems + tuple(extra))))
    return primary


def _finish_encryption(state: _State, signature: SignatureReport | None) -> EncryptionReport | None:
    enc = state.encryption
    if enc is None or enc.status is not EncryptionStatus.DECRYPTED or enc.authenticated:
        return enc
    signed_inside = signature is not None and not signature.over_ciphertext
    if signed_inside:
        return enc
    return replace(
        enc,
        problems=enc.problems
        + (
            f"Encrypted with {enc.algorithm}, which does not protect against changes, and not "
            "signed inside: the text could have been altered on the way.",
        ),
    )


def _defect_problems(root: Entity) -> list[str]:
    defects = set(root.defects)
    for child in root.children:
        defects.update(child.defects)
    if "MissingCloseBoundary" in defects:
        return ["The message structure is damaged (a part is not closed); some of it may be lost."]
    return []
