"""Vectorised token-pattern matching over a whole corpus at once.

spaCy's ``Matcher`` runs a state machine per token per pattern, in Python-facing
loops per document.  For fixed-length patterns (every ``OP`` absent or ``?``)
whose token specs test ``NORM``/``LOWER`` (equality, ``IN``, ``NOT_IN``),
``LIKE_NUM`` or nothing (``{}``, any token), matching reduces to array
arithmetic: each spec becomes a boolean array over all tokens of all units —
evaluated once per *distinct word*, then broadcast — and a pattern of length L
matches at position p when all L arrays are true at p … p+L-1 inside one unit.
``?`` tokens are expanded into the variants with and without them.

:func:`compile_pattern` says whether a pattern fits; the rest stay with
spaCy's Matcher.  The results are exactly spaCy's (tested on every pattern of
the example codebooks over the sample corpus).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any, Sequence

import numpy as np

__all__ = ["compile_pattern", "CorpusArrays", "VectorMatcher", "PhraseIndex"]

MAX_VARIANTS = 256
_ATTRS = ("NORM", "LOWER")


@dataclass(frozen=True)
class _Spec:
    kind: str  # any | attr | like_num
    attr: str | None = None
    values: frozenset[str] = frozenset()
    negate: bool = False
    flag: bool = True


def _spec(tok: dict[str, Any]) -> _Spec | None:
    keys = [k for k in tok if k != "OP"]
    if not keys:
        return _Spec("any")
    if len(keys) != 1:
        return None
    key = keys[0]
    value = tok[key]
    if key == "LIKE_NUM" and isinstance(value, bool):
        return _Spec("like_num", flag=value)
    if key not in _ATTRS:
        return None
    if isinstance(value, str):
        return _Spec("attr", key, frozenset([value]))
    if isinstance(value, dict) and len(value) == 1:
        (op, vals), = value.items()
        if op in ("IN", "NOT_IN") and isinstance(vals, list) and all(isinstance(v, str) for v in vals):
            return _Spec("attr", key, frozenset(vals), negate=(op == "NOT_IN"))
    return None


def compile_pattern(pattern: Sequence[dict[str, Any]]) -> list[tuple[_Spec, ...]] | None:
    """The fixed-length variants of a token pattern, or None when it needs spaCy's Matcher.

    Examples
    --------
    >>> v = compile_pattern([{"LOWER": "the"}, {"OP": "?"}, {"NORM": {"IN": ["kid", "child"]}}])
    >>> [len(x) for x in v]
    [3, 2]
    >>> compile_pattern([{"LOWER": "a", "OP": "*"}]) is None
    True
    """
    options = []
    for tok in pattern:
        op = tok.get("OP")
        if op not in (None, "?"):
            return None
        spec = _spec(tok)
        if spec is None:
            return None
        options.append([spec, None] if op == "?" else [spec])
    variants = []
    for combo in product(*options):
        v = tuple(s for s in combo if s is not None)
        if v and v not in variants:
            variants.append(v)
        if len(variants) > MAX_VARIANTS:
            return None
    return variants or None


class CorpusArrays:
    """Token attributes of many docs, concatenated, with each token's doc index.

    For each attribute it keeps the distinct values, each token's index into
    them, and an inverted index (token positions grouped by value), so the
    positions of a handful of words are found without scanning the corpus.
    """

    def __init__(self, norm: np.ndarray, lower: np.ndarray, like_num: np.ndarray, doc_of: np.ndarray,
                 starts: np.ndarray):
        """Arrays over all tokens; ``doc_of`` is each token's doc index (-1 for separators)."""
        self.n = len(norm)
        self.columns = {"NORM": norm.astype(np.uint64), "LOWER": lower.astype(np.uint64)}
        self.like_num = like_num.astype(bool)
        self.doc_of = doc_of.astype(np.int64)
        self.starts = starts.astype(np.int64)
        self.vocab: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        for attr in _ATTRS:
            col = self.columns[attr]
            if self.n:
                uniq, inverse = np.unique(col, return_inverse=True)
            else:
                uniq, inverse = np.zeros(0, np.uint64), np.zeros(0, np.int64)
            order = np.argsort(inverse, kind="stable")
            offsets = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(uniq)))]).astype(np.int64)
            self.vocab[attr] = (uniq, inverse, order, offsets)
        self._masks: dict[_Spec, np.ndarray] = {}

    @classmethod
    def from_docs(cls, docs: Sequence[Any]) -> "CorpusArrays":
        """Arrays of separate docs, concatenated."""
        from spacy.attrs import LIKE_NUM, LOWER, NORM

        arrays = [d.to_array([NORM, LOWER, LIKE_NUM]).reshape(-1, 3) for d in docs]
        lengths = np.array([len(d) for d in docs], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(docs) else np.zeros(0, np.int64)
        big = np.concatenate(arrays) if arrays else np.zeros((0, 3), dtype=np.uint64)
        return cls(big[:, 0], big[:, 1], big[:, 2], np.repeat(np.arange(len(docs)), lengths), starts)

    def mask(self, spec: _Spec, strings) -> np.ndarray:
        """Which distinct values of the spec's attribute satisfy it."""
        cached = self._masks.get(spec)
        if cached is None:
            uniq = self.vocab[spec.attr][0]
            wanted = np.array(sorted(strings.add(v) for v in spec.values), dtype=np.uint64)
            cached = np.isin(uniq, wanted)
            if spec.negate:
                cached = ~cached
            self._masks[spec] = cached
        return cached

    def positions(self, spec: _Spec, strings) -> np.ndarray:
        """Sorted token positions satisfying a positive attribute spec (via the inverted index)."""
        _, _, order, offsets = self.vocab[spec.attr]
        ids = np.flatnonzero(self.mask(spec, strings))
        if not len(ids):
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate([order[offsets[v]:offsets[v + 1]] for v in ids]))

    def check(self, spec: _Spec, pos: np.ndarray, strings) -> np.ndarray:
        """Does the token at each position satisfy the spec?"""
        if spec.kind == "any":
            return np.ones(len(pos), dtype=bool)
        if spec.kind == "like_num":
            return self.like_num[pos] if spec.flag else ~self.like_num[pos]
        return self.mask(spec, strings)[self.vocab[spec.attr][1][pos]]


