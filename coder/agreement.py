"""Intercoder agreement: chance-corrected coefficients and multi-label comparisons.

Everything here is pure: plain arrays and pandas tables in, frozen dataclasses
and tables out; nothing prints or touches the project store.  Problems with
the input raise :class:`coder.errors.AnalysisError` with a one-line message.

Two layers
----------
*Coefficients* for one nominal variable rated by several coders:
:func:`percent_agreement`, :func:`cohen_kappa` / :func:`cohen_kappa_table`,
:func:`scott_pi` / :func:`scott_pi_table`, :func:`brennan_prediger` /
:func:`brennan_prediger_table`, :func:`fleiss_kappa` /
:func:`fleiss_category_kappas` and :func:`krippendorff_alpha` (a wrapper of the
``krippendorff`` package).  Multi-coder functions take either
``reliability_data`` (one row per coder, one column per unit, missing ratings
as ``None``/``NaN``; the layout of the ``krippendorff`` package) or
``value_counts`` (one row per unit, one column per category, the number of
coders who chose it; the layout of Fleiss 1971 and irrCAC's ``*.dist``
functions).  :func:`rating_counts` turns the first into the second.

*Qualitative coding*: :func:`code_agreement` treats every code as a binary
variable per coding unit ("did coder X apply code C to unit u?"),
:func:`span_overlap` compares character spans, and :func:`disagreements`
lists the units to discuss.

Across codes
------------
``code_agreement(...).overall`` is **pooled**: every (unit, code) pair is one
binary decision, and each coefficient is computed once over all of them
(Cohen's κ from the 2 × 2 tables summed over codes; Fleiss' κ, Krippendorff's
α, Brennan–Prediger and percent agreement on the stacked decisions).  Because
most codes are absent from most units, pooled percent agreement is high by
construction; read κ and α.  ``overall.macro`` adds the plain mean of each
per-code coefficient over the codes where it is defined.  This is not
Krippendorff's α for multi-valued data (α_mv); it is the binary α of the
stacked unit × code decisions.

Undefined values
----------------
Every coefficient is a :class:`Coefficient` ``(value, reason)``.  When a
coefficient is undefined its value is NaN and ``reason`` says why in words; it
is never silently 0.  In JSON (``to_dict``) NaN becomes ``null`` and the
reason is kept under ``"reasons"``.  The rules:

* **No unit rated by two or more coders** (for example every unit is missing
  for all but one coder): every coefficient, percent agreement included, is
  NaN.  Units rated by fewer than two coders never count towards observed
  agreement (Fleiss' κ still uses them for the category proportions, as in
  Gwet's generalisation; Krippendorff's α ignores them by definition).
* **No variation** (every rating is the same category: a code no coder used,
  or a code every coder applied to every unit): percent agreement and
  Brennan–Prediger are 1 (they do not depend on the marginals); Cohen's κ,
  Scott's π, Fleiss' κ and Krippendorff's α are NaN, because chance agreement
  is 1 and the ratio is 0/0.
* **One coder without variation, the other with** (one coder applied a code to
  every unit, or to none): Cohen's κ is exactly 0 (observed agreement equals
  chance agreement), Krippendorff's α is ≤ 0; both are defined.
* **A single unit**: if the coders agree, percent agreement and
  Brennan–Prediger are 1 and the chance-corrected coefficients are NaN (no
  variation).  If they disagree, Krippendorff's α and Cohen's κ are 0 (α is
  always 0 on one unit), while Fleiss' κ / Scott's π and Brennan–Prediger are
  negative (−1 with two coders).  Such values carry no evidence: report the
  number of units with them.
* **Perfect agreement with variation**: every coefficient is 1.

References
----------
.. [1] Cohen, J. (1960). A coefficient of agreement for nominal scales.
   *Educational and Psychological Measurement* 20(1), 37–46.
   doi:10.1177/001316446002000104
.. [2] Scott, W. A. (1955). Reliability of content analysis: the case of
   nominal scale coding. *Public Opinion Quarterly* 19(3), 321–325.
   doi:10.1086/266577
.. [3] Fleiss, J. L. (1971). Measuring nominal scale agreement among many
   raters. *Psychological Bulletin* 76(5), 378–382. doi:10.1037/h0031619
.. [4] Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: some uses,
   misuses, and alternatives. *Educational and Psychological Measurement*
   41(3), 687–699. doi:10.1177/001316448104100307
.. [5] Gwet, K. L. (2014). *Handbook of Inter-Rater Reliability* (4th ed.).
   Advanced Analytics.  R package irrCAC: https://CRAN.R-project.org/package=irrCAC
.. [6] Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability.
   https://repository.upenn.edu/asc_papers/43
.. [7] Krippendorff, K. (2004). *Content Analysis: An Introduction to Its
   Methodology* (2nd ed.), ch. 11. Sage.
.. [8] Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a
   standard reliability measure for coding data. *Communication Methods and
   Measures* 1(1), 77–89. doi:10.1080/19312450709336664
.. [9] Castro, S. (2017). Fast Krippendorff: fast computation of
   Krippendorff's alpha agreement measure.
   https://github.com/pln-fing-udelar/fast-krippendorff
.. [10] Artstein, R., & Poesio, M. (2008). Inter-coder agreement for
   computational linguistics. *Computational Linguistics* 34(4), 555–596.
   doi:10.1162/coli.07-034-R2
.. [11] Light, R. J. (1971). Measures of response agreement for qualitative
   data. *Psychological Bulletin* 76(5), 365–377. doi:10.1037/h0031643
.. [12] Jaccard, P. (1912). The distribution of the flora in the alpine zone.
   *New Phytologist* 11(2), 37–50. doi:10.1111/j.1469-8137.1912.tb05611.x
.. [13] requal: a tool for qualitative data analysis (R package, "agreement"
   module). https://github.com/RE-QDA/requal
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from coder.errors import AnalysisError

__all__ = [
    "Coefficient",
    "rating_counts",
    "percent_agreement",
    "cohen_kappa",
    "cohen_kappa_table",
    "scott_pi",
    "scott_pi_table",
    "brennan_prediger",
    "brennan_prediger_table",
    "fleiss_kappa",
    "fleiss_category_kappas",
    "krippendorff_alpha",
    "CodeAgreement",
    "OverallAgreement",
    "AgreementResult",
    "code_agreement",
    "SpanCodeOverlap",
    "SpanOverlapResult",
    "span_overlap",
    "disagreements",
]

# Reasons for undefined values (generic coefficients).
NO_PAIRS = "no unit was rated by two or more coders, so there is nothing to compare"
NO_VARIATION = (
    "every rating is the same category, so chance agreement is 1 and the "
    "coefficient is undefined (observed agreement is perfect)"
)
EMPTY_TABLE = "the contingency table is empty, so there is nothing to compare"
FEW_CATEGORIES = (
    "fewer than two categories are possible, so chance agreement is 1; "
    "pass n_categories"
)
NO_EXPECTED_DISAGREEMENT = (
    "expected disagreement is 0 under this metric, so alpha is undefined"
)
# Reasons used by code_agreement, span_overlap.
CODE_UNUSED = (
    "no coder applied {what} to any compared unit; with no variation kappa "
    "and alpha are undefined (percent agreement is 100%)"
)
CODE_EVERYWHERE = (
    "every coder applied {what} to every compared unit; with no variation "
    "kappa and alpha are undefined (percent agreement is 100%)"
)
CODE_NO_UNITS = (
    "no unit was coded by two or more of the coders; check which documents "
    "each coder has coded"
)
MACRO_NONE = "undefined for every code, so there is nothing to average"
SPAN_UNUSED = "no coder marked any text with this code"
SPAN_NO_LENGTHS = (
    "character-level percent agreement and kappa need the document lengths; "
    "pass document_lengths"
)

_LEVELS = ("nominal", "ordinal", "interval", "ratio")
_EPS = 1e-12


# ---------------------------------------------------------------------------
# The result of one coefficient
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Coefficient:
    """A coefficient's value, or NaN together with the reason it is undefined.

    Attributes
    ----------
    value : float
        The coefficient; NaN when it is undefined for these data.
    reason : str or None
        Why the value is NaN, in words a user can act on; ``None`` when the
        value is defined.

    Examples
    --------
    >>> Coefficient(0.5)
    Coefficient(value=0.5, reason=None)
    >>> c = Coefficient.undefined("no unit was rated twice")
    >>> c.defined, c.to_json(), c.reason
    (False, None, 'no unit was rated twice')
    """

    value: float
    reason: str | None = None

    def __post_init__(self) -> None:
        value = float(self.value)
        object.__setattr__(self, "value", value)
        if math.isnan(value) and not self.reason:
            raise ValueError("an undefined (NaN) coefficient needs a reason")
        if not math.isnan(value) and self.reason is not None:
            raise ValueError("only an undefined (NaN) coefficient has a reason")

    @classmethod
    def undefined(cls, reason: str) -> Coefficient:
        """NaN with ``reason``."""
        return cls(math.nan, reason)

    @property
    def defined(self) -> bool:
        """True when the value is a number (not NaN)."""
        return not math.isnan(self.value)

    def to_json(self) -> float | None:
        """The value for JSON: a float, or ``None`` for NaN."""
        return self.value if self.defined else None

    def __float__(self) -> float:
        return self.value


def _ratio(observed: float, expected: float) -> Coefficient:
    """Chance-corrected ratio ``(observed - expected) / (1 - expected)``."""
    if expected >= 1.0 - _EPS:
        return Coefficient.undefined(NO_VARIATION)
    return Coefficient((observed - expected) / (1.0 - expected))


# ---------------------------------------------------------------------------
# Input handling for the coefficients
# ---------------------------------------------------------------------------


def _encode(reliability_data: Any, categories: Sequence[Hashable] | None = None) -> tuple[np.ndarray, list]:
    """Integer-code a coders × units table; missing ratings become -1."""
    if isinstance(reliability_data, pd.DataFrame):
        reliability_data = reliability_data.to_numpy(dtype=object)
    arr = np.asarray(reliability_data, dtype=object)
    if arr.ndim != 2:
        raise AnalysisError(
            "reliability data must be a 2-D table with one row per coder and one column per unit; "
            f"got shape {arr.shape}"
        )
    flat = pd.Series(arr.ravel(), dtype=object)
    codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    uniques = list(uniques)
    if categories is None:
        try:
            order = sorted(range(len(uniques)), key=lambda i: uniques[i])
        except TypeError:
            order = list(range(len(uniques)))
        cats = [uniques[i] for i in order]
    else:
        cats = list(categories)
        unknown = [u for u in uniques if u not in cats]
        if unknown:
            raise AnalysisError(
                f"rating {unknown[0]!r} is not one of the categories {cats!r}; "
                "add it to the categories or fix the data"
            )
    position = {cat: i for i, cat in enumerate(cats)}
    remap = np.array([position[u] for u in uniques] + [-1], dtype=np.int64)
    return remap[codes].reshape(arr.shape), cats


def _counts_from_codes(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """units × categories counts from integer-coded coders × units data."""
    n_units = codes.shape[1]
    counts = np.zeros((n_units, n_categories), dtype=float)
    coder_idx, unit_idx = np.nonzero(codes >= 0)
    np.add.at(counts, (unit_idx, codes[coder_idx, unit_idx]), 1.0)
    return counts


def rating_counts(reliability_data: Any, categories: Sequence[Hashable] | None = None) -> pd.DataFrame:
    """Count, for every unit, how many coders chose each category.

    Parameters
    ----------
    reliability_data : array_like, shape (n_coders, n_units)
        One row per coder, one column per unit; ``None`` or NaN where a coder
        did not rate a unit.  Any hashable values may be used as categories.
    categories : sequence, optional
        The categories, in column order.  Default: the distinct ratings,
        sorted when they can be sorted.

    Returns
    -------
    pandas.DataFrame
        One row per unit (in the data's order) and one column per category.

    Examples
    --------
    >>> rating_counts([["a", "b", None], ["a", "a", "b"]])
       a  b
    0  2  0
    1  1  1
    2  0  1
    """
    codes, cats = _encode(reliability_data, categories)
    counts = _counts_from_codes(codes, len(cats)).astype(int)
    return pd.DataFrame(counts, columns=pd.Index(cats, dtype=object))


def _value_counts(reliability_data: Any, value_counts: Any) -> tuple[np.ndarray, list]:
    """Exactly one of the two inputs, as a float units × categories array and labels."""
    if (reliability_data is None) == (value_counts is None):
        raise AnalysisError(
            "pass either reliability_data (coders × units) or value_counts (units × categories), "
            "exactly one of them"
        )
    if reliability_data is not None:
        codes, cats = _encode(reliability_data)
        return _counts_from_codes(codes, len(cats)), cats
    labels = list(value_counts.columns) if isinstance(value_counts, pd.DataFrame) else None
    try:
        counts = np.asarray(value_counts, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"value_counts must be numbers (units × categories): {exc}") from None
    if counts.ndim != 2:
        raise AnalysisError(
            f"value_counts must be a 2-D table of units × categories; got shape {counts.shape}"
        )
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise AnalysisError(
            "value_counts must be non-negative counts with no missing values; use 0 for 'nobody chose it'"
        )
    return counts, labels if labels is not None else list(range(counts.shape[1]))


def _as_table(table: Any) -> np.ndarray:
    """A square, non-negative contingency table as floats."""
    try:
        arr = np.asarray(table, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"the contingency table must hold counts: {exc}") from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise AnalysisError(
            "the contingency table must be square (coder A's categories × coder B's, same order); "
            f"got shape {arr.shape}"
        )
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise AnalysisError("the contingency table must hold non-negative counts")
    return arr


def _pair_table(a: Sequence[Any], b: Sequence[Any]) -> np.ndarray:
    """Contingency table of two raters' labels, dropping units either did not rate."""
    a_list, b_list = list(a), list(b)
    if len(a_list) != len(b_list):
        raise AnalysisError(
            f"the two coders must rate the same units: got {len(a_list)} and {len(b_list)} ratings"
        )
    codes, cats = _encode([a_list, b_list])
    both = (codes >= 0).all(axis=0)
    table = np.zeros((len(cats), len(cats)), dtype=float)
    np.add.at(table, (codes[0, both], codes[1, both]), 1.0)
    return table


def _observed_agreement(counts: np.ndarray) -> tuple[float, int]:
    """Mean pairwise agreement over units rated at least twice, and their number."""
    raters = counts.sum(axis=1)
    pairable = raters >= 2
    n = int(pairable.sum())
    if n == 0:
        return math.nan, 0
    c, r = counts[pairable], raters[pairable]
    per_unit = (c * (c - 1.0)).sum(axis=1) / (r * (r - 1.0))
    return float(per_unit.mean()), n


# ---------------------------------------------------------------------------
# Coefficients
# ---------------------------------------------------------------------------


def percent_agreement(reliability_data: Any = None, *, value_counts: Any = None) -> Coefficient:
    r"""Observed agreement: the share of agreeing coder pairs per unit, averaged.

    .. math::

        p_a = \frac{1}{n'} \sum_{i:\, r_i \ge 2} \sum_k
              \frac{r_{ik}(r_{ik} - 1)}{r_i (r_i - 1)}

    where :math:`r_{ik}` coders put unit *i* in category *k*, :math:`r_i` coders
    rated unit *i*, and :math:`n'` units were rated at least twice.  With two
    coders this is the proportion of units on which they agree.  Units rated by
    fewer than two coders are left out.

    Parameters
    ----------
    reliability_data : array_like, shape (n_coders, n_units), optional
        Ratings, ``None``/NaN where missing.
    value_counts : array_like, shape (n_units, n_categories), optional
        Counts instead of ratings.  Give exactly one of the two.

    Returns
    -------
    Coefficient
        NaN when no unit was rated by two coders.

    References
    ----------
    Fleiss (1971) [3]_; Gwet (2014) [5]_, ch. 2.

    Examples
    --------
    >>> percent_agreement([[1, 1, 0, 0], [1, 0, 0, 0]]).value
    0.75
    >>> percent_agreement(value_counts=[[3, 0], [2, 1]]).value  # 3 coders, 2 units
    0.6666666666666666
    """
    counts, _ = _value_counts(reliability_data, value_counts)
    pa, n = _observed_agreement(counts)
    return Coefficient.undefined(NO_PAIRS) if n == 0 else Coefficient(pa)


def cohen_kappa_table(table: Any) -> Coefficient:
    r"""Cohen's κ from a two-coder contingency table.

    .. math::

        \kappa = \frac{p_o - p_e}{1 - p_e}, \quad
        p_o = \frac{\sum_k n_{kk}}{n}, \quad
        p_e = \sum_k \frac{n_{k+}}{n}\,\frac{n_{+k}}{n}

    Parameters
    ----------
    table : array_like, shape (q, q)
        ``table[i, j]`` units put in category *i* by coder A and *j* by coder B
        (the same category order on both axes).

    Returns
    -------
    Coefficient
        NaN when the table is empty or chance agreement is 1 (both coders used
        one and the same category throughout).

    References
    ----------
    Cohen (1960) [1]_.  The example is Artstein & Poesio (2008) [10]_, table 1.

    Examples
    --------
    >>> round(cohen_kappa_table([[20, 20], [10, 50]]).value, 3)
    0.348
    """
    t = _as_table(table)
    n = t.sum()
    if n == 0:
        return Coefficient.undefined(EMPTY_TABLE)
    p_o = np.trace(t) / n
    p_e = float((t.sum(axis=1) / n) @ (t.sum(axis=0) / n))
    return _ratio(p_o, p_e)


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> Coefficient:
    """Cohen's κ for two coders' nominal ratings of the same units.

    Units that either coder did not rate (``None``/NaN) are dropped.  See
    :func:`cohen_kappa_table` for the formula.

    Parameters
    ----------
    a, b : sequence
        The two coders' ratings, unit by unit.

    Returns
    -------
    Coefficient
        NaN when no unit was rated by both coders, or both used a single
        category throughout.

    References
    ----------
    Cohen (1960) [1]_.

    Examples
    --------
    >>> round(cohen_kappa(["x", "x", "y", "y", "y"], ["x", "y", "y", "y", None]).value, 3)
    0.5
    """
    table = _pair_table(a, b)
    if table.sum() == 0:
        return Coefficient.undefined(NO_PAIRS)
    return cohen_kappa_table(table)


def scott_pi_table(table: Any) -> Coefficient:
    r"""Scott's π from a two-coder contingency table.

    Like Cohen's κ, but chance agreement uses the coders' pooled marginals:
    :math:`p_e = \sum_k \left(\frac{n_{k+} + n_{+k}}{2n}\right)^2`.  With two
    coders and no missing ratings it equals Fleiss' κ.

    Parameters
    ----------
    table : array_like, shape (q, q)
        Contingency table (coder A's categories × coder B's).

    Returns
    -------
    Coefficient

    References
    ----------
    Scott (1955) [2]_.

    Examples
    --------
    >>> round(scott_pi_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]]).value, 7)
    0.7962397
    """
    t = _as_table(table)
    n = t.sum()
    if n == 0:
        return Coefficient.undefined(EMPTY_TABLE)
    pooled = (t.sum(axis=1) + t.sum(axis=0)) / (2.0 * n)
    return _ratio(np.trace(t) / n, float(pooled @ pooled))


def scott_pi(a: Sequence[Any], b: Sequence[Any]) -> Coefficient:
    """Scott's π for two coders' ratings (units either did not rate are dropped).

    Examples
    --------
    >>> round(scott_pi([1, 1, 0, 0], [1, 0, 0, 0]).value, 4)
    0.4667
    """
    table = _pair_table(a, b)
    if table.sum() == 0:
        return Coefficient.undefined(NO_PAIRS)
    return scott_pi_table(table)


def brennan_prediger_table(table: Any, n_categories: int | None = None) -> Coefficient:
    r"""Brennan–Prediger κ from a two-coder contingency table.

    .. math:: \kappa_{BP} = \frac{p_o - 1/q}{1 - 1/q}

    Chance agreement is that of coders choosing uniformly among the *q*
    possible categories, so it does not depend on the marginals.

    Parameters
    ----------
    table : array_like, shape (q, q)
        Contingency table.
    n_categories : int, optional
        Number of possible categories *q*; default the table's size.

    Returns
    -------
    Coefficient
        NaN when the table is empty or *q* < 2.

    References
    ----------
    Brennan & Prediger (1981) [4]_; Gwet (2014) [5]_ (irrCAC ``bp.coeff.table``).

    Examples
    --------
    >>> round(brennan_prediger_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]]).value, 3)
    0.835
    """
    t = _as_table(table)
    q = t.shape[0] if n_categories is None else int(n_categories)
    if q < t.shape[0]:
        raise AnalysisError(f"n_categories={q} is smaller than the table ({t.shape[0]} categories)")
    n = t.sum()
    if n == 0:
        return Coefficient.undefined(EMPTY_TABLE)
    if q < 2:
        return Coefficient.undefined(FEW_CATEGORIES)
    return _ratio(np.trace(t) / n, 1.0 / q)


def brennan_prediger(
    reliability_data: Any = None, *, value_counts: Any = None, n_categories: int | None = None
) -> Coefficient:
    r"""Brennan–Prediger κ for two or more coders (Gwet's generalisation).

    .. math:: \kappa_{BP} = \frac{p_a - 1/q}{1 - 1/q}

    with :math:`p_a` the observed agreement of :func:`percent_agreement` and
    *q* the number of possible categories.  For a code that is applied or not,
    *q* = 2.

    Parameters
    ----------
    reliability_data : array_like, shape (n_coders, n_units), optional
        Ratings, ``None``/NaN where missing.
    value_counts : array_like, shape (n_units, n_categories), optional
        Counts instead of ratings.  Give exactly one of the two.
    n_categories : int, optional
        *q*.  Default: the number of distinct ratings (``reliability_data``) or
        of columns (``value_counts``), as irrCAC does.

    Returns
    -------
    Coefficient
        NaN when no unit was rated twice or *q* < 2.

    References
    ----------
    Brennan & Prediger (1981) [4]_; Gwet (2014) [5]_, irrCAC ``bp.coeff.raw``.

    Examples
    --------
    >>> brennan_prediger([[1, 1, 0, 0], [1, 0, 0, 0]]).value
    0.5
    >>> brennan_prediger([[1, 1, 1], [1, 1, 1]], n_categories=2).value
    1.0
    """
    counts, _ = _value_counts(reliability_data, value_counts)
    q = counts.shape[1] if n_categories is None else int(n_categories)
    if q < counts.shape[1]:
        raise AnalysisError(f"n_categories={q} is smaller than the {counts.shape[1]} categories in the data")
    pa, n = _observed_agreement(counts)
    if n == 0:
        return Coefficient.undefined(NO_PAIRS)
    if q < 2:
        return Coefficient.undefined(FEW_CATEGORIES)
    return _ratio(pa, 1.0 / q)


def _fleiss(counts: np.ndarray) -> Coefficient:
    pa, n = _observed_agreement(counts)
    if n == 0:
        return Coefficient.undefined(NO_PAIRS)
    raters = counts.sum(axis=1)
    rated = raters >= 1
    proportions = (counts[rated] / raters[rated, None]).mean(axis=0)
    return _ratio(pa, float(proportions @ proportions))


def fleiss_kappa(reliability_data: Any = None, *, value_counts: Any = None) -> Coefficient:
    r"""Fleiss' κ for two or more coders, allowing missing ratings.

    .. math::

        \kappa = \frac{p_a - p_e}{1 - p_e}, \quad
        p_e = \sum_k \pi_k^2, \quad
        \pi_k = \frac{1}{n} \sum_{i:\, r_i \ge 1} \frac{r_{ik}}{r_i}

    with :math:`p_a` as in :func:`percent_agreement` (units rated at least
    twice) and *n* the number of units rated at least once.  With the same
    number of coders on every unit this is Fleiss (1971); with missing
    ratings it is Gwet's generalisation (irrCAC ``fleiss.kappa.raw``).  With
    two coders and no missing ratings it equals Scott's π.

    Parameters
    ----------
    reliability_data : array_like, shape (n_coders, n_units), optional
        Ratings, ``None``/NaN where missing.
    value_counts : array_like, shape (n_units, n_categories), optional
        Counts instead of ratings.  Give exactly one of the two.

    Returns
    -------
    Coefficient
        NaN when no unit was rated twice or every rating is the same category.

    References
    ----------
    Fleiss (1971) [3]_; Gwet (2014) [5]_.

    Examples
    --------
    >>> counts = [[0, 0, 0, 6, 0], [0, 3, 0, 0, 3], [0, 1, 4, 0, 1], [0, 0, 0, 0, 6],
    ...           [0, 3, 0, 3, 0], [2, 0, 4, 0, 0], [0, 0, 4, 0, 2], [2, 0, 3, 1, 0],
    ...           [2, 0, 0, 4, 0], [0, 0, 0, 0, 6], [1, 0, 0, 5, 0], [1, 1, 0, 4, 0],
    ...           [0, 3, 3, 0, 0], [1, 0, 0, 5, 0], [0, 2, 0, 3, 1]]
    >>> round(fleiss_kappa(value_counts=counts).value, 7)  # irrCAC distrib.6raters
    0.4139265
    """
    counts, _ = _value_counts(reliability_data, value_counts)
    return _fleiss(counts)


def fleiss_category_kappas(
    reliability_data: Any = None, *, value_counts: Any = None
) -> dict[Hashable, Coefficient]:
    r"""Fleiss' κ for each category against all the others.

    .. math::

        \kappa_k = 1 - \frac{\sum_i r_{ik}(r - r_{ik})}
                             {N r (r - 1)\, p_k (1 - p_k)}

    (Fleiss 1971, eq. 11).  Computed as :func:`fleiss_kappa` on the data
    collapsed to "category *k*" versus "any other", which is identical and
    also allows missing ratings.

    Parameters
    ----------
    reliability_data : array_like, shape (n_coders, n_units), optional
        Ratings, ``None``/NaN where missing.
    value_counts : array_like or DataFrame, shape (n_units, n_categories), optional
        Counts instead of ratings.  Give exactly one of the two.

    Returns
    -------
    dict
        Category (the rating, the DataFrame column label, or the column
        number) → :class:`Coefficient`.  A category nobody used is NaN.

    References
    ----------
    Fleiss (1971) [3]_.

    Examples
    --------
    >>> kappas = fleiss_category_kappas([["a", "a", "b", "c"], ["a", "b", "b", "c"], ["a", "a", "b", "b"]])
    >>> {k: round(v.value, 3) for k, v in kappas.items()}
    {'a': 0.657, 'b': 0.314, 'c': 0.4}
    """
    counts, labels = _value_counts(reliability_data, value_counts)
    raters = counts.sum(axis=1)
    result: dict[Hashable, Coefficient] = {}
    for k, label in enumerate(labels):
        binary = np.column_stack([raters - counts[:, k], counts[:, k]])
        result[label] = _fleiss(binary)
    return result


def krippendorff_alpha(
    reliability_data: Any = None,
    *,
    value_counts: Any = None,
    value_domain: Sequence[Any] | None = None,
    level: str = "nominal",
) -> Coefficient:
    r"""Krippendorff's α, for any number of coders and missing ratings.

    .. math::

        \alpha = 1 - \frac{D_o}{D_e}
               = 1 - (n - 1)\frac{\sum_c \sum_k o_{ck}\, \delta^2_{ck}}
                                 {\sum_c \sum_k n_c n_k\, \delta^2_{ck}}

    where :math:`o_{ck}` is the coincidence matrix of pairable values (values
    in units rated at least twice), :math:`n_c` its margins, *n* the number of
    pairable values and :math:`\delta^2` the metric of the level of
    measurement (nominal: 0 if equal, 1 if not).  Computed by the
    ``krippendorff`` package (Castro 2017); this wrapper adds the undefined
    cases and accepts any hashable nominal ratings.

    Parameters
    ----------
    reliability_data : array_like, shape (n_coders, n_units), optional
        Ratings, ``None``/NaN where missing.
    value_counts : array_like, shape (n_units, n_values), optional
        Counts instead of ratings.  Give exactly one of the two.
    value_domain : sequence, optional
        The possible values in order.  Needed for ``"ordinal"`` with
        non-numeric ratings; for ``"interval"``/``"ratio"`` with
        ``value_counts`` it gives the numeric value of each column.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement.

    Returns
    -------
    Coefficient
        NaN when no unit was rated by two coders, or every pairable rating is
        the same value (expected disagreement 0).

    References
    ----------
    Krippendorff (2011) [6]_ and (2004) [7]_; Hayes & Krippendorff (2007) [8]_;
    Castro (2017) [9]_.

    Examples
    --------
    Krippendorff (2011), 4 coders × 12 units with missing values:

    >>> data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    ...         [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    ...         [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    ...         [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
    >>> round(krippendorff_alpha(data).value, 3)
    0.743
    >>> round(krippendorff_alpha(data, level="interval").value, 3)
    0.849
    >>> krippendorff_alpha([[1, 1], [1, 1]]).reason[:27]
    'every rating is the same ca'
    """
    import krippendorff

    if level not in _LEVELS:
        raise AnalysisError(f"unknown level of measurement {level!r}; use one of {', '.join(_LEVELS)}")
    if (reliability_data is None) == (value_counts is None):
        raise AnalysisError(
            "pass either reliability_data (coders × units) or value_counts (units × values), "
            "exactly one of them"
        )
    if reliability_data is not None:
        codes, cats = _encode(reliability_data, value_domain)
        if level == "ordinal" and value_domain is None and not all(
            isinstance(c, (int, float, np.number)) for c in cats
        ):
            raise AnalysisError(
                "ordinal alpha on non-numeric ratings needs value_domain listing them in order"
            )
        counts = _counts_from_codes(codes, len(cats))
        domain = list(cats)
    else:
        counts, labels = _value_counts(None, value_counts)
        domain = list(value_domain) if value_domain is not None else labels
        if len(domain) != counts.shape[1]:
            raise AnalysisError(
                f"value_domain has {len(domain)} values but value_counts has {counts.shape[1]} columns"
            )
    pairable = counts.sum(axis=1) >= 2
    if not pairable.any():
        return Coefficient.undefined(NO_PAIRS)
    if int((counts[pairable].sum(axis=0) > 0).sum()) < 2:
        return Coefficient.undefined(NO_VARIATION)
    if level in ("interval", "ratio"):
        try:
            numeric = np.asarray(domain, dtype=float)
        except (TypeError, ValueError):
            raise AnalysisError(f"{level} alpha needs numeric ratings; got {domain[:3]!r}") from None
    else:
        numeric = np.arange(len(domain), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = float(
            krippendorff.alpha(value_counts=counts, value_domain=numeric, level_of_measurement=level)
        )
    if not math.isfinite(value):
        return Coefficient.undefined(NO_EXPECTED_DISAGREEMENT)
    return Coefficient(value)


# ---------------------------------------------------------------------------
# Multi-label agreement on coding units
# ---------------------------------------------------------------------------


def _json_coefficients(named: Mapping[str, Coefficient]) -> tuple[dict[str, float | None], dict[str, str]]:
    values = {name: c.to_json() for name, c in named.items()}
    reasons = {name: c.reason for name, c in named.items() if c.reason}
    return values, reasons


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code, treated as applied / not applied per unit.

    Attributes
    ----------
    code : str
        The code id.
    n_units : int
        Units compared: rated by two or more of the coders.
    n_coded : Mapping[str, int]
        Coder → number of compared units the coder applied the code to.
    n_coded_all : int
        Compared units every coder applied the code to ("both" for two coders).
    percent : Coefficient
        Percent agreement (mean pairwise agreement), 0–1.
    kappa : Coefficient
        Cohen's κ with two coders, Fleiss' κ with three or more.
    alpha : Coefficient
        Krippendorff's α, nominal (binary).
    brennan_prediger : Coefficient
        Brennan–Prediger κ with q = 2.
    fleiss_kappa : Coefficient
        Fleiss' κ (equals Scott's π for two coders without missing units).
    """

    code: str
    n_units: int
    n_coded: Mapping[str, int]
    n_coded_all: int
    percent: Coefficient
    kappa: Coefficient
    alpha: Coefficient
    brennan_prediger: Coefficient
    fleiss_kappa: Coefficient

    def coefficients(self) -> dict[str, Coefficient]:
        """The coefficients by JSON key."""
        return {
            "percent": self.percent,
            "kappa": self.kappa,
            "alpha": self.alpha,
            "brennan_prediger": self.brennan_prediger,
            "fleiss_kappa": self.fleiss_kappa,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: NaN → ``None``, reasons under ``"reasons"``."""
        values, reasons = _json_coefficients(self.coefficients())
        return {
            **values,
            "n_units": self.n_units,
            "n_coded": dict(self.n_coded),
            "n_coded_all": self.n_coded_all,
            "reasons": reasons,
        }


@dataclass(frozen=True)
class OverallAgreement:
    """Agreement across all codes.

    The headline values are **pooled**: every (unit, code) pair is one binary
    decision ("applied or not"), and the coefficients are computed once over
    all ``n_decisions`` of them (Cohen's κ on the summed 2 × 2 tables;
    Fleiss' κ, Krippendorff's α, Brennan–Prediger and percent on the stacked
    decisions).  Pooled values weight frequent and rare codes by their
    decisions, and agreement on absence dominates percent agreement.

    ``macro`` holds the unweighted mean of the per-code values, over the codes
    where the value is defined (``macro_n_codes`` says how many).

    Attributes
    ----------
    n_decisions : int
        Compared units × codes.
    percent, kappa, alpha, brennan_prediger, fleiss_kappa : Coefficient
        Pooled coefficients (``kappa`` is Cohen's for two coders, Fleiss' for
        three or more).
    macro : Mapping[str, Coefficient]
        Mean per-code value of each coefficient.
    macro_n_codes : Mapping[str, int]
        Number of codes each mean is over.
    """

    n_decisions: int
    percent: Coefficient
    kappa: Coefficient
    alpha: Coefficient
    brennan_prediger: Coefficient
    fleiss_kappa: Coefficient
    macro: Mapping[str, Coefficient]
    macro_n_codes: Mapping[str, int]

    def coefficients(self) -> dict[str, Coefficient]:
        """The pooled coefficients by JSON key."""
        return {
            "percent": self.percent,
            "kappa": self.kappa,
            "alpha": self.alpha,
            "brennan_prediger": self.brennan_prediger,
            "fleiss_kappa": self.fleiss_kappa,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: NaN → ``None``, reasons under ``"reasons"``."""
        values, reasons = _json_coefficients(self.coefficients())
        macro_values, macro_reasons = _json_coefficients(self.macro)
        return {
            **values,
            "method": "pooled",
            "n_decisions": self.n_decisions,
            "macro": {**macro_values, "n_codes": dict(self.macro_n_codes), "reasons": macro_reasons},
            "reasons": reasons,
        }


@dataclass(frozen=True)
class AgreementResult:
    """Intercoder agreement between coders over a set of coding units.

    Attributes
    ----------
    coders : tuple of str
        The coders compared, in the order given.
    unit : str or None
        The kind of coding unit (``"sentence"`` or ``"turn"``), when known.
    n_units : int
        Units in the comparison.
    n_units_compared : int
        Units rated by two or more of the coders (all of them unless some
        coders did not code some units).
    kappa_method : str
        ``"cohen"`` (two coders) or ``"fleiss"`` (three or more): what
        ``kappa`` holds.
    codes : Mapping[str, CodeAgreement]
        Per-code agreement, in the order of the codes given.
    overall : OverallAgreement
        Agreement across codes.
    """

    coders: tuple[str, ...]
    unit: str | None
    n_units: int
    n_units_compared: int
    kappa_method: str
    codes: Mapping[str, CodeAgreement]
    overall: OverallAgreement

    def to_dict(self) -> dict[str, Any]:
        """The ``coder agreement --json`` document (SPEC §4.1 keys plus extras).

        Examples
        --------
        >>> a = pd.DataFrame({"unit_id": ["u1", "u2"], "coder": ["A", "B"], "code": ["x", "x"]})
        >>> d = code_agreement(a, ["u1", "u2", "u3"], ["A", "B"], ["x"]).to_dict()
        >>> d["n_units"], d["codes"]["x"]["percent"], sorted(d["overall"])[:3]
        (3, 0.3333333333333333, ['alpha', 'brennan_prediger', 'fleiss_kappa'])
        """
        return {
            "coders": list(self.coders),
            "unit": self.unit,
            "n_units": self.n_units,
            "n_units_compared": self.n_units_compared,
            "kappa_method": self.kappa_method,
            "codes": {code: ca.to_dict() for code, ca in self.codes.items()},
            "overall": self.overall.to_dict(),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per code: counts and coefficient values (NaN where undefined)."""
        rows = []
        for ca in self.codes.values():
            row: dict[str, Any] = {"code": ca.code, "n_units": ca.n_units}
            row.update({f"n_{coder}": n for coder, n in ca.n_coded.items()})
            row["n_all"] = ca.n_coded_all
            row.update({name: c.value for name, c in ca.coefficients().items()})
            rows.append(row)
        columns = ["code", "n_units", *(f"n_{c}" for c in self.coders), "n_all",
                   "percent", "kappa", "alpha", "brennan_prediger", "fleiss_kappa"]
        return pd.DataFrame(rows, columns=columns)


def _code_list(rows: pd.DataFrame, codes: Sequence[Hashable] | None) -> list[Hashable]:
    """``codes`` without repeats, or the codes used in ``rows``, sorted when possible."""
    if codes is not None:
        return list(dict.fromkeys(codes))
    used = list(pd.unique(rows["code"]))
    try:
        return sorted(used)
    except TypeError:
        return used


def _require_columns(df: Any, required: Sequence[str], name: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise AnalysisError(f"{name} must be a pandas DataFrame with columns {', '.join(required)}")
    absent = [c for c in required if c not in df.columns]
    if absent:
        raise AnalysisError(f"{name} has no column {', '.join(absent)}; it needs {', '.join(required)}")


def _coder_tuple(coders: Sequence[str]) -> tuple[str, ...]:
    if isinstance(coders, str):
        raise AnalysisError(f"coders must be a list of names such as ['A', 'B'], not the string {coders!r}")
    result = tuple(coders)
    if len(set(result)) != len(result):
        raise AnalysisError(f"a coder is listed twice in {list(result)}; name each coder once")
    if len(result) < 2:
        raise AnalysisError(f"agreement needs at least two coders; got {list(result)}")
    return result


def _unit_index(units: Iterable[Hashable]) -> pd.Index:
    index = pd.Index(list(units))
    if len(index) == 0:
        raise AnalysisError("there are no coding units to compare; import and segment documents first")
    if index.has_duplicates:
        raise AnalysisError(f"unit {index[index.duplicated()][0]!r} is listed twice; unit ids must be unique")
    return index


def _coders_rows(assignments: pd.DataFrame, units: pd.Index, coders: tuple[str, ...]) -> pd.DataFrame:
    """The distinct codings of ``coders`` on ``units``; an error if none of theirs matches a unit."""
    rows = assignments[["unit_id", "coder", "code"]].drop_duplicates()
    rows = rows[rows["coder"].isin(coders)]
    on_units = rows["unit_id"].isin(units)
    if len(rows) and not on_units.any():
        raise AnalysisError(
            f"none of the codings refer to the listed units (e.g. unit {rows['unit_id'].iloc[0]!r}); "
            "check the unit ids (text vs number?)"
        )
    return rows[on_units]


def _missing_mask(missing: Any, units: pd.Index, coders: tuple[str, ...]) -> np.ndarray:
    """units × coders boolean array, True where a coder did not code the unit."""
    mask = np.zeros((len(units), len(coders)), dtype=bool)
    if missing is None:
        return mask
    if isinstance(missing, pd.DataFrame):
        if not set(coders) <= set(missing.columns):
            raise AnalysisError(
                f"the missing mask needs one column per coder ({', '.join(coders)}) and one row per unit"
            )
        frame = missing.reindex(index=units, columns=list(coders), fill_value=False)
        return frame.to_numpy(dtype=bool, na_value=False)
    coder_pos = {c: j for j, c in enumerate(coders)}
    for pair in missing:
        try:
            coder, unit = pair
        except (TypeError, ValueError):
            raise AnalysisError(f"missing must hold (coder, unit_id) pairs; got {pair!r}") from None
        i = units.get_indexer([unit])[0]
        if coder in coder_pos and i >= 0:
            mask[i, coder_pos[coder]] = True
    return mask


def _indicator(
    assignments: pd.DataFrame,
    units: pd.Index,
    coders: tuple[str, ...],
    codes: list[Hashable],
    mask: np.ndarray,
) -> np.ndarray:
    """codes × units × coders array: 1 applied, 0 not applied, NaN not coded (``mask``)."""
    cube = np.zeros((len(codes), len(units), len(coders)), dtype=float)
    rows = assignments[assignments["coder"].isin(coders)]
    unit_i = units.get_indexer(rows["unit_id"])
    code_i = pd.Index(codes).get_indexer(rows["code"])
    coder_i = pd.Index(coders).get_indexer(rows["coder"])
    keep = (unit_i >= 0) & (code_i >= 0)
    cube[code_i[keep], unit_i[keep], coder_i[keep]] = 1.0
    conflict = mask & (cube.sum(axis=0) > 0)
    if conflict.any():
        i, j = np.argwhere(conflict)[0]
        raise AnalysisError(
            f"coder {coders[j]!r} has codings on unit {units[i]!r}, which is marked missing for them; "
            "fix the missing list or the codings"
        )
    cube[:, mask] = np.nan
    return cube


def _binary_counts(matrix: np.ndarray) -> np.ndarray:
    """units × [not applied, applied] counts from a units × coders 0/1/NaN matrix."""
    rated = (~np.isnan(matrix)).sum(axis=1).astype(float)
    applied = np.nansum(matrix, axis=1)
    return np.column_stack([rated - applied, applied])


def _two_by_two(matrix: np.ndarray) -> np.ndarray:
    """2 × 2 table of two coders' 0/1 decisions over the units both coded."""
    both = ~np.isnan(matrix).any(axis=1)
    a = matrix[both, 0].astype(int)
    b = matrix[both, 1].astype(int)
    table = np.zeros((2, 2), dtype=float)
    np.add.at(table, (a, b), 1.0)
    return table


def _binary_coefficients(counts: np.ndarray, table: np.ndarray | None) -> dict[str, Coefficient]:
    fleiss = _fleiss(counts)
    return {
        "percent": percent_agreement(value_counts=counts),
        "kappa": fleiss if table is None else (
            cohen_kappa_table(table) if table.sum() else Coefficient.undefined(NO_PAIRS)
        ),
        "alpha": krippendorff_alpha(value_counts=counts, value_domain=[0, 1]),
        "brennan_prediger": brennan_prediger(value_counts=counts, n_categories=2),
        "fleiss_kappa": fleiss,
    }


def _explain(
    coefficients: dict[str, Coefficient], counts: np.ndarray, pooled: bool = False
) -> dict[str, Coefficient]:
    """Replace generic reasons by ones about a code (or all codes)."""
    pairable = counts.sum(axis=1) >= 2
    if not pairable.any():
        reason = CODE_NO_UNITS
    elif counts[pairable, 1].sum() == 0:
        reason = CODE_UNUSED.format(what="any of the codes" if pooled else "this code")
    elif counts[pairable, 0].sum() == 0:
        reason = CODE_EVERYWHERE.format(what="every code" if pooled else "this code")
    else:
        return coefficients
    return {k: (c if c.defined else Coefficient.undefined(reason)) for k, c in coefficients.items()}


def _macro(per_code: list[Coefficient]) -> tuple[Coefficient, int]:
    defined = [c.value for c in per_code if c.defined]
    if not defined:
        return Coefficient.undefined(MACRO_NONE), 0
    return Coefficient(float(np.mean(defined))), len(defined)


def code_agreement(
    assignments: pd.DataFrame,
    units: Sequence[Hashable],
    coders: Sequence[str],
    codes: Sequence[Hashable] | None = None,
    *,
    missing: Iterable[tuple[str, Hashable]] | pd.DataFrame | None = None,
    unit: str | None = None,
) -> AgreementResult:
    """Agreement between coders who applied zero or more codes to each unit.

    Each code is a binary variable per unit: did coder X apply code C to unit
    u?  A unit with no code from either coder is an agreement on absence.

    Per code: percent agreement, Cohen's κ (two coders) or Fleiss' κ (three or
    more), Krippendorff's α (nominal, binary; missing ratings allowed),
    Brennan–Prediger κ (q = 2), and Fleiss' κ.  Overall: the same
    coefficients pooled over every (unit, code) decision, and the mean of the
    per-code values (see :class:`OverallAgreement`).

    Parameters
    ----------
    assignments : DataFrame
        Columns ``unit_id``, ``coder``, ``code``: one row per code a coder
        applied to a unit.  Duplicate rows are ignored, as are rows whose
        coder, unit or code is not being compared.
    units : sequence
        Every unit in the comparison, coded or not.
    coders : sequence of str
        Two or more coders.
    codes : sequence, optional
        The codes to compare, in report order.  Default: every code these
        coders applied to these units, sorted.
    missing : iterable of (coder, unit_id) or DataFrame, optional
        Units a coder did not code (for example, the coder never opened that
        document): those ratings are missing, not "not applied".  Either
        pairs, or a boolean DataFrame with one row per unit id (index) and one
        column per coder, True where missing (pairs and rows about other
        coders or units are ignored).  Units left with fewer than two coders
        are not compared.
    unit : str, optional
        Kind of coding unit, copied to the result (``"sentence"``, ``"turn"``).

    Returns
    -------
    AgreementResult

    Raises
    ------
    AnalysisError
        Fewer than two coders, a coder listed twice, no units, duplicate unit
        ids, missing columns, codings on a unit marked missing for that coder,
        or codings none of which refer to the listed units.

    References
    ----------
    Cohen (1960) [1]_; Fleiss (1971) [3]_; Brennan & Prediger (1981) [4]_;
    Krippendorff (2011) [6]_.

    Examples
    --------
    >>> a = pd.DataFrame({
    ...     "unit_id": ["u1", "u2", "u1", "u3"],
    ...     "coder":   ["A",  "A",  "B",  "B"],
    ...     "code":    ["money", "money", "money", "money"]})
    >>> result = code_agreement(a, ["u1", "u2", "u3", "u4"], ["A", "B"])
    >>> m = result.codes["money"]
    >>> m.percent.value, m.kappa.value, dict(m.n_coded), m.n_coded_all
    (0.5, 0.0, {'A': 2, 'B': 2}, 1)
    """
    _require_columns(assignments, ["unit_id", "coder", "code"], "assignments")
    coder_names = _coder_tuple(coders)
    unit_index = _unit_index(units)
    rows = _coders_rows(assignments, unit_index, coder_names)
    code_list = _code_list(rows, codes)
    if not code_list:
        raise AnalysisError(
            f"there are no codes to compare: none of {', '.join(coder_names)} applied a code to these units; "
            "import their codings first"
        )
    mask = _missing_mask(missing, unit_index, coder_names)
    cube = _indicator(rows, unit_index, coder_names, code_list, mask)
    compared = (~mask).sum(axis=1) >= 2
    two = len(coder_names) == 2

    per_code: dict[Hashable, CodeAgreement] = {}
    all_counts, total_table = [], np.zeros((2, 2))
    for c, code in enumerate(code_list):
        matrix = cube[c]
        counts = _binary_counts(matrix)
        table = _two_by_two(matrix) if two else None
        coefficients = _explain(_binary_coefficients(counts, table), counts)
        applied = np.nan_to_num(matrix[compared], nan=0.0)
        per_code[code] = CodeAgreement(
            code=code,
            n_units=int(compared.sum()),
            n_coded={name: int(applied[:, j].sum()) for j, name in enumerate(coder_names)},
            n_coded_all=int((applied.sum(axis=1) == len(coder_names)).sum()),
            **coefficients,
        )
        all_counts.append(counts)
        if table is not None:
            total_table += table

    stacked = np.vstack(all_counts)
    pooled = _explain(_binary_coefficients(stacked, total_table if two else None), stacked, pooled=True)
    macro, macro_n = {}, {}
    for name in pooled:
        macro[name], macro_n[name] = _macro([ca.coefficients()[name] for ca in per_code.values()])
    overall = OverallAgreement(
        n_decisions=int(compared.sum()) * len(code_list),
        macro=macro,
        macro_n_codes=macro_n,
        **pooled,
    )
    return AgreementResult(
        coders=coder_names,
        unit=unit,
        n_units=len(unit_index),
        n_units_compared=int(compared.sum()),
        kappa_method="cohen" if two else "fleiss",
        codes=per_code,
        overall=overall,
    )


# ---------------------------------------------------------------------------
# Units to discuss
# ---------------------------------------------------------------------------


def disagreements(
    assignments: pd.DataFrame,
    units_meta: pd.DataFrame,
    coders: Sequence[str],
    *,
    codes: Sequence[Hashable] | None = None,
    missing: Iterable[tuple[str, Hashable]] | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The (unit, code) pairs on which the coders differ, for a consensus meeting.

    Parameters
    ----------
    assignments : DataFrame
        Columns ``unit_id``, ``coder``, ``code`` as in :func:`code_agreement`.
    units_meta : DataFrame
        Columns ``unit_id``, ``document``, ``turn``, ``position`` (order in the
        document) and ``text``: every unit in the comparison.
    coders : sequence of str
        Two or more coders.
    codes : sequence, optional
        Only these codes (default: every code the coders applied).
    missing : optional
        Units a coder did not code, as in :func:`code_agreement`; a unit is
        listed only if two or more coders coded it and they differ.

    Returns
    -------
    DataFrame
        One row per (unit, code) where some coders applied the code and others
        did not, sorted by code, document and position.  Columns: ``code``,
        ``document``, ``turn``, ``unit_id``, ``text``; then ``<coder>_codes``
        for each coder (every code that coder applied to the unit, sorted and
        joined with ", "; ``<NA>`` if the coder did not code the unit); then
        ``<coder>_applied`` (nullable boolean: did the coder apply this code).

    Examples
    --------
    >>> a = pd.DataFrame({"unit_id": ["u1", "u1", "u2", "u2"], "coder": ["A", "B", "A", "B"],
    ...                   "code": ["debt", "debt", "housing", "debt"]})
    >>> meta = pd.DataFrame({"unit_id": ["u1", "u2"], "document": ["d1", "d1"], "turn": [1, 1],
    ...                      "position": [0, 1], "text": ["We owed rent.", "We lost the flat."]})
    >>> table = disagreements(a, meta, ["A", "B"])
    >>> table[["code", "unit_id", "A_codes", "B_codes", "A_applied", "B_applied"]]
          code unit_id  A_codes B_codes  A_applied  B_applied
    0     debt      u2  housing    debt      False       True
    1  housing      u2  housing    debt       True      False
    """
    _require_columns(assignments, ["unit_id", "coder", "code"], "assignments")
    meta_columns = ["unit_id", "document", "turn", "position", "text"]
    _require_columns(units_meta, meta_columns, "units_meta")
    coder_names = _coder_tuple(coders)
    unit_index = _unit_index(units_meta["unit_id"])
    rows = _coders_rows(assignments, unit_index, coder_names)
    code_list = _code_list(rows, codes)

    code_columns = [f"{c}_codes" for c in coder_names]
    applied_columns = [f"{c}_applied" for c in coder_names]
    columns = ["code", "document", "turn", "unit_id", "text", *code_columns, *applied_columns]
    if not code_list:
        return pd.DataFrame(columns=columns)
    mask = _missing_mask(missing, unit_index, coder_names)
    cube = _indicator(rows, unit_index, coder_names, code_list, mask)
    rated = (~np.isnan(cube)).sum(axis=2)
    applied = np.nansum(cube, axis=2)
    code_i, unit_i = np.nonzero((rated >= 2) & (applied > 0) & (applied < rated))

    def joined(values: pd.Series) -> str:
        return ", ".join(sorted(str(v) for v in values.unique()))

    listing = rows.groupby(["unit_id", "coder"], sort=False)["code"].agg(joined)
    meta = units_meta.set_index("unit_id")
    out = pd.DataFrame({
        "code": [code_list[i] for i in code_i],
        "document": meta["document"].to_numpy()[unit_i],
        "turn": meta["turn"].to_numpy()[unit_i],
        "unit_id": unit_index.to_numpy()[unit_i],
        "text": meta["text"].to_numpy()[unit_i],
    })
    position = meta["position"].to_numpy()[unit_i]
    for j, coder in enumerate(coder_names):
        is_missing = np.isnan(cube[code_i, unit_i, j])
        texts = [listing.get((u, coder), "") for u in out["unit_id"]]
        out[f"{coder}_codes"] = pd.Series(
            [pd.NA if m else t for m, t in zip(is_missing, texts)], dtype="string"
        )
    for j, coder in enumerate(coder_names):
        values = cube[code_i, unit_i, j]
        out[f"{coder}_applied"] = pd.array(
            [pd.NA if math.isnan(v) else bool(v) for v in values], dtype="boolean"
        )
    out["_position"] = position
    out = out.sort_values(["code", "document", "_position", "unit_id"], kind="mergesort")
    return out.drop(columns="_position").reset_index(drop=True)[columns]


# ---------------------------------------------------------------------------
# Character spans
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpanCodeOverlap:
    """Span agreement for one code (or, with ``code=None``, across codes).

    Attributes
    ----------
    code : str or None
        The code; ``None`` for the overall summary.
    n_segments : Mapping[str, int]
        Coder → number of spans.
    n_chars : Mapping[str, int]
        Coder → characters covered (overlapping spans of one coder count once
        per code).
    chars_intersection, chars_union : int
        Characters both coders of a pair covered / either covered, summed
        over coder pairs and documents (and codes, overall).
    jaccard : Coefficient
        ``chars_intersection / chars_union``: requal's "total overlap".
    segment_overlap : Coefficient
        Mean of requal's segment-level ``is_overlap`` (see :func:`span_overlap`).
    percent : Coefficient
        Character-level percent agreement (needs document lengths).
    kappa : Coefficient
        Character-level Cohen's κ; with three or more coders the mean over
        coder pairs (Light's κ).  Needs document lengths.
    """

    code: str | None
    n_segments: Mapping[str, int]
    n_chars: Mapping[str, int]
    chars_intersection: int
    chars_union: int
    jaccard: Coefficient
    segment_overlap: Coefficient
    percent: Coefficient
    kappa: Coefficient

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: NaN → ``None``, reasons under ``"reasons"``."""
        values, reasons = _json_coefficients({
            "jaccard": self.jaccard,
            "segment_overlap": self.segment_overlap,
            "percent": self.percent,
            "kappa": self.kappa,
        })
        return {
            **values,
            "n_segments": dict(self.n_segments),
            "n_chars": dict(self.n_chars),
            "chars_intersection": self.chars_intersection,
            "chars_union": self.chars_union,
            "reasons": reasons,
        }


@dataclass(frozen=True)
class SpanOverlapResult:
    """Character- and segment-level agreement between coders' spans.

    Attributes
    ----------
    coders : tuple of str
        The coders compared.
    codes : Mapping[str, SpanCodeOverlap]
        Per-code summary.
    overall : SpanCodeOverlap
        Across codes (``code`` is ``None``).
    segments : DataFrame
        requal's segment rows: ``document``, ``code``, ``coder1``, ``coder2``,
        ``segment1``, ``segment2`` (row labels of the input spans, or ``None``)
        and ``is_overlap``.
    pairs : DataFrame
        One row per coder pair and code: ``coder1``, ``coder2``, ``code``,
        ``chars_intersection``, ``chars_union``, ``jaccard``,
        ``segment_overlap`` and, with document lengths, ``percent`` and
        ``kappa``.
    """

    coders: tuple[str, ...]
    codes: Mapping[str, SpanCodeOverlap]
    overall: SpanCodeOverlap
    segments: pd.DataFrame
    pairs: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with ``coders``, ``codes`` and ``overall``."""
        return {
            "coders": list(self.coders),
            "codes": {code: s.to_dict() for code, s in self.codes.items()},
            "overall": self.overall.to_dict(),
        }


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of half-open intervals as sorted, disjoint intervals."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _length(merged: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in merged)


def _intersection(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    """Characters in both of two merged interval lists."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        total += max(0, hi - lo)
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _requal_rows(first: pd.DataFrame, second: pd.DataFrame) -> list[tuple[Any, Any, bool]]:
    """Segment rows of requal's ``calculate_segment_overlap_between_2users``.

    ``first``/``second`` hold one coder's spans (``start``, ``end``, ``label``)
    in segment order.  An overlapping pair (sharing a character) is a True row,
    unless it is not the first partner of one of its segments (requal's
    "overcounted" pairs, dropped).  A segment overlapping nothing is a False
    row.  A segment whose pairs were all dropped gives no row.
    """
    s1, e1 = first["start"].to_numpy(), first["end"].to_numpy()
    s2, e2 = second["start"].to_numpy(), second["end"].to_numpy()
    overlap = (s1[:, None] < e2[None, :]) & (s2[None, :] < e1[:, None])
    first_in_row = np.zeros_like(overlap)
    first_in_col = np.zeros_like(overlap)
    if overlap.size:
        rows_hit = overlap.any(axis=1)
        first_in_row[np.nonzero(rows_hit)[0], overlap.argmax(axis=1)[rows_hit]] = True
        cols_hit = overlap.any(axis=0)
        first_in_col[overlap.argmax(axis=0)[cols_hit], np.nonzero(cols_hit)[0]] = True
    kept = overlap & first_in_row & first_in_col
    labels1, labels2 = first["label"].tolist(), second["label"].tolist()
    rows = [(labels1[i], labels2[j], True) for i, j in zip(*np.nonzero(kept))]
    rows += [(labels1[i], None, False) for i in np.nonzero(~overlap.any(axis=1))[0]]
    rows += [(None, labels2[j], False) for j in np.nonzero(~overlap.any(axis=0))[0]]
    return rows


def _clean_spans(
    spans: pd.DataFrame, coders: tuple[str, ...], document_lengths: Mapping[Hashable, int] | None
) -> pd.DataFrame:
    """Validated spans of ``coders`` with a ``label`` column, sorted by document, code, coder, start."""
    _require_columns(spans, ["document", "code", "start", "end", "coder"], "spans")
    frame = spans[spans["coder"].isin(coders)][["document", "code", "start", "end", "coder"]].copy()
    frame["label"] = frame.index
    for col in ("start", "end"):
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = values.isna() | (values != values.round())
        if bad.any():
            label = frame.index[bad.to_numpy()][0]
            raise AnalysisError(
                f"span row {label!r}: {col} must be a whole number of characters; "
                f"got {frame.at[label, col]!r}"
            )
        frame[col] = values.astype(np.int64)
    bad = (frame["start"] < 0) | (frame["end"] <= frame["start"])
    if bad.any():
        label = frame.index[bad.to_numpy()][0]
        raise AnalysisError(
            f"span row {label!r}: [{frame.at[label, 'start']}, {frame.at[label, 'end']}) "
            "is empty or negative; "
            "offsets are half-open [start, end) with start < end"
        )
    if document_lengths is not None:
        for document, end in frame.groupby("document")["end"].max().items():
            if document not in document_lengths:
                raise AnalysisError(f"document {document!r} has spans but no entry in document_lengths")
            if end > document_lengths[document]:
                raise AnalysisError(
                    f"a span in document {document!r} ends at {end}, "
                    f"beyond its length {document_lengths[document]}"
                )
    return frame.sort_values(["document", "code", "coder", "start", "end"], kind="mergesort")


def _pair_char_table(inter: int, len1: int, len2: int, total: int) -> np.ndarray:
    return np.array([[inter, len1 - inter], [len2 - inter, total - len1 - len2 + inter]], dtype=float)


def span_overlap(
    spans: pd.DataFrame,
    coders: Sequence[str],
    *,
    codes: Sequence[Hashable] | None = None,
    document_lengths: Mapping[Hashable, int] | None = None,
) -> SpanOverlapResult:
    """Agreement between coders' exact character spans.

    For every pair of coders (in the order given) and every (document, code):

    * **Character Jaccard** ("total overlap" in requal): characters both coders
      marked with the code over characters either marked, |A ∩ B| / |A ∪ B|.
      Summed over documents (and pairs) before dividing.
    * **Segment overlap** (requal's ``is_overlap``): each pair of spans sharing
      at least one character is an overlap (True); each span sharing no
      character with the other coder's spans is a miss (False).  As in requal,
      a span overlapping several spans keeps only its first partner (in order
      of start offset; requal uses segment id) and the extra pairs are
      dropped.  The measure is the share of True rows.
    * **Character-level percent agreement and Cohen's κ**, when
      ``document_lengths`` is given: every character of every listed document
      is one binary decision per code.

    Parameters
    ----------
    spans : DataFrame
        Columns ``document``, ``code``, ``start``, ``end``, ``coder``: half-open
        ``[start, end)`` code-point offsets.  requal stores inclusive
        ``[start, end]`` ranges: add 1 to its ``segment_end``.
    coders : sequence of str
        Two or more coders; rows of other coders are ignored.  A listed coder
        with no spans still counts (all the other coder's spans are misses).
    codes : sequence, optional
        Only these codes (default: every code in the coders' spans, sorted).
    document_lengths : mapping, optional
        Document → length in code points, for every document compared
        (documents without spans count as agreement on absence).

    Returns
    -------
    SpanOverlapResult

    References
    ----------
    Jaccard (1912) [12]_; requal [13]_; Cohen (1960) [1]_; Light (1971) [11]_.

    Examples
    --------
    >>> spans = pd.DataFrame({"document": ["d1", "d1"], "code": ["debt", "debt"],
    ...                       "start": [0, 5], "end": [10, 10], "coder": ["A", "B"]})
    >>> r = span_overlap(spans, ["A", "B"], document_lengths={"d1": 20})
    >>> d = r.codes["debt"]
    >>> d.jaccard.value, d.segment_overlap.value, d.percent.value
    (0.5, 1.0, 0.75)
    """
    coder_names = _coder_tuple(coders)
    frame = _clean_spans(spans, coder_names, document_lengths)
    code_list = _code_list(frame, codes)
    if not code_list:
        raise AnalysisError(
            f"there are no spans to compare: none of {', '.join(coder_names)} has a coding; "
            "import their codings first"
        )
    frame = frame[frame["code"].isin(code_list)]
    total_chars = None if document_lengths is None else int(sum(document_lengths.values()))
    groups = {key: g for key, g in frame.groupby(["document", "code", "coder"], sort=False)}

    segment_rows: list[dict[str, Any]] = []
    pair_rows: list[dict[str, Any]] = []
    for code in code_list:
        documents = list(dict.fromkeys(d for d, k, _ in groups if k == code))
        for c1, c2 in combinations(coder_names, 2):
            pair, rows = _compare_pair(groups, frame.iloc[0:0], code, documents, c1, c2, total_chars)
            pair_rows.append(pair)
            segment_rows += rows

    segments = pd.DataFrame(segment_rows, columns=["document", "code", "coder1", "coder2",
                                                   "segment1", "segment2", "is_overlap"], dtype=object)
    segments["is_overlap"] = segments["is_overlap"].astype(bool)
    pair_columns = ["coder1", "coder2", "code", "chars_intersection", "chars_union", "chars_1", "chars_2",
                    "jaccard", "segment_overlap"] + ([] if total_chars is None else ["percent", "kappa"])
    pairs = pd.DataFrame(pair_rows, columns=pair_columns)
    per_code = {
        code: _span_summary(code, frame[frame["code"] == code], pairs[pairs["code"] == code],
                            segments[segments["code"] == code], coder_names, total_chars)
        for code in code_list
    }
    overall = _span_summary(None, frame, pairs, segments, coder_names, total_chars)
    return SpanOverlapResult(coders=coder_names, codes=per_code, overall=overall,
                             segments=segments, pairs=pairs)


def _compare_pair(
    groups: Mapping[tuple, pd.DataFrame],
    empty: pd.DataFrame,
    code: Hashable,
    documents: list[Hashable],
    c1: str,
    c2: str,
    total_chars: int | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One coder pair on one code: the ``pairs`` row and the requal segment rows."""
    inter = union = len1 = len2 = 0
    segment_rows: list[dict[str, Any]] = []
    for document in documents:
        first = groups.get((document, code, c1), empty)
        second = groups.get((document, code, c2), empty)
        m1, m2 = _merge(zip(first["start"], first["end"])), _merge(zip(second["start"], second["end"]))
        both, a, b = _intersection(m1, m2), _length(m1), _length(m2)
        inter, union, len1, len2 = inter + both, union + a + b - both, len1 + a, len2 + b
        segment_rows += [
            {"document": document, "code": code, "coder1": c1, "coder2": c2,
             "segment1": seg1, "segment2": seg2, "is_overlap": hit}
            for seg1, seg2, hit in _requal_rows(first, second)
        ]
    hits = [r["is_overlap"] for r in segment_rows]
    pair = {"coder1": c1, "coder2": c2, "code": code, "chars_intersection": inter,
            "chars_union": union, "chars_1": len1, "chars_2": len2,
            "jaccard": inter / union if union else math.nan,
            "segment_overlap": float(np.mean(hits)) if hits else math.nan}
    if total_chars is not None:
        table = _pair_char_table(inter, len1, len2, total_chars)
        pair["percent"] = np.trace(table) / total_chars if total_chars else math.nan
        pair["kappa"] = cohen_kappa_table(table).value
    return pair, segment_rows


def _span_summary(
    code: Hashable | None,
    frame: pd.DataFrame,
    pairs: pd.DataFrame,
    segments: pd.DataFrame,
    coders: tuple[str, ...],
    total_chars: int | None,
) -> SpanCodeOverlap:
    """Summarise the spans, pair rows and segment rows of one code (or all)."""
    inter = int(pairs["chars_intersection"].sum())
    union = int(pairs["chars_union"].sum())
    n_chars = {
        coder: sum(_length(_merge(zip(g["start"], g["end"])))
                   for _, g in frame[frame["coder"] == coder].groupby(["document", "code"]))
        for coder in coders
    }
    if total_chars is None:
        percent = kappa = Coefficient.undefined(SPAN_NO_LENGTHS)
    else:
        percent, kappa = _char_level(pairs, total_chars)
    return SpanCodeOverlap(
        code=code,
        n_segments={c: int((frame["coder"] == c).sum()) for c in coders},
        n_chars=n_chars,
        chars_intersection=inter,
        chars_union=union,
        jaccard=Coefficient(inter / union) if union else Coefficient.undefined(SPAN_UNUSED),
        segment_overlap=(Coefficient(float(segments["is_overlap"].mean())) if len(segments)
                         else Coefficient.undefined(SPAN_UNUSED)),
        percent=percent,
        kappa=kappa,
    )


def _char_level(pairs: pd.DataFrame, total_chars: int) -> tuple[Coefficient, Coefficient]:
    """Character-level percent and κ, each the mean over coder pairs of the pair's value.

    A pair's 2 × 2 table is summed over the codes in ``pairs``; κ is averaged
    over the pairs where it is defined (Light's κ for three or more coders).
    """
    if total_chars == 0:
        return Coefficient.undefined(EMPTY_TABLE), Coefficient.undefined(EMPTY_TABLE)
    percents, kappas = [], []
    for _, group in pairs.groupby(["coder1", "coder2"], sort=False):
        table = np.zeros((2, 2))
        for row in group.itertuples():
            table += _pair_char_table(row.chars_intersection, row.chars_1, row.chars_2, total_chars)
        percents.append(np.trace(table) / table.sum())
        kappas.append(cohen_kappa_table(table))
    percent = Coefficient(float(np.mean(percents)))
    defined = [k.value for k in kappas if k.defined]
    if not defined:
        reason = SPAN_UNUSED if pairs["chars_union"].sum() == 0 else NO_VARIATION
        return percent, Coefficient.undefined(reason)
    return percent, Coefficient(float(np.mean(defined)))
