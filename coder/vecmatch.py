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

    For ``NORM`` and ``LOWER`` it keeps the sorted distinct values and each
    token's index into them (a dense word id), so a token spec is evaluated
    once per distinct word and then gathered, and phrases are compared as
    small integers.
    """

    def __init__(self, norm: np.ndarray, lower: np.ndarray, like_num: np.ndarray, doc_of: np.ndarray,
                 starts: np.ndarray, *, vocab: dict[str, tuple[np.ndarray, np.ndarray]] | None = None):
        """Arrays over all tokens; ``doc_of`` is each token's doc index (-1 for separators).

        ``vocab`` may give, per attribute, the sorted distinct values and each
        token's index into them when the caller already knows them (as
        :func:`coder.chunktok.tokenize_units` does); otherwise they are computed.
        """
        self.n = len(norm)
        self.columns = {"NORM": norm.astype(np.uint64, copy=False), "LOWER": lower.astype(np.uint64, copy=False)}
        self.like_num = like_num.astype(bool, copy=False)
        self.doc_of = doc_of.astype(np.int64, copy=False)
        self.starts = starts.astype(np.int64, copy=False)
        self.vocab: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for attr in _ATTRS:
            if vocab is not None and attr in vocab:
                self.vocab[attr] = vocab[attr]
            elif self.n:
                uniq, inverse = np.unique(self.columns[attr], return_inverse=True)
                self.vocab[attr] = (uniq, inverse.reshape(-1))
            else:
                self.vocab[attr] = (np.zeros(0, np.uint64), np.zeros(0, np.int64))
        self._masks: dict[_Spec, np.ndarray] = {}
        self._positions: dict[_Spec, np.ndarray] = {}
        self._index: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def from_docs(cls, docs: Sequence[Any]) -> "CorpusArrays":
        """Arrays of separate docs, concatenated."""
        from spacy.attrs import LIKE_NUM, LOWER, NORM

        arrays = [d.to_array([NORM, LOWER, LIKE_NUM]).reshape(-1, 3) for d in docs]
        lengths = np.array([len(d) for d in docs], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(docs) else np.zeros(0, np.int64)
        big = np.concatenate(arrays) if arrays else np.zeros((0, 3), dtype=np.uint64)
        return cls(big[:, 0], big[:, 1], big[:, 2], np.repeat(np.arange(len(docs)), lengths), starts)

    def ids(self, attr: str, hashes: np.ndarray) -> np.ndarray:
        """Dense ids of hash values of ``attr`` (same shape), -1 where a value occurs nowhere in the corpus."""
        uniq = self.vocab[attr][0]
        hashes = np.asarray(hashes, dtype=np.uint64)
        if not len(uniq):
            return np.full(hashes.shape, -1, dtype=np.int64)
        loc = np.minimum(np.searchsorted(uniq, hashes), len(uniq) - 1)
        return np.where(uniq[loc] == hashes, loc, -1).astype(np.int64)

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
        """Sorted token positions satisfying a positive attribute spec."""
        cached = self._positions.get(spec)
        if cached is None:
            cached = self._positions[spec] = self.where(spec.attr, self.mask(spec, strings))
        return cached

    def where(self, attr: str, mask: np.ndarray) -> np.ndarray:
        """Sorted positions of the tokens whose ``attr`` value is selected by ``mask`` (over distinct values).

        Rare words are looked up in an inverted index (token positions grouped
        by value, built on first use), common ones found by one pass over the
        corpus, whichever reads fewer positions.
        """
        uniq, inverse = self.vocab[attr]
        ids = np.flatnonzero(mask)
        if not len(ids):
            return np.zeros(0, dtype=np.int64)
        order, offsets = self._inverted(attr)
        counts = offsets[ids + 1] - offsets[ids]
        total = int(counts.sum())
        if total * 8 > self.n:
            return np.flatnonzero(mask[inverse])
        first = np.zeros(len(ids), dtype=np.int64)
        np.cumsum(counts[:-1], out=first[1:])
        picked = order[np.repeat(offsets[ids] - first, counts) + np.arange(total, dtype=np.int64)]
        picked.sort()
        return picked

    def _inverted(self, attr: str) -> tuple[np.ndarray, np.ndarray]:
        cached = self._index.get(attr)
        if cached is None:
            uniq, inverse = self.vocab[attr]
            # a stable sort of small integers is a radix sort in numpy: ids fit 16 bits in most corpora
            keys = inverse.astype(np.uint16 if len(uniq) <= 1 << 16 else np.uint32)
            order = np.argsort(keys, kind="stable")
            offsets = np.zeros(len(uniq) + 1, dtype=np.int64)
            np.cumsum(np.bincount(inverse, minlength=len(uniq)), out=offsets[1:])
            cached = self._index[attr] = (order, offsets)
        return cached

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
        pos, length, which = self.match_arrays(corpus)
        doc = corpus.doc_of[pos]
        start = pos - corpus.starts[doc]
        return [(int(d), self.patterns[w][0], self.patterns[w][1], int(s), int(s + n))
                for d, w, s, n in zip(doc, which, start, length)]

    def match_arrays(self, corpus: CorpusArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All matches as arrays: corpus position, length and pattern index (in :meth:`match`'s order)."""
        pos_out, len_out, which_out = [], [], []
        n = corpus.n
        for w, (_code, _label, variants) in enumerate(self.patterns):
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
                pos_out.append(cand)
                len_out.append(np.full(len(cand), length, dtype=np.int64))
                which_out.append(np.full(len(cand), w, dtype=np.int64))
        return _cat(pos_out), _cat(len_out), _cat(which_out)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


