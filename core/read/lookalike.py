"""Addresses and names that imitate others: mixed scripts, lookalike letters, punycode.

A certificate for ``alice@exаmple.org`` (Cyrillic ``а``) is a perfectly valid certificate for a
different domain, so exact address matching cannot catch it: the signature would be good,
trusted and match From.  These checks turn such tricks into problem sentences.  Domains in
punycode (``xn--``) are decoded so that the user sees what the name really spells.
"""

from __future__ import annotations

import contextlib
import unicodedata
from functools import lru_cache

from smimetui.core.sanitize import clean_line

# Cyrillic and Greek letters that are drawn like Latin ones in common fonts (after Unicode's
# confusables.txt, restricted to what fits in an address or a name).
_LOOKALIKES = frozenset(
    "аеорсухіјѕԁһӏԛԝүвкмнтАВЕКМНОРСТХУІЈЅҮԚԜ"  # Cyrillic
    "οαρνυικτχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"  # Greek
)
_MAX_LISTED = 3


def _script(ch: str) -> str:
    """The script of a letter, from its Unicode name ("LATIN", "CYRILLIC", "FULLWIDTH", ...)."""
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return "UNKNOWN"


def _scripts(word: str) -> list[str]:
    return sorted({_script(ch) for ch in word if ch.isalpha()})


def _letters(chars: str) -> str:
    listed = [f"{ch} (U+{ord(ch):04X} {_script(ch).title()})" for ch in dict.fromkeys(chars)]
    return ", ".join(listed[:_MAX_LISTED])


def decode_domain(domain: str) -> str:
    """The domain with punycode labels decoded; undecodable labels stay as they are."""
    labels = []
    for label in domain.split("."):
        if label.lower().startswith("xn--"):
            with contextlib.suppress(UnicodeError, ValueError):
                label = label[4:].encode("ascii").decode("punycode")
        labels.append(label)
    return ".".join(labels)


def _word_problem(word: str, where: str) -> str | None:
    scripts = _scripts(word)
    if len(scripts) > 1:
        names = " and ".join(s.title() for s in scripts)
        odd = "".join(ch for ch in word if ch.isalpha() and _script(ch) != "LATIN")
        return (
            f"{where} mixes {names} letters in “{clean_line(word, 80)}” ({_letters(odd)}), "
            "a common trick to imitate another name; check it carefully."
        )
    fakes = "".join(ch for ch in word if ch in _LOOKALIKES)
    if fakes:
        return (
            f"{where} uses letters that look like Latin ones but are not ({_letters(fakes)}) "
            f"in “{clean_line(word, 80)}”; it may imitate another address."
        )
    return None


@lru_cache(maxsize=1024)
def address_problems(address: str, role: str) -> tuple[str, ...]:
    """Problems with one address; ``role`` names it in the sentence ("The sender's address")."""
    local, sep, domain = address.rpartition("@")
    if not sep:
        return ()
    decoded = decode_domain(domain)
    shown = clean_line(f"{local}@{decoded}", max_length=200)
    problems: list[str] = []
    if not decoded.isascii():
        also = f" (written {clean_line(address, 200)})" if decoded != domain else ""
        problems.append(
            f"{role} {shown}{also} uses an international domain name; make sure that is the "
            "domain you expect."
        )
    if address.isascii() and decoded == domain:
        return tuple(problems)
    for part in [local, *decoded.split(".")]:
        problem = _word_problem(part, f"{role} {shown}")
        if problem:
            problems.append(problem)
            break  # one sentence per address is enough to make the user look
    return tuple(problems)


@lru_cache(maxsize=1024)
def name_problems(display_name: str, role: str = "The sender's name") -> tuple[str, ...]:
    """Mixed-script words in a display name ("Аlice" with a Cyrillic А)."""
    if display_name.isascii():
        return ()
    for word in display_name.split():
        if len(_scripts(word)) > 1:
            problem = _word_problem(word, role)
            if problem:
                return (problem,)
    return ()
