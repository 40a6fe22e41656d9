"""Links in HTML mail: numbered references below the text, with the host of each target.

Each ``<a href>`` gets a marker ``[n]`` after its text, and the converted text ends with the list
``[n] target (host)``.  A link whose visible text names a host other than its target's (the
classic "https://bank.example" that goes elsewhere) is flagged.  Nothing is ever fetched.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from smimetui.core.sanitize import clean_line

MAX_LINKS = 500  # anchors numbered; the rest keep their text only
MAX_URL = 2000
# A host as link text shows it: "paypal.com", "https://www.paypal.com/login", "WWW.Bank.Example".
_HOST_IN_TEXT = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://)?((?:[\w-]+\.)+[a-z\u00a1-\uffff]{2,63})(?=[/:?#\s]|$)", re.I
)


@dataclass(frozen=True, slots=True)
class Link:
    number: int
    target: str  # the href, sanitised
    host: str  # the target's host as it is resolved (punycode shown decoded and encoded)
    text: str  # the visible text, sanitised
    shown_host: str = ""  # a different host named by the text: the link is flagged

    @property
    def flagged(self) -> bool:
        return bool(self.shown_host)

    @property
    def reference(self) -> str:
        line = f"[{self.number}] {self.target}"
        if self.host:
            line += f"  (host: {self.host})"
        if self.flagged:
            line += f"  ⚠ the text shows {self.shown_host}"
        return line

    @property
    def problem(self) -> str:
        return (
            f"Link [{self.number}] shows {self.shown_host} but goes to {self.host}: "
            "check it before you follow it."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "target": self.target,
            "host": self.host,
            "text": self.text,
            "flagged": self.flagged,
            "shown_host": self.shown_host or None,
        }


def _host_words(host: str) -> str:
    """The host as it reads, with its punycode form beside it when the two differ."""
    try:
        ascii_form = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_form = host
    try:
        unicode_form = ascii_form.encode("ascii").decode("idna")
    except UnicodeError:
        unicode_form = ascii_form
    if unicode_form != ascii_form:
        return f"{clean_line(unicode_form)} = {ascii_form}"
    return clean_line(ascii_form)


def _norm(host: str) -> str:
    host = host.lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    return host.removeprefix("www.")


def _same_site(shown: str, target: str) -> bool:
    a, b = _norm(shown), _norm(target)
    return a == b or b.endswith("." + a) or a.endswith("." + b)


def _shown_host(text: str, target_host: str) -> str:
    match = _HOST_IN_TEXT.search(text.strip())
    if match is None or not target_host:
        return ""
    shown = match.group(1)
    if "." not in shown or shown.replace(".", "").isdigit() and "." not in target_host:
        return ""
    return "" if _same_site(shown, target_host) else clean_line(shown.lower(), max_length=255)


def make_link(number: int, href: str, text: str) -> Link:
    target = clean_line(href.strip(), max_length=MAX_URL)
    try:
        parts = urlsplit(href.strip())
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    scheme = parts.scheme.lower() if parts is not None else ""
    visible = clean_line(text, max_length=300)
    shown = _shown_host(visible, host) if scheme in ("http", "https", "ftp") else ""
    return Link(number, target, _host_words(host) if host else "", visible, shown)


def number_anchors(tree: Any, start: int) -> list[Link]:
    """Give each ``<a href>`` of an lxml tree a ``[n]`` marker after its text; return them."""
    found: list[Link] = []
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith("#"):
            continue
        if len(found) >= MAX_LINKS:
            break
        link = make_link(start + len(found) + 1, href, anchor.text_content() or "")
        found.append(link)
        anchor.tail = f" [{link.number}]" + (anchor.tail or "")
    return found


def references(links: list[Link]) -> str:
    if not links:
        return ""
    return "\n\nLinks:\n" + "\n".join(link.reference for link in links) + "\n"
