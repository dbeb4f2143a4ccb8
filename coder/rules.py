"""Rule matching: codebook keywords and token patterns, with negation and hypotheticals.

Matching works the ``SpanRuler`` way, every match keeping its code id and
rule: keywords are phrases and token patterns are spaCy ``Matcher``
patterns.  For speed, both run over all units at once (:mod:`coder.vecmatch`):
keywords and small fixed-length patterns as exact token-hash sequences,
other fixed-length patterns as vectorised token predicates; only patterns
with ``*`` or ``+`` go to spaCy's ``Matcher`` itself.  The results are
exactly those of spaCy's ``PhraseMatcher`` and ``Matcher`` (tested).

The auto-coder's fast path (:meth:`RuleMatcher.match_table`) keeps the whole
run in arrays, because per-unit Python work, not matching, was the cost:
units are tokenised by :func:`coder.chunktok.tokenize_units` (each distinct
space-separated chunk once, exactly as spaCy would tokenise every unit), all
matches are ordered, de-duplicated and assessed for negation with numpy
(:func:`_assess_table`, the same walk as :func:`_assess`), and the result is
a :class:`MatchTable` of columns rather than a ``Match`` per hit.  Large runs
may match consecutive parts of the units in forked processes
(:meth:`RuleMatcher.match_tables`, :func:`default_workers`).

Keywords match on *lower-cased lookup lemmas*, so ``evicted``,
``Evicted`` and ``eviction``'s lemma-mates all meet the keyword ``evict``.  The
lemma is stored as each lexeme's ``NORM`` (computed once per word type, never
per token), which keeps matching close to bare tokenisation speed; in token
patterns ``LEMMA`` is read the same way.

Negation (:func:`assess`) is NegEx-style (Chapman et al. 2001,
doi:10.1006/jbin.2001.1029) adapted to spoken family talk:

* a *pre* trigger (``no``, ``not``/``n't``, ``never``, ``nothing``, ``without`` …)
  negates a match when it stands before it in the same clause and every word
  between them is a light "bridge" word (``been``, ``in``, ``any``, ``touched``
  …).  So "I've never been in trouble with the police" and "he doesn't drink"
  are negated, but "I couldn't stop drinking" and "we couldn't pay the rent"
  are not: ``stop`` and ``pay`` are content words, and the negation is part of
  the problem.
* *post* triggers ("never has", "was never a problem", "not an issue") negate
  a match they follow in the same clause.
* the scope stops at clause boundaries: punctuation and ``but``, ``though``,
  ``although``, ``except``, ``however``, ``whereas``, ``until``, ``till``.
* *pseudo* triggers are history or inability, not absence: "no longer",
  "not any more", "never again", "not only", and "couldn't pay", "can't
  cope", "couldn't stop" (the inability is the problem).

Hypotheticals and fears ("I was scared they'd take the kids", "if we lost the
flat") are detected by fear and conditional triggers earlier in the sentence;
the codebook says what to do with them (``hypotheticals: low|skip|code``).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np
from spacy.attrs import LOWER as LOWER_ATTR
from spacy.attrs import NORM as NORM_ATTR

from .codebook import Codebook
from .vecmatch import CorpusArrays, PhraseIndex, VectorMatcher, compile_pattern

__all__ = ["matching_nlp", "RuleMatcher", "Match", "MatchTable", "assess", "default_workers", "NEGATED",
           "HYPOTHETICAL", "STATUS_PLAIN", "STATUS_NEGATED", "STATUS_HYPOTHETICAL"]

NEGATED = "negated"
HYPOTHETICAL = "hypothetical"

PRE_TRIGGERS = {"no", "not", "never", "nothing", "nobody", "none", "neither", "nor", "without", "nae", "ain't"}
PRE_PHRASES = [("no", "one"), ("not", "once"), ("not", "a"), ("free", "of"), ("not", "any")]
PSEUDO = [("no", "long"), ("no", "longer"), ("not", "any", "more"), ("not", "anymore"), ("never", "again"),
          ("not", "only"), ("not", "just"), ("no", "doubt"), ("nothing", "but"), ("not", "until"), ("never", "stop")]
# "couldn't pay the rent", "can't cope": inability is the problem, not its absence.
PSEUDO += [("not", verb) for verb in ("pay", "afford", "cope", "stop", "manage", "sleep", "keep", "feed", "heat",
                                      "face", "handle", "control", "breathe", "function", "work")]
POST_PHRASES = [
    ("never", "have"), ("never", "has"), ("never", "do"), ("never", "did"), ("never", "be", "a", "problem"),
    ("never", "was", "a", "problem"), ("not", "a", "problem"), ("never", "an", "issue"), ("not", "an", "issue"),
    ("never", "a", "problem"), ("never", "really", "a", "problem"), ("never", "an", "problem"),
    ("not", "a", "thing"), ("never", "happen"), ("never", "happened"), ("was", "not", "a", "problem"),
]
# Light words that may stand between a negation trigger and what it negates.
BRIDGE = {
    "be", "been", "being", "was", "were", "is", "are", "am", "'s", "'ve", "'d", "'m", "'re", "have", "has", "had",
    "do", "does", "did", "ever", "really", "even", "any", "anything", "a", "an", "the", "of", "in", "into", "on",
    "with", "to", "at", "for", "about", "much", "many", "my", "his", "her", "their", "our", "your", "its", "me",
    "him", "them", "us", "it", "that", "this", "there", "touch", "touched", "take", "took", "use", "used",
    "get", "got", "gotten", "go", "gone", "went", "one", "single", "real", "proper", "kind", "sort", "like",
    "big", "serious", "bit", "lot", "problem", "problems", "issue", "issues", "sign", "signs", "history",
    "trouble", "involved", "mixed", "up", "he", "she", "they", "we", "i", "you", "so", "too", "as", "far",
    "know", "think", "tell", "told", "call", "called", "ring", "rang", "phone", "phoned", "contact", "contacted",
    "ask", "asked",
}
CLAUSE_WORDS = {"but", "though", "although", "however", "except", "whereas", "until", "till", "cos", "because",
                "which", "who", "so", "then", "and"}
CLAUSE_PUNCT = {",", ";", ":", ".", "!", "?", "—", "–", "-", "(", ")", "\"", "…"}
FEAR_TRIGGERS = {"scared", "terrified", "afraid", "frightened", "worried", "worry", "fear", "feared", "dread",
                 "panicking", "petrified", "if", "might", "whether", "unless", "imagine", "nightmare"}
FEAR_PHRASES = [("what", "if"), ("in", "case"), ("could", "have"), ("would", "have"), ("threaten", "to"),
                ("threatened", "to")]
PRE_WINDOW = 6
POST_WINDOW = 5
FEAR_WINDOW = 10


@lru_cache(maxsize=2)
def matching_nlp(lang: str = "en"):
    """A tokeniser-only pipeline whose lexeme ``NORM`` is the lower-cased lookup lemma."""
    import spacy
    from spacy.attrs import NORM

    from .segment import get_nlp

    helper = get_nlp(f"blank:{lang}")  # the segmenter's pipeline: its lookup tables are loaded once per process
    table = helper.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")

    def norm(string: str) -> str:
        low = string.lower()
        return table.get(low, low)

    nlp = spacy.blank(lang)
    nlp.vocab.lex_attr_getters[NORM] = norm
    for lex in list(nlp.vocab):  # lexemes created before the getter was set
        lex.norm_ = norm(lex.orth_)
    nlp.lemma_of = norm  # for patterns and keywords given as plain words
    return nlp


@dataclass(frozen=True)
class Match:
    """One rule match in a unit: token span ``[start, end)`` and char span ``[start_char, end_char)``."""

    code: str
    start: int
    end: int
    start_char: int
    end_char: int
    method: str  # keyword | pattern
    rule: str  # the keyword or a readable pattern
    status: str | None = None  # None, NEGATED or HYPOTHETICAL
    trigger: str | None = None


# MatchTable.status values: index into MatchTable.STATUS
STATUS_PLAIN, STATUS_NEGATED, STATUS_HYPOTHETICAL = 0, 1, 2


@dataclass
class MatchTable:
    """Rule matches of many units as columns, listed as :meth:`RuleMatcher.find_texts` lists them.

    Row ``i`` is a match in unit ``unit[i]``: tokens ``[start, end)``,
    characters ``[start_char, end_char)`` of the unit's text, rule id
    ``rule[i]`` (``rules[rule[i]]`` is its ``(code, rule, method)``),
    ``status`` 0 (plain), 1 (negated) or 2 (hypothetical), and its trigger.
    Rows are sorted by unit, then start, then code.
    """

    rules: list[tuple[str, str, str]]
    n_units: int
    unit: np.ndarray
    start: np.ndarray
    end: np.ndarray
    start_char: np.ndarray
    end_char: np.ndarray
    rule: np.ndarray
    status: np.ndarray
    trigger: list[str | None]

    STATUS = (None, NEGATED, HYPOTHETICAL)

    def __len__(self) -> int:
        return len(self.unit)

    def __repr__(self) -> str:
        return f"MatchTable({len(self)} matches in {self.n_units} units, {len(self.rules)} rules)"

    def lists(self) -> list[list[Match]]:
        """One list of :class:`Match` per unit."""
        out: list[list[Match]] = [[] for _ in range(self.n_units)]
        rules, names = self.rules, self.STATUS
        for u, s, e, sc, ec, r, st, tr in zip(self.unit.tolist(), self.start.tolist(), self.end.tolist(),
                                              self.start_char.tolist(), self.end_char.tolist(), self.rule.tolist(),
                                              self.status.tolist(), self.trigger):
            code, label, method = rules[r]
            out[u].append(Match(code, s, e, sc, ec, method, label, names[st], tr))
        return out


def _pattern_to_norm(pattern: list[dict[str, Any]], lemma_of) -> list[dict[str, Any]]:
    """Read ``LEMMA`` in codebook token patterns as the lower-cased lookup lemma (our NORM)."""
    out = []
    for tok in pattern:
        new = {}
        for key, value in tok.items():
            if key == "LEMMA":
                if isinstance(value, str):
                    new["NORM"] = lemma_of(value)
                elif isinstance(value, dict):
                    new["NORM"] = {op: ([lemma_of(v) for v in vals] if isinstance(vals, list) else vals)
                                   for op, vals in value.items()}
                else:
                    new["NORM"] = value
            elif key in ("LOWER", "NORM") and isinstance(value, str):
                new[key] = value.lower()
            else:
                new[key] = value
        out.append(new)
    return out


def _anchor(pattern: list[dict[str, Any]]) -> set[str] | None:
    """Words one of which must occur for the pattern to match (from a required LOWER/NORM token), or None."""
    for tok in pattern:
        if tok.get("OP") not in (None, "+", "!") or tok.get("OP") == "!":
            continue
        for key in ("NORM", "LOWER"):
            value = tok.get(key)
            if isinstance(value, str):
                return {value}
            if isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(v, str) for v in value["IN"]):
                return set(value["IN"])
    return None


MAX_EXPANSION = 64  # larger cross products go to the vectorised matcher instead
_EXACT_ATTRS = {"LOWER": "LOWER", "NORM": "NORM"}


def _expand(pattern: list[dict[str, Any]]) -> tuple[str, list[tuple[str, ...]]] | None:
    """Compile a fixed-length token pattern into the phrases it matches, when that is exact.

    Patterns whose tokens each test one attribute (LOWER, or NORM for LEMMA)
    against a string or an ``IN`` list, with ``OP`` absent or ``?``, match
    exactly the cross product of their values; phrase lookup finds those
    far faster than the token Matcher.  Anything else returns None.
    """
    attr = None
    options: list[list[str | None]] = []
    for tok in pattern:
        op = tok.get("OP")
        if op not in (None, "?"):
            return None
        keys = [k for k in tok if k != "OP"]
        if len(keys) != 1 or keys[0] not in _EXACT_ATTRS:
            return None
        key = keys[0]
        if attr is None:
            attr = key
        elif attr != key:
            return None
        value = tok[key]
        if isinstance(value, str):
            values = [value]
        elif isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(v, str) for v in value["IN"]):
            values = list(value["IN"])
        else:
            return None
        if attr == "LOWER":
            values = [v.lower() for v in values]
        options.append(values + ([None] if op == "?" else []))
    phrases: list[tuple[str, ...]] = [()]
    for values in options:
        phrases = [p + ((v,) if v is not None else ()) for p in phrases for v in values]
        if len(phrases) > MAX_EXPANSION:
            return None
    phrases = [p for p in dict.fromkeys(phrases) if p and all(" " not in w for w in p)]
    if not phrases or attr is None:
        return None
    return attr, phrases


def _pattern_label(pattern: list[dict[str, Any]]) -> str:
    parts = []
    for tok in pattern:
        bits = []
        for k, v in tok.items():
            if k == "OP":
                continue
            if isinstance(v, dict) and "IN" in v:
                bits.append("|".join(map(str, v["IN"])))
            else:
                bits.append(str(v))
        label = "/".join(bits) or "*"
        parts.append(label + tok.get("OP", ""))
    return " ".join(parts)


class RuleMatcher:
    """Keyword and pattern matcher for one codebook.

    Examples
    --------
    >>> from coder.codebook import parse_codebook
    >>> cb = parse_codebook('''
    ... codes:
    ...   - {id: eviction, name: Eviction, kind: problem, keywords: [evict]}
    ...   - {id: alcohol, name: Alcohol, kind: problem, keywords: [drink]}
    ... ''')
    >>> rm = RuleMatcher(cb)
    >>> [(m.code, m.status) for m in rm.find("After we got Evicted he was drinking.")]
    [('eviction', None), ('alcohol', None)]
    >>> [(m.code, m.status, m.trigger) for m in rm.find("He doesn't drink, never has.")]
    [('alcohol', 'negated', 'not')]
    """

    def __init__(self, codebook: Codebook, *, lang: str = "en"):
        from spacy.matcher import Matcher

        self.codebook = codebook
        self.nlp = matching_nlp(lang)
        self.phrases = PhraseIndex()
        self.matcher = Matcher(self.nlp.vocab)
        self.vector = VectorMatcher(self.nlp.vocab.strings)
        self.pattern_of: dict[str, list[str]] = {}
        self._always_match = False
        anchors: set[str] = set()
        vocab = self.nlp.vocab
        for code in codebook.codes:
            if code.keywords:
                for kw, d in zip(code.keywords, self.nlp.tokenizer.pipe(code.keywords)):
                    if len(d):
                        self.phrases.add("NORM", [t.norm for t in d], code.id, kw, "keyword")
            if code.patterns:
                self.pattern_of[code.id] = [_pattern_label(p) for p in code.patterns]
                for pattern in code.patterns:
                    norm_pattern = _pattern_to_norm(pattern, self.nlp.lemma_of)
                    expanded = _expand(norm_pattern)
                    if expanded is None:
                        variants = compile_pattern(norm_pattern)
                        if variants is not None:
                            self.vector.add(code.id, _pattern_label(pattern), variants)
                            continue
                        self.matcher.add(code.id, [norm_pattern])
                        anchor = _anchor(norm_pattern)
                        if anchor is None:
                            self._always_match = True
                        else:
                            anchors.update(anchor)
                        continue
                    attr, phrases = expanded
                    label = _pattern_label(pattern)
                    strings = self.nlp.vocab.strings
                    for words in phrases:
                        self.phrases.add(attr, [strings.add(w) for w in words], code.id, label, "pattern")
        self._pattern_labels = {c: (v[0] if len(v) == 1 else "; ".join(v)) for c, v in self.pattern_of.items()}
        self._anchor_hashes = np.array(sorted(vocab.strings.add(a) for a in anchors), dtype=np.uint64)
        self._label = {vocab.strings[c.id]: c.id for c in codebook.codes}
        self._label.update({vocab.strings.add(c.id): c.id for c in codebook.codes})
        self._rules: list[tuple[str, str, str]] = []  # (code, rule, method) of MatchTable rule ids
        self._rule_ids: dict[tuple[str, str, str], int] = {}

    def docs(self, texts: Iterable[str], batch_size: int = 1000):
        """Tokenise texts (the only pipeline work rule matching needs)."""
        return self.nlp.tokenizer.pipe(texts, batch_size=batch_size)

    def find(self, text_or_doc) -> list[Match]:
        """All rule matches in one unit, with negation/hypothetical status."""
        doc = self.nlp.make_doc(text_or_doc) if isinstance(text_or_doc, str) else text_or_doc
        return self.find_batch([doc])[0]

    def find_batch(self, docs: Sequence[Any]) -> list[list[Match]]:
        """Rule matches for many units at once: keywords and fixed-length patterns run over all of them."""
        hits: list[list[tuple]] = [[] for _ in docs]
        if docs and (len(self.phrases) or len(self.vector)):
            corpus = CorpusArrays.from_docs(docs)
            for d, code, label, method, start, end in self.phrases.match(corpus):
                hits[d].append((code, start, end, method, label))
            for d, code, label, start, end in self.vector.match(corpus):
                hits[d].append((code, start, end, "pattern", label))
        if len(self.matcher):
            for i, doc in enumerate(docs):
                arr = doc.to_array([NORM_ATTR, LOWER_ATTR]).reshape(-1, 2)
                if self._anchored(arr[:, 0], arr[:, 1]):
                    hits[i].extend(self._matcher_hits(doc))
        return [self._resolve(doc, h) if h else [] for doc, h in zip(docs, hits)]

    def find_texts(self, texts: Sequence[str], chunk: int = 250_000) -> list[list[Match]]:
        """Rule matches for many unit texts: the fast path (see :meth:`match_table`), as lists of Match."""
        out: list[list[Match]] = []
        for c0 in range(0, len(texts), chunk):
            out.extend(self.match_table(texts[c0:c0 + chunk]).lists())
        return out

    def match_tables(self, texts: Sequence[str], workers: int = 1) -> list["MatchTable"]:
        """:meth:`match_table` over ``workers`` consecutive parts of ``texts``, matched side by side.

        With ``workers`` > 1 (on Linux, where ``fork`` is safe), each part after the
        first is matched by a forked copy of this process, which sends its
        table back through a pipe, while this process matches the first part.
        Matching one unit never depends on another, so the tables are the ones
        one process makes for the same parts (tested).  A part whose process
        fails is matched here instead.  Returns one table per part, in order.
        """
        texts = list(texts)
        workers = max(1, min(int(workers), len(texts)))
        if workers == 1 or not _CAN_FORK:
            return [self.match_table(texts)]
        size = np.cumsum([len(t) + 1 for t in texts])  # parts of about equal text length
        cuts = [0, *np.searchsorted(size, [size[-1] * k / workers for k in range(1, workers)]).tolist(), len(texts)]
        parts = [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
        children: list[tuple[int, int] | None] = []
        try:
            for a, b in parts[1:]:
                try:
                    children.append(_fork_match_table(self, texts[a:b]))
                except OSError:
                    children.append(None)
            tables = [self.match_table(texts[parts[0][0]:parts[0][1]])]
            for k, (a, b) in enumerate(parts[1:]):
                child, children[k] = children[k], None
                table = _collect_match_table(child) if child is not None else None
                tables.append(table if table is not None else self.match_table(texts[a:b]))
            return tables
        finally:
            for child in children:  # only after an error here: stop and reap what is still running
                if child is not None:
                    _abandon(child)

    def match_table(self, texts: Sequence[str]) -> "MatchTable":
        """Rule matches for many unit texts, as columns: the fast path used by the auto-coder.

        Exactly :meth:`find_batch` over one doc per unit (tested), without a
        ``Doc`` or a ``Match`` object per unit:

        * tokenisation: :func:`coder.chunktok.tokenize_units` tokenises each
          distinct space-separated chunk once and gathers every unit's tokens
          from its chunks' rows (word-level caching, like spaCy's own cache);
        * matching: keywords and fixed-length patterns over all tokens at once
          on dense word ids (:mod:`coder.vecmatch`), the rare ``*``/``+``
          patterns with spaCy's Matcher on the units that contain an anchor
          word;
        * ordering and de-duplication as :meth:`find_batch` does them (a
          keyword before a pattern on the same span; by start, then code);
        * negation and hypotheticals: :func:`_assess_table`, the NegEx walk of
          :func:`_assess` run for all matches at once, step by step, with
          numpy.
        """
        from .chunktok import tokenize_units

        texts = list(texts)
        tok = tokenize_units(self.nlp.tokenizer, texts)
        corpus = CorpusArrays(tok.norm, tok.lower, tok.like_num, tok.unit, tok.starts,
                              vocab={"NORM": (tok.norm_uniq, tok.norm_id), "LOWER": (tok.lower_uniq, tok.lower_id)})
        pos_parts, len_parts, rule_parts = [], [], []
        if len(self.phrases):
            pos, length, entry = self.phrases.match_arrays(corpus)
            ent_rule = np.array([self._rule(*e) for e in self.phrases.entries], dtype=np.int64)
            pos_parts.append(pos)
            len_parts.append(length)
            rule_parts.append(ent_rule[entry] if len(entry) else entry)
        if len(self.vector):
            pos, length, which = self.vector.match_arrays(corpus)
            pat_rule = np.array([self._rule(code, label, "pattern") for code, label, _ in self.vector.patterns],
                                dtype=np.int64)
            pos_parts.append(pos)
            len_parts.append(length)
            rule_parts.append(pat_rule[which] if len(which) else which)
        if len(self.matcher):
            m_pos, m_len, m_rule = [], [], []
            for d in self._anchored_units(tok):
                for code, start, end, _method, label in self._matcher_hits(self.nlp.make_doc(texts[d])):
                    m_pos.append(int(tok.starts[d]) + start)
                    m_len.append(end - start)
                    m_rule.append(self._rule(code, label, "pattern"))
            pos_parts.append(np.array(m_pos, dtype=np.int64))
            len_parts.append(np.array(m_len, dtype=np.int64))
            rule_parts.append(np.array(m_rule, dtype=np.int64))
        pos = np.concatenate(pos_parts) if pos_parts else np.zeros(0, np.int64)
        length = np.concatenate(len_parts) if len_parts else np.zeros(0, np.int64)
        rule = np.concatenate(rule_parts) if rule_parts else np.zeros(0, np.int64)
        return self._table(tok, texts, pos, length, rule, corpus)

    def _rule(self, code: str, label: str, method: str) -> int:
        key = (code, label, method)
        rid = self._rule_ids.get(key)
        if rid is None:
            rid = self._rule_ids[key] = len(self._rules)
            self._rules.append(key)
        return rid

    def _anchored_units(self, tok) -> np.ndarray:
        """Units in which a spaCy-Matcher pattern can match at all (exact prefilter on token hashes)."""
        n_units = len(tok.starts)
        if self._always_match:
            return np.arange(n_units)
        hit = (np.isin(tok.norm_uniq, self._anchor_hashes)[tok.norm_id]
               | np.isin(tok.lower_uniq, self._anchor_hashes)[tok.lower_id])
        return np.flatnonzero(np.bincount(tok.unit[hit], minlength=n_units))

    def _table(self, tok, texts, pos, length, rule, corpus=None) -> "MatchTable":
        """Order and de-duplicate hits as :meth:`_make_matches` does, then assess them all at once."""
        n_rules = len(self._rules)
        codes = sorted({c for c, _, _ in self._rules})
        code_rank = {c: i for i, c in enumerate(codes)}
        r_code = np.array([code_rank[c] for c, _, _ in self._rules], dtype=np.int64).reshape(n_rules)
        r_pattern = np.array([m != "keyword" for _, _, m in self._rules], dtype=bool).reshape(n_rules)
        seq = np.arange(len(pos), dtype=np.int64)  # the order hits are listed per unit in find_batch
        unit = tok.unit[pos]
        start = pos - tok.starts[unit]
        code = r_code[rule]
        later = r_pattern[rule]
        # one match per (unit, code, start, end): the keyword, else the first hit
        order = np.lexsort((seq, later, length, start, code, unit))
        u, c, s, n = unit[order], code[order], start[order], length[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (c[1:] != c[:-1]) | (s[1:] != s[:-1]) | (n[1:] != n[:-1])
        kept = order[first]
        # listed by unit, then start, then code (ties: keyword first, then hit order)
        kept = kept[np.lexsort((seq[kept], later[kept], code[kept], start[kept], unit[kept]))]
        pos, length, rule, unit, start = pos[kept], length[kept], rule[kept], unit[kept], start[kept]
        status, trigger = _assess_table(tok, self.nlp.vocab.strings, pos, pos + length, corpus)
        last = pos + length - 1
        return MatchTable(rules=list(self._rules), n_units=len(texts), unit=unit, start=start, end=start + length,
                          start_char=tok.idx[pos], end_char=tok.idx[last] + tok.orth_len[last], rule=rule,
                          status=status, trigger=trigger)

    def _make_matches(self, hits, norms, lowers, local_idx, orth_len) -> list[Match]:
        found: dict[tuple[str, int, int], Match] = {}
        quiet = _TRIGGER_WORDS.isdisjoint(norms) and _TRIGGER_WORDS.isdisjoint(lowers)
        for code, start, end, method, rule in sorted(hits, key=lambda h: h[3] != "keyword"):
            if (code, start, end) in found:
                continue
            status, trigger = (None, None) if quiet else _assess(norms, lowers, start, end)
            start_char = int(local_idx[start])
            end_char = int(local_idx[end - 1]) + orth_len[end - 1]
            found[(code, start, end)] = Match(code, start, end, start_char, end_char, method, rule, status, trigger)
        return sorted(found.values(), key=lambda m: (m.start, m.code))

    def _resolve(self, doc, hits) -> list[Match]:
        from spacy.attrs import IDX, ORTH

        strings = self.nlp.vocab.strings
        arr = doc.to_array([NORM_ATTR, LOWER_ATTR, IDX, ORTH]).reshape(-1, 4)  # hashes: no Token objects needed
        norms = [strings[int(h)] for h in arr[:, 0]]
        lowers = [strings[int(h)] for h in arr[:, 1]]
        orth_len = [len(strings[int(h)]) for h in arr[:, 3]]
        return self._make_matches(hits, norms, lowers, arr[:, 2].astype(np.int64), orth_len)

    def _anchored(self, norms: np.ndarray, lowers: np.ndarray) -> bool:
        """Exact prefilter on a unit's token hashes: can any spaCy-Matcher pattern match it at all?"""
        return self._always_match or bool(np.isin(norms, self._anchor_hashes).any()
                                          or np.isin(lowers, self._anchor_hashes).any())

    def _matcher_hits(self, doc) -> list[tuple]:
        """Hits of the patterns left to spaCy's Matcher (those with ``*`` or ``+``)."""
        return [(self._label[m], start, end, "pattern", self._pattern_labels.get(self._label[m], "pattern"))
                for m, start, end in self.matcher(doc)]



