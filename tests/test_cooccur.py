"""Tests for coder.cooccur: every level and measure against independent computations."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coder.cooccur import (
    EDGE_COLUMNS,
    benjamini_hochberg,
    case_code_matrix,
    connected_units,
    cooccurrence,
    filter_significant,
    hypergeom_pvalue,
    prevalence,
)
from coder.errors import AnalysisError

TESTDATA = Path(__file__).parents[1].parent / "shared" / "testdata"

# ---------------------------------------------------------------------------
# A hand-made project.
#
#   case F1, document d1 (positions 10, 20, 30, 40, 50):
#       u1: a      u2: b      u3: -      u4: a, c      u5: b
#   case F1, document d2 (positions 1, 2, 3):
#       v1: c      v2: a      v3: b, c
#   case F2, document d3:  x1: a, d     x2: -
#   case F3, document d4:  w1: -
#
# The rows of `units` are deliberately shuffled; order comes from `position`.
# ---------------------------------------------------------------------------

UNIT_ROWS = [
    ("u1", "d1", "F1", 10),
    ("u2", "d1", "F1", 20),
    ("u3", "d1", "F1", 30),
    ("u4", "d1", "F1", 40),
    ("u5", "d1", "F1", 50),
    ("v1", "d2", "F1", 1),
    ("v2", "d2", "F1", 2),
    ("v3", "d2", "F1", 3),
    ("x1", "d3", "F2", 0),
    ("x2", "d3", "F2", 1),
    ("w1", "d4", "F3", 0),
]
CODINGS = [
    ("u1", "a"),
    ("u2", "b"),
    ("u4", "a"),
    ("u4", "c"),
    ("u5", "b"),
    ("v1", "c"),
    ("v2", "a"),
    ("v3", "b"),
    ("v3", "c"),
    ("x1", "a"),
    ("x1", "d"),
    ("u4", "a"),  # a duplicate row: ignored
    ("zz", "a"),  # a unit outside the analysis: dropped
    ("zz", "e"),  # ... and so is a code used only there
]


@pytest.fixture
def units() -> pd.DataFrame:
    df = pd.DataFrame(UNIT_ROWS, columns=["unit_id", "document", "case", "position"])
    return df.sample(frac=1.0, random_state=3).reset_index(drop=True)


@pytest.fixture
def unit_codes() -> pd.DataFrame:
    return pd.DataFrame(CODINGS, columns=["unit_id", "code"])


def pair(cooc, a, b):
    e = cooc.edges
    row = e[(e.source == a) & (e.target == b)]
    assert len(row) == 1, (a, b)
    return row.iloc[0]


def hypergeom_tail(n12: int, N: int, n1: int, n2: int) -> float:
    """P(X >= n12), X ~ Hypergeom(N, n1, n2), summed from binomial coefficients."""
    total = math.comb(N, n2)
    return sum(math.comb(n1, k) * math.comb(N - n1, n2 - k) for k in range(n12, min(n1, n2) + 1)) / total


def bh_by_hand(p: list[float]) -> list[float]:
    """Benjamini–Hochberg step-up, written out with loops."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        q[i] = running
    return q


# ---------------------------------------------------------------------------
# segment level
# ---------------------------------------------------------------------------


def test_segment_counts_match_pandas_crosstab(units, unit_codes):
    cooc = cooccurrence(unit_codes, units, level="segment")
    uc = unit_codes[unit_codes.unit_id.isin(units.unit_id)].drop_duplicates()
    ct = (pd.crosstab(uc.unit_id, uc.code) > 0).astype(int)
    expected = ct.T.dot(ct)
    got = cooc.matrix.loc[expected.index, expected.columns]
    assert (got.to_numpy() == expected.to_numpy()).all()
    assert cooc.N == 11 and cooc.n_units == 11 and cooc.n_cases == 3
    assert cooc.frequency.to_dict() == {"a": 4, "b": 3, "c": 3, "d": 1}
    assert cooc.codes == ("a", "b", "c", "d")
    assert cooc.window is None
    # pairs with count > 0 only: a-c (u4), a-d (x1), b-c (v3)
    assert cooc.edges[["source", "target", "count"]].values.tolist() == [
        ["a", "c", 1],
        ["a", "d", 1],
        ["b", "c", 1],
    ]
    assert list(cooc.edges.columns) == list(EDGE_COLUMNS)


