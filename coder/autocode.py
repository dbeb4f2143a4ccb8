"""The auto-coder: rules, negation and semantic suggestions over every coding unit.

``auto_code(project)`` codes each unit of the codebook's ``code_speakers``
(participants by default; interviewer talk is never coded) and stores the
result as coder ``auto``, replacing that coder's previous run in one
transaction.  Human coders' codings are never touched.

Each coding covers its unit and says why it was applied (``evidence``):

* ``method="keyword"`` / ``"pattern"``: a rule matched (the keyword or
  pattern, and the matched phrase's ``[start, end)``), status ``accepted``,
  confidence 0.9 (keyword) or 0.85 (pattern).  A match in a hypothetical or a
  fear ("I was scared they'd take the kids") gets status ``suggested`` and
  confidence 0.35, or is skipped, as the codebook's ``hypotheticals:`` says.
  Negated matches are never coded (see :mod:`coder.rules`).
* ``method="semantic"``: a per-code classifier over the unit's MiniLM
  embedding and its neighbours' (:func:`context_vectors`), trained on the
  codebook's own descriptions and on what the rules coded in this run
  (:func:`train_code_classifiers`: weak supervision, no human coding
  needed), gives the code a probability ≥ the threshold; status
  ``suggested``, confidence = that probability.
* ``method="passage"``: a sentence next to a rule-coded one, in the same
  turn, continues its story and is semantically about the same code
  (:func:`passage_suggestions`); status ``suggested``, confidence 0.5.

Suggestions are for review: reports count accepted codings by default.

Semantic threshold (documented, reproducible, independent of any gold)
-----------------------------------------------------------------------
The classifiers are class-balanced logistic regressions, so 0.5 is the
equal-cost decision boundary for every code, rare or common; that is the
default.  A code's ``threshold:`` or the codebook's ``semantic_threshold:``
(both probabilities) override it, as does ``--threshold``.  A suggestion
also needs the code to be among the unit's two most probable, and no
negated rule match of that code in the unit.  Training uses a fixed seed,
so the same project and codebook give the same suggestions.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import delete

from .codebook import Codebook
from .errors import AnalysisError
from .gcpause import gc_paused
from .rules import STATUS_HYPOTHETICAL, STATUS_NEGATED, RuleMatcher, default_workers

__all__ = ["auto_code", "compute_codings", "code_units", "CodeRunReport", "prototypes", "baseline_code",
           "semantic_scores", "context_vectors", "train_code_classifiers", "classify", "semantic_suggestions",
           "passage_suggestions"]

KEYWORD_CONFIDENCE = 0.9
PATTERN_CONFIDENCE = 0.85
HYPOTHETICAL_CONFIDENCE = 0.35
SEMANTIC_TOP_K = 2  # a suggestion's code must be among the unit's two most probable
SEMANTIC_THRESHOLD = 0.5  # probability: the balanced classifiers' equal-cost boundary
CONTEXT_WEIGHT = 0.5  # weight of each neighbouring sentence (same turn) in a unit's context vector
MAX_NEGATIVES = 20000  # negative units per code classifier (a fixed-seed sample beyond this)
PASSAGE_RADIUS = 2  # sentences either side of a rule coding that its code may carry over to
PASSAGE_TOP_K = 3  # ... when the code is among that sentence's three most similar codes (fewer in small codebooks)
PASSAGE_CONFIDENCE = 0.5


@dataclass
class CodeRunReport:
    """What a coding run did."""

    units: int
    codings: int
    per_code: dict[str, int]
    per_method: dict[str, int]
    seconds: float
    semantic: bool
    threshold: float | None = None
    embedding: dict[str, int] = field(default_factory=dict)
    links: int = 0
    warnings: list[str] = field(default_factory=list)
    run_id: int | None = None
    words: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --------------------------------------------------------------------------- rules


def code_units(units: pd.DataFrame, codebook: Codebook, matcher: RuleMatcher | None = None,
               progress: Callable[[str, int, int], None] | None = None, *,
               workers: int | None = None) -> tuple[list[dict], dict[str, Any]]:
    """Rule-code units (columns unit_id, document, start, end, text); pure, no database.

    Returns ``(codings, diagnostics)``: one dict per (unit, code) and a
    diagnostics dict with per-rule match counts and, per unit, the codes
    whose only matches were negated (they veto semantic suggestions).

    Per unit and code, the coding comes from the first plain match, else the
    first hypothetical one; a code whose matches are all negated is not coded.
    Matches arrive as columns (:meth:`RuleMatcher.match_table`, one table per
    chunk of 250,000 units, which bounds memory), and that choice is made with
    numpy sorts over all of them at once; only the coding dicts themselves are
    built one by one.

    ``workers`` processes match the units (:meth:`RuleMatcher.match_tables`:
    forked copies of this one, each with a consecutive part of the units); the
    result is the same for any number.  By default
    :func:`coder.rules.default_workers` decides: ``$CODER_WORKERS`` when set,
    else 2 for 50,000 units or more on Linux with two or more CPUs, else 1.
    """
    matcher = matcher or RuleMatcher(codebook)
    policy = {c.id: (c.hypothetical or codebook.hypotheticals) for c in codebook.codes}
    out: list[dict] = []
    rule_hits: Counter = Counter()
    negated_units: dict[str, set[str]] = defaultdict(set)
    negated_count = 0
    n = len(units)
    workers = default_workers(n) if workers is None else max(1, int(workers))
    texts = units["text"].tolist()
    ids = units["unit_id"].tolist()
    docs_ = units["document"].tolist()
    starts = units["start"].tolist()
    ends = units["end"].tolist()
    chunk = 250_000  # units (about 2 million words): one chunk for most projects
    with gc_paused():  # hundreds of thousands of acyclic objects: see coder.gcpause
        for c0 in range(0, n, chunk):  # bounded memory: one chunk of units at a time
            offset = c0
            for table in matcher.match_tables(texts[c0:c0 + chunk], workers):
                negated_count += _code_table(table, offset, policy, texts, ids, docs_, starts, ends, out,
                                             rule_hits, negated_units)
                offset += table.n_units
            if progress:
                progress("rules", min(c0 + chunk, n), n)
    return out, {"rule_hits": rule_hits, "negated_units": negated_units, "negated_matches": negated_count}


def _code_table(table, offset: int, policy: dict[str, str], texts, ids, docs_, starts, ends, out: list[dict],
                rule_hits: Counter, negated_units: dict[str, set[str]]) -> int:
    """Append the codings of one :class:`~coder.rules.MatchTable` (units from ``offset``); returns negated count."""
    if not len(table):
        return 0
    rules = table.rules
    status = table.status
    rule = table.rule
    unit = table.unit
    # rule hits, counted per (code, rule) in order of first appearance, as a Counter fed match by match would be
    counts = np.bincount(rule, minlength=len(rules))
    seen, first_row = np.unique(rule, return_index=True)
    for r in seen[np.argsort(first_row, kind="stable")].tolist():
        code, label, _method = rules[r]
        rule_hits[(code, label)] += int(counts[r])
    code_names = sorted({c for c, _, _ in rules})
    code_of_rule = np.array([code_names.index(c) for c, _, _ in rules], dtype=np.int64)
    code = code_of_rule[rule]
    row = np.arange(len(rule), dtype=np.int64)
    # per (unit, code): rows in order; the chosen row is the first plain one, else the first hypothetical one
    order = np.lexsort((row, status == STATUS_HYPOTHETICAL, status == STATUS_NEGATED, code, unit))
    u, c, st = unit[order], code[order], status[order]
    head = np.ones(len(order), dtype=bool)
    head[1:] = (u[1:] != u[:-1]) | (c[1:] != c[:-1])
    chosen = order[head]
    only_negated = st[head] == STATUS_NEGATED
    for x in chosen[only_negated].tolist():
        negated_units[ids[offset + int(unit[x])]].add(code_names[int(code[x])])
    chosen = chosen[~only_negated]
    # codes enter a unit's codings in order of their first match that is not negated
    plain = np.flatnonzero(status != STATUS_NEGATED)
    pu, pc = unit[plain], code[plain]
    by_group = np.lexsort((plain, pc, pu))
    g_first = plain[by_group]
    g_head = np.ones(len(by_group), dtype=bool)
    g_head[1:] = (pu[by_group][1:] != pu[by_group][:-1]) | (pc[by_group][1:] != pc[by_group][:-1])
    first_plain = g_first[g_head]  # one per (unit, code) group with a non-negated match, same group order as chosen
    chosen = chosen[np.lexsort((first_plain, unit[chosen]))]
    # hypothetical matches: coded as the code's policy says (skip, code, or a low-confidence suggestion)
    how = [policy[c] for c, _, _ in rules]
    hyp = status[chosen] == STATUS_HYPOTHETICAL
    chosen = chosen[~(hyp & np.array([h == "skip" for h in how], dtype=bool)[rule[chosen]])]
    codes_ = [c for c, _, _ in rules]
    labels = [lb for _, lb, _ in rules]
    methods = [m for _, _, m in rules]
    conf = [_conf(m) for m in methods]
    hyp_status = ["accepted" if h == "code" else "suggested" for h in how]
    hyp_conf = [c if h == "code" else HYPOTHETICAL_CONFIDENCE for c, h in zip(conf, how)]
    trigger = table.trigger
    out.extend([
        {"unit_id": ids[i], "document": docs_[i], "code": codes_[r], "start": starts[i], "end": ends[i],
         "status": hyp_status[r] if h else "accepted", "confidence": hyp_conf[r] if h else conf[r],
         "method": methods[r],
         "evidence": ({"rule": labels[r], "match": [starts[i] + a, starts[i] + b], "text": texts[i][a:b],
                       "hypothetical": trigger[x]} if h else
                      {"rule": labels[r], "match": [starts[i] + a, starts[i] + b], "text": texts[i][a:b]})}
        for x, i, r, h, a, b in zip(chosen.tolist(), (unit[chosen] + offset).tolist(), rule[chosen].tolist(),
                                    (status[chosen] == STATUS_HYPOTHETICAL).tolist(), table.start_char[chosen].tolist(),
                                    table.end_char[chosen].tolist())])
    return int((status == STATUS_NEGATED).sum())



def _conf(method: str) -> float:
    """Confidence of a rule coding from its match's method (``keyword`` or ``pattern``)."""
    return KEYWORD_CONFIDENCE if method == "keyword" else PATTERN_CONFIDENCE


