"""Tests for coder.agreement: published values, edge cases, properties, examples.

Published tables are typed in as literals with their citation.  Tests marked
"shared testdata" also read the original files from ``../shared/testdata``
and skip when that folder is absent.
"""

from __future__ import annotations

import json
import math
from itertools import permutations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coder.agreement import (
    AgreementResult,
    Coefficient,
    brennan_prediger,
    brennan_prediger_table,
    code_agreement,
    cohen_kappa,
    cohen_kappa_table,
    disagreements,
    fleiss_category_kappas,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
    rating_counts,
    scott_pi,
    scott_pi_table,
    span_overlap,
)
from coder.errors import AnalysisError

TESTDATA = Path(__file__).parents[1].parent / "shared" / "testdata"
RELIABILITY = TESTDATA / "reliability"
N = None  # missing rating, for readable literals

# ---------------------------------------------------------------------------
# Published tables (typed in)
# ---------------------------------------------------------------------------

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability, p. 8:
# 4 observers (rows) × 12 units, values 1-5, None = missing.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]

# Krippendorff, K. (2004). Content Analysis (2nd ed.), §11.3.1: two observers
# (Jon, Han) judge the presence (1) of a topic in 10 articles.
KRIPPENDORFF_2004_BINARY = [
    [1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    [0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
]

# Wikipedia "Krippendorff's alpha" example (fast-krippendorff docstring):
# 3 coders × 15 units.
WIKIPEDIA_3X15 = [
    [N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
    [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
    [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4],
]

# Artstein, R. & Poesio, M. (2008). Inter-coder agreement for computational
# linguistics. Computational Linguistics 34(4), table 1 (coder A rows × B columns).
ARTSTEIN_POESIO_TABLE1 = [[20, 20], [10, 50]]

# SAS/STAT PROC FREQ AGREE example as used by statsmodels (3 × 3, kappa 0.4842).
SAS_3X3 = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]

# Gwet (2014) / irrCAC cont3x3abstractors: two abstractors, 3 categories
# (Ectopic, AIU, NIU).
CONT3X3_ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]

# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
# Psychological Bulletin 76(5), table 1: 30 patients × 6 psychiatrists; number
# of psychiatrists assigning each diagnosis.
FLEISS_1971_CATEGORIES = ["Depression", "Personality Disorder", "Schizophrenia", "Neurosis", "Other"]
FLEISS_1971 = [
    [0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6], [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0], [2, 0, 0, 4, 0], [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0], [1, 1, 0, 4, 0], [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1], [3, 0, 0, 1, 2], [5, 1, 0, 0, 0], [0, 2, 0, 4, 0], [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6], [0, 1, 0, 5, 0], [0, 2, 0, 1, 3], [2, 0, 0, 4, 0], [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0], [4, 0, 0, 0, 2], [0, 2, 0, 4, 0], [1, 0, 5, 0, 0], [0, 0, 0, 0, 6],
]
# irrCAC distrib.6raters = the first 15 patients of Fleiss (1971).
DISTRIB_6RATERS = FLEISS_1971[:15]


def _close(coefficient: Coefficient, expected: float, places: int) -> None:
    assert coefficient.defined, coefficient.reason
    assert round(coefficient.value, places) == pytest.approx(expected, abs=10 ** -(places + 3))


def _undefined(coefficient: Coefficient, *words: str) -> None:
    assert math.isnan(coefficient.value)
    assert coefficient.reason
    for word in words:
        assert word in coefficient.reason


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (tests read ../shared/testdata when it exists)")
    return path


# ---------------------------------------------------------------------------
# Published values, typed in
# ---------------------------------------------------------------------------


def test_krippendorff_2011_nominal_and_interval():
    _close(krippendorff_alpha(KRIPPENDORFF_2011), 0.743, 3)
    _close(krippendorff_alpha(KRIPPENDORFF_2011, level="interval"), 0.849, 3)
    _close(krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal"), 0.815, 3)
    _close(krippendorff_alpha(KRIPPENDORFF_2011, level="ratio"), 0.797, 3)


def test_krippendorff_alpha_same_from_value_counts():
    counts = rating_counts(KRIPPENDORFF_2011)
    assert krippendorff_alpha(value_counts=counts).value == pytest.approx(
        krippendorff_alpha(KRIPPENDORFF_2011).value
    )


def test_krippendorff_2004_binary_two_observers():
    _close(krippendorff_alpha(KRIPPENDORFF_2004_BINARY), 0.095, 3)


def test_krippendorff_wikipedia_example():
    _close(krippendorff_alpha(WIKIPEDIA_3X15), 0.691358, 6)
    _close(krippendorff_alpha(WIKIPEDIA_3X15, level="interval"), 0.810845, 6)


def test_krippendorff_nominal_accepts_string_ratings():
    labels = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", None: None}
    data = [[labels[v] for v in row] for row in KRIPPENDORFF_2011]
    _close(krippendorff_alpha(data), 0.743, 3)
    with pytest.raises(AnalysisError, match="value_domain"):
        krippendorff_alpha(data, level="ordinal")
    domain = ["one", "two", "three", "four", "five"]
    _close(krippendorff_alpha(data, level="ordinal", value_domain=domain), 0.815, 3)


def test_cohen_kappa_artstein_poesio_table1():
    _close(cohen_kappa_table(ARTSTEIN_POESIO_TABLE1), 0.348, 3)
    # the same data as label vectors (scikit-learn's test_cohen_kappa)
    a = [0] * 40 + [1] * 60
    b = [0] * 20 + [1] * 20 + [0] * 10 + [1] * 50
    _close(cohen_kappa(a, b), 0.348, 3)


def test_cohen_kappa_sas_3x3():
    _close(cohen_kappa_table(SAS_3X3), 0.4842, 4)


def test_two_rater_coefficients_cont3x3_abstractors():
    # irrCAC README: Cohen 0.7964094, Scott 0.7962397, BP 0.835, PA 0.89
    _close(cohen_kappa_table(CONT3X3_ABSTRACTORS), 0.7964094, 7)
    _close(scott_pi_table(CONT3X3_ABSTRACTORS), 0.7962397, 7)
    _close(brennan_prediger_table(CONT3X3_ABSTRACTORS), 0.835, 3)


def test_fleiss_1971_overall_and_per_category():
    _close(fleiss_kappa(value_counts=FLEISS_1971), 0.4302445, 7)
    frame = pd.DataFrame(FLEISS_1971, columns=FLEISS_1971_CATEGORIES)
    per_category = fleiss_category_kappas(value_counts=frame)
    expected = {"Depression": 0.245, "Personality Disorder": 0.245, "Schizophrenia": 0.520,
                "Neurosis": 0.471, "Other": 0.566}
    assert list(per_category) == FLEISS_1971_CATEGORIES
    for category, value in expected.items():
        _close(per_category[category], value, 3)


def test_irrcac_distrib_6raters():
    # irrCAC README: Fleiss 0.4139265, Krippendorff 0.4204384, BP 0.4388889, pa 0.5511111
    _close(brennan_prediger(value_counts=DISTRIB_6RATERS), 0.4388889, 7)
    _close(fleiss_kappa(value_counts=DISTRIB_6RATERS), 0.4139265, 7)
    _close(krippendorff_alpha(value_counts=DISTRIB_6RATERS), 0.4204384, 7)
    _close(percent_agreement(value_counts=DISTRIB_6RATERS), 0.5511111, 7)


def test_irrcac_raw4raters_is_krippendorff_2011_transposed():
    # irrCAC README cac.raw4raters: PA 0.8181818, Fleiss 0.76117, Kripp 0.74342, BP 0.77273
    _close(percent_agreement(KRIPPENDORFF_2011), 0.8181818, 7)
    _close(fleiss_kappa(KRIPPENDORFF_2011), 0.76117, 5)
    _close(krippendorff_alpha(KRIPPENDORFF_2011), 0.74342, 5)
    _close(brennan_prediger(KRIPPENDORFF_2011), 0.77273, 5)


def test_fleiss_two_raters_equals_scott_pi():
    a = [0, 0, 1, 2, 1, 1, 0, 2, 2, 2]
    b = [0, 1, 1, 2, 1, 0, 0, 2, 1, 2]
    assert fleiss_kappa([a, b]).value == pytest.approx(scott_pi(a, b).value)


# ---------------------------------------------------------------------------
# Published values, read from ../shared/testdata
# ---------------------------------------------------------------------------


def test_shared_krippendorff_2011_file():
    path = _need(RELIABILITY / "krippendorff" / "krippendorff2011_C_4coders_12units.csv")
    frame = pd.read_csv(path, index_col=0)
    data = frame.to_numpy()
    _close(krippendorff_alpha(data), 0.743, 3)
    _close(krippendorff_alpha(data, level="interval"), 0.849, 3)


def test_shared_wikipedia_file():
    frame = pd.read_csv(_need(RELIABILITY / "krippendorff" / "wikipedia_3coders_15units.csv"), index_col=0)
    _close(krippendorff_alpha(frame.to_numpy()), 0.691358, 6)
    _close(krippendorff_alpha(frame.to_numpy(), level="interval"), 0.810845, 6)


def test_shared_hayes_2007_news_tone():
    path = _need(RELIABILITY / "krippendorff" / "hayes2007_news_tone_40units_5obs.csv")
    data = pd.read_csv(path, index_col=0, na_values=".").to_numpy().T  # file is units × observers
    _close(krippendorff_alpha(data, level="ordinal"), 0.7598, 4)
    _close(krippendorff_alpha(data, level="nominal"), 0.477, 3)
    _close(krippendorff_alpha(data, level="interval"), 0.757, 3)


def test_shared_krippendorff_2004_binary_file():
    path = _need(RELIABILITY / "krippendorff" / "krippendorff2004_s11.3.1_binary_2obs.txt")
    lines = path.read_text().split("\n")
    data = [[int(v) for v in line.split()[1:]] for line in lines[1:3]]
    _close(krippendorff_alpha(data), 0.095, 3)


def test_shared_quadrilogy_table6():
    path = _need(RELIABILITY / "krippendorff" / "quadrilogy_table6_binary_counts.csv")
    counts = pd.read_csv(path, index_col=0).to_numpy().T  # file is value × unit
    cases = {(1, 2, 3, 4, 5): 0.60547504030, (2, 3): 1.0, (2, 3, 5): 0.8687782805, (1, 2, 3, 5): 0.7989417989}
    for units, expected in cases.items():
        rows = [u - 1 for u in units]
        assert krippendorff_alpha(value_counts=counts[rows]).value == pytest.approx(expected, abs=1e-10)


def test_shared_fleiss_diagnoses_raw_ratings():
    path = _need(RELIABILITY / "irr_R_datasets" / "diagnoses.csv")
    data = pd.read_csv(path).to_numpy().T  # raters × patients, labels like "4. Neurosis"
    _close(fleiss_kappa(data), 0.4302445, 7)
    per_category = fleiss_category_kappas(data)
    expected = [0.245, 0.245, 0.520, 0.471, 0.566]
    for (label, coefficient), value in zip(sorted(per_category.items()), expected):
        _close(coefficient, value, 3)
    assert rating_counts(data).to_numpy().tolist() == FLEISS_1971


def test_shared_statsmodels_fleiss_wikipedia():
    path = _need(RELIABILITY / "statsmodels" / "fleiss_wikipedia_10subjects_14raters_counts.csv")
    _close(fleiss_kappa(value_counts=pd.read_csv(path, index_col=0)), 0.210, 3)


def test_shared_cohen_tables():
    sas = pd.read_csv(_need(RELIABILITY / "statsmodels" / "cohen_sas_example_3x3_table.csv"), index_col=0)
    _close(cohen_kappa_table(sas), 0.4842, 4)
    ap = pd.read_csv(RELIABILITY / "sklearn" / "artstein_poesio_2008_table1_2x2.csv", index_col=0)
    _close(cohen_kappa_table(ap), 0.348, 3)


def test_shared_anxiety_raw_cohen():
    anxiety = pd.read_csv(_need(RELIABILITY / "irr_R_datasets" / "anxiety.csv"))
    _close(cohen_kappa(anxiety["rater2"], anxiety["rater3"]), -0.006289308, 9)


def test_shared_irrcac_readme_values():
    table = pd.read_csv(_need(RELIABILITY / "irrCAC_R_datasets" / "cont3x3abstractors.csv"), index_col=0)
    _close(cohen_kappa_table(table), 0.7964094, 7)
    _close(scott_pi_table(table), 0.7962397, 7)
    _close(brennan_prediger_table(table), 0.835, 3)
    dist = pd.read_csv(RELIABILITY / "irrCAC_R_datasets" / "distrib.6raters.csv", index_col=0)
    _close(fleiss_kappa(value_counts=dist), 0.4139265, 7)
    _close(krippendorff_alpha(value_counts=dist), 0.4204384, 7)
    _close(brennan_prediger(value_counts=dist), 0.4388889, 7)
    raw4 = pd.read_csv(RELIABILITY / "irrCAC_R_datasets" / "cac.raw4raters.csv", index_col=0).to_numpy().T
    _close(percent_agreement(raw4), 0.8181818, 7)
    _close(fleiss_kappa(raw4), 0.76117, 5)
    _close(krippendorff_alpha(raw4), 0.74342, 5)
    _close(brennan_prediger(raw4), 0.77273, 5)


def _table_value_counts(table: np.ndarray) -> np.ndarray:
    """A two-coder contingency table as units × categories counts."""
    rows = []
    for i, j in zip(*np.nonzero(table)):
        row = np.zeros(table.shape[0])
        row[i] += 1
        row[j] += 1
        rows += [row] * int(table[i, j])
    return np.array(rows)


def test_shared_irrcac_python_expected_values():
    """Every identity-weight row of afergadis/irrCAC's tests that this module covers."""
    folder = _need(RELIABILITY / "irrCAC_py_datasets")
    expected = pd.read_csv(folder / "expected_values_from_tests.csv")
    expected = expected[expected["weights"] == "identity"]
    checked = 0
    for row in expected.itertuples():
        data = pd.read_csv(folder / f"{row.dataset}.csv")
        if row.input_kind == "raw":
            ratings = data.drop(columns=[c for c in ("Group", "Units") if c in data.columns]).to_numpy().T
            functions = {"fleiss": fleiss_kappa, "bp": brennan_prediger, "krippendorff": krippendorff_alpha}
            if row.method not in functions:
                continue
            value = functions[row.method](ratings)
        else:
            table = data.set_index(data.columns[0]).to_numpy(dtype=float)
            functions = {
                "cohen": cohen_kappa_table,
                "scott": scott_pi_table,
                "bp": brennan_prediger_table,
                "pa2": lambda t: Coefficient(np.trace(t) / t.sum()),
                "krippendorff": lambda t: krippendorff_alpha(value_counts=_table_value_counts(t)),
            }
            if row.method not in functions:
                continue
            value = functions[row.method](table)
        assert round(value.value, 3) == pytest.approx(row.coefficient, abs=1e-9), (row.test, value)
        if row.method in ("fleiss", "bp") and not math.isnan(row.pa):
            assert round(percent_agreement(ratings).value, 3) == pytest.approx(row.pa, abs=1e-9), row.test
        checked += 1
    assert checked == 15 + 9  # 15 raw (3 methods × 5 data sets) + 9 table rows


# ---------------------------------------------------------------------------
# Edge cases of the coefficients
# ---------------------------------------------------------------------------


def test_single_value_domain_is_undefined_not_an_error():
    # the krippendorff package raises here; we return NaN with a reason
    _undefined(krippendorff_alpha([[1, 1, 1], [1, 1, 1]]), "same category")
    _undefined(cohen_kappa([1, 1, 1], [1, 1, 1]), "chance agreement is 1")
    _undefined(fleiss_kappa([[1, 1, 1], [1, 1, 1]]), "same category")
    assert percent_agreement([[1, 1, 1], [1, 1, 1]]).value == 1.0
    assert brennan_prediger([[1, 1, 1], [1, 1, 1]], n_categories=2).value == 1.0
    _undefined(brennan_prediger([[1, 1, 1], [1, 1, 1]]), "n_categories")


def test_no_unit_rated_twice_is_undefined():
    data = [[1, N, 2], [N, 1, N]]
    for coefficient in (krippendorff_alpha(data), fleiss_kappa(data), percent_agreement(data),
                        brennan_prediger(data), cohen_kappa(*data), scott_pi(*data)):
        _undefined(coefficient, "two or more coders")


def test_empty_table_is_undefined():
    _undefined(cohen_kappa_table([[0, 0], [0, 0]]), "empty")
    _undefined(scott_pi_table([[0, 0], [0, 0]]), "empty")
    _undefined(brennan_prediger_table([[0, 0], [0, 0]]), "empty")


def test_perfect_agreement_with_variation_is_one():
    a = ["x", "y", "z", "x", "y"]
    assert cohen_kappa(a, a).value == pytest.approx(1.0)
    assert scott_pi(a, a).value == pytest.approx(1.0)
    assert krippendorff_alpha([a, a, a]).value == pytest.approx(1.0)
    assert fleiss_kappa([a, a, a]).value == pytest.approx(1.0)
    assert brennan_prediger([a, a, a]).value == pytest.approx(1.0)
    assert percent_agreement([a, a, a]).value == 1.0


def test_one_coder_constant_gives_kappa_zero():
    # coder A says "yes" to everything: observed agreement equals chance agreement
    a = [1, 1, 1, 1, 1, 1]
    b = [1, 0, 1, 1, 0, 0]
    assert cohen_kappa(a, b).value == 0.0
    assert krippendorff_alpha([a, b]).value < 0


def test_single_unit():
    _undefined(cohen_kappa([1], [1]), "chance agreement is 1")
    assert cohen_kappa([1], [0]).value == 0.0
    assert krippendorff_alpha([[1], [0]]).value == 0.0
    _undefined(krippendorff_alpha([[1], [1]]), "same category")


def test_fleiss_category_never_used_is_nan():
    counts = pd.DataFrame([[2, 0, 0], [1, 1, 0]], columns=["a", "b", "c"])
    kappas = fleiss_category_kappas(value_counts=counts)
    _undefined(kappas["c"], "same category")
    assert kappas["a"].defined


def test_input_errors_are_analysis_errors():
    with pytest.raises(AnalysisError, match="exactly one"):
        fleiss_kappa()
    with pytest.raises(AnalysisError, match="exactly one"):
        percent_agreement([[1]], value_counts=[[1]])
    with pytest.raises(AnalysisError, match="square"):
        cohen_kappa_table([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(AnalysisError, match="same units"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(AnalysisError, match="2-D"):
        krippendorff_alpha([1, 2, 3])
    with pytest.raises(AnalysisError, match="level of measurement"):
        krippendorff_alpha([[1, 2], [1, 2]], level="nominalish")
    with pytest.raises(AnalysisError, match="non-negative"):
        fleiss_kappa(value_counts=[[1, -1]])
    with pytest.raises(AnalysisError, match="numeric"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], level="interval")


def test_coefficient_json_and_invariants():
    assert Coefficient(0.25).to_json() == 0.25
    assert Coefficient.undefined("why").to_json() is None
    assert float(Coefficient(0.5)) == 0.5
    with pytest.raises(ValueError):
        Coefficient(math.nan)
    with pytest.raises(ValueError):
        Coefficient(0.5, "a reason for a defined value")


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


def _random_ratings(rng: np.random.Generator, n_coders: int, n_units: int, p_missing: float = 0.0) -> list:
    data = rng.integers(0, 3, size=(n_coders, n_units)).astype(object)
    data[rng.random(data.shape) < p_missing] = None
    return data.tolist()


def test_property_perfect_agreement_gives_one():
    rng = np.random.default_rng(7)
    for _ in range(20):
        row = rng.integers(0, 4, size=12).tolist()
        if len(set(row)) < 2:
            continue
        data = [row, row, row]
        for function in (krippendorff_alpha, fleiss_kappa, brennan_prediger, percent_agreement):
            assert function(data).value == pytest.approx(1.0)
        assert cohen_kappa(row, row).value == pytest.approx(1.0)


def test_property_symmetric_in_coder_order():
    rng = np.random.default_rng(11)
    for _ in range(10):
        data = _random_ratings(rng, 3, 15, p_missing=0.2)
        reference = {f.__name__: f(data).value for f in (krippendorff_alpha, fleiss_kappa, brennan_prediger,
                                                         percent_agreement)}
        for order in permutations(range(3)):
            shuffled = [data[i] for i in order]
            for function in (krippendorff_alpha, fleiss_kappa, brennan_prediger, percent_agreement):
                assert function(shuffled).value == pytest.approx(reference[function.__name__], nan_ok=True)
        assert cohen_kappa(data[0], data[1]).value == pytest.approx(cohen_kappa(data[1], data[0]).value,
                                                                    nan_ok=True)


def test_property_coefficients_at_most_one_and_invariant_to_unit_order():
    rng = np.random.default_rng(3)
    for _ in range(10):
        data = np.array(_random_ratings(rng, 2, 20), dtype=object)
        order = rng.permutation(20)
        for function in (krippendorff_alpha, fleiss_kappa, brennan_prediger):
            value = function(data.tolist()).value
            assert value <= 1.0 + 1e-12
            assert function(data[:, order].tolist()).value == pytest.approx(value)


def test_property_code_agreement_symmetric_in_coders():
    rng = np.random.default_rng(5)
    units = [f"u{i}" for i in range(30)]
    rows = [(u, coder, code) for u in units for coder in ("A", "B", "C") for code in ("x", "y")
            if rng.random() < 0.3]
    assignments = pd.DataFrame(rows, columns=["unit_id", "coder", "code"])
    missing = {("C", "u3"), ("A", "u7")}
    assignments = assignments[[(c, u) not in missing for u, c, _ in rows]]
    reference = code_agreement(assignments, units, ["A", "B", "C"], ["x", "y"], missing=missing).to_dict()
    for order in permutations(["A", "B", "C"]):
        result = code_agreement(assignments, units, list(order), ["x", "y"], missing=missing).to_dict()
        for code in ("x", "y"):
            for key in ("percent", "kappa", "alpha", "brennan_prediger"):
                assert result["codes"][code][key] == pytest.approx(reference["codes"][code][key])
        for key in ("percent", "kappa", "alpha", "brennan_prediger"):
            assert result["overall"][key] == pytest.approx(reference["overall"][key])


# ---------------------------------------------------------------------------
# code_agreement: a hand-computed two-coder example
# ---------------------------------------------------------------------------

#        abuse  housing  money
#  unit   A B    A B      A B
#  u1     1 1    0 0      0 0
#  u2     1 1    1 0      0 0
#  u3     0 0    1 1      0 0
#  u4     0 0    0 1      0 0
#  u5     0 0    0 0      1 0
#  u6     1 0    0 0      0 0
TWO_CODERS = pd.DataFrame(
    [("u1", "A", "abuse"), ("u1", "B", "abuse"),
     ("u2", "A", "abuse"), ("u2", "A", "housing"), ("u2", "B", "abuse"),
     ("u3", "A", "housing"), ("u3", "B", "housing"),
     ("u4", "B", "housing"),
     ("u5", "A", "money"),
     ("u6", "A", "abuse"),
     ("u6", "A", "abuse")],  # a duplicate row: ignored
    columns=["unit_id", "coder", "code"],
)
SIX_UNITS = ["u1", "u2", "u3", "u4", "u5", "u6"]


def test_code_agreement_two_coders_by_hand():
    result = code_agreement(TWO_CODERS, SIX_UNITS, ["A", "B"], ["abuse", "housing", "money"], unit="sentence")
    assert result.kappa_method == "cohen"
    assert result.n_units == result.n_units_compared == 6

    # abuse: A=[1,1,0,0,0,1], B=[1,1,0,0,0,0]; n11=2 n10=1 n01=0 n00=3
    #   po = 5/6; pA1 = 1/2, pB1 = 1/3; pe = 1/2*1/3 + 1/2*2/3 = 1/2
    #   kappa = (5/6 - 1/2) / (1/2) = 2/3;  BP = (5/6 - 1/2)/(1/2) = 2/3
    #   alpha: n = 12 values, n1 = 5, n0 = 7, one disagreeing unit -> o01 + o10 = 2
    #          alpha = 1 - (n-1)(o01+o10) / (2 n0 n1) = 1 - 11*2/70 = 24/35
    #   Fleiss (= Scott's pi): p1 = 5/12, pe = 74/144, pi = (5/6 - 74/144)/(70/144) = 23/35
    abuse = result.codes["abuse"]
    assert abuse.percent.value == pytest.approx(5 / 6)
    assert abuse.kappa.value == pytest.approx(2 / 3)
    assert abuse.brennan_prediger.value == pytest.approx(2 / 3)
    assert abuse.alpha.value == pytest.approx(24 / 35)
    assert abuse.fleiss_kappa.value == pytest.approx(23 / 35)
    assert dict(abuse.n_coded) == {"A": 3, "B": 2} and abuse.n_coded_all == 2

    # housing: A=[0,1,1,0,0,0], B=[0,0,1,1,0,0]; n11=1 n10=1 n01=1 n00=3
    #   po = 2/3; pA1 = pB1 = 1/3; pe = 1/9 + 4/9 = 5/9; kappa = (2/3-5/9)/(4/9) = 1/4
    #   BP = 2*(2/3) - 1 = 1/3;  alpha: n1 = 4, n0 = 8, o01+o10 = 4 -> 1 - 11*4/64 = 5/16
    housing = result.codes["housing"]
    assert housing.percent.value == pytest.approx(2 / 3)
    assert housing.kappa.value == pytest.approx(1 / 4)
    assert housing.brennan_prediger.value == pytest.approx(1 / 3)
    assert housing.alpha.value == pytest.approx(5 / 16)
    assert dict(housing.n_coded) == {"A": 2, "B": 2} and housing.n_coded_all == 1

    # money: A=[0,0,0,0,1,0], B never: po = 5/6, pe = 1/6*0 + 5/6*1 = 5/6 -> kappa = 0
    #   BP = 2/3; alpha: n1 = 1, n0 = 11, o01+o10 = 2 -> 1 - 11*2/22 = 0
    money = result.codes["money"]
    assert money.percent.value == pytest.approx(5 / 6)
    assert money.kappa.value == 0.0
    assert money.brennan_prediger.value == pytest.approx(2 / 3)
    assert money.alpha.value == pytest.approx(0.0, abs=1e-12)
    assert dict(money.n_coded) == {"A": 1, "B": 0} and money.n_coded_all == 0

    # overall, pooled over 18 unit x code decisions: n11=3 n10=3 n01=1 n00=11
    #   po = 14/18 = 7/9; pA1 = 6/18, pB1 = 4/18; pe = 1/3*2/9 + 2/3*7/9 = 16/27
    #   kappa = (7/9 - 16/27)/(11/27) = 5/11;  BP = 2*7/9 - 1 = 5/9
    #   alpha: n = 36, n1 = 10, n0 = 26, 4 disagreeing decisions -> 1 - 35*8/520 = 6/13
    #   Fleiss: p1 = 10/36, pe = 194/324, (252/324 - 194/324)/(130/324) = 29/65
    overall = result.overall
    assert overall.n_decisions == 18
    assert overall.percent.value == pytest.approx(7 / 9)
    assert overall.kappa.value == pytest.approx(5 / 11)
    assert overall.brennan_prediger.value == pytest.approx(5 / 9)
    assert overall.alpha.value == pytest.approx(6 / 13)
    assert overall.fleiss_kappa.value == pytest.approx(29 / 65)
    # macro: mean of the per-code values
    assert overall.macro["kappa"].value == pytest.approx((2 / 3 + 1 / 4 + 0) / 3)
    assert overall.macro["alpha"].value == pytest.approx((24 / 35 + 5 / 16 + 0) / 3)
    assert overall.macro["percent"].value == pytest.approx(7 / 9)
    assert overall.macro_n_codes["kappa"] == 3


def test_code_agreement_json_matches_spec_shape():
    result = code_agreement(TWO_CODERS, SIX_UNITS, ["A", "B"], ["abuse", "housing", "money", "legal"],
                            unit="sentence")
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document["coders"] == ["A", "B"]
    assert document["unit"] == "sentence"
    assert document["n_units"] == 6
    assert set(document["codes"]) == {"abuse", "housing", "money", "legal"}
    for code in document["codes"].values():
        assert {"percent", "kappa", "alpha", "brennan_prediger"} <= set(code)
    assert {"percent", "kappa", "alpha"} <= set(document["overall"])
    legal = document["codes"]["legal"]
    assert legal["kappa"] is None and legal["alpha"] is None
    assert "no coder applied this code" in legal["reasons"]["kappa"]
    assert legal["percent"] == 1.0 and legal["brennan_prediger"] == 1.0
    assert document["overall"]["macro"]["n_codes"]["kappa"] == 3  # legal is undefined, left out
    frame = result.to_frame()
    assert list(frame["code"]) == ["abuse", "housing", "money", "legal"]
    assert list(frame.columns[:5]) == ["code", "n_units", "n_A", "n_B", "n_all"]


def test_code_agreement_default_codes_are_the_used_ones_sorted():
    result = code_agreement(TWO_CODERS, SIX_UNITS, ["A", "B"])
    assert list(result.codes) == ["abuse", "housing", "money"]


# ---------------------------------------------------------------------------
# code_agreement: three coders, missing data
# ---------------------------------------------------------------------------


def test_code_agreement_three_coders_by_hand():
    # code x, 4 units; C did not code u4.
    #          A  B  C      ones / raters
    #   u1     1  1  1      3 / 3
    #   u2     1  1  0      2 / 3
    #   u3     0  0  0      0 / 3
    #   u4     1  0  -      1 / 2
    # pa = (1 + 1/3 + 1 + 0) / 4 = 7/12;  BP = 2 pa - 1 = 1/6
    # pi1 = (1 + 2/3 + 0 + 1/2) / 4 = 13/24 -> pe = (13/24)^2 + (11/24)^2 = 145/288
    # Fleiss = (7/12 - 145/288) / (143/288) = 23/143
    # alpha: n = 11 pairable values, n1 = 6, n0 = 5;
    #   o01 + o10 = 2*(2*1)/2 (u2) + 2*(1*1)/1 (u4) = 4 -> 1 - 10*4/(2*5*6) = 1/3
    assignments = pd.DataFrame(
        [("u1", "A", "x"), ("u1", "B", "x"), ("u1", "C", "x"), ("u2", "A", "x"), ("u2", "B", "x"),
         ("u4", "A", "x")],
        columns=["unit_id", "coder", "code"],
    )
    units = ["u1", "u2", "u3", "u4"]
    result = code_agreement(assignments, units, ["A", "B", "C"], ["x"], missing=[("C", "u4")])
    x = result.codes["x"]
    assert result.kappa_method == "fleiss"
    assert x.n_units == 4
    assert x.percent.value == pytest.approx(7 / 12)
    assert x.brennan_prediger.value == pytest.approx(1 / 6)
    assert x.kappa.value == pytest.approx(23 / 143)
    assert x.fleiss_kappa.value == pytest.approx(23 / 143)
    assert x.alpha.value == pytest.approx(1 / 3)
    assert dict(x.n_coded) == {"A": 3, "B": 2, "C": 1} and x.n_coded_all == 1
    # the same with a units × coders mask
    mask = pd.DataFrame(False, index=units, columns=["A", "B", "C"])
    mask.loc["u4", "C"] = True
    assert code_agreement(assignments, units, ["A", "B", "C"], ["x"], missing=mask).codes["x"].alpha.value \
        == pytest.approx(1 / 3)
    # cross-check against the low-level functions on the same binary data
    data = [[1, 1, 0, 1], [1, 1, 0, 0], [1, 0, 0, N]]
    assert x.alpha.value == pytest.approx(krippendorff_alpha(data).value)
    assert x.kappa.value == pytest.approx(fleiss_kappa(data).value)


def test_three_coders_without_missing_no_variation_overall():
    assignments = pd.DataFrame(columns=["unit_id", "coder", "code"])
    result = code_agreement(assignments, ["u1", "u2"], ["A", "B", "C"], ["x"])
    assert result.overall.percent.value == 1.0
    _undefined(result.overall.kappa, "no coder applied any of the codes")


# ---------------------------------------------------------------------------
# code_agreement: edge cases
# ---------------------------------------------------------------------------


def _assign(rows):
    return pd.DataFrame(rows, columns=["unit_id", "coder", "code"])


def test_edge_code_no_coder_used():
    rows = _assign([("u1", "A", "x"), ("u1", "B", "x")])
    result = code_agreement(rows, ["u1", "u2"], ["A", "B"], ["x", "y"])
    y = result.codes["y"]
    assert y.percent.value == 1.0 and y.brennan_prediger.value == 1.0
    for coefficient in (y.kappa, y.alpha, y.fleiss_kappa):
        _undefined(coefficient, "no coder applied this code")


def test_edge_one_coder_applies_code_everywhere():
    rows = [("u1", "A", "x"), ("u2", "A", "x"), ("u3", "A", "x"), ("u1", "B", "x")]
    x = code_agreement(_assign(rows), ["u1", "u2", "u3"], ["A", "B"]).codes["x"]
    assert x.kappa.value == 0.0  # observed = chance agreement when one coder never varies
    assert x.percent.value == pytest.approx(1 / 3)
    assert x.alpha.defined and x.alpha.value < 0


def test_edge_every_coder_applies_code_everywhere():
    rows = [(u, c, "x") for u in ("u1", "u2") for c in ("A", "B")]
    x = code_agreement(_assign(rows), ["u1", "u2"], ["A", "B"]).codes["x"]
    assert x.percent.value == 1.0 and x.brennan_prediger.value == 1.0
    _undefined(x.kappa, "every coder applied this code")
    _undefined(x.alpha, "every coder applied this code")


def test_edge_single_unit():
    agree = code_agreement(_assign([("u1", "A", "x"), ("u1", "B", "x")]), ["u1"], ["A", "B"]).codes["x"]
    assert agree.percent.value == 1.0
    _undefined(agree.kappa, "every coder applied")
    differ = code_agreement(_assign([("u1", "A", "x")]), ["u1"], ["A", "B"]).codes["x"]
    assert differ.percent.value == 0.0
    assert differ.kappa.value == 0.0
    assert differ.alpha.value == 0.0
    assert differ.brennan_prediger.value == -1.0
    assert differ.fleiss_kappa.value == pytest.approx(-1.0)
    three = code_agreement(_assign([("u1", "A", "x"), ("u1", "B", "x")]), ["u1"], ["A", "B", "C"]).codes["x"]
    assert three.alpha.value == 0.0  # alpha is 0 on any single unit with variation
    assert three.kappa.value == pytest.approx(-0.5)  # Fleiss: pa = 1/3, pe = 5/9


def test_edge_perfect_agreement():
    rows = [("u1", "A", "x"), ("u1", "B", "x"), ("u2", "A", "y"), ("u2", "B", "y")]
    result = code_agreement(_assign(rows), ["u1", "u2", "u3"], ["A", "B"])
    for code in ("x", "y"):
        for coefficient in result.codes[code].coefficients().values():
            assert coefficient.value == pytest.approx(1.0)
    assert result.overall.kappa.value == pytest.approx(1.0)


def test_edge_units_with_fewer_than_two_coders_are_not_compared():
    rows = [("u1", "A", "x"), ("u1", "B", "x"), ("u2", "A", "x")]
    # B did not code u2 (nor u3): only u1 is compared
    result = code_agreement(_assign(rows), ["u1", "u2", "u3"], ["A", "B"], missing={("B", "u2"), ("B", "u3")})
    assert result.n_units == 3 and result.n_units_compared == 1
    x = result.codes["x"]
    assert x.n_units == 1 and dict(x.n_coded) == {"A": 1, "B": 1}
    _undefined(x.kappa, "every coder applied")
    # nobody compared at all
    none = code_agreement(_assign(rows[:1]), ["u1"], ["A", "B"], missing=[("B", "u1")])
    assert none.n_units_compared == 0
    for coefficient in [*none.codes["x"].coefficients().values(), *none.overall.coefficients().values()]:
        _undefined(coefficient, "no unit was coded by two or more")
    json.dumps(none.to_dict(), allow_nan=False)


def test_code_agreement_input_errors():
    a = _assign([("u1", "A", "x")])
    with pytest.raises(AnalysisError, match="at least two coders"):
        code_agreement(a, ["u1"], ["A"])
    with pytest.raises(AnalysisError, match="list of names"):
        code_agreement(a, ["u1"], "A,B")
    with pytest.raises(AnalysisError, match="listed twice"):
        code_agreement(a, ["u1"], ["A", "A"])
    with pytest.raises(AnalysisError, match="no coding units"):
        code_agreement(a, [], ["A", "B"])
    with pytest.raises(AnalysisError, match="unit 'u1' is listed twice"):
        code_agreement(a, ["u1", "u1"], ["A", "B"])
    with pytest.raises(AnalysisError, match="no column code"):
        code_agreement(a.drop(columns="code"), ["u1"], ["A", "B"])
    with pytest.raises(AnalysisError, match="marked missing"):
        code_agreement(a, ["u1"], ["A", "B"], missing=[("A", "u1")])
    with pytest.raises(AnalysisError, match="check the unit ids"):
        code_agreement(_assign([(1, "A", "x")]), ["1"], ["A", "B"])
    with pytest.raises(AnalysisError, match="no codes to compare"):
        code_agreement(_assign([]), ["u1"], ["A", "B"])


def test_code_agreement_ignores_other_coders_and_units():
    rows = [("u1", "A", "x"), ("u1", "B", "x"), ("u1", "auto", "x"), ("u9", "A", "x")]
    result = code_agreement(_assign(rows), ["u1", "u2"], ["A", "B"])
    assert dict(result.codes["x"].n_coded) == {"A": 1, "B": 1}


def test_code_agreement_fast_on_a_realistic_project():
    import time

    rng = np.random.default_rng(0)
    units = [f"u{i}" for i in range(5000)]
    codes = [f"c{i}" for i in range(40)]
    n = 20000
    assignments = pd.DataFrame({
        "unit_id": rng.choice(units, n), "coder": rng.choice(["A", "B"], n), "code": rng.choice(codes, n),
    })
    start = time.perf_counter()
    result = code_agreement(assignments, units, ["A", "B"], codes)
    assert time.perf_counter() - start < 3.0
    assert result.overall.n_decisions == 5000 * 40


# ---------------------------------------------------------------------------
# disagreements
# ---------------------------------------------------------------------------


def test_disagreements_rows_columns_and_order():
    meta = pd.DataFrame({
        "unit_id": ["u1", "u2", "u3", "u4", "u5", "u6"],
        "document": ["d2", "d2", "d1", "d1", "d1", "d1"],
        "turn": [1, 1, 3, 3, 4, 5],
        "position": [0, 1, 0, 1, 2, 3],
        "text": [f"sentence {i}" for i in range(1, 7)],
    })
    assignments = TWO_CODERS.copy()
    table = disagreements(assignments, meta, ["A", "B"])
    assert list(table.columns) == ["code", "document", "turn", "unit_id", "text",
                                   "A_codes", "B_codes", "A_applied", "B_applied"]
    # abuse: u6 (A only); housing: u2 (A only), u4 (B only); money: u5 (A only)
    # sorted by code, then document (d1 before d2), then position
    assert list(zip(table["code"], table["unit_id"])) == [
        ("abuse", "u6"), ("housing", "u4"), ("housing", "u2"), ("money", "u5"),
    ]
    u2 = table[table["unit_id"] == "u2"].iloc[0]
    assert u2["A_codes"] == "abuse, housing" and u2["B_codes"] == "abuse"
    assert bool(u2["A_applied"]) is True and bool(u2["B_applied"]) is False
    assert table.loc[table["unit_id"] == "u5", "B_codes"].iloc[0] == ""
    assert table.loc[table["unit_id"] == "u6", "text"].iloc[0] == "sentence 6"


def test_disagreements_skip_units_a_coder_did_not_code():
    meta = pd.DataFrame({"unit_id": ["u1", "u2"], "document": ["d", "d"], "turn": [1, 2],
                         "position": [0, 1], "text": ["a", "b"]})
    rows = _assign([("u1", "A", "x"), ("u2", "A", "x"), ("u2", "C", "x")])
    table = disagreements(rows, meta, ["A", "B", "C"], missing=[("B", "u1"), ("C", "u1")])
    # u1: only A coded it -> not listed; u2: A and C applied, B did not -> listed
    assert list(table["unit_id"]) == ["u2"]
    plain = disagreements(rows, meta, ["A", "B", "C"], missing=[("C", "u1")])
    u1 = plain[plain["unit_id"] == "u1"].iloc[0]
    assert pd.isna(u1["C_codes"]) and pd.isna(u1["C_applied"])


def test_disagreements_none():
    meta = pd.DataFrame({"unit_id": ["u1"], "document": ["d"], "turn": [1], "position": [0], "text": ["a"]})
    same = _assign([("u1", "A", "x"), ("u1", "B", "x")])
    assert disagreements(same, meta, ["A", "B"]).empty
    assert disagreements(_assign([]), meta, ["A", "B"]).empty


# ---------------------------------------------------------------------------
# span_overlap: requal's cases (inclusive ranges [start, end] -> half-open)
# ---------------------------------------------------------------------------

# RE-QDA/requal tests/testthat/test-agreement.R: (user, segment_start, segment_end),
# all in document 1, code 1, segment ids in this order.
REQUAL_CASES = {
    "segments": [(1, 1, 10), (2, 6, 10)],
    "segments2": [(1, 1, 10), (2, 15, 20)],
    "segments3": [(1, 1, 10), (2, 6, 10), (1, 20, 30)],
    "segments4": [(1, 1, 20), (2, 1, 10), (2, 15, 20), (1, 30, 40), (2, 50, 60)],
    "segments1b": [(1, 1, 10), (2, 1, 10)],
    "segments2b": [(1, 1, 10), (2, 20, 30)],
    "segments3b": [(1, 1, 10), (2, 1, 5)],
}
# mean(is_overlap) of calculate_segment_overlap_by_users, and total_overlap of
# calculate_code_overlap_by_users, as asserted by requal.
REQUAL_SEGMENT = {"segments": 1.0, "segments2": 0.0, "segments3": 0.5, "segments4": 0.33}
REQUAL_TOTAL = {"segments1b": 1.0, "segments2b": 0.0, "segments3b": 0.5}


def _requal_spans(rows):
    return pd.DataFrame({
        "document": 1, "code": 1,
        "start": [s for _, s, _ in rows], "end": [e + 1 for _, _, e in rows],  # inclusive -> half-open
        "coder": [str(u) for u, _, _ in rows],
    })


@pytest.mark.parametrize("case", sorted(REQUAL_SEGMENT))
def test_span_overlap_requal_segment_cases(case):
    result = span_overlap(_requal_spans(REQUAL_CASES[case]), ["1", "2"])
    assert round(result.overall.segment_overlap.value, 2) == REQUAL_SEGMENT[case]
    assert round(result.codes[1].segment_overlap.value, 2) == REQUAL_SEGMENT[case]


@pytest.mark.parametrize("case", sorted(REQUAL_TOTAL))
def test_span_overlap_requal_total_overlap_cases(case):
    result = span_overlap(_requal_spans(REQUAL_CASES[case]), ["1", "2"])
    assert result.codes[1].jaccard.value == REQUAL_TOTAL[case]


def test_span_overlap_segments4_rows():
    # coder 1: s0 [1,20] s3 [30,40]; coder 2: s1 [1,10] s2 [15,20] s4 [50,60]
    # s0-s1 overlap (kept), s0-s2 overlap (dropped: s0's second partner), s3 and s4 overlap nothing
    result = span_overlap(_requal_spans(REQUAL_CASES["segments4"]), ["1", "2"])
    segments = result.segments
    rows = sorted(zip(segments["segment1"], segments["segment2"], segments["is_overlap"]), key=str)
    assert rows == sorted([(0, 1, True), (3, None, False), (None, 4, False)], key=str)


def test_shared_requal_segment_overlap_file():
    path = _need(RELIABILITY / "requal_segment_overlap" / "segment_overlap_cases.csv")
    cases = pd.read_csv(path)
    for case, group in cases.groupby("case"):
        spans = pd.DataFrame({
            "document": group["doc_id"], "code": group["code_id"], "start": group["segment_start"],
            "end": group["segment_end"] + 1, "coder": group["user_id"].astype(str),
        }).set_index(group["segment_id"])
        result = span_overlap(spans, ["1", "2"])
        if case in REQUAL_SEGMENT:
            assert round(result.overall.segment_overlap.value, 2) == REQUAL_SEGMENT[case], case
        else:
            assert result.overall.jaccard.value == REQUAL_TOTAL[case], case


def test_span_overlap_character_level_with_lengths():
    # A covers [0,10), B covers [5,15) in a 20-character document:
    #   both 5 (5..9), A only 5, B only 5, neither 5 -> percent 10/20, Jaccard 5/15
    #   pA = pB = 1/2 -> pe = 1/2 -> kappa = 0
    spans = pd.DataFrame({"document": ["d", "d"], "code": ["x", "x"], "start": [0, 5], "end": [10, 15],
                          "coder": ["A", "B"]})
    result = span_overlap(spans, ["A", "B"], document_lengths={"d": 20, "other": 0})
    x = result.codes["x"]
    assert x.jaccard.value == pytest.approx(1 / 3)
    assert x.percent.value == pytest.approx(0.5)
    assert x.kappa.value == pytest.approx(0.0)
    assert dict(x.n_chars) == {"A": 10, "B": 10} and x.chars_intersection == 5 and x.chars_union == 15
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document["codes"]["x"]["jaccard"] == pytest.approx(1 / 3)


def test_span_overlap_without_lengths_and_unused_code():
    spans = pd.DataFrame({"document": ["d", "d", "d"], "code": ["x", "x", "y"], "start": [0, 0, 3],
                          "end": [4, 4, 6], "coder": ["A", "B", "C"]})
    result = span_overlap(spans, ["A", "B"], codes=["x", "y", "z"])
    _undefined(result.codes["x"].kappa, "document_lengths")
    _undefined(result.codes["z"].jaccard, "no coder marked")
    _undefined(result.codes["y"].segment_overlap, "no coder marked")  # C's spans are ignored
    assert result.codes["x"].jaccard.value == 1.0
    json.dumps(result.to_dict(), allow_nan=False)


def test_span_overlap_merges_a_coders_overlapping_spans_and_counts_pairs():
    # A codes [0,6) and [4,10) (overlapping); B codes [0,10): characters A covers = 10
    spans = pd.DataFrame({"document": "d", "code": "x", "start": [0, 4, 0], "end": [6, 10, 10],
                          "coder": ["A", "A", "B"]})
    x = span_overlap(spans, ["A", "B"]).codes["x"]
    assert x.jaccard.value == 1.0 and dict(x.n_chars) == {"A": 10, "B": 10}
    three = span_overlap(spans.assign(coder=["A", "C", "B"]), ["A", "B", "C"])
    assert set(zip(three.pairs["coder1"], three.pairs["coder2"])) == {("A", "B"), ("A", "C"), ("B", "C")}


def test_span_overlap_errors():
    spans = pd.DataFrame({"document": ["d"], "code": ["x"], "start": [5], "end": [5], "coder": ["A"]})
    with pytest.raises(AnalysisError, match="start < end"):
        span_overlap(spans, ["A", "B"])
    with pytest.raises(AnalysisError, match="whole number"):
        span_overlap(spans.assign(end=[6.5]), ["A", "B"])
    with pytest.raises(AnalysisError, match="beyond its length"):
        span_overlap(spans.assign(end=[9]), ["A", "B"], document_lengths={"d": 8})
    with pytest.raises(AnalysisError, match="no entry in document_lengths"):
        span_overlap(spans.assign(end=[9]), ["A", "B"], document_lengths={"e": 8})
    with pytest.raises(AnalysisError, match="no spans to compare"):
        span_overlap(spans.assign(end=[9], coder=["Z"]), ["A", "B"])


def test_results_are_agreement_result():
    assert isinstance(code_agreement(TWO_CODERS, SIX_UNITS, ["A", "B"]), AgreementResult)