class VectorMatcher:
    """Fixed-length token patterns, matched over a whole corpus with numpy."""

    def __init__(self, strings):
        self.strings = strings
        self.patterns: list[tuple[str, str, list[tuple[_Spec, ...]]]] = []  # code, label, variants

    def add(self, code: str, label: str, variants: list[tuple[_Spec, ...]]) -> None:
        self.patterns.append((code, label, variants))

    def __len__(self) -> int:
        return len(self.patterns)

    def match(self, corpus: CorpusArrays) -> list[tuple[int, str, str, int, int]]:
        """All matches: (doc index, code, label, start, end) with token offsets inside the doc."""
        out = []
        n = corpus.n
        for code, label, variants in self.patterns:
            for variant in variants:
                length = len(variant)
                if length > n:
                    continue
                anchor = next((k for k, sp in enumerate(variant) if sp.kind == "attr" and not sp.negate), None)
                if anchor is None:
                    cand = np.arange(n - length + 1, dtype=np.int64)
                else:
                    cand = corpus.positions(variant[anchor], self.strings) - anchor
                    cand = cand[(cand >= 0) & (cand + length <= n)]
                for k, sp in enumerate(variant):
                    if not len(cand):
                        break
                    if k != anchor:
                        cand = cand[corpus.check(sp, cand + k, self.strings)]
                if not len(cand):
                    continue
                cand = cand[(corpus.doc_of[cand] >= 0) & (corpus.doc_of[cand] == corpus.doc_of[cand + length - 1])]
                for p in cand:
                    d = int(corpus.doc_of[p])
                    s = int(p - corpus.starts[d])
                    out.append((d, code, label, s, s + length))
        return out


_MULT = np.uint64(0x9E3779B97F4A7C15)


def _roll(col: np.ndarray, length: int) -> np.ndarray:
    """Hash of every window of ``length`` consecutive values (wrapping uint64 arithmetic)."""
    span = len(col) - length + 1
    h = col[:span].copy()
    with np.errstate(over="ignore"):
        for k in range(1, length):
            h = h * _MULT + col[k:k + span]
    return h


def _roll_one(values: Sequence[int]) -> int:
    return int(_roll(np.array(values, dtype=np.uint64), len(values))[0])


class PhraseIndex:
    """Exact phrase matching over a whole corpus: sequences of token hashes per attribute.

    Every window of the corpus is hashed once per phrase length (a few numpy
    passes), looked up among the phrases' hashes, and each candidate is then
    verified token by token, so hash collisions cannot produce a false match.
    """

    def __init__(self):
        self.phrases: dict[str, dict[tuple[int, ...], list[tuple[str, str, str]]]] = {"NORM": {}, "LOWER": {}}

    def add(self, attr: str, hashes: Sequence[int], code: str, label: str, method: str) -> None:
        key = tuple(int(h) for h in hashes)
        entries = self.phrases[attr].setdefault(key, [])
        if not any(e[0] == code for e in entries):
            entries.append((code, label, method))

    def __len__(self) -> int:
        return sum(len(v) for v in self.phrases.values())

    def match(self, corpus: CorpusArrays) -> list[tuple[int, str, str, str, int, int]]:
        """All matches: (doc index, code, label, method, start, end)."""
        out = []
        for attr, table in self.phrases.items():
            if not table:
                continue
            col = corpus.columns[attr]
            by_len: dict[int, list[tuple[int, ...]]] = {}
            for key in table:
                by_len.setdefault(len(key), []).append(key)
            for length, keys in by_len.items():
                if length > corpus.n:
                    continue
                wanted = np.array(sorted({_roll_one(k) for k in keys}), dtype=np.uint64)
                hit = np.flatnonzero(np.isin(_roll(col, length), wanted))
                if len(hit):
                    hit = hit[(corpus.doc_of[hit] >= 0) & (corpus.doc_of[hit] == corpus.doc_of[hit + length - 1])]
                for p in hit:
                    entries = table.get(tuple(int(x) for x in col[p:p + length]))
                    if not entries:
                        continue  # a hash collision, not a match
                    d = int(corpus.doc_of[p])
                    s = int(p - corpus.starts[d])
                    for code, label, method in entries:
                        out.append((d, code, label, method, s, s + length))
        return out