def rule_warnings(codebook: Codebook, rule_hits: Counter, n_units: int, semantic: bool) -> list[str]:
    """Codes with no rules, and rules that match nothing or nearly everything."""
    warnings = []
    for code in codebook.codes:
        if not code.has_rules:
            warnings.append(f"code '{code.id}' has no keywords or patterns: "
                            + ("coded semantically only" if semantic else "it is never coded without --semantic"))
    by_code: dict[str, int] = Counter()
    for (code, _rule), n in rule_hits.items():
        by_code[code] += n
    for code in codebook.codes:
        if code.has_rules and by_code.get(code.id, 0) == 0:
            warnings.append(f"code '{code.id}': its keywords and patterns match nothing in the whole corpus")
    for (code, rule), n in rule_hits.items():
        if n_units >= 20 and n > 0.5 * n_units:
            warnings.append(f"code '{code}': rule '{rule}' matches {n} of {n_units} units; it is too broad")
    return warnings


# --------------------------------------------------------------------------- semantic


def prototypes(codebook: Codebook) -> tuple[list[str], list[str]]:
    """The sentences that describe each code: name with definition, include items, examples.

    Returns ``(texts, code_ids)`` aligned.
    """
    texts, owners = [], []
    for c in codebook.codes:
        items = [f"{c.name}: {c.definition}" if c.definition else c.name]
        items += list(c.include) + list(c.examples)
        for t in items:
            texts.append(t)
            owners.append(c.id)
    return texts, owners


