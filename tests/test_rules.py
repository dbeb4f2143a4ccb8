"""Rule matching, negation and hypotheticals, on real sentences of family talk."""

from __future__ import annotations

import pytest

from coder.codebook import parse_codebook
from coder.rules import HYPOTHETICAL, NEGATED, RuleMatcher, _expand, matching_nlp

CB = parse_codebook("""
hypotheticals: low
codes:
  - id: domestic_abuse
    name: Domestic abuse
    kind: problem
    keywords: [violence, domestic violence, knock me about]
    patterns:
      - [{LEMMA: {IN: [hit, punch, kick]}}, {LOWER: {IN: [me, her]}}]
  - id: alcohol
    name: Alcohol
    kind: problem
    keywords: [drink, drinking, the drink, booze]
  - id: drugs
    name: Drugs
    kind: problem
    keywords: [drugs, on the gear]
  - id: crime
    name: Crime
    kind: problem
    keywords: [in trouble with the police, arrest]
    patterns:
      - [{LOWER: {IN: [got, get, been]}}, {LOWER: done}, {LOWER: for}]
  - id: child_protection
    name: Child protection
    kind: problem
    keywords: [take the kids, child protection plan]
  - id: eviction
    name: Eviction
    kind: problem
    keywords: [evict, eviction]
  - id: debt
    name: Debt
    kind: problem
    keywords: [rent arrears, debt]
    patterns:
      - [{LEMMA: pay}, {LOWER: the, OP: "?"}, {LOWER: {IN: [rent, bills]}}]
""")


@pytest.fixture(scope="module")
def rm():
    return RuleMatcher(CB)


def codes(rm, text, status=None):
    return sorted({m.code for m in rm.find(text) if m.status == status})


@pytest.mark.parametrize("text,expected", [
    ("He knocked me about for years.", ["domestic_abuse"]),           # lemma: knocked -> knock
    ("He'd Hit me when he'd had a few.", ["domestic_abuse"]),         # case-insensitive pattern on lemmas
    ("She was DRINKING every night.", ["alcohol"]),
    ("He was on the gear by then.", ["drugs"]),
    ("Our Kyle got done for criminal damage.", ["crime"]),
    ("We got evicted in the August.", ["eviction"]),
    ("We couldn't pay the rent.", ["debt"]),                          # negation is part of the problem
    ("I couldn't stop drinking after mum died.", ["alcohol"]),        # content word between trigger and match
])
def test_matches_on_lemmas_case_insensitively(rm, text, expected):
    assert codes(rm, text) == expected


@pytest.mark.parametrize("text,code,trigger", [
    ("I've never been in trouble with the police.", "crime", "never"),
    ("He doesn't drink, never has.", "alcohol", "not"),
    ("No, there was no violence.", "domestic_abuse", "no"),
    ("I've never touched drugs in my life.", "drugs", "never"),
    ("Drink was never a problem for us.", "alcohol", "never a problem"),
    ("It wasn't the drink, it was the gambling.", "alcohol", "not"),
])
def test_negated_mentions_are_recognised(rm, text, code, trigger):
    found = [m for m in rm.find(text) if m.code == code]
    assert found and all(m.status == NEGATED for m in found)
    assert found[0].trigger == trigger


def test_negation_scope_stops_at_clause_boundary(rm):
    # the negation belongs to the first clause; the drink in the second is real
    assert codes(rm, "I never wanted this, but the drink took over.") == ["alcohol"]
    assert codes(rm, "He wasn't working and he was drinking.") == ["alcohol"]


def test_pseudo_negation_is_history_not_absence(rm):
    assert codes(rm, "I'm no longer on the gear.") == ["drugs"]


@pytest.mark.parametrize("text,code", [
    ("I was scared they'd take the kids off me.", "child_protection"),
    ("If we got evicted I don't know what I'd do.", "eviction"),
    ("I was terrified he'd hit me again.", "domestic_abuse"),
])
def test_hypotheticals_and_fears(rm, text, code):
    assert codes(rm, text, HYPOTHETICAL) == [code]


