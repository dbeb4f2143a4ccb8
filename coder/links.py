"""Directed links between problems, from what participants say led to what.

A link A → B means the participant said problem A led to, caused or
worsened problem B.  Links are extracted where two codes of kind ``problem``
sit in the same unit, or in adjacent units of one turn, with a causal or
temporal connective between them.  The connective decides the direction:

* *cause-marking* connectives introduce the cause: "because (of)", "cos",
  "due to", "since", "ever since", "after", "when", "once", "as a result
  of", "from".
  "I lost my job **because of** the drink" and "**because of** the drink I
  lost my job" both give drink → job loss.
* *effect-marking* connectives introduce the consequence: "so", "that's
  why", "which made", "led to", "caused", "meant", "ended up", "and then",
  "that's how", "made … worse", "tipped me over".  "The debt was doing my
  head in, I got really down" has no connective word; a comma followed by a
  consequence phrase ("I got", "I ended up", "I started", "I went") is read
  as effect-marking.
* a sentence that reads both ways (A → B and B → A) gives no link.
* a negated connective ("not because of the drink", "it wasn't after …")
  denies the link, and gives none.
* across two units of one turn, a second unit that opens with "after that",
  "because of that", "so", "that's why", "since then" … links the problems of
  the first unit to those of the second.

Each link keeps its quote (the unit, or both units) as evidence.  This is a
transparent rule set, not a parser: it errs towards precision, and its
accuracy is measured against gold links with ``coder evaluate --links``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from .codebook import Codebook
from .rules import NEGATED, PRE_TRIGGERS, RuleMatcher

SUGGESTION_METHODS = {"semantic", "passage"}  # model suggestions: never a link's end

__all__ = ["extract_links", "CAUSE_MARKERS", "EFFECT_MARKERS"]

CAUSE_MARKERS = [
    ("because", "of"), ("because",), ("cos", "of"), ("cos",), ("'cause",), ("cause", "of"), ("due", "to"),
    ("ever", "since"), ("since",), ("after",), ("as", "a", "result", "of"), ("thanks", "to"), ("from",),
    ("through",), ("over",), ("when",), ("once",),
]
EFFECT_MARKERS = [
    ("that", "be", "why"), ("that", "'s", "why"), ("that", "is", "why"), ("which", "be", "why"), ("which", "is", "why"),
    ("that", "be", "how"), ("that", "'s", "how"), ("which", "make"), ("which", "made"), ("that", "make"),
    ("that", "made"), ("it", "make"), ("it", "made"), ("lead", "to"), ("led", "to"), ("cause",), ("caused",),
    ("mean",), ("meant",), ("end", "up"), ("ended", "up"), ("so",), ("result", "in"),
    ("tip", "me", "over"), ("tipped", "me", "over"), ("make", "it", "worse"), ("drive", "me", "to"), ("drove", "me", "to"),
    ("push", "me", "into"), ("pushed", "me", "into"), ("start", "me", "on"),
]
CONSEQUENCE_OPENERS = [("i", "get"), ("i", "got"), ("i", "end"), ("i", "ended"), ("i", "start"), ("i", "started"),
                       ("i", "go"), ("i", "went"), ("i", "turn"), ("i", "turned"), ("i", "just"), ("i", "be"),
                       ("i", "was"), ("we", "got"), ("we", "ended"), ("he", "got"), ("he", "started"),
                       ("she", "got"), ("she", "started"), ("they", "got"), ("he", "went"), ("she", "went")]
NEXT_UNIT_OPENERS = [("after", "that"), ("because", "of", "that"), ("cos", "of", "that"), ("so",), ("that", "'s", "why"),
                     ("that", "be", "why"), ("since", "then"), ("ever", "since"),
                     ("which", "made"), ("which", "make"), ("that", "'s", "when"), ("that", "be", "when"),
                     ("that", "led", "to"), ("it", "made"), ("and", "that", "'s", "when")]


def _find(seq: list[str], phrase: tuple[str, ...], start: int = 0) -> list[int]:
    n = len(phrase)
    return [i for i in range(start, len(seq) - n + 1) if tuple(seq[i:i + n]) == phrase]


def _markers(norms: list[str], lowers: list[str], markers) -> list[tuple[int, int]]:
    """(start, end) token positions of every marker occurrence (longest match wins)."""
    taken: set[int] = set()
    out = []
    for phrase in sorted(markers, key=len, reverse=True):
        for seq in (lowers, norms):
            for i in _find(seq, phrase):
                if not taken.intersection(range(i, i + len(phrase))):
                    taken.update(range(i, i + len(phrase)))
                    out.append((i, i + len(phrase)))
    return sorted(out)


def _pairs_in_unit(doc, spans: list[tuple[int, int, str]]) -> list[tuple[str, str, str]]:
    """Directed (cause, effect, connective) pairs within one unit, from token spans of problem codes."""
    norms = [t.norm_ for t in doc]
    lowers = [t.lower_ for t in doc]
    out = []
    for ms, me in _markers(norms, lowers, CAUSE_MARKERS):
        if ms > 0 and (norms[ms - 1] in PRE_TRIGGERS or lowers[ms - 1] in PRE_TRIGGERS):
            continue  # "not because of the drink": the participant denies the link
        before = [s for s in spans if s[1] <= ms]
        after = [s for s in spans if s[0] >= me]
        if not after:
            continue
        cause = min(after, key=lambda s: s[0] - me)  # nearest problem after the marker
        if before:  # "X because of Y"
            effect = max(before, key=lambda s: s[1])
        else:  # "because of Y, X"
            later = [s for s in after if s[0] > cause[1] and s[2] != cause[2]]
            if not later:
                continue
            effect = min(later, key=lambda s: s[0])
        out.append((cause[2], effect[2], " ".join(lowers[ms:me])))
    effect_markers = _markers(norms, lowers, EFFECT_MARKERS)
    for i, tok in enumerate(lowers):  # ", I got really down"
        if tok == "," and any(tuple(lowers[i + 1:i + 1 + len(p)]) == p or tuple(norms[i + 1:i + 1 + len(p)]) == p
                              for p in CONSEQUENCE_OPENERS):
            effect_markers.append((i, i + 1))
    for ms, me in effect_markers:
        before = [s for s in spans if s[1] <= ms]
        after = [s for s in spans if s[0] >= me]
        if before and after:
            cause = max(before, key=lambda s: s[1])
            effect = min(after, key=lambda s: s[0])
            out.append((cause[2], effect[2], " ".join(lowers[ms:me]) or ","))
    # one sentence read both ways is ambiguous: keep neither direction
    pairs = {(a, b) for a, b, _ in out}
    return [x for x in out if (x[1], x[0]) not in pairs]


def extract_links(units: pd.DataFrame, codings: list[dict[str, Any]], codebook: Codebook,
                  matcher: RuleMatcher | None = None) -> list[dict[str, Any]]:
    """Directed problem links in the units, as rows for the ``links`` table (without coder).

    ``codings`` are the unit codings just made (dicts with unit_id and code);
    rule matches are recomputed per unit for their token positions.
    """
    matcher = matcher or RuleMatcher(codebook)
    problem = {c.id for c in codebook.codes if c.kind == "problem"}
    related = {c.id: set(codebook.descendants(c.id)) for c in codebook.codes}

    def unrelated(a: str, b: str) -> bool:
        return a != b and b not in related.get(a, ()) and a not in related.get(b, ())

    by_unit: dict[str, set[str]] = defaultdict(set)
    for c in codings:
        # links join codes the rules found: a suggestion is unreviewed, and pairing every suggested code of
        # one sentence with every code of the next gave the same quote for several invented links
        if c["code"] in problem and c.get("status") != "rejected" and c.get("method") not in SUGGESTION_METHODS:
            by_unit[c["unit_id"]].add(c["code"])
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str, int]] = set()
    rows = units.reset_index(drop=True)
    prev = None
    for i, row in rows.iterrows():
        uid = row["unit_id"]
        codes_here = by_unit.get(uid, set())
        if len(codes_here) >= 2:
            doc = matcher.nlp.make_doc(row["text"])
            spans = [(m.start, m.end, m.code) for m in matcher.find(doc)
                     if m.code in codes_here and m.status != NEGATED]
            for cause, effect, connective in _pairs_in_unit(doc, spans):
                if unrelated(cause, effect) and (cause, effect, row["document"], int(row["start"])) not in seen:
                    seen.add((cause, effect, row["document"], int(row["start"])))
                    out.append(_link(row, row, cause, effect, connective))
        if prev is not None and codes_here and prev["document"] == row["document"] and prev["turn"] == row["turn"]:
            prev_codes = by_unit.get(prev["unit_id"], set())
            if prev_codes:
                doc = matcher.nlp.make_doc(row["text"])
                lowers = [t.lower_ for t in doc]
                norms = [t.norm_ for t in doc]
                opener = next((p for p in sorted(NEXT_UNIT_OPENERS, key=len, reverse=True)
                               if tuple(lowers[:len(p)]) == p or tuple(norms[:len(p)]) == p), None)
                if opener is not None:
                    for cause in sorted(prev_codes):
                        for effect in sorted(codes_here):
                            key = (cause, effect, row["document"], int(prev["start"]))
                            if unrelated(cause, effect) and key not in seen:
                                seen.add(key)
                                out.append(_link(prev, row, cause, effect, " ".join(opener)))
        prev = row
    return out


def _link(first, last, cause: str, effect: str, connective: str) -> dict[str, Any]:
    start, end = int(first["start"]), int(last["end"])
    quote = first["text"] if first is last else f"{first['text']} {last['text']}"
    return {"document_id": first["document"], "from_code": cause, "to_code": effect, "start": start, "end": end,
            "quote": quote, "method": "connective", "confidence": 0.7,
            "evidence": {"connective": connective, "units": [first["unit_id"], last["unit_id"]]}}