def test_measures_against_independent_formulas(units, unit_codes):
    cooc = cooccurrence(unit_codes, units, level="segment", all_pairs=True)
    freq = cooc.frequency
    N = cooc.N
    tested = [(a, b) for a, b in itertools.combinations(cooc.codes, 2) if freq[a] > 0 and freq[b] > 0]
    assert cooc.n_tests == len(tested) == 6
    p_hand = []
    for a, b in tested:
        n12, n1, n2 = int(cooc.matrix.loc[a, b]), int(freq[a]), int(freq[b])
        row = pair(cooc, a, b)
        assert row["count"] == n12 and row.n_source == n1 and row.n_target == n2 and row.N == N
        assert row.c == pytest.approx(n12 / (n1 + n2 - n12))
        assert row.p_target_given_source == pytest.approx(n12 / n1)
        assert row.p_source_given_target == pytest.approx(n12 / n2)
        assert row.lift == pytest.approx(n12 * N / (n1 * n2))
        assert row.p_value == pytest.approx(hypergeom_tail(n12, N, n1, n2), rel=1e-12)
        p_hand.append(hypergeom_tail(n12, N, n1, n2))
    q_hand = bh_by_hand(p_hand)
    for (a, b), q in zip(tested, q_hand):
        assert pair(cooc, a, b).q_value == pytest.approx(q, rel=1e-12)
        assert pair(cooc, a, b).significant == (q < 0.05)
    # a-d: n12=1, n1=4, n2=1, N=11 -> P(X>=1) = 4/11
    assert pair(cooc, "a", "d").p_value == pytest.approx(4 / 11)
    assert pair(cooc, "a", "d").lift == pytest.approx(11 / 4)


def test_hypergeom_p_value_agrees_with_pmf_sum():
    from scipy.stats import hypergeom

    rng = np.random.default_rng(0)
    n_units = 60
    units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(n_units)]})
    rows = [(f"u{i}", c) for i in range(n_units) for c in "abcde" if rng.random() < 0.3 + 0.1 * "abcde".index(c)]
    cooc = cooccurrence(pd.DataFrame(rows, columns=["unit_id", "code"]), units, all_pairs=True)
    for r in cooc.edges.itertuples():
        ks = np.arange(r.count, min(r.n_source, r.n_target) + 1)
        assert r.p_value == pytest.approx(hypergeom.pmf(ks, r.N, r.n_source, r.n_target).sum(), rel=1e-9, abs=1e-15)