def test_every_match_keeps_code_rule_and_span(rm):
    text = "After the eviction we had rent arrears."
    ms = rm.find(text)
    assert [(m.code, m.method, m.rule, text[m.start_char:m.end_char]) for m in ms] == [
        ("eviction", "keyword", "eviction", "eviction"),
        ("debt", "keyword", "rent arrears", "rent arrears"),
    ]


def test_patterns_compile_exactly_to_phrases():
    nlp = matching_nlp()
    attr, phrases = _expand([{"LOWER": {"IN": ["got", "been"]}}, {"LOWER": "done"}, {"LOWER": "for", "OP": "?"}])
    assert attr == "LOWER" and sorted(phrases) == [("been", "done"), ("been", "done", "for"),
                                                    ("got", "done"), ("got", "done", "for")]
    assert _expand([{"LOWER": "x", "OP": "*"}]) is None          # unbounded: stays a Matcher pattern
    assert _expand([{"LOWER": "x"}, {"NORM": "y"}]) is None       # mixed attributes: stays a Matcher pattern
    assert nlp is matching_nlp()                                  # cached once per process


def reference_spans(cb, rm, docs):
    """What spaCy's own PhraseMatcher (keywords on NORM) and Matcher (patterns) find, per doc."""
    from spacy.matcher import Matcher, PhraseMatcher

    from coder.rules import _pattern_to_norm

    nlp = rm.nlp
    phrase = PhraseMatcher(nlp.vocab, attr="NORM")
    matcher = Matcher(nlp.vocab)
    for c in cb.codes:
        if c.keywords:
            phrase.add(c.id, list(nlp.tokenizer.pipe(c.keywords)))
        if c.patterns:
            matcher.add(c.id, [_pattern_to_norm(p, nlp.lemma_of) for p in c.patterns])
    out = []
    for doc in docs:
        spans = {(nlp.vocab.strings[m], s, e) for m, s, e in phrase(doc)}
        if len(matcher):
            spans |= {(nlp.vocab.strings[m], s, e) for m, s, e in matcher(doc)}
        out.append(spans)
    return out


def test_compiled_patterns_match_like_spacy_matcher():
    """The phrase compilation must find exactly what spaCy's Matcher finds."""
    cb = parse_codebook("codes:\n  - id: x\n    name: X\n    patterns:\n      - "
                        "[{LEMMA: pay}, {LEMMA: the, OP: '?'}, {LEMMA: {IN: [rent, bill]}}]\n"
                        "      - [{LOWER: rent}, {OP: '?'}, {LIKE_NUM: true}]\n"
                        "      - [{LOWER: the}, {LOWER: council}, {LOWER: {NOT_IN: [tax]}}]\n")
    rm = RuleMatcher(cb)
    assert len(rm.matcher) == 0  # everything compiled away from spaCy's Matcher
    texts = ["We couldn't pay the rent.", "Paying bills was hard", "pay rent", "he paid the bills and the rent",
             "rent was 500", "rent of 450 a month", "the council tax", "the council came", "the council"]
    docs = list(rm.nlp.tokenizer.pipe(texts))
    expected = reference_spans(cb, rm, docs)
    got = rm.find_batch(docs)
    for t, exp, found in zip(texts, expected, got):
        assert {(m.code, m.start, m.end) for m in found} == exp, t
    assert sum(len(e) for e in expected) == 7  # not "the council tax", not a bare "the council"


