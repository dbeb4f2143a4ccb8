"""Exact spaCy tokenisation of many unit texts, each distinct chunk tokenised once.

spaCy's tokenizer splits a text on single spaces into chunks and tokenises
each chunk on its own (prefixes, suffixes, infixes, special cases), so a
unit's tokens are the concatenation of its chunks' tokens.  Real text
repeats words, so most chunks of a corpus have been seen before: spaCy keeps
a cache of chunk tokenisations for that reason, but it is small (10,000
chunks) and is not written for the rest of a text once a special case such
as "don't" has been used in it.  :func:`tokenize_units` does the same
caching at corpus scale, with numpy instead of one ``Doc`` per unit:

1. all units are split on ``" "`` at once and every *distinct* chunk gets an
   id (a dict);
2. the distinct chunks are tokenised once each, by the same tokenizer,
   joined into one text with a separator token between them;
3. each unit's token attributes are gathered from its chunks' rows, and
   character offsets rebuilt from the chunk lengths.

The result equals tokenising every unit on its own, token for token (tested).
Two cases where chunks are not independent are detected and those units are
tokenised whole instead, one ``Doc`` each:

* whitespace other than single spaces between chunks (``"a  b"``, a tab, a
  newline, leading or trailing space, an empty text): spaCy makes tokens of
  such whitespace;
* two adjacent chunks whose last and first tokens could together form a
  multi-token special case that spaCy's special-case matcher looks for
  across tokens (for example ``":"`` then ``")"``).  Such a match across a
  space never applies a rule (the span's text contains the space), but it
  could shadow an overlapping match inside one chunk.

This is word-level caching only: nothing is cached per unit or sentence,
every unit is still split and every token still matched, and the cache lives
for one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import Sequence

import numpy as np

__all__ = ["UnitTokens", "tokenize_units"]

_SEP = " \u2029 "  # between distinct chunks: its own whitespace token, never part of a chunk's


@dataclass
class UnitTokens:
    """Token attributes of many units, concatenated (no separator tokens).

    ``norm``, ``lower`` and ``orth`` are hash arrays, ``norm_id``/``lower_id``
    index the sorted distinct hashes ``norm_uniq``/``lower_uniq``; ``idx`` is
    each token's character offset inside its unit, ``orth_len`` its length;
    ``unit`` is each token's unit index and ``starts``/``ends`` delimit each
    unit's tokens.
    """

    norm: np.ndarray
    lower: np.ndarray
    like_num: np.ndarray
    orth_len: np.ndarray
    idx: np.ndarray
    unit: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    norm_uniq: np.ndarray
    norm_id: np.ndarray
    lower_uniq: np.ndarray
    lower_id: np.ndarray
    distinct_chunks: int = 0
    whole_units: int = 0

    def __len__(self) -> int:
        return len(self.norm)


_PAIRS: dict[int, tuple[object, int, set[tuple[str, str]]]] = {}


def _multi_token_special_pairs(tokenizer) -> set[tuple[str, str]]:
    """(last, first) token pairs at which a multi-token special-case pattern could span two chunks.

    Computed once per tokenizer (about 20 ms for English) and kept with it.
    """
    n_rules = len(tokenizer.rules)
    cached = _PAIRS.get(id(tokenizer))
    if cached is not None and cached[0] is tokenizer and cached[1] == n_rules:
        return cached[2]
    from spacy.tokenizer import Tokenizer

    bare = Tokenizer(tokenizer.vocab, rules={}, prefix_search=tokenizer.prefix_search,
                     suffix_search=tokenizer.suffix_search, infix_finditer=tokenizer.infix_finditer,
                     token_match=tokenizer.token_match, url_match=tokenizer.url_match)
    pairs: set[tuple[str, str]] = set()
    for string in tokenizer.rules:
        # the strings spaCy adds to its special-case matcher (Tokenizer.add_special_case)
        if (not tokenizer.faster_heuristics or tokenizer.find_prefix(string) or tokenizer.find_infix(string)
                or tokenizer.find_suffix(string) or " " in string):
            orths = [t.orth_ for t in bare(string)]
            pairs.update((orths[k - 1], orths[k]) for k in range(1, len(orths)))
    _PAIRS[id(tokenizer)] = (tokenizer, n_rules, pairs)  # holding the tokenizer keeps its id unique
    return pairs


def _rows(tokenizer, texts: list[str], sep: str):
    """Tokenise texts joined by ``sep``; per text, its token rows (attrs and offsets inside the text)."""
    from spacy.attrs import IDX, LIKE_NUM, LOWER, NORM, ORTH

    strings = tokenizer.vocab.strings
    if not texts:
        empty = np.zeros(0, dtype=np.uint64)
        return empty, empty, empty, empty, np.zeros((2, 0), np.int64), np.zeros(1, np.int64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + len(sep), out=starts[1:])
    doc = tokenizer(sep.join(texts))
    arr = doc.to_array([NORM, LOWER, LIKE_NUM, IDX, ORTH]).reshape(-1, 5).astype(np.uint64)
    idx = arr[:, 3].astype(np.int64)
    owner = np.searchsorted(starts, idx, side="right") - 1
    keep = (owner >= 0) & (idx < starts[np.maximum(owner, 0)] + lengths[np.maximum(owner, 0)])
    arr, idx, owner = arr[keep], idx[keep], owner[keep]
    bounds = np.searchsorted(owner, np.arange(len(texts) + 1), side="left")
    orth_len = np.fromiter((len(strings[int(h)]) for h in arr[:, 4]), dtype=np.int64, count=len(arr))
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 4], np.stack([idx - starts[owner], orth_len]), bounds


def tokenize_units(tokenizer, texts: Sequence[str]) -> UnitTokens:
    """Tokenise every text exactly as ``tokenizer(text)`` would, sharing the work for repeated chunks."""
    texts = list(texts)
    n_units = len(texts)
    per_unit = np.fromiter(map(str.count, texts, repeat(" ")), dtype=np.int64, count=n_units) + 1
    pieces = " ".join(texts).split(" ") if n_units else []
    distinct = list(dict.fromkeys(pieces))
    index = {p: i for i, p in enumerate(distinct)}
    piece_id = np.fromiter(map(index.__getitem__, pieces), dtype=np.int64, count=len(pieces))
    piece_unit = np.repeat(np.arange(n_units, dtype=np.int64), per_unit)

    # chunks with whitespace in them (from tabs, newlines, double spaces) or empty ones (from leading, trailing
    # or double spaces, or an empty text): their units are tokenised whole
    bad = np.fromiter((not p or len(p.split()) != 1 for p in distinct), dtype=bool, count=len(distinct))
    good = [p for p, b in zip(distinct, bad) if not b]
    c_norm, c_lower, c_like, c_orth, c_pos, c_bounds = _rows(tokenizer, good, _SEP)
    n_good = len(good)
    # row range of each distinct chunk (bad chunks get an empty range; their units are redone whole)
    seg_start = np.zeros(len(distinct), dtype=np.int64)
    seg_len = np.zeros(len(distinct), dtype=np.int64)
    good_ids = np.flatnonzero(~bad)
    seg_start[good_ids] = c_bounds[:-1]
    seg_len[good_ids] = np.diff(c_bounds)
    whole = np.zeros(n_units, dtype=bool)
    if bad.any():
        whole[piece_unit[bad[piece_id]]] = True
    if n_good and len(pieces) > 1:
        pairs = _multi_token_special_pairs(tokenizer)
        if pairs:
            strings = tokenizer.vocab.strings
            firsts = {strings.add(a) for a, _ in pairs}
            seconds = {strings.add(b) for _, b in pairs}
            first_tok = np.zeros(len(distinct), dtype=np.uint64)
            last_tok = np.zeros(len(distinct), dtype=np.uint64)
            nonempty = seg_len > 0
            first_tok[nonempty] = c_orth[seg_start[nonempty]]
            last_tok[nonempty] = c_orth[seg_start[nonempty] + seg_len[nonempty] - 1]
            ends_pair = np.isin(last_tok, np.array(sorted(firsts), dtype=np.uint64)) & nonempty
            starts_pair = np.isin(first_tok, np.array(sorted(seconds), dtype=np.uint64)) & nonempty
            cand = np.flatnonzero(ends_pair[piece_id[:-1]] & starts_pair[piece_id[1:]]
                                  & (piece_unit[:-1] == piece_unit[1:]))
            hashed = {(strings.add(a), strings.add(b)) for a, b in pairs}
            for k in cand:
                if (int(last_tok[piece_id[k]]), int(first_tok[piece_id[k + 1]])) in hashed:
                    whole[piece_unit[k]] = True

    # entries: (unit, segment, char offset in the unit) in unit order; segments are chunks or whole units
    big_start = np.zeros(len(pieces), dtype=np.int64)  # offset of each piece in " ".join(texts)
    if len(pieces):
        piece_chars = np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct))[piece_id]
        np.cumsum(piece_chars[:-1] + 1, out=big_start[1:])
    unit_start = np.zeros(n_units, dtype=np.int64)
    if n_units:
        np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n_units)[:-1] + 1, out=unit_start[1:])
    keep = ~whole[piece_unit]
    e_unit = piece_unit[keep]
    e_start = seg_start[piece_id[keep]]
    e_len = seg_len[piece_id[keep]]
    e_off = big_start[keep] - unit_start[e_unit]
    whole_ids = np.flatnonzero(whole)
    if len(whole_ids):
        w_norm, w_lower, w_like, w_orth, w_pos, w_bounds = _rows_each(tokenizer, [texts[i] for i in whole_ids])
        base = len(c_norm)
        c_norm = np.concatenate([c_norm, w_norm])
        c_lower = np.concatenate([c_lower, w_lower])
        c_like = np.concatenate([c_like, w_like])
        c_pos = np.concatenate([c_pos, w_pos], axis=1)
        order = np.argsort(np.concatenate([e_unit, whole_ids]), kind="stable")
        e_unit = np.concatenate([e_unit, whole_ids])[order]
        e_start = np.concatenate([e_start, base + w_bounds[:-1]])[order]
        e_len = np.concatenate([e_len, np.diff(w_bounds)])[order]
        e_off = np.concatenate([e_off, np.zeros(len(whole_ids), dtype=np.int64)])[order]

    # expand entries into tokens
    total = int(e_len.sum())
    first = np.zeros(len(e_len), dtype=np.int64)
    if len(e_len):
        np.cumsum(e_len[:-1], out=first[1:])
    row = np.repeat(e_start - first, e_len) + np.arange(total, dtype=np.int64)
    unit = np.repeat(e_unit, e_len)
    idx = np.repeat(e_off, e_len) + c_pos[0][row]
    counts = np.bincount(unit, minlength=n_units) if total else np.zeros(n_units, dtype=np.int64)
    starts = np.zeros(n_units, dtype=np.int64)
    if n_units:
        np.cumsum(counts[:-1], out=starts[1:])
    norm_uniq, norm_inv = np.unique(c_norm, return_inverse=True)
    lower_uniq, lower_inv = np.unique(c_lower, return_inverse=True)
    return UnitTokens(norm=c_norm[row], lower=c_lower[row], like_num=c_like[row].astype(bool),
                      orth_len=c_pos[1][row], idx=idx, unit=unit, starts=starts, ends=starts + counts,
                      norm_uniq=norm_uniq, norm_id=norm_inv.reshape(-1)[row],
                      lower_uniq=lower_uniq, lower_id=lower_inv.reshape(-1)[row],
                      distinct_chunks=n_good, whole_units=len(whole_ids))


def _rows_each(tokenizer, texts: list[str]):
    """Like :func:`_rows`, one ``Doc`` per text (for units whose chunks are not independent)."""
    from spacy.attrs import IDX, LIKE_NUM, LOWER, NORM, ORTH

    strings = tokenizer.vocab.strings
    arrays = [d.to_array([NORM, LOWER, LIKE_NUM, IDX, ORTH]).reshape(-1, 5).astype(np.uint64)
              for d in tokenizer.pipe(texts)]
    counts = np.array([len(a) for a in arrays], dtype=np.int64)
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    arr = np.concatenate(arrays) if arrays else np.zeros((0, 5), dtype=np.uint64)
    orth_len = np.fromiter((len(strings[int(h)]) for h in arr[:, 4]), dtype=np.int64, count=len(arr))
    pos = np.stack([arr[:, 3].astype(np.int64), orth_len])
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 4], pos, bounds
