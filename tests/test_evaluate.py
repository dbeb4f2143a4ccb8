"""Evaluation arithmetic on a hand-computed example, links scoring, and gold-file errors."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from coder.autocode import auto_code
from coder.errors import CodingsError
from coder.evaluate import evaluate, score_links, score_units


def test_hand_computed_scores():
    # 6 units, 2 codes.
    # debt:  gold {u1,u2,u3}  auto {u1,u2,u4}  -> TP 2, FP 1, FN 1, TN 2
    # drugs: gold {u5}        auto {}          -> TP 0, FP 0, FN 1, TN 5
    gold = pd.DataFrame({"unit_id": ["u1", "u2", "u3", "u5"], "code": ["debt", "debt", "debt", "drugs"]})
    auto = pd.DataFrame({"unit_id": ["u1", "u2", "u4"], "code": ["debt", "debt", "debt"]})
    s = score_units(gold, auto, ["u1", "u2", "u3", "u4", "u5", "u6"], ["debt", "drugs"])
    d = s["codes"]["debt"]
    assert (d["tp"], d["fp"], d["fn"], d["tn"]) == (2, 1, 1, 2)
    assert d["precision"] == pytest.approx(2 / 3) and d["recall"] == pytest.approx(2 / 3)
    assert d["f1"] == pytest.approx(2 / 3)
    # Cohen's kappa by hand: po = 4/6; pe = (3*3 + 3*3)/36 = 0.5; kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert d["kappa"] == pytest.approx(1 / 3)
    g = s["codes"]["drugs"]
    assert math.isnan(g["precision"]) and g["recall"] == 0 and g["f1"] == 0
    # micro: TP 2, FP 1, FN 2 -> P 2/3, R 1/2, F1 4/7 ; macro F1 over gold codes: (2/3 + 0) / 2
    assert s["micro"]["precision"] == pytest.approx(2 / 3)
    assert s["micro"]["recall"] == pytest.approx(0.5)
    assert s["micro"]["f1"] == pytest.approx(4 / 7)
    assert s["macro"]["f1"] == pytest.approx(1 / 3) and s["macro"]["n_codes"] == 2


def test_kappa_matches_sklearn_style_independent_computation():
    from coder.agreement import cohen_kappa

    gold = pd.DataFrame({"unit_id": ["u1", "u2", "u3", "u7"], "code": ["x"] * 4})
    auto = pd.DataFrame({"unit_id": ["u1", "u4", "u7", "u8"], "code": ["x"] * 4})
    units = [f"u{i}" for i in range(1, 11)]
    k = score_units(gold, auto, units, ["x"])["codes"]["x"]["kappa"]
    a = [u in {"u1", "u2", "u3", "u7"} for u in units]
    b = [u in {"u1", "u4", "u7", "u8"} for u in units]
    assert k == pytest.approx(cohen_kappa(a, b).value)


def test_links_direction_matters():
    gold = pd.DataFrame({"document": ["d", "d", "e"], "from_code": ["a", "b", "a"], "to_code": ["b", "c", "c"]})
    auto = pd.DataFrame({"document": ["d", "d", "x"], "from_code": ["a", "c", "a"], "to_code": ["b", "b", "c"]})
    r = score_links(gold, auto)
    # document x is not in the gold: ignored; (d,c,b) is the reverse of a gold link: wrong
    assert (r["tp"], r["auto"], r["gold"]) == (1, 2, 3)
    assert r["precision"] == 0.5 and r["recall"] == pytest.approx(1 / 3) and r["undirected_tp"] == 2


def test_evaluate_project_against_gold_file(project, tmp_path):
    auto_code(project, semantic=False)
    gold = tmp_path / "gold.csv"
    gold.write_text("document,code,quote\n"
                    "A-mother,domestic_abuse,He used to hit me\n"
                    "A-mother,debt,We got into debt with the catalogue.\n"
                    "A-mother,school_exclusion,Kyle got excluded in Year 9.\n"
                    "B-father,debt,we were in arrears on the rent\n")
    links = tmp_path / "links.csv"
    links.write_text("document,from_code,to_code,quote\nA-mother,alcohol,domestic_abuse,He used to hit me when he'd had a drink.\n")
    ev = evaluate(project, gold, links_file=links)
    assert ev.documents == ["A-mother", "B-father"]
    d = ev.scores["codes"]["debt"]
    assert (d["tp"], d["fp"], d["fn"]) == (2, 1, 0)  # "Then the bailiffs came." coded by auto, not by this gold
    out = ev.to_dict()
    assert set(out) >= {"unit", "codes", "micro", "macro", "links"}
    assert set(out["codes"]["debt"]) >= {"tp", "fp", "fn", "precision", "recall", "f1", "kappa"}
    assert "Then the bailiffs came." in ev.disagreements["text"].tolist()


def test_gold_with_unknown_code_names_the_row(project, tmp_path):
    auto_code(project, semantic=False)
    gold = tmp_path / "gold.csv"
    gold.write_text("document,code,quote\nA-mother,debt,We got into debt\nA-mother,gambling,hit me\n")
    with pytest.raises(CodingsError, match=r"gold.csv:3: unknown code 'gambling'"):
        evaluate(project, gold)
