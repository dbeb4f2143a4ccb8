"""The auto-coder run: speaker filtering, evidence, semantic suggestions, cache reuse, replacement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coder.autocode import (auto_code, baseline_code, classify, context_vectors, passage_suggestions, prototypes,
                            semantic_suggestions, train_code_classifiers)
from coder.embeddings import CachedEmbedder
from coder.errors import AnalysisError


class FakeEmbedder:
    """Deterministic bag-of-words vectors: no model, same interface as the real model."""

    def __init__(self):
        self.calls = 0
        self.texts = []

    def __call__(self, texts):
        self.calls += 1
        self.texts.extend(texts)
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().replace(".", " ").replace(",", " ").split():
                out[i, hash(w) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def test_rules_only_codes_participant_units_with_evidence(project):
    report = auto_code(project, semantic=False)
    codings = project.codings_frame("auto")
    units = project.units_frame()
    assert set(codings["document"]) <= set(units["document"])
    # interviewer asked about "violence, or debt" and "the drink": never coded
    texts = project.texts()
    for r in codings.itertuples():
        assert (r.document, r.start, r.end) in set(zip(units["document"], units["start"], units["end"]))
    got = sorted(zip(codings["code"], codings["quote"]))
    assert got == [
        ("alcohol", "He used to hit me when he'd had a drink."),   # lemma: "drunk" and "drink" meet at "drink"
        ("debt", "But we were in arrears on the rent."),
        ("debt", "The debt was doing my head in."),
        ("debt", "Then the bailiffs came."),
        ("debt", "We got into debt with the catalogue."),
        ("domestic_abuse", "He used to hit me when he'd had a drink."),
        ("family_worker", "The family worker helped us."),
        ("school_exclusion", "Kyle got excluded in Year 9."),
        ("substance", "He used to hit me when he'd had a drink."),
    ]
    # B-father: "I've never been a drinker" is not coded; the arrears are
    b = codings[codings["document"] == "B-father"]
    assert b["code"].tolist() == ["debt"]
    ev = codings[codings["code"] == "domestic_abuse"].iloc[0]["evidence"]
    assert ev["rule"] == "hit|punch|kick me|her" and ev["text"] == "hit me"
    s, e = ev["match"]
    assert texts["A-mother"][s:e] == "hit me"
    assert report.per_method == {"keyword": 8, "pattern": 1}
    assert set(codings["status"]) == {"accepted"}


def test_interviewer_talk_coded_only_when_codebook_says_so(project, tiny_codebook):
    tiny_codebook.write_text(tiny_codebook.read_text().replace("code_speakers: [participant]",
                                                               "code_speakers: [participant, interviewer]"))
    project.set_codebook(tiny_codebook)
    auto_code(project, semantic=False)
    quotes = project.codings_frame("auto")["quote"].tolist()
    assert "Was there ever any violence, or debt?" in quotes


def test_new_run_replaces_auto_but_never_human_codings(project, tmp_path):
    csv = tmp_path / "h.csv"
    csv.write_text("document,code,quote\nA-mother,debt,We got into debt\n")
    project.import_codings(csv, coder="ann")
    auto_code(project, semantic=False)
    first = len(project.codings_frame("auto"))
    auto_code(project, semantic=False)
    assert len(project.codings_frame("auto")) == first
    assert project.codings_frame("ann")["quote"].tolist() == ["We got into debt"]
    runs = project.runs_frame()
    code_runs = runs[runs["command"] == "code"]
    assert len(code_runs) == 2
    v = code_runs.iloc[-1]["versions"]
    assert v["codebook"] == "tiny 1.0.0 (revision 1)" and v["embedding_model"] == "none" and "spacy" in v


def test_semantic_suggestions_and_cache_reuse(project):
    fake = FakeEmbedder()
    embedder = CachedEmbedder(project.engine, model_name="fake-bow", embed_fn=fake)
    report = auto_code(project, semantic=True, embedder=embedder, threshold=0.3)
    n_units = len(project.units_frame())
    # every unit text embedded once, except the one that is word for word a codebook example,
    # already embedded (and cached) as a code prototype: the cache is keyed by text
    assert report.embedding == {"hits": 1, "misses": n_units - 1}
    first_calls = len(fake.texts)
    sugg = project.codings_frame("auto")
    sugg = sugg[sugg["method"] == "semantic"]
    assert len(sugg) > 0
    assert set(sugg["status"]) == {"suggested"}
    assert all(0.3 <= c <= 1.0 for c in sugg["confidence"])
    assert all("similarity" in e and "nearest" in e for e in sugg["evidence"])
    # a re-run embeds nothing: units and code prototypes all come from the project cache
    embedder2 = CachedEmbedder(project.engine, model_name="fake-bow", embed_fn=fake)
    report2 = auto_code(project, semantic=True, embedder=embedder2, threshold=0.3)
    assert len(fake.texts) == first_calls
    assert report2.embedding == {"hits": n_units, "misses": 0}
    # the cache is keyed by model: another model name embeds again
    embedder3 = CachedEmbedder(project.engine, model_name="other-model", embed_fn=fake)
    auto_code(project, semantic=True, embedder=embedder3, threshold=0.3)
    assert len(fake.texts) > first_calls


def test_negated_rule_match_vetoes_semantic_suggestion():
    units = pd.DataFrame({"unit_id": ["u1", "u2"], "document": ["d", "d"], "start": [0, 50], "end": [40, 90],
                          "text": ["He doesn't drink and never has done", "He was drinking every single night"]})
    scores = np.array([[0.9], [0.9]], dtype=np.float32)
    out = semantic_suggestions(units, scores, ["alcohol"], np.array([0.5]), set(), {"u1": {"alcohol"}})
    assert [o["unit_id"] for o in out] == ["u2"]


def _clusters(rng, n_per, dim=16, spread=0.25):
    centres = rng.normal(size=(2, dim))
    vecs, truth = [], []
    for k, c in enumerate(centres):
        for _ in range(n_per):
            v = c + spread * rng.normal(size=dim)
            vecs.append(v / np.linalg.norm(v))
            truth.append(k)
    return np.array(vecs, dtype=np.float32), np.array(truth)


def test_classifier_learns_from_rule_codings_and_is_reproducible():
    """Weak supervision: a few rule-coded units of a code teach it the rest of that talk."""
    rng = np.random.default_rng(0)
    vecs, truth = _clusters(rng, 40)
    positives = np.zeros((len(vecs), 2), dtype=bool)
    positives[np.flatnonzero(truth == 0)[:5], 0] = True  # the rules found 5 of 40 "abuse" units
    positives[np.flatnonzero(truth == 1)[:5], 1] = True
    protos = np.vstack([vecs[truth == 0][:1], vecs[truth == 1][:1]])
    w, b = train_code_classifiers(vecs, positives, protos, ["abuse", "debt"], ["abuse", "debt"])
    probs = classify(vecs, w, b)
    unlabelled = ~positives.any(axis=1)
    # the other 35 units of each cluster are recognised, and none of the other cluster's
    assert (probs[unlabelled & (truth == 0), 0] >= 0.5).mean() > 0.9
    assert (probs[unlabelled & (truth == 1), 0] < 0.5).mean() > 0.9
    assert (probs[unlabelled & (truth == 1), 1] >= 0.5).mean() > 0.9
    w2, b2 = train_code_classifiers(vecs, positives, protos, ["abuse", "debt"], ["abuse", "debt"])
    assert np.array_equal(w, w2) and np.array_equal(b, b2)


def test_classifier_caps_negatives_reproducibly():
    rng = np.random.default_rng(1)
    vecs, truth = _clusters(rng, 60)
    positives = np.zeros((len(vecs), 1), dtype=bool)
    positives[np.flatnonzero(truth == 0)[:6], 0] = True
    protos = vecs[truth == 0][:1]
    runs = [train_code_classifiers(vecs, positives, protos, ["a"], ["a"], max_negatives=20) for _ in range(2)]
    assert np.array_equal(runs[0][0], runs[1][0])
    assert (classify(vecs[truth == 1], *runs[0])[:, 0] < 0.5).mean() > 0.9


def test_code_without_positives_is_never_suggested():
    vecs = np.eye(4, dtype=np.float32)
    w, b = train_code_classifiers(vecs, np.zeros((4, 2), dtype=bool), vecs[:1], ["a"], ["a", "b"])
    assert (classify(vecs, w, b)[:, 1] < 1e-3).all()


def test_context_vectors_stay_inside_the_turn():
    v = np.eye(4, dtype=np.float32)
    ctx = context_vectors(v, [("d", 1), ("d", 1), ("d", 2), ("e", 2)], weight=0.5)
    assert np.allclose(ctx[0], np.array([1, 0.5, 0, 0]) / np.linalg.norm([1, 0.5]))
    assert np.allclose(ctx[2], [0, 0, 1, 0]) and np.allclose(ctx[3], [0, 0, 0, 1])  # other turn, other document


def _passage_units():
    return pd.DataFrame({"unit_id": [f"u{i}" for i in range(6)], "document": ["d"] * 6,
                         "turn": [1, 1, 1, 1, 2, 2], "start": [0, 10, 20, 30, 40, 50], "end": [9, 19, 29, 39, 49, 59],
                         "text": ["He hit me.", "Every night.", "The rent.", "In the rain.", "Yes.", "And more."]})


def _rule(unit, code="abuse", status="accepted", method="keyword"):
    return {"unit_id": unit, "code": code, "start": 0, "end": 9, "status": status, "method": method,
            "evidence": {"rule": "hit", "text": "hit"}}


def test_passage_carries_a_rule_code_to_nearby_sentences_about_it():
    units = _passage_units()
    # scores for (abuse, debt, other1, other2): the code must rank in the unit's top 3
    scores = np.array([[0.9, 0.1, 0.0, 0.0],   # u0: the rule-coded sentence
                       [0.4, 0.3, 0.2, 0.1],   # u1: next sentence, abuse ranks 1st -> carried
                       [0.1, 0.9, 0.8, 0.7],   # u2: about the rent, abuse ranks 4th -> not carried
                       [0.5, 0.1, 0.0, 0.0],   # u3: three sentences on: outside the radius of 2
                       [0.9, 0.0, 0.0, 0.0],   # u4: another turn -> not carried
                       [0.9, 0.0, 0.0, 0.0]], dtype=np.float32)
    codes = ["abuse", "debt", "other1", "other2"]
    out = passage_suggestions(units, [_rule("u0")], scores, codes, {("u0", "abuse")}, {})
    assert [(o["unit_id"], o["code"], o["status"], o["method"]) for o in out] == [("u1", "abuse", "suggested", "passage")]
    assert out[0]["evidence"]["rank"] == 1 and out[0]["evidence"]["rule"] == "hit"
    # a negated mention in the neighbour vetoes it; suggestions and hypotheticals do not spread
    assert passage_suggestions(units, [_rule("u0")], scores, codes, set(), {"u1": {"abuse"}}) == []
    assert passage_suggestions(units, [_rule("u0", status="suggested")], scores, codes, set(), {}) == []
    assert passage_suggestions(units, [_rule("u0", method="semantic")], scores, codes, set(), {}) == []


def test_prototypes_cover_definition_include_and_examples(tiny_codebook):
    from coder.codebook import load_codebook

    texts, owners = prototypes(load_codebook(tiny_codebook))
    assert "Domestic abuse: Physical, emotional or financial abuse by a partner." in texts
    assert "He used to hit me when he'd had a drink." in texts
    assert owners.count("domestic_abuse") == 2


def test_baseline_is_plain_substring_search(tiny_codebook):
    from coder.codebook import load_codebook

    units = pd.DataFrame({"unit_id": ["a", "b", "c"],
                          "text": ["He doesn't drink, never touched DRINKING", "We were evicted", "in arrears"]})
    got = baseline_code(units, load_codebook(tiny_codebook))
    # matches inside negations, no lemmas ("evicted" has no keyword), case-insensitive substring
    assert sorted(map(tuple, got.values.tolist())) == [("a", "substance"), ("c", "debt")]


def test_no_units_is_a_clear_error(tmp_path, tiny_codebook):
    from coder import Project

    p = Project.init(tmp_path / "empty", codebook=tiny_codebook)
    with pytest.raises(AnalysisError, match="has no units to code: import transcripts"):
        auto_code(p, semantic=False)
    p.close()


def test_code_warnings_for_rule_free_and_never_matching_codes(project, tiny_codebook):
    tiny_codebook.write_text(tiny_codebook.read_text() + "  - id: housing\n    name: Housing\n    kind: problem\n"
                             "  - id: gambling\n    name: Gambling\n    kind: problem\n    keywords: [bookies]\n")
    project.set_codebook(tiny_codebook)
    report = auto_code(project, semantic=False)
    assert "code 'housing' has no keywords or patterns: it is never coded without --semantic" in report.warnings
    assert "code 'gambling': its keywords and patterns match nothing in the whole corpus" in report.warnings


def reference_code_units(units, codebook, matcher):
    """The per-unit loop code_units ran before it read matches as columns (kept here as the specification)."""
    from collections import Counter, defaultdict

    from coder.autocode import HYPOTHETICAL_CONFIDENCE, KEYWORD_CONFIDENCE, PATTERN_CONFIDENCE
    from coder.rules import HYPOTHETICAL, NEGATED

    def conf(m):
        return KEYWORD_CONFIDENCE if m.method == "keyword" else PATTERN_CONFIDENCE

    policy = {c.id: (c.hypothetical or codebook.hypotheticals) for c in codebook.codes}
    out, rule_hits, negated_units, negated_count = [], Counter(), defaultdict(set), 0
    texts, ids, docs_ = units["text"].tolist(), units["unit_id"].tolist(), units["document"].tolist()
    starts, ends = units["start"].tolist(), units["end"].tolist()
    for i, matches in enumerate(matcher.find_batch(list(matcher.docs(texts)))):
        best = {}
        for m in matches:
            rule_hits[(m.code, m.rule)] += 1
            if m.status == NEGATED:
                negated_count += 1
                continue
            cur = best.get(m.code)
            if cur is None or (cur.status == HYPOTHETICAL and m.status is None):
                best[m.code] = m
        for m in matches:
            if m.status == NEGATED and m.code not in best:
                negated_units[ids[i]].add(m.code)
        for code, m in best.items():
            if m.status == HYPOTHETICAL:
                rule = policy[code]
                if rule == "skip":
                    continue
                status, c = ("accepted", conf(m)) if rule == "code" else ("suggested", HYPOTHETICAL_CONFIDENCE)
            else:
                status, c = "accepted", conf(m)
            out.append({"unit_id": ids[i], "document": docs_[i], "code": code, "start": starts[i], "end": ends[i],
                        "status": status, "confidence": c, "method": m.method,
                        "evidence": {"rule": m.rule, "match": [starts[i] + m.start_char, starts[i] + m.end_char],
                                     "text": texts[i][m.start_char:m.end_char],
                                     **({"hypothetical": m.trigger} if m.status == HYPOTHETICAL else {})}})
    return out, {"rule_hits": rule_hits, "negated_units": negated_units, "negated_matches": negated_count}


@pytest.mark.parametrize("policy", ["low", "skip", "code"])
def test_code_units_equals_the_per_unit_loop(sample_project, policy):
    """Codings, their order, rule hits (and their order), negation vetoes: as the per-unit loop gives them."""
    import json

    from coder.autocode import code_units
    from coder.codebook import parse_codebook
    from coder.rules import RuleMatcher

    cb = sample_project.codebook()
    if policy != "low":
        from pathlib import Path

        text = (Path(__file__).resolve().parents[1] / "codebooks" / "troubled_families.yaml").read_text()
        cb = parse_codebook(f"hypotheticals: {policy}\n" + text)
        assert cb.hypotheticals == policy
    units = sample_project.units_frame()
    units = pd.concat([units, units.iloc[:50]], ignore_index=True)  # repeated units are coded again
    rm = RuleMatcher(cb)
    got, diag = code_units(units, cb, rm)
    exp, exp_diag = reference_code_units(units, cb, rm)
    assert json.dumps(got) == json.dumps(exp)  # same dicts, same key order, same Python types
    assert list(diag["rule_hits"].items()) == list(exp_diag["rule_hits"].items())
    assert list(diag["negated_units"].items()) == list(exp_diag["negated_units"].items())
    assert diag["negated_matches"] == exp_diag["negated_matches"] > 0
    assert len(got) > 500 and any("hypothetical" in c["evidence"] for c in got) == (policy != "skip")


def test_code_units_with_forked_workers_equals_one_process(sample_project):
    import json
    import os

    from coder.autocode import code_units
    from coder.rules import RuleMatcher

    from coder import rules as rules_module

    if not rules_module._CAN_FORK:
        pytest.skip("matching processes are forked on Linux only")
    cb = sample_project.codebook()
    units = sample_project.units_frame()
    rm = RuleMatcher(cb)
    one, diag1 = code_units(units, cb, rm, workers=1)
    two, diag2 = code_units(units, cb, rm, workers=2)
    three, diag3 = code_units(units, cb, RuleMatcher(cb), workers=3)
    assert json.dumps(one) == json.dumps(two) == json.dumps(three)
    for d in (diag2, diag3):
        assert list(d["rule_hits"].items()) == list(diag1["rule_hits"].items())
        assert list(d["negated_units"].items()) == list(diag1["negated_units"].items())
        assert d["negated_matches"] == diag1["negated_matches"]
