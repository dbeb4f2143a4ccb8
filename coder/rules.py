"""Rule matching: codebook keywords and token patterns, with negation and hypotheticals.

Matching works the ``SpanRuler`` way: keywords go into one spaCy
``PhraseMatcher`` and token patterns into one ``Matcher``, every match keeping
its code id.  Keywords match on *lower-cased lookup lemmas*, so ``evicted``,
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

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Sequence

from spacy.tokens import Doc

from .codebook import Codebook

__all__ = ["matching_nlp", "RuleMatcher", "Match", "assess", "NEGATED", "HYPOTHETICAL"]

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

    helper = spacy.blank(lang)
    helper.add_pipe("lemmatizer", config={"mode": "lookup"})
    helper.initialize()
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


MAX_EXPANSION = 5000
_EXACT_ATTRS = {"LOWER": "LOWER", "NORM": "NORM"}


def _expand(pattern: list[dict[str, Any]]) -> tuple[str, list[tuple[str, ...]]] | None:
    """Compile a fixed-length token pattern into the phrases it matches, when that is exact.

    Patterns whose tokens each test one attribute (LOWER, or NORM for LEMMA)
    against a string or an ``IN`` list, with ``OP`` absent or ``?``, match
    exactly the cross product of their values; a PhraseMatcher finds those
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
        from spacy.matcher import Matcher, PhraseMatcher

        self.codebook = codebook
        self.nlp = matching_nlp(lang)
        self.phrase = PhraseMatcher(self.nlp.vocab, attr="NORM")
        self.phrase_lower = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.matcher = Matcher(self.nlp.vocab)
        self.keyword_of: dict[tuple[str, int], str] = {}
        self.pattern_of: dict[str, list[str]] = {}
        self.rule_counts: dict[str, int] = {}
        vocab = self.nlp.vocab
        for code in codebook.codes:
            if code.keywords:
                docs = list(self.nlp.tokenizer.pipe(code.keywords))
                self.phrase.add(code.id, docs)
                for kw, d in zip(code.keywords, docs):
                    self.keyword_of[(code.id, hash(tuple(t.norm_ for t in d)))] = kw
            if code.patterns:
                self.pattern_of[code.id] = [_pattern_label(p) for p in code.patterns]
                for pattern in code.patterns:
                    norm_pattern = _pattern_to_norm(pattern, self.nlp.lemma_of)
                    expanded = _expand(norm_pattern)
                    if expanded is None:
                        self.matcher.add(code.id, [norm_pattern])
                        continue
                    attr, phrases = expanded
                    target = self.phrase if attr == "NORM" else self.phrase_lower
                    docs = [self._norm_doc(words) if attr == "NORM" else Doc(self.nlp.vocab, words=list(words))
                            for words in phrases]
                    target.add(code.id, docs)
                    for words in phrases:
                        self.keyword_of[(code.id, hash((attr,) + tuple(words)))] = _pattern_label(pattern)
        self._label = {vocab.strings[c.id]: c.id for c in codebook.codes}
        self._label.update({vocab.strings.add(c.id): c.id for c in codebook.codes})

    def docs(self, texts: Iterable[str], batch_size: int = 1000):
        """Tokenise texts (the only pipeline work rule matching needs)."""
        return self.nlp.tokenizer.pipe(texts, batch_size=batch_size)

    def find(self, text_or_doc) -> list[Match]:
        """All rule matches in one unit, with negation/hypothetical status."""
        doc = self.nlp.make_doc(text_or_doc) if isinstance(text_or_doc, str) else text_or_doc
        found: dict[tuple[str, int, int], Match] = {}
        for match_id, start, end in self.phrase(doc):
            code = self._label[match_id]
            norms = tuple(t.norm_ for t in doc[start:end])
            rule = self.keyword_of.get((code, hash(norms)))
            method = "keyword"
            if rule is None:
                rule = self.keyword_of.get((code, hash(("NORM",) + norms)), doc[start:end].text)
                method = "pattern"
            found.setdefault((code, start, end), self._make(doc, code, start, end, method, rule))
        for match_id, start, end in (self.phrase_lower(doc) if len(self.phrase_lower) else ()):
            code = self._label[match_id]
            lowers = tuple(t.lower_ for t in doc[start:end])
            rule = self.keyword_of.get((code, hash(("LOWER",) + lowers)), doc[start:end].text)
            found.setdefault((code, start, end), self._make(doc, code, start, end, "pattern", rule))
        for match_id, start, end in (self.matcher(doc) if len(self.matcher) else ()):
            code = self._label[match_id]
            label = self.pattern_of.get(code, ["pattern"])
            rule = label[0] if len(label) == 1 else "; ".join(label)
            found.setdefault((code, start, end), self._make(doc, code, start, end, "pattern", rule))
        return sorted(found.values(), key=lambda m: (m.start, m.code))

    def _norm_doc(self, norms: Sequence[str]):
        """A pattern doc whose tokens carry exactly these NORM values."""
        doc = Doc(self.nlp.vocab, words=list(norms))
        for tok, value in zip(doc, norms):
            tok.norm_ = value
        return doc

    @staticmethod
    def _make(doc, code, start, end, method, rule) -> Match:
        status, trigger = assess(doc, start, end)
        span = doc[start:end]
        return Match(code, start, end, span.start_char, span.end_char, method, rule, status, trigger)


def _norms(doc) -> list[str]:
    return [t.norm_ for t in doc]


def _phrase_at(norms: Sequence[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(norms[i:i + len(phrase)]) == phrase


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
    norms = _norms(doc)
    lowers = [t.lower_ for t in doc]
    # --- pre-negation: walk left inside the clause, across bridge words only
    i = start - 1
    steps = 0
    while i >= 0 and steps < PRE_WINDOW:
        word = lowers[i]
        norm = norms[i]
        if word in CLAUSE_PUNCT or word in CLAUSE_WORDS:
            break
        if norm in PRE_TRIGGERS or word in PRE_TRIGGERS:
            if not any(_phrase_at(norms, i, p) or _phrase_at(lowers, i, p) for p in PSEUDO):
                return NEGATED, norm
            break
        if norm not in BRIDGE and word not in BRIDGE:
            break
        i -= 1
        steps += 1
    # --- post-negation: phrases right after the match in the same clause (a comma may follow the match)
    j = end
    if j < len(doc) and lowers[j] in {",", "—", "-", "–"}:
        j += 1
    limit = min(len(doc), j + POST_WINDOW)
    k = j
    while k < limit:
        if lowers[k] in {".", "!", "?", ";", "but"}:
            break
        for phrase in POST_PHRASES:
            if _phrase_at(norms, k, phrase) or _phrase_at(lowers, k, phrase):
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
        for phrase in FEAR_PHRASES:
            if _phrase_at(lowers, i, phrase):
                return HYPOTHETICAL, " ".join(phrase)
        i -= 1
        steps += 1
    return None, None
