"""De-identification: roster names never reach a published output.

Every speaker's ``name:`` and every ``roster:`` entry of a transcript's front
matter is a roster name.  :func:`redact` replaces each full name, and each
of its parts (first name, surname) written with a capital, by ``[name]``:
whole words only, so "Kyle's" becomes "[name]'s" but "kyleen" is untouched.
Single words are matched case-sensitively (so the name "Will" does not
remove the verb "will"); full names of two or more words case-insensitively.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Sequence

__all__ = ["redact", "name_pattern", "REDACTED", "find_names"]

REDACTED = "[name]"


@lru_cache(maxsize=64)
def name_pattern(names: tuple[str, ...]) -> tuple[re.Pattern | None, re.Pattern | None]:
    """Compiled patterns (full names, name parts) for a roster."""
    cleaned = {n.strip() for n in names if n and n.strip()}
    # multi-word names case-insensitively; single words only as capitalised parts below
    full = sorted((n for n in cleaned if len(n.split()) > 1), key=len, reverse=True)
    parts = sorted({p for n in cleaned for p in re.split(r"[\s\-]+", n) if len(p) >= 2 and p[0].isupper()},
                   key=len, reverse=True)
    full_re = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in full) + r")(?!\w)", re.I) if full else None
    part_re = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in parts) + r")(?!\w)") if parts else None
    return full_re, part_re


def redact(text: str, names: Iterable[str]) -> str:
    """Replace roster names in ``text`` by ``[name]``.

    Examples
    --------
    >>> redact("Kyle's dad, Lee Hollis, left. We will cope.", ["Lee Hollis", "Kyle", "Will"])
    "[name]'s dad, [name], left. We will cope."
    """
    if not text:
        return text
    full_re, part_re = name_pattern(tuple(sorted(set(names))))
    if full_re is not None:
        text = full_re.sub(REDACTED, text)
    if part_re is not None:
        text = part_re.sub(REDACTED, text)
    return text


def find_names(text: str, names: Sequence[str]) -> list[str]:
    """Roster names (or capitalised parts) that occur in ``text``: for tests and output checks."""
    full_re, part_re = name_pattern(tuple(sorted(set(names))))
    found = []
    for rx in (full_re, part_re):
        if rx is not None:
            found += [m.group(0) for m in rx.finditer(text)]
    return found
