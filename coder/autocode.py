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
* ``method="semantic"``: the unit's MiniLM embedding is close to the code's
  definition, include list or examples; status ``suggested`` with the cosine
  similarity as confidence.

Semantic threshold (documented, reproducible, independent of any gold)
-----------------------------------------------------------------------
:func:`calibrate_threshold` derives the threshold from the codebook alone,
by leave-one-out over the codebook's own examples and include items: each
prototype sentence is scored against its own code's *other* prototypes
(positives) and against every other code's prototypes (negatives), and the
threshold is the score that maximises F1 of that separation (ties to the
higher score).  A code's ``threshold:`` or the codebook's
``semantic_threshold:`` overrides it, as does ``--threshold``.  A suggestion
also needs the code to be among the unit's two best-scoring codes, a unit of
at least four words, and no negated rule match of that code in the unit.
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
from .rules import HYPOTHETICAL, NEGATED, RuleMatcher, default_workers

__all__ = ["auto_code", "compute_codings", "code_units", "CodeRunReport", "calibrate_threshold", "prototypes", "baseline_code",
           "semantic_scores"]

KEYWORD_CONFIDENCE = 0.9
PATTERN_CONFIDENCE = 0.85
HYPOTHETICAL_CONFIDENCE = 0.35
MIN_SEMANTIC_WORDS = 4
SEMANTIC_TOP_K = 2


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
    order = np.lexsort((row, status == HYPOTHETICAL_CODE, status == NEGATED_CODE, code, unit))
    u, c, st = unit[order], code[order], status[order]
    head = np.ones(len(order), dtype=bool)
    head[1:] = (u[1:] != u[:-1]) | (c[1:] != c[:-1])
    chosen = order[head]
    only_negated = st[head] == NEGATED_CODE
    for x in chosen[only_negated].tolist():
        negated_units[ids[offset + int(unit[x])]].add(code_names[int(code[x])])
    chosen = chosen[~only_negated]
    # codes enter a unit's codings in order of their first match that is not negated
    plain = np.flatnonzero(status != NEGATED_CODE)
    pu, pc = unit[plain], code[plain]
    by_group = np.lexsort((plain, pc, pu))
    g_first = plain[by_group]
    g_head = np.ones(len(by_group), dtype=bool)
    g_head[1:] = (pu[by_group][1:] != pu[by_group][:-1]) | (pc[by_group][1:] != pc[by_group][:-1])
    first_plain = g_first[g_head]  # one per (unit, code) group with a non-negated match, same group order as chosen
    chosen = chosen[np.lexsort((first_plain, unit[chosen]))]
    # hypothetical matches: coded as the code's policy says (skip, code, or a low-confidence suggestion)
    how = [policy[c] for c, _, _ in rules]
    hyp = status[chosen] == HYPOTHETICAL_CODE
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
                                    (status[chosen] == HYPOTHETICAL_CODE).tolist(), table.start_char[chosen].tolist(),
                                    table.end_char[chosen].tolist())])
    return int((status == NEGATED_CODE).sum())


NEGATED_CODE, HYPOTHETICAL_CODE = 1, 2  # MatchTable.status values


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


def calibrate_threshold(proto_vecs: np.ndarray, owners: Sequence[str]) -> float:
    """Leave-one-out threshold from the codebook's own prototypes (see module docstring).

    Examples
    --------
    >>> v = np.array([[1, 0], [0.96, 0.28], [0, 1], [0.28, 0.96]], dtype=np.float32)
    >>> round(calibrate_threshold(v, ["a", "a", "b", "b"]), 2)
    0.96
    """
    owners = list(owners)
    codes = list(dict.fromkeys(owners))
    sim = proto_vecs @ proto_vecs.T
    np.fill_diagonal(sim, -1.0)
    per_code = _per_code_max(sim, owners, codes)
    pos, neg = [], []
    for i, owner in enumerate(owners):
        k = codes.index(owner)
        if sum(1 for o in owners if o == owner) > 1:
            pos.append(per_code[i, k])
        neg.extend(per_code[i, j] for j in range(len(codes)) if j != k)
    if not pos:
        return 0.5
    pos_a, neg_a = np.array(pos), np.array(neg)
    best_t, best_f = 0.5, -1.0
    for t in np.unique(np.concatenate([pos_a, neg_a])):
        tp = float((pos_a >= t).sum())
        fp = float((neg_a >= t).sum())
        fn = float((pos_a < t).sum())
        f = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f > best_f or (f == best_f and t > best_t):
            best_t, best_f = float(t), f
    return best_t