class PhraseIndex:
    """Exact phrase matching over a whole corpus: sequences of token hashes per attribute.

    Phrases are grouped by attribute and length.  Each phrase becomes a row of
    dense word ids of the corpus (phrases with a word the corpus lacks cannot
    match and are dropped); candidate windows are narrowed word by word with
    boolean lookups over the distinct words, then each survivor is hashed,
    looked up among the phrases' hashes and verified id by id, so a hash
    collision cannot produce a false match.
    """

    def __init__(self):
        self.phrases: dict[str, dict[tuple[int, ...], list[tuple[str, str, str]]]] = {"NORM": {}, "LOWER": {}}
        self._compiled: list | None = None
        self.entries: list[tuple[str, str, str]] = []  # (code, label, method) of match_arrays' entry ids

    def add(self, attr: str, hashes: Sequence[int], code: str, label: str, method: str) -> None:
        key = tuple(int(h) for h in hashes)
        entries = self.phrases[attr].setdefault(key, [])
        if not any(e[0] == code for e in entries):
            entries.append((code, label, method))
        self._compiled = None

    def __len__(self) -> int:
        return sum(len(v) for v in self.phrases.values())

    def _groups(self) -> list:
        """Per (attribute, length), in matching order: the phrases as a hash matrix and their entries."""
        if self._compiled is None:
            entry_id: dict[tuple[str, str, str], int] = {}
            groups = []
            for attr, table in self.phrases.items():
                by_len: dict[int, list[tuple[int, ...]]] = {}
                for key in table:
                    by_len.setdefault(len(key), []).append(key)
                for length, keys in by_len.items():
                    flat = [entry_id.setdefault(e, len(entry_id)) for key in keys for e in table[key]]
                    counts = np.array([len(table[key]) for key in keys], dtype=np.int64)
                    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
                    groups.append((attr, length, np.array(keys, dtype=np.uint64).reshape(len(keys), length),
                                   first, counts, np.array(flat, dtype=np.int64)))
            self.entries = list(entry_id)
            self._compiled = groups
        return self._compiled

    def match(self, corpus: CorpusArrays) -> list[tuple[int, str, str, str, int, int]]:
        """All matches: (doc index, code, label, method, start, end)."""
        pos, length, entry = self.match_arrays(corpus)
        doc = corpus.doc_of[pos]
        start = pos - corpus.starts[doc]
        return [(int(d), *self.entries[e], int(s), int(s + n)) for d, e, s, n in zip(doc, entry, start, length)]

    def match_arrays(self, corpus: CorpusArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All matches as arrays: corpus position, length and entry id (see ``entries``).

        The order is :meth:`match`'s: by attribute and length group, then position, then entry.
        """
        pos_out, len_out, entry_out = [], [], []
        for attr, length, keys, first, counts, flat in self._groups():
            if length > corpus.n:
                continue
            ids = corpus.ids(attr, keys)
            rows = np.flatnonzero((ids >= 0).all(axis=1))
            if not len(rows):
                continue
            ids = ids[rows]
            opening = np.zeros(len(corpus.vocab[attr][0]), dtype=bool)  # the phrases' first words
            opening[ids[:, 0]] = True
            hit, which = _find_windows(corpus.vocab[attr][1], len(corpus.vocab[attr][0]), ids,
                                       corpus.where(attr, opening))
            if not len(hit):
                continue
            same = (corpus.doc_of[hit] >= 0) & (corpus.doc_of[hit] == corpus.doc_of[hit + length - 1])
            hit, phrase = hit[same], rows[which[same]]
            n_entries = counts[phrase]
            total = int(n_entries.sum())
            offsets = np.concatenate([[0], np.cumsum(n_entries)[:-1]]).astype(np.int64)
            entry_index = np.repeat(first[phrase] - offsets, n_entries) + np.arange(total, dtype=np.int64)
            pos_out.append(np.repeat(hit, n_entries))
            len_out.append(np.full(total, length, dtype=np.int64))
            entry_out.append(flat[entry_index])
        return _cat(pos_out), _cat(len_out), _cat(entry_out)


def _find_windows(col: np.ndarray, n_values: int, phrases: np.ndarray,
                  starts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Where in ``col`` (dense ids) each phrase (rows of ``phrases``, all one length) occurs.

    ``starts`` may give the sorted positions holding a phrase's first word.
    Returns ascending start positions and, for each, the row of the phrase found there.
    """
    length = phrases.shape[1]
    span = len(col) - length + 1
    if span <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if starts is None:
        ok = np.zeros(n_values, dtype=bool)
        ok[phrases[:, 0]] = True
        cand = np.flatnonzero(ok[col[:span]])
    else:
        cand = starts[starts < span]
    for k in range(1, length):
        if not len(cand):
            break
        ok = np.zeros(n_values, dtype=bool)
        ok[phrases[:, k]] = True
        cand = cand[ok[col[cand + k]]]
    if not len(cand):
        return cand, cand
    if len(phrases) == 1:
        return cand, np.zeros(len(cand), dtype=np.int64)
    wanted = _hash_rows(phrases)
    order = np.argsort(wanted, kind="stable")
    wanted = wanted[order]
    if len(wanted) > 1 and not (wanted[1:] != wanted[:-1]).all():  # two phrases share a hash: look each up
        table = {tuple(int(x) for x in row): i for i, row in enumerate(phrases)}
        windows = np.stack([col[cand + k] for k in range(length)], axis=1)
        which = np.array([table.get(tuple(int(x) for x in w), -1) for w in windows], dtype=np.int64)
        keep = which >= 0
        return cand[keep], which[keep]
    h = _hash_rows(np.stack([col[cand + k] for k in range(length)], axis=1))
    loc = np.minimum(np.searchsorted(wanted, h), len(wanted) - 1)
    found = wanted[loc] == h
    which = order[loc]
    for k in range(length):  # verify: no false match from a collision
        found &= phrases[which, k] == col[cand + k]
    return cand[found], which[found]


_MULT = np.uint64(0x9E3779B97F4A7C15)


def _hash_rows(rows: np.ndarray) -> np.ndarray:
    """A hash of each row of non-negative integers (wrapping uint64 arithmetic)."""
    h = rows[:, 0].astype(np.uint64)
    with np.errstate(over="ignore"):
        for k in range(1, rows.shape[1]):
            h = h * _MULT + rows[:, k].astype(np.uint64)
    return h
