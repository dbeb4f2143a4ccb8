"""How accurate is the auto-coder?  Unit-level scores against a gold codings file.

Both the gold codings and the auto codings are mapped to coding units by
the SPEC §3 rule (:func:`coder.units.assign_units`), on the documents the
gold file covers.  For each code, each unit is a yes/no decision, giving
TP, FP, FN and TN, then

* precision = TP / (TP + FP), recall = TP / (TP + FN),
  F1 = 2·TP / (2·TP + FP + FN) (van Rijsbergen 1979);
* Cohen's κ on the 2×2 table (Cohen 1960, doi:10.1177/001316446002000104);
* micro averages pool TP/FP/FN over all codes; macro F1 is the mean F1 over
  the codes that occur in the gold.

Undefined ratios (no positives at all) are NaN, shown as null in JSON.
With ``links``, auto links are scored against gold links as sets of
(document, from_code, to_code): direction and code pair must both agree.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .codings_io import read_codings_csv, read_links_csv
from .errors import AnalysisError
from .units import assign_units

__all__ = ["score_units", "score_links", "evaluate", "Evaluation", "disagreement_listing", "focus_scores"]


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    n = tp + fp + fn + tn
    if n == 0:
        return float("nan")
    po = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    return float("nan") if pe == 1 else (po - pe) / (1 - pe)


def score_units(gold: pd.DataFrame, auto: pd.DataFrame, units: Sequence[str], codes: Sequence[str]) -> dict[str, Any]:
    """Per-code and averaged scores of ``auto`` against ``gold`` (both: unit_id, code).

    Examples
    --------
    >>> gold = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "code": ["debt", "debt", "drugs"]})
    >>> auto = pd.DataFrame({"unit_id": ["u1", "u3", "u4"], "code": ["debt", "debt", "drugs"]})
    >>> s = score_units(gold, auto, ["u1", "u2", "u3", "u4"], ["debt", "drugs"])
    >>> s["codes"]["debt"]["tp"], s["codes"]["debt"]["fp"], s["codes"]["debt"]["fn"]
    (1, 1, 1)
    >>> round(s["micro"]["f1"], 3), round(s["macro"]["f1"], 3)
    (0.333, 0.25)
    """
    unit_set = set(units)
    g = set(map(tuple, gold[gold["unit_id"].isin(unit_set)][["unit_id", "code"]].values.tolist()))
    a = set(map(tuple, auto[auto["unit_id"].isin(unit_set)][["unit_id", "code"]].values.tolist()))
    n = len(unit_set)
    out: dict[str, Any] = {}
    TP = FP = FN = 0
    f1s = []
    for code in codes:
        gu = {u for u, c in g if c == code}
        au = {u for u, c in a if c == code}
        tp, fp, fn = len(gu & au), len(au - gu), len(gu - au)
        tn = n - tp - fp - fn
        p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = _ratio(2 * tp, 2 * tp + fp + fn)
        out[code] = {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "gold": len(gu), "auto": len(au),
                     "precision": p, "recall": r, "f1": f1, "kappa": _kappa(tp, fp, fn, tn)}
        TP, FP, FN = TP + tp, FP + fp, FN + fn
        if gu:
            f1s.append(0.0 if math.isnan(f1) else f1)
    micro = {"tp": TP, "fp": FP, "fn": FN, "precision": _ratio(TP, TP + FP), "recall": _ratio(TP, TP + FN),
             "f1": _ratio(2 * TP, 2 * TP + FP + FN)}
    macro = {"f1": sum(f1s) / len(f1s) if f1s else float("nan"), "n_codes": len(f1s)}
    return {"n_units": n, "codes": out, "micro": micro, "macro": macro}


def score_links(gold: pd.DataFrame, auto: pd.DataFrame) -> dict[str, Any]:
    """Precision, recall and F1 of directed links as (document, from_code, to_code) sets.

    Examples
    --------
    >>> gold = pd.DataFrame({"document": ["d", "d"], "from_code": ["drink", "debt"], "to_code": ["job", "mh"]})
    >>> auto = pd.DataFrame({"document": ["d", "d"], "from_code": ["drink", "mh"], "to_code": ["job", "debt"]})
    >>> r = score_links(gold, auto)
    >>> r["tp"], r["precision"], r["undirected_tp"]
    (1, 0.5, 2)
    """
    docs = set(gold["document"])
    g = set(map(tuple, gold[["document", "from_code", "to_code"]].values.tolist()))
    a = set(map(tuple, auto[auto["document"].isin(docs)][["document", "from_code", "to_code"]].values.tolist()))
    tp = len(g & a)
    und = {(d, *sorted((x, y))) for d, x, y in g}
    und_a = {(d, *sorted((x, y))) for d, x, y in a}
    return {"gold": len(g), "auto": len(a), "tp": tp, "precision": _ratio(tp, len(a)), "recall": _ratio(tp, len(g)),
            "f1": _ratio(2 * tp, len(a) + len(g)), "undirected_tp": len(und & und_a)}


def disagreement_listing(units: pd.DataFrame, gold: pd.DataFrame, auto: pd.DataFrame) -> pd.DataFrame:
    """Units where gold and auto differ: document, unit_id, text, gold codes, auto codes, missed, extra."""
    gs = gold.groupby("unit_id")["code"].apply(lambda s: sorted(set(s))).to_dict()
    as_ = auto.groupby("unit_id")["code"].apply(lambda s: sorted(set(s))).to_dict()
    rows = []
    for r in units.itertuples():
        g, a = gs.get(r.unit_id, []), as_.get(r.unit_id, [])
        if g != a:
            rows.append({"document": r.document, "unit_id": r.unit_id, "text": r.text, "gold": ", ".join(g),
                         "auto": ", ".join(a), "missed": ", ".join(sorted(set(g) - set(a))),
                         "extra": ", ".join(sorted(set(a) - set(g)))})
    return pd.DataFrame(rows, columns=["document", "unit_id", "text", "gold", "auto", "missed", "extra"])


_NEGATION = re.compile(r"\b(?:no|not|never|nothing|nobody|none|neither|nor|without)\b|n[\'’]t\b", re.I)


def focus_scores(units: pd.DataFrame, gold: pd.DataFrame, auto: pd.DataFrame, codebook) -> dict[str, Any]:
    """Two numbers the headline F1 hides (both: unit_id, code frames).

    * ``unnamed_recall``: recall over the gold codings whose unit contains
      none of the code's keywords as a plain substring: talk no keyword names
      ("he'd knock me about", "I was on the gear"), which keyword search
      cannot find by construction.
    * ``negation_precision``: precision over the auto codings of a code whose
      keyword occurs in a unit that also contains a negation ("no", "not",
      "n't", "never", "without" …): mentions that may be negated, where
      keyword search codes "he doesn't drink" as drinking.

    Examples
    --------
    >>> from coder.codebook import parse_codebook
    >>> cb = parse_codebook('''
    ... codes:
    ...   - {id: alcohol, name: Alcohol, kind: problem, keywords: [drink]}
    ... ''')
    >>> units = pd.DataFrame({"unit_id": ["a", "b", "c"], "text": ["He was on the sauce", "He doesn't drink", "A drink"]})
    >>> gold = pd.DataFrame({"unit_id": ["a", "c"], "code": ["alcohol", "alcohol"]})
    >>> auto = pd.DataFrame({"unit_id": ["b", "c"], "code": ["alcohol", "alcohol"]})
    >>> s = focus_scores(units, gold, auto, cb)
    >>> s["unnamed_gold"], s["unnamed_recall"], s["negation_auto"], s["negation_precision"]
    (1, 0.0, 1, 0.0)
    """
    from .autocode import baseline_code

    text = dict(zip(units["unit_id"], units["text"]))
    named = set(map(tuple, baseline_code(units, codebook).values.tolist()))  # what keyword search finds
    g = {(u, c) for u, c in zip(gold["unit_id"], gold["code"]) if u in text}
    a = {(u, c) for u, c in zip(auto["unit_id"], auto["code"]) if u in text}
    unnamed = g - named
    negated_units = {u for u, t in text.items() if _NEGATION.search(t)}
    in_neg = {(u, c) for u, c in a & named if u in negated_units}
    return {"unnamed_gold": len(unnamed), "unnamed_recall": _ratio(len(unnamed & a), len(unnamed)),
            "negation_units": len(negated_units), "negation_auto": len(in_neg),
            "negation_precision": _ratio(len(in_neg & g), len(in_neg))}


@dataclass
class Evaluation:
    unit: str
    scores: dict[str, Any]
    documents: list[str]
    disagreements: pd.DataFrame
    links: dict[str, Any] | None = None
    label: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {"unit": self.unit, "coder": self.label, "documents": self.documents, "n_units": self.scores["n_units"],
             "codes": self.scores["codes"], "micro": self.scores["micro"], "macro": self.scores["macro"],
             **self.extra}
        if self.links is not None:
            d["links"] = self.links
        return d


def load_gold(project, gold_file: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a gold codings CSV against the project (errors name the row)."""
    cb = project.codebook()
    rows = read_codings_csv(gold_file, texts=project.texts(), codes=set(cb.ids), coder="gold")
    df = pd.DataFrame(rows)
    return df, sorted(df["document"].unique())