def _per_code_max(sim: np.ndarray, owners: Sequence[str], codes: Sequence[str]) -> np.ndarray:
    """``(n, len(codes))`` maximum similarity to each code's prototypes."""
    out = np.full((sim.shape[0], len(codes)), -1.0, dtype=np.float32)
    index = {c: i for i, c in enumerate(codes)}
    for j, owner in enumerate(owners):
        k = index[owner]
        np.maximum(out[:, k], sim[:, j], out=out[:, k])
    return out


def semantic_scores(unit_vecs: np.ndarray, proto_vecs: np.ndarray, owners: Sequence[str],
                    codes: Sequence[str]) -> np.ndarray:
    """Cosine similarity of each unit to each code (max over the code's prototypes)."""
    if len(unit_vecs) == 0:
        return np.zeros((0, len(codes)), dtype=np.float32)
    return _per_code_max(unit_vecs @ proto_vecs.T, owners, codes)


def _turn_keys(units: pd.DataFrame) -> list[Any]:
    """Each unit's turn as (document, turn), or its document when the frame has no turn column."""
    return list(zip(units["document"], units["turn"])) if "turn" in units.columns else list(units["document"])


def context_vectors(vecs: np.ndarray, turns: Sequence[Any], weight: float = CONTEXT_WEIGHT) -> np.ndarray:
    """Each unit's embedding plus ``weight`` × its neighbours' in the same turn, re-normalised.

    Units must be in reading order.  Talk about one thing runs over several
    sentences ("He'd stand in the doorway.  So I couldn't get out."), and a
    follow-on sentence means what its neighbours mean; the context vector
    carries that, without embedding any text twice.

    Examples
    --------
    >>> v = np.eye(3, dtype=np.float32)
    >>> np.round(context_vectors(v, ["t1", "t1", "t2"], 1.0), 3)
    array([[0.707, 0.707, 0.   ],
           [0.707, 0.707, 0.   ],
           [0.   , 0.   , 1.   ]], dtype=float32)
    """
    vecs = np.asarray(vecs, dtype=np.float32)
    keys = np.empty(len(vecs), dtype=object)
    keys[:] = list(turns)  # 1-D even when the turn keys are tuples
    out = vecs.copy()
    n = len(vecs)
    if n > 1:
        same = keys[1:] == keys[:-1]
        out[1:][same] += weight * vecs[:-1][same]  # the previous unit, same turn
        out[:-1][same] += weight * vecs[1:][same]  # the next unit, same turn
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