def test_hypergeom_pvalue_exact_on_small_tables():
    for N in (1, 2, 7, 13):
        for n1 in range(N + 1):
            for n2 in range(N + 1):
                ks = np.arange(-1, min(n1, n2) + 3)
                got = hypergeom_pvalue(ks, N, n1, n2)
                want = [hypergeom_tail(max(k, 0), N, n1, n2) if k <= min(n1, n2) else 0.0 for k in ks]
                assert got == pytest.approx(want, rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("N", [40, 1_000, 20_000, 2_000_000])
def test_hypergeom_pvalue_agrees_with_scipy(N):
    from scipy.stats import hypergeom

    rng = np.random.default_rng(N)
    n1 = rng.integers(0, min(N, 60_000) + 1, 1500)
    n2 = rng.integers(0, min(N, 60_000) + 1, 1500)
    mean = n1 * n2 / N
    k = np.clip(np.round(mean + rng.normal(0, 3, 1500) * np.sqrt(mean + 1)), 0, None).astype(int)
    k[:20] = 0
    k[20:40] = np.minimum(n1, n2)[20:40]
    got = hypergeom_pvalue(k, N, n1, n2)
    ref = hypergeom.sf(k - 1, N, n1, n2)
    # SciPy (Boost) itself is accurate to ~1e-10 at N = 2e6, hence the looser bound there
    assert got == pytest.approx(ref, rel=1e-11 if N <= 20_000 else 1e-8, abs=1e-300)


def test_hypergeom_pvalue_against_arbitrary_precision():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    for k, N, n1, n2 in [(420, 1_000_000, 20_000, 20_000), (380, 1_000_000, 20_000, 20_000), (9, 500_000, 30, 40_000)]:
        # terms more than 600 past k are below 1e-100 for these parameters
        tail = mpmath.fsum(
            mpmath.binomial(n1, j) * mpmath.binomial(N - n1, n2 - j) for j in range(k, min(n1, n2, k + 600) + 1)
        ) / mpmath.binomial(N, n2)
        assert float(hypergeom_pvalue(k, N, n1, n2)) == pytest.approx(float(tail), rel=1e-12)


def test_benjamini_hochberg_matches_hand_rolled_with_ties():
    p = [0.01, 0.04, 0.03, 0.5, 0.04, 0.0, 1.0, 0.2]
    assert np.allclose(benjamini_hochberg(p), bh_by_hand(p))
    assert benjamini_hochberg([]).size == 0


def test_bh_family_includes_pairs_that_never_cooccur(units, unit_codes):
    shown = cooccurrence(unit_codes, units)
    everything = cooccurrence(unit_codes, units, all_pairs=True)
    assert len(shown.edges) == 3 and len(everything.edges) == 6
    assert shown.n_tests == everything.n_tests == 6
    merged = shown.edges.merge(everything.edges, on=["source", "target"], suffixes=("", "_all"))
    assert np.allclose(merged.q_value, merged.q_value_all)
    zero = everything.edges[everything.edges["count"] == 0]
    assert (zero.p_value == 1.0).all()


def test_codes_argument_orders_restricts_and_keeps_unused(units, unit_codes):
    codebook = pd.DataFrame({"id": ["d", "c", "a", "never"], "name": ["D", "C", "A", "N"]})
    cooc = cooccurrence(unit_codes, units, codes=codebook, all_pairs=True)
    assert cooc.codes == ("d", "c", "a", "never")
    assert "b" not in cooc.matrix.index
    assert cooc.frequency["never"] == 0
    assert cooc.n_tests == 3  # pairs among d, c, a only
    untested = cooc.edges[(cooc.edges.source == "never") | (cooc.edges.target == "never")]
    assert untested.p_value.isna().all() and untested.q_value.isna().all()
    assert not untested.significant.any()
    # list form gives the same counts
    same = cooccurrence(unit_codes, units, codes=["d", "c", "a", "never"], all_pairs=True)
    pd.testing.assert_frame_equal(cooc.matrix, same.matrix)


def test_filter_significant():
    units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(40)]})
    rows = [(f"u{i}", "a") for i in range(10)] + [(f"u{i}", "b") for i in range(10)]
    rows += [(f"u{i}", "c") for i in range(20, 25)] + [(f"u{i}", "d") for i in (5, 30, 31)]
    cooc = cooccurrence(pd.DataFrame(rows, columns=["unit_id", "code"]), units)
    sig = filter_significant(cooc)
    assert sig.edges[["source", "target"]].values.tolist() == [["a", "b"]]
    assert sig.edges.significant.all()
    assert sig.matrix is cooc.matrix
    loose = filter_significant(cooc, alpha=0.7)
    assert loose.alpha == 0.7 and cooc.alpha == 0.05
    assert len(loose.edges) == (cooc.edges.q_value < 0.7).sum()
    with pytest.raises(AnalysisError, match="alpha must be between 0 and 1"):
        filter_significant(cooc, alpha=2)


# ---------------------------------------------------------------------------
# window level
#
# window = 3; each unit's window (same document, by position) and what it connects:
#   d1  u1: {u1}          codes on unit {a}, window {a}          -> -
#       u2: {u1,u2}       on {b}, window {a,b}                   -> a-b
#       u3: {u1,u2,u3}    on {},  window {a,b}                   -> -
#       u4: {u2,u3,u4}    on {a,c}, window {a,b,c}               -> a-b, a-c, b-c
#       u5: {u3,u4,u5}    on {b}, window {a,b,c}                 -> a-b, b-c
#   d2  v1: {v1}          on {c}, window {c}                     -> -
#       v2: {v1,v2}       on {a}, window {a,c}                   -> a-c
#       v3: {v1,v2,v3}    on {b,c}, window {a,b,c}               -> a-b, a-c, b-c
#   d3  x1: {x1}          on {a,d}                               -> a-d
#       x2: {x1,x2}       on {}                                  -> -
#   d4  w1: {w1}          on {}                                  -> -
# counts: a-b 4 (u2,u4,u5,v3); a-c 3 (u4,v2,v3); b-c 3 (u4,u5,v3); a-d 1 (x1)
# windows containing a: u1..u5, v2, v3, x1, x2 = 9; b: u2..u5, v3 = 5;
# c: u4, u5, v1, v2, v3 = 5; d: x1, x2 = 2.  N = 11 units.
# ---------------------------------------------------------------------------