def semantic_scores(unit_vecs: np.ndarray, proto_vecs: np.ndarray, owners: Sequence[str],
                    codes: Sequence[str]) -> np.ndarray:
    """Cosine similarity of each unit to each code (max over the code's prototypes)."""
    if len(unit_vecs) == 0:
        return np.zeros((0, len(codes)), dtype=np.float32)
    return _per_code_max(unit_vecs @ proto_vecs.T, owners, codes)


def semantic_suggestions(units: pd.DataFrame, scores: np.ndarray, codes: Sequence[str], thresholds: np.ndarray,
                         already: set[tuple[str, str]], vetoed: dict[str, set[str]],
                         nearest: np.ndarray | None = None, proto_texts: Sequence[str] | None = None) -> list[dict]:
    """Turn a units × codes score matrix into suggested codings (pure)."""
    out = []
    words = units["text"].str.split().str.len().to_numpy()
    ids = units["unit_id"].to_numpy()
    order = np.argsort(-scores, axis=1)[:, :SEMANTIC_TOP_K] if len(scores) else np.zeros((0, 0), dtype=int)
    for i in range(len(units)):
        if words[i] < MIN_SEMANTIC_WORDS:
            continue
        for k in order[i]:
            s = float(scores[i, k])
            code = codes[k]
            if s < thresholds[k] or (ids[i], code) in already or code in vetoed.get(ids[i], ()):
                continue
            row = units.iloc[i]
            evidence = {"similarity": round(s, 4), "threshold": round(float(thresholds[k]), 4)}
            if nearest is not None and proto_texts is not None:
                evidence["nearest"] = proto_texts[int(nearest[i, k])]
            out.append({"unit_id": ids[i], "document": row["document"], "code": code, "start": int(row["start"]),
                        "end": int(row["end"]), "status": "suggested", "confidence": round(s, 4),
                        "method": "semantic", "evidence": evidence})
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
        proto_vecs = embedder(proto_texts)
        unit_vecs = embedder(units["text"].tolist(), progress=progress)
        info["embedding"] = dict(getattr(embedder, "stats", {}))
        calibrated = calibrate_threshold(proto_vecs, owners)
        base = threshold if threshold is not None else (
            cb.semantic_threshold if cb.semantic_threshold is not None else calibrated)
        thresholds = np.array([c.threshold if (c.threshold is not None and threshold is None) else base
                               for c in cb.codes], dtype=np.float32)
        info["threshold"] = float(base)
        info["calibrated_threshold"] = float(calibrated)
        sim = unit_vecs @ proto_vecs.T
        scores = _per_code_max(sim, owners, cb.ids)
        nearest = _nearest_proto(sim, owners, cb.ids)
        already = {(c["unit_id"], c["code"]) for c in codings}
        codings += semantic_suggestions(units, scores, cb.ids, thresholds, already, diag["negated_units"],
                                        nearest, proto_texts)
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
                         run_id=run_id, words=int(units["text"].str.split().str.len().sum()))


def _nearest_proto(sim: np.ndarray, owners: Sequence[str], codes: Sequence[str]) -> np.ndarray:
    """Index of the best prototype of each code for each unit."""
    out = np.zeros((sim.shape[0], len(codes)), dtype=np.int64)
    owners_arr = np.array(owners)
    for k, code in enumerate(codes):
        cols = np.flatnonzero(owners_arr == code)
        out[:, k] = cols[np.argmax(sim[:, cols], axis=1)] if len(cols) else 0
    return out