def train_code_classifiers(unit_features: np.ndarray, positives: np.ndarray, proto_features: np.ndarray,
                           owners: Sequence[str], codes: Sequence[str], *, max_negatives: int = MAX_NEGATIVES,
                           seed: int = 0, progress: Callable[[str, int, int], None] | None = None,
                           ) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per code, trained without any human coding (weak supervision).

    Positives for a code are its codebook prototypes (definition, include
    items, examples) and the units its *accepted* rule matches coded in this
    run; negatives are every other prototype and unit (at most
    ``max_negatives`` units, sampled with a fixed seed).  Keyword rules are
    precise but narrow; the classifier learns what else the coded talk
    sounds like ("he'd stand in the doorway so I couldn't get out" next to
    "he hit me").  Scikit-learn's ``LogisticRegression`` with its default
    regularisation (C = 1) and ``class_weight="balanced"``, so that a
    probability of 0.5 is the equal-cost decision boundary however rare the
    code is.  Deterministic for the same input.

    Returns ``(weights, intercepts)``, shapes ``(d, len(codes))`` and
    ``(len(codes),)``: probabilities are ``sigmoid(features @ weights + intercepts)``.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    n, d = unit_features.shape
    owners_arr = np.asarray(owners)
    weights = np.zeros((d, len(codes)), dtype=np.float32)
    intercepts = np.full(len(codes), -10.0, dtype=np.float32)  # a code nothing describes is never suggested
    rng = np.random.default_rng(seed)
    for k, code in enumerate(codes):
        pos_units = np.flatnonzero(positives[:, k])
        neg_units = np.flatnonzero(~positives[:, k])
        if len(neg_units) > max_negatives:
            neg_units = np.sort(rng.choice(neg_units, max_negatives, replace=False))
        own = owners_arr == code
        x = np.vstack([unit_features[pos_units], proto_features[own], unit_features[neg_units], proto_features[~own]])
        y = np.concatenate([np.ones(len(pos_units) + int(own.sum())), np.zeros(len(neg_units) + int((~own).sum()))])
        if 0 < y.sum() < len(y):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(x, y)
            weights[:, k] = model.coef_[0]
            intercepts[k] = model.intercept_[0]
        if progress:
            progress("classify", k + 1, len(codes))
    return weights, intercepts