WINDOW3 = {("a", "b"): 4, ("a", "c"): 3, ("b", "c"): 3, ("a", "d"): 1}


def test_window_counts_by_hand(units, unit_codes):
    cooc = cooccurrence(unit_codes, units, level="window", window=3)
    assert cooc.N == 11 and cooc.window == 3
    got = {(r.source, r.target): r.count for r in cooc.edges.itertuples()}
    assert got == WINDOW3
    assert cooc.frequency.to_dict() == {"a": 9, "b": 5, "c": 5, "d": 2}
    assert cooc.unit_frequency.to_dict() == {"a": 4, "b": 3, "c": 3, "d": 1}
    r = pair(cooc, "a", "b")
    assert r.n_source == 9 and r.n_target == 5
    assert r.c == pytest.approx(4 / (9 + 5 - 4))
    assert r.p_value == pytest.approx(hypergeom_tail(4, 11, 9, 5))


def test_connected_units_lists_the_hand_counted_units(units, unit_codes):
    cu = connected_units(unit_codes, units, level="window", window=3)
    by_pair = cu.groupby(["source", "target"])["unit_id"].apply(sorted).to_dict()
    assert by_pair == {
        ("a", "b"): ["u2", "u4", "u5", "v3"],
        ("a", "c"): ["u4", "v2", "v3"],
        ("a", "d"): ["x1"],
        ("b", "c"): ["u4", "u5", "v3"],
    }
    seg = connected_units(unit_codes, units)
    assert sorted(map(tuple, seg.values.tolist())) == [("u4", "a", "c"), ("v3", "b", "c"), ("x1", "a", "d")]
    with pytest.raises(AnalysisError, match="segment or window level"):
        connected_units(unit_codes, units, level="case")


def naive_window_counts(units: pd.DataFrame, unit_codes: pd.DataFrame, window: int) -> dict:
    """Literal definition with Python sets: for every unit, its window, its connections."""
    on = unit_codes.drop_duplicates().groupby("unit_id")["code"].apply(set).to_dict()
    counts: dict = {}
    marg: dict = {}
    for _, doc in units.sort_values(["document", "position"], kind="stable").groupby("document", sort=False):
        ids = doc.unit_id.tolist()
        for i, uid in enumerate(ids):
            here = on.get(uid, set())
            win = set().union(*(on.get(u, set()) for u in ids[max(0, i - window + 1) : i + 1]))
            for c in win:
                marg[c] = marg.get(c, 0) + 1
            connected = {tuple(sorted((a, b))) for a in here for b in win if a != b}
            for p in connected:
                counts[p] = counts.get(p, 0) + 1
    return counts, marg


def random_project(seed: int, n_docs: int = 6, n_codes: int = 6, max_len: int = 25):
    rng = np.random.default_rng(seed)
    rows, codings = [], []
    for d in range(n_docs):
        length = int(rng.integers(1, max_len))
        positions = rng.permutation(length * 3)[:length]
        for k in range(length):
            uid = f"d{d}u{k}"
            rows.append((uid, f"doc{d}", f"case{d % 3}", int(positions[k])))
            for c in range(n_codes):
                if rng.random() < 0.25:
                    codings.append((uid, f"k{c}"))
    units = pd.DataFrame(rows, columns=["unit_id", "document", "case", "position"]).sample(frac=1, random_state=seed)
    return units.reset_index(drop=True), pd.DataFrame(codings, columns=["unit_id", "code"])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("window", [1, 2, 4, 7])
def test_window_matches_naive_definition(seed, window):
    units, unit_codes = random_project(seed)
    cooc = cooccurrence(unit_codes, units, level="window", window=window, all_pairs=True)
    counts, marg = naive_window_counts(units, unit_codes, window)
    got = {(r.source, r.target): r.count for r in cooc.edges.itertuples() if r.count}
    assert got == counts
    assert {k: v for k, v in cooc.frequency.items() if v} == marg
    cu = connected_units(unit_codes, units, level="window", window=window)
    assert cu.groupby(["source", "target"]).size().to_dict() == counts


