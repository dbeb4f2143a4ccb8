"""Vectorised matching (coder.vecmatch) and chunk-cached tokenisation (coder.chunktok) against spaCy itself."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from coder import vecmatch
from coder.chunktok import tokenize_units
from coder.rules import matching_nlp
from coder.vecmatch import CorpusArrays, PhraseIndex, VectorMatcher, compile_pattern

ROOT = Path(__file__).resolve().parents[1]

TRICKY = ["", " ", "  padded  ", "tab\there", "new\nline", "a\u2029b", "double  space", "trailing ", " leading",
          "x:) :y", "ok :) :)", "(: he", "he 's", "it 's", "don't", "DON'T stop", "10a.m. ok", "Ünïcödé İstanbul",
          "e.g. this", "i.e. that", "'s", "''", "x . ( y", "8) 8-) :-)) ): )-:", "U.K. U.S.", "£500 a month",
          "well...", "--", "—", "can't won't shan't", "gonna wanna", "o.0 O.o", "¯\\_(ツ)_/¯", "<3 </3"]


def corpus_texts(limit: int | None = None) -> list[str]:
    from coder.ingest import is_transcript_file, read_transcript

    texts = []
    for f in sorted((ROOT / "transcripts_sample").iterdir()):
        if is_transcript_file(f):
            p = read_transcript(f)
            texts += [p.text[t.start:t.end] for t in p.turns]
    return texts[:limit] if limit else texts


def test_tokenize_units_equals_tokenising_each_unit():
    from spacy.attrs import IDX, LIKE_NUM, LOWER, NORM, ORTH

    nlp = matching_nlp()
    texts = corpus_texts() + TRICKY + TRICKY  # repeated units and chunks too
    tok = tokenize_units(nlp.tokenizer, texts)
    strings = nlp.vocab.strings
    assert len(tok.starts) == len(texts)
    for u, doc in enumerate(nlp.tokenizer.pipe(texts)):
        a, b = int(tok.starts[u]), int(tok.ends[u])
        arr = doc.to_array([NORM, LOWER, LIKE_NUM, IDX, ORTH]).reshape(-1, 5).astype(np.uint64)
        assert b - a == len(doc), texts[u]
        assert (tok.norm[a:b] == arr[:, 0]).all() and (tok.lower[a:b] == arr[:, 1]).all(), texts[u]
        assert (tok.like_num[a:b] == arr[:, 2].astype(bool)).all(), texts[u]
        assert (tok.idx[a:b] == arr[:, 3].astype(np.int64)).all(), texts[u]
        assert tok.orth_len[a:b].tolist() == [len(t.text) for t in doc], texts[u]
        assert (tok.unit[a:b] == u).all()
        assert (tok.norm_uniq[tok.norm_id[a:b]] == tok.norm[a:b]).all()
        assert (tok.lower_uniq[tok.lower_id[a:b]] == tok.lower[a:b]).all()
    # units with irregular whitespace or chunks that could meet across a space in a special case: tokenised whole
    assert tok.whole_units >= 2 * 8
    assert tok.distinct_chunks < sum(len(t.split()) for t in texts) / 3  # the point: chunks repeat


def test_tokenize_units_of_nothing():
    tok = tokenize_units(matching_nlp().tokenizer, [])
    assert len(tok) == 0 and len(tok.starts) == 0
    tok = tokenize_units(matching_nlp().tokenizer, ["", ""])
    assert len(tok) == 0 and tok.starts.tolist() == [0, 0] and tok.ends.tolist() == [0, 0]


def reference_phrases(nlp, docs, phrases):
    from spacy.matcher import PhraseMatcher

    out = []
    for attr in ("NORM", "LOWER"):
        pm = PhraseMatcher(nlp.vocab, attr=attr)
        for key, words in phrases[attr]:
            pm.add(key, [_pattern_doc(nlp, words, attr)])
        for d, doc in enumerate(docs):
            out += [(d, nlp.vocab.strings[m], s, e) for m, s, e in pm(doc)]
    return sorted(out)


def _pattern_doc(nlp, words, attr):
    from spacy.tokens import Doc

    doc = Doc(nlp.vocab, words=list(words))
    if attr == "NORM":
        for t in doc:
            t.norm_ = t.text
    return doc


def random_phrases(nlp, docs, n, seed):
    rng = random.Random(seed)
    phrases = {"NORM": [], "LOWER": []}
    flat = [(d, i) for d, doc in enumerate(docs) for i in range(len(doc))]
    for k in range(n):
        d, i = rng.choice(flat)
        doc = docs[d]
        length = rng.choice([1, 1, 2, 2, 2, 3, 4])
        if i + length > len(doc):
            continue
        attr = rng.choice(["NORM", "LOWER"])
        words = tuple((t.norm_ if attr == "NORM" else t.lower_) for t in doc[i:i + length])
        if rng.random() < 0.2:  # a phrase that may not occur at all
            words = words[:-1] + ("zzyzx",)
        phrases[attr].append((f"c{k % 37}", words))
    return phrases


@pytest.mark.parametrize("hashing", ["normal", "first-word", "constant"])
def test_phrase_index_equals_spacy_phrase_matcher(monkeypatch, hashing):
    """Exact with any hash: 'first-word' collides windows, 'constant' collides the phrases themselves."""
    if hashing == "first-word":
        monkeypatch.setattr(vecmatch, "_hash_rows", lambda rows: rows[:, 0].astype(np.uint64))
    elif hashing == "constant":
        monkeypatch.setattr(vecmatch, "_hash_rows", lambda rows: np.zeros(len(rows), dtype=np.uint64))
    nlp = matching_nlp()
    docs = list(nlp.tokenizer.pipe(corpus_texts(300)))
    phrases = random_phrases(nlp, docs, 400, seed=3)
    index = PhraseIndex()
    strings = nlp.vocab.strings
    for attr, items in phrases.items():
        for key, words in items:
            index.add(attr, [strings.add(w) for w in words], key, " ".join(words), "keyword")
    got = sorted({(d, code, s, e) for d, code, _label, _m, s, e in index.match(CorpusArrays.from_docs(docs))})
    expected = sorted(set(reference_phrases(nlp, docs, phrases)))
    assert got == expected
    assert len(expected) > 500


def test_matches_never_cross_a_separator_or_a_unit_boundary():
    nlp = matching_nlp()
    strings = nlp.vocab.strings
    words = ["the", "drink", "the", "drink", "the", "drink"]
    norm = np.array([strings.add(w) for w in words], dtype=np.uint64)
    doc_of = np.array([0, 0, -1, 1, 1, 2])  # a separator token, then unit 1 ends mid-phrase
    corpus = CorpusArrays(norm, norm, np.zeros(6, bool), doc_of, np.array([0, 3, 5]))
    index = PhraseIndex()
    index.add("LOWER", [strings.add("the"), strings.add("drink")], "alcohol", "the drink", "keyword")
    index.add("LOWER", [strings.add("drink")], "alcohol", "drink", "keyword")
    assert index.match(corpus) == [(0, "alcohol", "the drink", "keyword", 0, 2),
                                   (0, "alcohol", "drink", "keyword", 1, 2), (1, "alcohol", "drink", "keyword", 0, 1),
                                   (2, "alcohol", "drink", "keyword", 0, 1)]  # no "the drink" across 2|3 or 4|5
    vm = VectorMatcher(strings)
    vm.add("alcohol", "the ?", compile_pattern([{"LOWER": "the"}, {}]))
    assert vm.match(corpus) == [(0, "alcohol", "the ?", 0, 2)]


def test_vector_matcher_equals_spacy_matcher():
    from spacy.matcher import Matcher

    nlp = matching_nlp()
    docs = list(nlp.tokenizer.pipe(corpus_texts(300) + ["rent was 500", "the council tax", "the council"]))
    patterns = [
        [{"LOWER": "the"}, {"OP": "?"}, {"NORM": {"IN": ["kid", "child"]}}],
        [{"LOWER": "rent"}, {"OP": "?"}, {"LIKE_NUM": True}],
        [{"LOWER": "the"}, {"LOWER": "council"}, {"LOWER": {"NOT_IN": ["tax"]}}],
        [{"LIKE_NUM": False}, {"NORM": "be"}, {"LOWER": {"IN": ["never", "not"]}}],
        [{}, {"LOWER": "and"}, {}],
    ]
    vm = VectorMatcher(nlp.vocab.strings)
    reference = Matcher(nlp.vocab)
    for k, p in enumerate(patterns):
        vm.add(f"p{k}", f"p{k}", compile_pattern(p))
        reference.add(f"p{k}", [p])
    got = sorted((d, code, s, e) for d, code, _label, s, e in vm.match(CorpusArrays.from_docs(docs)))
    expected = sorted((d, nlp.vocab.strings[m], s, e) for d, doc in enumerate(docs) for m, s, e in reference(doc))
    assert got == expected
    assert len(expected) > 100