def evaluate(project, gold_file: str | Path, *, links_file: str | Path | None = None, coder: str = "auto",
             auto_unit_codes: pd.DataFrame | None = None, auto_links: pd.DataFrame | None = None,
             label: str | None = None) -> Evaluation:
    """Score a stored coder (default ``auto``), or given unit codes, against a gold file."""
    cb = project.codebook()
    gold, docs = load_gold(project, gold_file)
    units = project.units_frame()
    units = units[units["document"].isin(docs)]
    if units.empty:
        raise AnalysisError(f"{gold_file}: its documents have no coding units in this project")
    gold_units = assign_units(units, gold)
    if auto_unit_codes is None:
        auto_unit_codes = project.unit_codes(coder, units=units)
        if auto_unit_codes.empty and coder == "auto":
            raise AnalysisError(f"{project.path} has no auto codings yet; run 'coder code {project.path}' first")
    scores = score_units(gold_units, auto_unit_codes, units["unit_id"].tolist(), cb.ids)
    listing = disagreement_listing(units, gold_units, auto_unit_codes[auto_unit_codes["unit_id"].isin(set(units["unit_id"]))])
    link_scores = None
    if links_file is not None:
        gl = pd.DataFrame(read_links_csv(links_file, texts=project.texts(), codes=set(cb.ids), coder="gold"))
        al = project.links_frame(coder) if auto_links is None else auto_links
        link_scores = score_links(gl, al)
    return Evaluation(unit=cb.unit, scores=scores, documents=docs, disagreements=listing, links=link_scores,
                      label=label or coder, extra={"focus": focus_scores(units, gold_units, auto_unit_codes, cb)})