def _index(phrases) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for p in phrases:
        out.setdefault(p[0], []).append(p)
    return out


WORKERS_ENV = "CODER_WORKERS"
PARALLEL_MIN_UNITS = 50_000
_CAN_FORK = hasattr(os, "fork") and sys.platform.startswith("linux")  # fork is not safe everywhere (macOS)


def default_workers(n_units: int) -> int:
    """Processes to match ``n_units`` units with: ``$CODER_WORKERS`` when set, else 2 for 50,000 units or
    more on Linux with at least two CPUs (forking pays off from there), else 1."""
    env = os.environ.get(WORKERS_ENV, "").strip()
    if env:
        return max(1, int(env))
    if n_units >= PARALLEL_MIN_UNITS and _CAN_FORK and (os.cpu_count() or 1) >= 2:
        return 2
    return 1


def _fork_match_table(matcher: "RuleMatcher", texts: list[str]) -> tuple[int, int]:
    """Start a forked process that matches ``texts`` and writes the pickled table to a pipe: (pid, read end)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: match, send, and leave without running any of the parent's clean-up
        code = 1
        try:
            os.close(read)
            gc.disable()
            data = pickle.dumps(matcher.match_table(texts), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _collect_match_table(child: tuple[int, int]) -> "MatchTable | None":
    """The table a forked process sent, or None when it failed."""
    pid, read = child
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not data:
        return None
    return pickle.loads(data)


def _abandon(child: tuple[int, int]) -> None:
    pid, read = child
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
    try:
        os.close(read)
    except OSError:
        pass


_PSEUDO_AT = _index(PSEUDO)
# every word that can start a negation, a post-negation phrase or a hypothetical
_TRIGGER_WORDS = frozenset(PRE_TRIGGERS | FEAR_TRIGGERS | {p[0] for p in POST_PHRASES + FEAR_PHRASES})
_POST_AT = _index(POST_PHRASES)
_FEAR_AT = _index(FEAR_PHRASES)


def _phrase_here(norms: Sequence[str], lowers: Sequence[str], i: int, index) -> tuple[str, ...] | None:
    for seq in (norms, lowers):
        for p in index.get(seq[i], ()):
            if tuple(seq[i:i + len(p)]) == p:
                return p
    return None


def assess(doc, start: int, end: int) -> tuple[str | None, str | None]:
    """Is the span ``doc[start:end]`` negated or hypothetical?  Returns (status, trigger).

    Examples
    --------
    >>> nlp = matching_nlp()
    >>> d = nlp.make_doc("I've never been in trouble with the police")
    >>> assess(d, 5, 9)
    ('negated', 'never')
    >>> d = nlp.make_doc("I couldn't stop drinking")
    >>> assess(d, 4, 5)
    (None, None)
    >>> d = nlp.make_doc("I was scared they'd take the kids")
    >>> assess(d, 5, 8)
    ('hypothetical', 'scared')
    """
    return _assess([t.norm_ for t in doc], [t.lower_ for t in doc], start, end)


def _assess(norms: Sequence[str], lowers: Sequence[str], start: int, end: int) -> tuple[str | None, str | None]:
    # --- pre-negation: walk left inside the clause, across bridge words only
    i = start - 1
    steps = 0
    while i >= 0 and steps < PRE_WINDOW:
        word = lowers[i]
        norm = norms[i]
        if word in CLAUSE_PUNCT or word in CLAUSE_WORDS:
            break
        if norm in PRE_TRIGGERS or word in PRE_TRIGGERS:
            if _phrase_here(norms, lowers, i, _PSEUDO_AT) is None:
                return NEGATED, norm
            break
        if norm not in BRIDGE and word not in BRIDGE:
            break
        i -= 1
        steps += 1
    # --- post-negation: phrases right after the match in the same clause (a comma may follow the match)
    n = len(lowers)
    j = end
    if j < n and lowers[j] in {",", "—", "-", "–"}:
        j += 1
    limit = min(n, j + POST_WINDOW)
    k = j
    while k < limit:
        if lowers[k] in {".", "!", "?", ";", "but"}:
            break
        phrase = _phrase_here(norms, lowers, k, _POST_AT)
        if phrase is not None:
            return NEGATED, " ".join(phrase)
        k += 1
    # --- hypotheticals and fears: earlier in the same sentence
    i = start - 1
    steps = 0
    while i >= 0 and steps < FEAR_WINDOW:
        if lowers[i] in {".", "!", "?"}:
            break
        if norms[i] in FEAR_TRIGGERS or lowers[i] in FEAR_TRIGGERS:
            return HYPOTHETICAL, lowers[i]
        phrase = _phrase_here(norms, lowers, i, _FEAR_AT)
        if phrase is not None:
            return HYPOTHETICAL, " ".join(phrase)
        i -= 1
        steps += 1
    return None, None


# --------------------------------------------------------------------------- the same walk, for all matches at once

_POST_COMMA = {",", "—", "-", "–"}
_POST_STOP = {".", "!", "?", ";", "but"}
_SENT_END = {".", "!", "?"}


def _assess_table(tok, strings, start: np.ndarray, end: np.ndarray,
                  corpus: CorpusArrays | None = None) -> tuple[np.ndarray, list[str | None]]:
    """:func:`_assess` for many matches at once: ``start``/``end`` are corpus token positions of ``tok``.

    Each of the three walks (pre-negation, post-negation, hypotheticals)
    advances every still-undecided match one token per step, with the word
    tests read from boolean tables over the distinct NORM and LOWER values and
    the trigger phrases found once over the whole corpus.  Decisions, their
    order and the trigger reported are :func:`_assess`'s (tested against it).
    Returns status codes (0 none, 1 negated, 2 hypothetical) and triggers.
    """
    m = len(start)
    status = np.zeros(m, dtype=np.int8)
    trigger: list[str | None] = [None] * m
    if not m:
        return status, trigger
    unit = tok.unit[start]
    first, last = tok.starts[unit], tok.ends[unit]  # the unit's tokens: [first, last)

    def word_table(words, attr):
        uniq = tok.norm_uniq if attr == "NORM" else tok.lower_uniq
        ids = tok.norm_id if attr == "NORM" else tok.lower_id
        flags = np.isin(uniq, np.array(sorted(strings.add(w) for w in words), dtype=np.uint64))
        return lambda pos: flags[ids[pos]]

    def either(words):
        by_norm, by_lower = word_table(words, "NORM"), word_table(words, "LOWER")
        return lambda pos: by_norm(pos) | by_lower(pos)

    clause = word_table(CLAUSE_PUNCT | CLAUSE_WORDS, "LOWER")
    pre_trigger = either(PRE_TRIGGERS)
    bridge = either(BRIDGE)
    post_comma = word_table(_POST_COMMA, "LOWER")
    post_stop = word_table(_POST_STOP, "LOWER")
    sentence_end = word_table(_SENT_END, "LOWER")
    fear = either(FEAR_TRIGGERS)
    pseudo_at = _phrases_at(tok, strings, PSEUDO, corpus)
    post_at = _phrases_at(tok, strings, POST_PHRASES, corpus)
    fear_at = _phrases_at(tok, strings, FEAR_PHRASES, corpus)
    # what the trigger is: 1 the token's norm, 2 a post phrase, 3 the token's lower form, 4 a fear phrase
    kind = np.zeros(m, dtype=np.int8)
    ref = np.zeros(m, dtype=np.int64)  # ... its token position or phrase index

    # --- pre-negation: walk left inside the clause, across bridge words only
    live = np.arange(m)
    i = start - 1
    for _ in range(PRE_WINDOW):
        live = live[i[live] >= first[live]]
        if not len(live):
            break
        at = i[live]
        stop_clause = clause(at)
        trig = pre_trigger(at) & ~stop_clause
        neg = trig & (pseudo_at[at] < 0)
        hit = live[neg]
        status[hit] = STATUS_NEGATED
        kind[hit] = 1
        ref[hit] = at[neg]
        live = live[~stop_clause & ~trig & bridge(at)]
        i = i - 1
    # --- post-negation: phrases right after the match in the same clause (a comma may follow the match)
    live = np.flatnonzero(status == 0)
    j = end.copy()
    inside = j[live] < last[live]
    comma = np.zeros(len(live), dtype=bool)
    comma[inside] = post_comma(j[live][inside])
    j[live[comma]] += 1
    limit = np.minimum(last, j + POST_WINDOW)
    k = j
    for _ in range(POST_WINDOW):
        live = live[k[live] < limit[live]]
        if not len(live):
            break
        at = k[live]
        stop = post_stop(at)
        phrase = np.where(stop, -1, post_at[at])
        found = phrase >= 0
        hit = live[found]
        status[hit] = STATUS_NEGATED
        kind[hit] = 2
        ref[hit] = phrase[found]
        live = live[~stop & ~found]
        k = k + 1
    # --- hypotheticals and fears: earlier in the same sentence
    live = np.flatnonzero(status == 0)
    i = start - 1
    for _ in range(FEAR_WINDOW):
        live = live[i[live] >= first[live]]
        if not len(live):
            break
        at = i[live]
        stop = sentence_end(at)
        word = fear(at) & ~stop
        phrase = np.where(stop | word, -1, fear_at[at])
        hit = live[word]
        status[hit] = STATUS_HYPOTHETICAL
        kind[hit] = 3
        ref[hit] = at[word]
        found = phrase >= 0
        hit = live[found]
        status[hit] = STATUS_HYPOTHETICAL
        kind[hit] = 4
        ref[hit] = phrase[found]
        live = live[~stop & ~word & ~found]
        i = i - 1
    for x in np.flatnonzero(kind).tolist():
        r = int(ref[x])
        if kind[x] == 1:
            trigger[x] = strings[int(tok.norm[r])]
        elif kind[x] == 2:
            trigger[x] = " ".join(POST_PHRASES[r])
        elif kind[x] == 3:
            trigger[x] = strings[int(tok.lower[r])]
        else:
            trigger[x] = " ".join(FEAR_PHRASES[r])
    return status, trigger


def _phrases_at(tok, strings, phrases: Sequence[tuple[str, ...]], corpus: CorpusArrays | None = None) -> np.ndarray:
    """For every token: the index of the phrase :func:`_phrase_here` returns there, or -1.

    As there: a phrase starting at the token on NORM, first in list order,
    else on LOWER; it must end inside the token's unit.  ``corpus`` (the same tokens) finds first words
    through its inverted index.
    """
    from .vecmatch import _find_windows

    n = len(tok.norm)
    out = np.full(n, -1, dtype=np.int64)
    for attr, uniq, col in (("NORM", tok.norm_uniq, tok.norm_id), ("LOWER", tok.lower_uniq, tok.lower_id)):
        found_pos, found_idx = [], []
        by_len: dict[int, list[int]] = {}
        for p, phrase in enumerate(phrases):
            by_len.setdefault(len(phrase), []).append(p)
        for length, members in by_len.items():
            hashes = np.array([[strings.add(w) for w in phrases[p]] for p in members], dtype=np.uint64)
            loc = np.minimum(np.searchsorted(uniq, hashes), max(len(uniq) - 1, 0)) if len(uniq) else None
            if loc is None:
                continue
            ids = np.where(uniq[loc] == hashes, loc, -1)
            rows = np.flatnonzero((ids >= 0).all(axis=1))
            if not len(rows):
                continue
            starts = None
            if corpus is not None:
                opening = np.zeros(len(uniq), dtype=bool)
                opening[ids[rows, 0]] = True
                starts = corpus.where(attr, opening)
            hit, which = _find_windows(col, len(uniq), ids[rows], starts)
            same = tok.unit[hit] == tok.unit[hit + length - 1]
            found_pos.append(hit[same])
            found_idx.append(np.array(members, dtype=np.int64)[rows[which[same]]])
        if not found_pos:
            continue
        pos = np.concatenate(found_pos)
        idx = np.concatenate(found_idx)
        order = np.lexsort((idx, pos))  # first phrase in list order at each position
        pos, idx = pos[order], idx[order]
        head = np.ones(len(pos), dtype=bool)
        head[1:] = pos[1:] != pos[:-1]
        pos, idx = pos[head], idx[head]
        free = out[pos] == -1  # NORM matches win over LOWER ones
        out[pos[free]] = idx[free]
    return out