@pytest.mark.parametrize("seed", [4, 5])
def test_window_one_equals_segment(seed):
    units, unit_codes = random_project(seed)
    seg = cooccurrence(unit_codes, units, level="segment")
    win = cooccurrence(unit_codes, units, level="window", window=1)
    pd.testing.assert_frame_equal(seg.matrix, win.matrix)
    pd.testing.assert_frame_equal(seg.edges, win.edges)


def test_window_longer_than_every_document_is_the_whole_past():
    units, unit_codes = random_project(7)
    cooc = cooccurrence(unit_codes, units, level="window", window=10_000)
    # independent: connected at i iff one code is on unit i and the other is
    # on one of the first i units of the document
    on = unit_codes.groupby("unit_id")["code"].apply(set).to_dict()
    expected: dict = {}
    for _, doc in units.sort_values("position").groupby("document"):
        seen: set = set()
        for uid in doc.unit_id:
            here = on.get(uid, set())
            seen |= here
            for p in {tuple(sorted((a, b))) for a in here for b in seen if a != b}:
                expected[p] = expected.get(p, 0) + 1
    assert {(r.source, r.target): r.count for r in cooc.edges.itertuples()} == expected
    huge = cooccurrence(unit_codes, units, level="window", window=2**62)
    pd.testing.assert_frame_equal(cooc.matrix, huge.matrix)


@pytest.mark.parametrize("level,window", [("segment", 3), ("window", 2), ("window", 5), ("case", 3)])
def test_matrix_properties(level, window):
    units, unit_codes = random_project(11)
    cooc = cooccurrence(unit_codes, units, level=level, window=window, all_pairs=True)
    M = cooc.matrix.to_numpy()
    assert (M == M.T).all()
    assert (np.diag(M) == cooc.frequency.to_numpy()).all()
    e = cooc.edges
    assert (e["count"] <= np.minimum(e.n_source, e.n_target)).all()
    assert e.c.between(0, 1).all()
    assert e.p_value.between(0, 1).all() and e.q_value.between(0, 1).all()
    assert (e.q_value >= e.p_value - 1e-15).all()
    assert (cooc.frequency <= cooc.N).all()


# ---------------------------------------------------------------------------
# case level, case-by-code matrix, prevalence
# ---------------------------------------------------------------------------


def test_case_level(units, unit_codes):
    # F1 has a, b, c (d1 and d2 together); F2 has a, d; F3 has nothing.
    cooc = cooccurrence(unit_codes, units, level="case", all_pairs=True)
    assert cooc.N == 3
    assert cooc.frequency.to_dict() == {"a": 2, "b": 1, "c": 1, "d": 1}
    counts = {(r.source, r.target): r.count for r in cooc.edges.itertuples()}
    assert counts == {("a", "b"): 1, ("a", "c"): 1, ("a", "d"): 1, ("b", "c"): 1, ("b", "d"): 0, ("c", "d"): 0}
    # independently: crosstab of case x code presence
    uc = unit_codes.merge(units, on="unit_id")
    ct = (pd.crosstab(uc.case, uc.code) > 0).astype(int)
    assert (cooc.matrix.loc[ct.columns, ct.columns].to_numpy() == ct.T.dot(ct).to_numpy()).all()


def test_case_code_matrix_and_prevalence(units, unit_codes):
    ccm = case_code_matrix(unit_codes, units)
    assert ccm.index.tolist() == ["F1", "F2", "F3"]
    assert ccm.loc["F1"].to_dict() == {"a": 3, "b": 3, "c": 3, "d": 0}
    assert ccm.loc["F3"].sum() == 0
    uc = unit_codes[unit_codes.unit_id.isin(units.unit_id)].drop_duplicates().merge(units, on="unit_id")
    ct = pd.crosstab(uc.case, uc.code).reindex(index=["F1", "F2", "F3"], fill_value=0)
    assert (ccm.to_numpy() == ct.to_numpy()).all()
    prev = prevalence(unit_codes, units)
    assert prev.loc["a"].to_dict() == {
        "n_cases": 2,
        "N_cases": 3,
        "case_share": pytest.approx(2 / 3),
        "n_units": 4,
        "N_units": 11,
        "unit_share": pytest.approx(4 / 11),
    }
    assert prev.loc["d", "n_cases"] == 1
    # no codings at all is fine for a descriptive table
    empty = case_code_matrix(unit_codes.iloc[:0], units, codes=["a"])
    assert empty.to_numpy().sum() == 0 and empty.shape == (3, 1)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("window", [0, -2, 1.5, True, "3"])