@pytest.mark.parametrize("codebook", ["troubled_families.yaml", "supporting_families_2022.yaml"])
def test_compiled_matching_equals_spacy_on_the_sample_corpus(codebook):
    """Every keyword and pattern of the example codebooks finds exactly what spaCy finds, unit by unit."""
    from pathlib import Path

    from coder.codebook import load_codebook
    from coder.ingest import is_transcript_file, read_transcript

    root = Path(__file__).resolve().parents[1]
    cb = load_codebook(root / "codebooks" / codebook)
    rm = RuleMatcher(cb)
    texts = []
    for f in sorted((root / "transcripts_sample").iterdir()):
        if is_transcript_file(f):
            p = read_transcript(f)
            texts += [p.text[t.start:t.end] for t in p.turns]
    docs = list(rm.nlp.tokenizer.pipe(texts))
    expected = reference_spans(cb, rm, docs)
    got = rm.find_batch(docs)
    for t, exp, found in zip(texts, expected, got):
        assert {(m.code, m.start, m.end) for m in found} == exp, t[:80]
    assert sum(len(e) for e in expected) > 1000


TRICKY = ["", " ", "  padded  ", "Ünïcödé İstanbul drinking", "he was\tdrinking", "the drink\nthe drugs",
          "we got evicted :) :)", "x: ) the drink", "(: he drinks", "he 's drinking", "it 's the drink , he 's",
          "never again the drink", "don't  drink", "I wasn't drinking, no.", "a\u2029b drinking", "10a.m. drinking",
          "drink", "the drink.", "No drink", "If he drinks", "drink never has", "the drink - never a problem"]


def test_fast_path_equals_per_unit_matching():
    """find_texts (chunk-cached tokenisation, matching and assessment as columns) equals find_batch over one
    doc per unit, Match for Match: spans, rules, statuses and triggers, in the same order."""
    from pathlib import Path

    from coder.codebook import load_codebook
    from coder.ingest import read_transcript

    root = Path(__file__).resolve().parents[1]
    rm = RuleMatcher(load_codebook(root / "codebooks" / "troubled_families.yaml"))
    texts = []
    for name in ("TF01-mother.txt", "TF02-father-son.txt"):
        p = read_transcript(root / "transcripts_sample" / name)
        texts += [p.text[t.start:t.end] for t in p.turns]
    texts += TRICKY + texts[:5]  # repeated units too
    b = rm.find_batch(list(rm.nlp.tokenizer.pipe(texts)))
    assert rm.find_texts(texts) == b
    assert rm.find_texts(texts, chunk=7) == b  # chunks start mid-way, each with its own chunk cache
    assert sum(map(len, b)) > 20
    assert {m.status for ms in b for m in ms} == {None, NEGATED, HYPOTHETICAL}


def test_fast_path_with_spacy_matcher_patterns():
    """Patterns with * or + stay with spaCy's Matcher, run on the units holding an anchor word."""
    cb = parse_codebook("codes:\n  - id: x\n    name: X\n    keywords: [drink]\n    patterns:\n"
                        "      - [{LOWER: got}, {OP: '*'}, {LOWER: evicted}]\n"
                        "  - id: y\n    name: Y\n    patterns:\n"
                        "      - [{LOWER: {IN: ['no', 'not']}, OP: '+'}, {LEMMA: drink}]\n")
    rm = RuleMatcher(cb)
    assert len(rm.matcher) == 2
    texts = ["we got evicted", "we got really quickly evicted and he'd drink", "not no drink", "nothing here",
             "", "got  evicted\there"] * 3
    assert rm.find_texts(texts) == rm.find_batch(list(rm.nlp.tokenizer.pipe(texts)))
    assert sum(map(len, rm.find_texts(texts))) >= 12