def compare_methods(project, gold_file: str | Path, *, links_file: str | Path | None = None, embedder=None,
                    progress=None) -> list[Evaluation]:
    """The three README rows: keyword-substring baseline, rules, rules + semantic (computed in memory)."""
    from .autocode import baseline_code, compute_codings

    cb = project.codebook()
    _, docs = load_gold(project, gold_file)
    units = project.units_frame()
    units = units[units["document"].isin(docs)].reset_index(drop=True)
    results = []
    base = baseline_code(units, cb)
    results.append(evaluate(project, gold_file, auto_unit_codes=base, label="baseline: keyword substring",
                            links_file=None))
    for semantic, label in ((False, "rules (lemmas, patterns, negation)"), (True, "rules + semantic suggestions")):
        # the whole project, as 'coder code' runs: the semantic classifiers learn from every document
        codings, links, info = compute_codings(project, semantic=semantic, embedder=embedder, progress=progress)
        uc = pd.DataFrame([(c["unit_id"], c["code"]) for c in codings], columns=["unit_id", "code"]).drop_duplicates()
        al = pd.DataFrame([{"document": lk["document_id"], "from_code": lk["from_code"], "to_code": lk["to_code"]}
                           for lk in links], columns=["document", "from_code", "to_code"])
        ev = evaluate(project, gold_file, auto_unit_codes=uc, auto_links=al, links_file=links_file, label=label)
        if semantic:
            ev.extra["threshold"] = info["threshold"]
            ev.extra["per_method"] = dict(Counter(c["method"] for c in codings))
        results.append(ev)
    return results