def test_bad_window(units, unit_codes, window):
    with pytest.raises(AnalysisError, match=r"window must be a whole number of units ≥ 1"):
        cooccurrence(unit_codes, units, level="window", window=window)


def test_input_errors(units, unit_codes):
    with pytest.raises(AnalysisError, match="unknown level 'turn': use one of segment, window, case"):
        cooccurrence(unit_codes, units, level="turn")
    with pytest.raises(AnalysisError, match="^no coding units to analyse"):
        cooccurrence(unit_codes, units.iloc[:0])
    with pytest.raises(AnalysisError, match="^no codings on the analysed units"):
        cooccurrence(unit_codes.iloc[:0], units)
    with pytest.raises(AnalysisError, match="units is missing column\\(s\\) 'position'"):
        cooccurrence(unit_codes, units.drop(columns="position"), level="window")
    with pytest.raises(AnalysisError, match="unit 'u1' appears more than once"):
        cooccurrence(unit_codes, pd.concat([units, units[units.unit_id == "u1"]]))
    with pytest.raises(AnalysisError, match="alpha must be between 0 and 1"):
        cooccurrence(unit_codes, units, alpha=0)
    with pytest.raises(AnalysisError, match="code 'a' is listed twice"):
        cooccurrence(unit_codes, units, codes=["a", "a"])
    # segment level needs only unit_id
    assert cooccurrence(unit_codes, units[["unit_id"]]).case_frequency is None


# ---------------------------------------------------------------------------
# real data: rENA (cran/rENA, GPL-3), see ../shared/testdata/EXPECTED_VALUES.md §4
# ---------------------------------------------------------------------------

RS = TESTDATA / "networks" / "rENA_RS_data" / "RS.data.csv"
TOY = TESTDATA / "networks" / "rENA_toy"
RS_CODES = [
    "Data",
    "Technical.Constraints",
    "Performance.Parameters",
    "Client.and.Consultant.Requests",
    "Design.Reasoning",
    "Collaboration",
]


def frame_from_binary_columns(df: pd.DataFrame, codes: list[str], document, case):
    """Each row is one coding unit; a code column > 0 means the unit carries it."""
    units = pd.DataFrame(
        {
            "unit_id": [f"r{i}" for i in range(len(df))],
            "document": document,
            "case": case,
            "position": np.arange(len(df)),
        }
    )
    long = df[codes].set_axis(units.unit_id).rename_axis("unit_id").reset_index().melt("unit_id", var_name="code")
    return units, long.loc[long.value > 0, ["unit_id", "code"]]


@pytest.fixture
def rs_data():
    if not RS.exists():
        pytest.skip(f"shared test data not available: {RS} (only present in the development workspace)")
    df = pd.read_csv(RS)
    # rENA: conversations = Condition x GroupName (our documents), units = Condition x UserName (our cases)
    return frame_from_binary_columns(
        df, RS_CODES, document=df.Condition + "/" + df.GroupName, case=df.Condition + "/" + df.UserName
    )


def test_rs_data_segment_level_matches_published_counts(rs_data):
    units, unit_codes = rs_data
    cooc = cooccurrence(unit_codes, units, codes=RS_CODES)
    assert cooc.N == 3824
    assert cooc.n_cases == 48
    assert units.document.nunique() == 20
    assert cooc.frequency.tolist() == [734, 1189, 685, 240, 1157, 228]
    short = dict(zip(RS_CODES, ["Data", "TechCon", "PerfPar", "Client", "Design", "Collab"]))
    expected = {
        ("Data", "TechCon"): 359, ("Data", "PerfPar"): 363, ("Data", "Client"): 56, ("Data", "Design"): 309,
        ("Data", "Collab"): 46, ("TechCon", "PerfPar"): 308, ("TechCon", "Client"): 49, ("TechCon", "Design"): 497,
        ("TechCon", "Collab"): 64, ("PerfPar", "Client"): 78, ("PerfPar", "Design"): 313, ("PerfPar", "Collab"): 30,
        ("Client", "Design"): 114, ("Client", "Collab"): 18, ("Design", "Collab"): 111,
    }  # fmt: skip
    got = {(short[r.source], short[r.target]): r.count for r in cooc.edges.itertuples()}
    assert got == expected
    per_unit = unit_codes.groupby("unit_id").size()
    assert (per_unit >= 1).sum() == 2347 and (per_unit >= 2).sum() == 1240