def test_vectorised_assessment_equals_assess():
    """_assess_table decides every span exactly as _assess does (sample corpus, spans of 1 to 3 tokens)."""
    from pathlib import Path

    import numpy as np

    from coder.chunktok import tokenize_units
    from coder.ingest import is_transcript_file, read_transcript
    from coder.rules import _assess, _assess_table

    root = Path(__file__).resolve().parents[1]
    texts = list(TRICKY)
    for f in sorted((root / "transcripts_sample").iterdir()):
        if is_transcript_file(f):
            p = read_transcript(f)
            texts += [p.text[t.start:t.end] for t in p.turns]
    nlp = matching_nlp()
    tok = tokenize_units(nlp.tokenizer, texts)
    strings = nlp.vocab.strings
    starts, ends = [], []
    for u in range(len(texts)):
        a, b = int(tok.starts[u]), int(tok.ends[u])
        for s in range(a, b):
            for n in (1, 2, 3):
                if s + n <= b:
                    starts.append(s)
                    ends.append(s + n)
    from coder.vecmatch import CorpusArrays

    status, trigger = _assess_table(tok, strings, np.array(starts), np.array(ends))
    names = (None, NEGATED, HYPOTHETICAL)
    got = [(names[st], tr) for st, tr in zip(status.tolist(), trigger)]
    corpus = CorpusArrays(tok.norm, tok.lower, tok.like_num, tok.unit, tok.starts,
                          vocab={"NORM": (tok.norm_uniq, tok.norm_id), "LOWER": (tok.lower_uniq, tok.lower_id)})
    status2, trigger2 = _assess_table(tok, strings, np.array(starts), np.array(ends), corpus)
    assert status2.tolist() == status.tolist() and trigger2 == trigger  # trigger phrases found via the index
    expected = []
    for s, e in zip(starts, ends):
        u = int(tok.unit[s])
        a, b = int(tok.starts[u]), int(tok.ends[u])
        norms = [strings[int(h)] for h in tok.norm[a:b]]
        lowers = [strings[int(h)] for h in tok.lower[a:b]]
        expected.append(_assess(norms, lowers, s - a, e - a))
    assert got == expected
    assert len(got) > 100_000 and {g[0] for g in got} == {None, NEGATED, HYPOTHETICAL}


def test_parallel_match_tables_equal_one_process(monkeypatch):
    """Forked workers each match a consecutive part; the tables are those of one process, and a part whose
    worker cannot start or fails is matched in this process instead."""
    import os
    from pathlib import Path

    from coder import rules
    from coder.codebook import load_codebook

    from coder import rules as rules_module

    if not rules_module._CAN_FORK:
        pytest.skip("matching processes are forked on Linux only")
    root = Path(__file__).resolve().parents[1]
    rm = RuleMatcher(load_codebook(root / "codebooks" / "troubled_families.yaml"))
    texts = sample_texts(root)
    one = rm.match_table(texts).lists()

    def joined(tables):
        assert sum(t.n_units for t in tables) == len(texts)
        return [ms for t in tables for ms in t.lists()]

    assert joined(rm.match_tables(texts, 1)) == one
    assert joined(rm.match_tables(texts, 3)) == one
    assert len(rm.match_tables(texts, 3)) == 3
    parent = os.getpid()
    real = RuleMatcher.match_table

    def fails_in_child(self, part):
        if os.getpid() != parent:
            raise RuntimeError("worker failure")
        return real(self, part)

    monkeypatch.setattr(RuleMatcher, "match_table", fails_in_child)
    assert joined(rm.match_tables(texts, 2)) == one

    def no_fork(*_a):
        raise OSError("no more processes")

    monkeypatch.setattr(rules, "_fork_match_table", no_fork)
    assert joined(rm.match_tables(texts, 2)) == one


def test_default_workers(monkeypatch):
    from coder.rules import PARALLEL_MIN_UNITS, default_workers

    monkeypatch.delenv("CODER_WORKERS", raising=False)
    assert default_workers(10) == 1
    monkeypatch.setenv("CODER_WORKERS", "3")
    assert default_workers(10) == 3
    monkeypatch.setenv("CODER_WORKERS", "1")
    assert default_workers(PARALLEL_MIN_UNITS * 2) == 1


def sample_texts(root):
    from coder.ingest import read_transcript

    texts = []
    for name in ("TF01-mother.txt", "TF02-father-son.txt", "TF07-grandmother.txt"):
        p = read_transcript(root / "transcripts_sample" / name)
        texts += [p.text[t.start:t.end] for t in p.turns]
    return texts + TRICKY
