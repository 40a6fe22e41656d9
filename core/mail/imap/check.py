"""Is a FETCH response complete?  Checked before a summary is stored, because a stored row is
never fetched again (CONDSTORE only reports flag changes).

A literal whose announced length does not match what follows (a server bug, a damaged stream)
misframes the response: the reader takes protocol text as string contents, or string contents
as protocol, and the rest of the response is garbage.  Two checks, the cheap one always:

* the parentheses balance, never close more than they opened, and close the response exactly at
  its end; every quoted string is closed (quoted strings and literals are skipped; a response
  without a literal, which no literal can have misframed, is first tried with its strings in
  place, a third of the cost, and looked at again without them only when that fails);
* when the response holds a literal, ENVELOPE and BODYSTRUCTURE are also parsed to the end and
  must have RFC 3501's shape (ten envelope fields, address lists of four-field addresses).
"""

from __future__ import annotations

import re

from smimetui.core.mail.imap.summaries import summary_items_complete

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n")
_QUOTED = re.compile(rb'"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"')  # unrolled: twice as fast
_NOT_PARENS = bytes(c for c in range(256) if c not in b"()")  # translate() deletes these


def fetch_complete(response: bytes, raw: bytes) -> bool:
    """``response`` is one ``* n FETCH (...)`` (CRLF stripped); ``raw`` its ENVELOPE and
    BODYSTRUCTURE part as :func:`imap_fetch.parse_fetch` cut it out."""
    start = response.find(b"(")
    if start < 0 or not response.endswith(b")"):
        return False
    if b"}\r\n" not in response:  # no literal: one line, checked at C speed
        quotes = response.count(b'"') - response.count(b'\\"')  # escaped ones aside
        if quotes % 2 == 0 and _one_group(response.translate(None, _NOT_PARENS)):
            return True  # the usual case; parentheses in quoted strings only if balanced
        rest = _QUOTED.sub(b"", response[start:])  # "Re: :)" - look again without the strings
        return b'"' not in rest and _one_group(rest.translate(None, _NOT_PARENS))
    depth, pos, end, literals = 0, start, len(response), False
    while pos < end:
        m = _LITERAL.search(response, pos)
        stop = m.start() if m is not None else end
        segment = _QUOTED.sub(b"", response[pos:stop])
        if b'"' in segment:
            return False  # a quoted string that never closes
        parens = segment.translate(None, _NOT_PARENS)
        last = len(parens) - 1
        for i, paren in enumerate(parens):
            depth += 1 if paren == 0x28 else -1
            if depth < 0 or (depth == 0 and (m is not None or i != last)):
                return False  # closed more than opened, or closed before the end
        if m is None:
            break
        if depth <= 0:
            return False  # a literal outside the response's parentheses
        literals = True
        pos = m.end() + int(m.group(1))
        if pos > end:
            return False
    if depth != 0:
        return False
    return not literals or summary_items_complete(raw)


def _one_group(parens: bytes) -> bool:
    """``parens`` (only parentheses) is one balanced group: ``(`` ... ``)`` with a balanced
    inside (innermost pairs removed until none is left)."""
    if parens[:1] != b"(" or parens[-1:] != b")":
        return False
    inner = parens[1:-1]
    while inner:
        shorter = inner.replace(b"()", b"")
        if len(shorter) == len(inner):
            return False
        inner = shorter
    return True