def test_rs_data_window_matches_naive_definition(rs_data):
    units, unit_codes = rs_data
    for window in (2, 4):
        cooc = cooccurrence(unit_codes, units, level="window", window=window, codes=RS_CODES)
        counts, marg = naive_window_counts(units, unit_codes, window)
        assert {(r.source, r.target): r.count for r in cooc.edges.itertuples()} == {
            tuple(sorted(p, key=RS_CODES.index)): n for p, n in counts.items()
        }
        assert cooc.frequency.to_dict() == marg


def test_rena_toy_window3_connection_pattern():
    path = TOY / "toy_data_2_window3.csv"
    if not path.exists():
        pytest.skip(f"shared test data not available: {path}")
    df = pd.read_csv(path)
    # rENA: conversation = Condition (one conversation here) -> one document;
    # each row is a line -> one coding unit; rENA's "units" (Condition+UserName)
    # are whose network a line counts towards, which is not needed here.
    # rENA's codes are counts with "product" weighting; ours are presence, so
    # only rENA's binary pattern is comparable: published row connection
    # counts (A&B, A&C, B&C) row1 (0,0,0), row3 (1,2,0), row6 (6,15,2).
    # (rENA's product count for row i is r_a s_b + r_b s_a - r_a r_b with r the
    # row's codes and s the window sums — the same inclusion-exclusion as ours.)
    units, unit_codes = frame_from_binary_columns(df, ["A", "B", "C"], document=df.Condition, case=df.UserName)
    cu = connected_units(unit_codes, units, level="window", window=3)
    rows = {f"r{i}": set() for i in range(len(df))}
    for r in cu.itertuples():
        rows[r.unit_id].add((r.source, r.target))
    assert rows["r0"] == set()
    assert rows["r2"] == {("A", "B"), ("A", "C")}
    assert rows["r5"] == {("A", "B"), ("A", "C"), ("B", "C")}
    # the product-weighted counts reproduce the published numbers at rows 3 and 6
    X = df[["A", "B", "C"]].to_numpy()
    for i, published in ((2, (1, 2, 0)), (5, (6, 15, 2))):
        r, s = X[i], X[max(0, i - 2) : i + 1].sum(axis=0)
        product = [r[a] * s[b] + r[b] * s[a] - r[a] * r[b] for a, b in ((0, 1), (0, 2), (1, 2))]
        assert tuple(product) == published
        assert tuple(int(v > 0) for v in published) == tuple(
            int(p in rows[f"r{i}"]) for p in (("A", "B"), ("A", "C"), ("B", "C"))
        )


def test_rena_trajectory_toy_separate_trajectory():
    path = TOY / "trajectory_toy_12rows.csv"
    if not path.exists():
        pytest.skip(f"shared test data not available: {path}")
    df = pd.read_csv(path)
    # rENA: units = Name, conversations = Day x ActivityNumber (our documents),
    # default window.size.back = 1 (the line alone: our segment level).
    # Published: c1&c2 for Z under SeparateTrajectory = (1, 0, 0, 1) over the
    # conversations (1,1), (1,2), (2,2), (2,3); rENA credits a line's
    # connections to the line's speaker, so we sum Z's lines per document.
    conv = df.Day.astype(str) + "_" + df.ActivityNumber.astype(str)
    units, unit_codes = frame_from_binary_columns(df, ["c1", "c2", "c3"], document=conv, case=df.Name)
    cu = connected_units(unit_codes, units, level="window", window=1)
    cu = cu.merge(units, on="unit_id")
    z = cu[(cu.case == "Z") & (cu.source == "c1") & (cu.target == "c2")]
    per_conv = z.groupby("document").size().reindex(["1_1", "1_2", "2_2", "2_3"], fill_value=0)
    assert per_conv.tolist() == [1, 0, 0, 1]
    assert per_conv.iloc[0] == 1  # first AccumulatedTrajectory value for Z