def classify(features: np.ndarray, weights: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    """Probabilities ``(n, codes)`` from :func:`train_code_classifiers`' linear models."""
    z = np.clip(features @ weights + intercepts, -50, 50)
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def semantic_suggestions(units: pd.DataFrame, probs: np.ndarray, codes: Sequence[str], thresholds: np.ndarray,
                         already: set[tuple[str, str]], vetoed: dict[str, set[str]],
                         scores: np.ndarray | None = None, nearest: np.ndarray | None = None,
                         proto_texts: Sequence[str] | None = None) -> list[dict]:
    """Turn a units × codes probability matrix into suggested codings (pure).

    A suggestion needs probability ≥ the code's threshold, the code among the
    unit's two most probable, no coding of it already, and no *negated* rule
    match of that code in the unit ("he doesn't drink" vetoes alcohol).
    """
    out = []
    ids = units["unit_id"].to_numpy()
    order = np.argsort(-probs, axis=1)[:, :SEMANTIC_TOP_K] if len(probs) else np.zeros((0, 0), dtype=int)
    for i in range(len(units)):
        for k in order[i]:
            p = float(probs[i, k])
            code = codes[k]
            if p < thresholds[k] or (ids[i], code) in already or code in vetoed.get(ids[i], ()):
                continue
            row = units.iloc[i]
            evidence: dict[str, Any] = {"probability": round(p, 4), "threshold": round(float(thresholds[k]), 4)}
            if scores is not None:
                evidence["similarity"] = round(float(scores[i, k]), 4)
            if nearest is not None and proto_texts is not None:
                evidence["nearest"] = proto_texts[int(nearest[i, k])]
            out.append({"unit_id": ids[i], "document": row["document"], "code": code, "start": int(row["start"]),
                        "end": int(row["end"]), "status": "suggested", "confidence": round(p, 4),
                        "method": "semantic", "evidence": evidence})
    return out


def passage_suggestions(units: pd.DataFrame, codings: Sequence[dict], scores: np.ndarray, codes: Sequence[str],
                        already: set[tuple[str, str]], vetoed: dict[str, set[str]], *,
                        radius: int = PASSAGE_RADIUS, top_k: int = PASSAGE_TOP_K) -> list[dict]:
    """A rule-coded code carries over to nearby sentences of the same turn that are about it (pure).

    People tell a problem over several sentences, and only one of them may
    name it ("He'd hit me.  Every night, when the pubs shut.  I had to hide
    the kids.").  For each *accepted* rule coding, the units up to ``radius``
    sentences before and after it in the same turn get a suggestion of that
    code when the code is among their ``top_k`` codes by semantic similarity
    (a rank, so no similarity threshold is needed; and in the top third of
    the codebook's codes, at least the best one) and is not vetoed by a
    negated match there.  Units must be in reading order.
    """
    ids = units["unit_id"].tolist()
    row_of = {u: i for i, u in enumerate(ids)}
    turns = _turn_keys(units)
    cidx = {c: k for k, c in enumerate(codes)}
    top_k = min(top_k, max(1, len(codes) // 3))  # and in the codebook's top third: of 3 codes, the best
    ranks = np.argsort(np.argsort(-scores, axis=1), axis=1) if len(scores) else scores
    seen = set(already)
    out = []
    for c in codings:
        if c["status"] != "accepted" or c["method"] not in ("keyword", "pattern") or c["unit_id"] not in row_of:
            continue
        i, k = row_of[c["unit_id"]], cidx[c["code"]]
        for j in range(max(0, i - radius), min(len(ids), i + radius + 1)):
            if j == i or turns[j] != turns[i] or ranks[j, k] >= top_k:
                continue
            key = (ids[j], c["code"])
            if key in seen or c["code"] in vetoed.get(ids[j], ()):
                continue
            seen.add(key)
            row = units.iloc[j]
            out.append({"unit_id": ids[j], "document": row["document"], "code": c["code"], "start": int(row["start"]),
                        "end": int(row["end"]), "status": "suggested", "confidence": PASSAGE_CONFIDENCE,
                        "method": "passage",
                        "evidence": {"from": [c["start"], c["end"]], "rule": c["evidence"].get("rule"),
                                     "text": c["evidence"].get("text"), "rank": int(ranks[j, k]) + 1,
                                     "similarity": round(float(scores[j, k]), 4)}})
    return out


# --------------------------------------------------------------------------- baseline


def baseline_code(units: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """What other tools offer: exact, case-insensitive keyword substring search.

    No lemmas, no token patterns, no negation, no semantics.  Returns unit_id, code.
    """
    rows = []
    kws = [(c.id, k.lower()) for c in codebook.codes for k in c.keywords]
    for uid, text in zip(units["unit_id"], units["text"].str.lower()):
        seen = set()
        for code, kw in kws:
            if code not in seen and kw in text:
                seen.add(code)
                rows.append((uid, code))
    return pd.DataFrame(rows, columns=["unit_id", "code"])


# --------------------------------------------------------------------------- the run


def compute_codings(project, *, semantic: bool = True, threshold: float | None = None, embedder=None,
                    links: bool = True, units: pd.DataFrame | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> tuple[list[dict], list[dict], dict]:
    """Code the project's units in memory: ``(codings, links, info)``; nothing is written."""
    cb = project.codebook()
    units = project.units_frame() if units is None else units
    if units.empty:
        raise AnalysisError(f"{project.path} has no units to code: import transcripts with participant turns first")
    matcher = RuleMatcher(cb)
    codings, diag = code_units(units, cb, matcher, progress=progress)
    info: dict[str, Any] = {"units": units, "warnings": rule_warnings(cb, diag["rule_hits"], len(units), semantic),
                            "threshold": None, "embedding": {}, "model": None}
    if semantic:
        from .embeddings import DEFAULT_MODEL_NAME, CachedEmbedder

        embedder = embedder or CachedEmbedder(project.engine)
        info["model"] = getattr(embedder, "model_name", DEFAULT_MODEL_NAME)
        proto_texts, owners = prototypes(cb)
        proto_vecs = np.asarray(embedder(proto_texts), dtype=np.float32)
        unit_vecs = np.asarray(embedder(units["text"].tolist(), progress=progress), dtype=np.float32)
        info["embedding"] = dict(getattr(embedder, "stats", {}))
        base = threshold if threshold is not None else (
            cb.semantic_threshold if cb.semantic_threshold is not None else SEMANTIC_THRESHOLD)
        thresholds = np.array([c.threshold if (c.threshold is not None and threshold is None) else base
                               for c in cb.codes], dtype=np.float32)
        info["threshold"] = float(base)
        sim = unit_vecs @ proto_vecs.T
        scores = _per_code_max(sim, owners, cb.ids)
        nearest = _nearest_proto(sim, owners, cb.ids)
        turns = _turn_keys(units)
        features = np.hstack([unit_vecs, context_vectors(unit_vecs, turns)])
        proto_features = np.hstack([proto_vecs, proto_vecs])
        cidx = {c: k for k, c in enumerate(cb.ids)}
        row_of = {u: i for i, u in enumerate(units["unit_id"])}
        positives = np.zeros((len(units), len(cb.ids)), dtype=bool)
        for c in codings:
            if c["status"] == "accepted":
                positives[row_of[c["unit_id"]], cidx[c["code"]]] = True
        weights, intercepts = train_code_classifiers(features, positives, proto_features, owners, cb.ids,
                                                     progress=progress)
        probs = classify(features, weights, intercepts)
        already = {(c["unit_id"], c["code"]) for c in codings}
        suggested = semantic_suggestions(units, probs, cb.ids, thresholds, already, diag["negated_units"],
                                         scores, nearest, proto_texts)
        already |= {(c["unit_id"], c["code"]) for c in suggested}
        suggested += passage_suggestions(units, codings, scores, cb.ids, already, diag["negated_units"])
        codings += suggested
    found_links: list[dict] = []
    if links:
        from .links import extract_links

        found_links = extract_links(units, codings, cb, matcher)
    return codings, found_links, info


def auto_code(project, *, semantic: bool = True, threshold: float | None = None, embedder=None,
              links: bool = True, progress: Callable[[str, int, int], None] | None = None) -> CodeRunReport:
    """Auto-code every unit of the project as coder ``auto`` (one transaction; see module docstring)."""
    from . import store
    from .provenance import versions
    from .store import Coder, Coding, Link, Run, session_scope

    t0 = time.perf_counter()
    codings, found_links, info = compute_codings(project, semantic=semantic, threshold=threshold,
                                                 embedder=embedder, links=links, progress=progress)
    units = info["units"]
    per_code = Counter(c["code"] for c in codings)
    per_method = Counter(c["method"] for c in codings)
    params = {"semantic": semantic, "threshold": threshold, "links": links}
    summary = {"units": len(units), "codings": len(codings), "per_method": dict(per_method),
               "threshold": info["threshold"], "links": len(found_links)}
    with session_scope(project.engine) as s:
        cbv = project._current_version_row(s)
        if s.get(Coder, "auto") is None:
            s.add(Coder(name="auto", kind="auto"))
        run = Run(command="code", parameters=params,
                  versions=versions({"codebook": f"{cbv.codebook} {cbv.version} (revision {cbv.revision})",
                                     "embedding_model": info["model"] or "none", "segmenter": project.model}),
                  summary=summary)
        s.add(run)
        s.flush()
        s.execute(delete(Coding).where(Coding.coder == "auto"))
        s.execute(delete(Link).where(Link.coder == "auto"))
        now = store.utcnow()
        # one tuple per coding; on SQLite store.insert_many binds them through the DBAPI's executemany
        # (values processed exactly as SQLAlchemy would), elsewhere through Core executemany
        columns = ("document_id", "code", "start", "end", "status", "confidence", "method", "evidence", "coder",
                   "codebook_version_id", "run_id", "created")
        coding_values = itemgetter("document", "code", "start", "end", "status", "confidence", "method", "evidence")
        run_values = ("auto", cbv.id, run.id, now)
        conn = s.connection()
        with gc_paused():  # see coder.gcpause
            rows = [coding_values(c) + run_values for c in codings]
            store.insert_many(conn, Coding.__table__, columns, rows,
                              progress=(lambda done, total: progress("write", done, total)) if progress else None)
            del rows  # freed here rather than left for the collector to walk once it resumes
        if found_links:
            conn.execute(Link.__table__.insert(), [{**lk, "coder": "auto", "run_id": run.id, "created": now}
                                                   for lk in found_links])
        run.finished = store.utcnow()
        run_id = run.id
    return CodeRunReport(units=len(units), codings=len(codings), per_code=dict(per_code), per_method=dict(per_method),
                         seconds=round(time.perf_counter() - t0, 3), semantic=semantic, threshold=info["threshold"],
                         embedding=info["embedding"], links=len(found_links), warnings=info["warnings"],
                         run_id=run_id, words=sum(map(len, map(str.split, units["text"]))))  # = str.split().len(), 6x faster


def _nearest_proto(sim: np.ndarray, owners: Sequence[str], codes: Sequence[str]) -> np.ndarray:
    """Index of the best prototype of each code for each unit."""
    out = np.zeros((sim.shape[0], len(codes)), dtype=np.int64)
    owners_arr = np.array(owners)
    for k, code in enumerate(codes):
        cols = np.flatnonzero(owners_arr == code)
        out[:, k] = cols[np.argmax(sim[:, cols], axis=1)] if len(cols) else 0
    return out
