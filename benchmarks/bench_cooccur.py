"""Benchmark: code co-occurrence at the segment and window levels.

Run from the repository root::

    .venv/bin/python benchmarks/bench_cooccur.py            # 100k, 300k, 1M units
    .venv/bin/python benchmarks/bench_cooccur.py --quick    # 10k, 100k only

What it shows: :func:`coder.cooccur.cooccurrence` (sparse matrix products,
plus every measure, hypergeometric p-values and Benjamini–Hochberg q-values
for all 124,750 pairs of 500 codes) grows about linearly with the number of
coding units, and is compared in the same run with two naive baselines that
only *count*:

* segment level: a pandas self-merge of the unit–code table on ``unit_id``
  (then filter ``a < b`` and group), on 100,000 units;
* window level: a Python loop over units with sets (the literal ENA
  definition), on 10,000 units.

``ratio`` = baseline seconds / coder seconds at the same size (higher is
better for coder).  Data: random and seeded; 500 codes with Zipf-like
popularity, 2 or 3 codes per unit, documents of 200 units, two documents per
case.  Timings are wall-clock, best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from coder.cooccur import cooccurrence

N_CODES = 500
DOC_LEN = 200
WINDOW = 3


def make_data(n_units: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random units and unit codes (seeded)."""
    rng = np.random.default_rng(seed)
    ids = pd.Index("u" + pd.Series(np.arange(n_units)).astype(str))
    doc = np.arange(n_units) // DOC_LEN
    units = pd.DataFrame(
        {
            "unit_id": ids,
            "document": "d" + pd.Series(doc).astype(str),
            "case": "c" + pd.Series(doc // 2).astype(str),
            "position": np.arange(n_units) % DOC_LEN,
        }
    )
    per_unit = rng.integers(2, 4, size=n_units)  # 2 or 3 codes per unit
    weights = 1.0 / (np.arange(N_CODES) + 10.0)
    codes = rng.choice(N_CODES, size=int(per_unit.sum()), p=weights / weights.sum())
    unit_codes = pd.DataFrame(
        {
            "unit_id": np.repeat(ids.to_numpy(), per_unit),
            "code": pd.Categorical.from_codes(codes, [f"k{i:03d}" for i in range(N_CODES)]).astype(str),
        }
    )
    return units, unit_codes


def naive_segment(unit_codes: pd.DataFrame) -> pd.Series:
    """Baseline: pandas self-merge on unit_id, count pairs."""
    uc = unit_codes.drop_duplicates()
    pairs = uc.merge(uc, on="unit_id")
    pairs = pairs[pairs.code_x < pairs.code_y]
    return pairs.groupby(["code_x", "code_y"]).size()


def naive_window(units: pd.DataFrame, unit_codes: pd.DataFrame, window: int) -> dict:
    """Baseline: the ENA moving window written as a Python loop with sets."""
    on = unit_codes.groupby("unit_id")["code"].apply(set).to_dict()
    counts: dict = {}
    for _, doc in units.sort_values(["document", "position"]).groupby("document", sort=False):
        ids = doc.unit_id.tolist()
        for i, uid in enumerate(ids):
            here = on.get(uid, set())
            if not here:
                continue
            win = set().union(*(on.get(u, set()) for u in ids[max(0, i - window + 1) : i + 1]))
            for p in {(a, b) if a < b else (b, a) for a in here for b in win if a != b}:
                counts[p] = counts.get(p, 0) + 1
    return counts


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 10k and 100k units")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 300_000, 1_000_000]

    rows: list[tuple[str, str, str, float, str]] = []
    data = {n: make_data(n) for n in sizes}
    ours: dict[tuple[int, str], float] = {}
    for n in sizes:
        units, unit_codes = data[n]
        for level in ("segment", "window"):
            secs, cooc = best_of(
                lambda: cooccurrence(unit_codes, units, level=level, window=WINDOW), args.repeat
            )
            ours[(n, level)] = secs
            rows.append((f"{n:,}", level, "coder.cooccurrence", secs, ""))

    # baselines, checked against coder's counts
    units, unit_codes = data[100_000]
    secs, naive = best_of(lambda: naive_segment(unit_codes), args.repeat)
    cooc = cooccurrence(unit_codes, units)
    mine = cooc.edges.set_index(["source", "target"])["count"]
    assert mine.sort_index().equals(naive.rename_axis(["source", "target"]).rename("count").sort_index())
    rows.append(("100,000", "segment", "pandas self-merge", secs, f"{secs / ours[(100_000, 'segment')]:.1f}x"))

    units, unit_codes = data[10_000]
    secs, naive = best_of(lambda: naive_window(units, unit_codes, WINDOW), args.repeat)
    cooc = cooccurrence(unit_codes, units, level="window", window=WINDOW)
    assert {(r.source, r.target): r.count for r in cooc.edges.itertuples()} == naive
    rows.append(("10,000", "window", "Python loop", secs, f"{secs / ours[(10_000, 'window')]:.1f}x"))

    print(f"{N_CODES} codes, ~2.5 codes/unit, documents of {DOC_LEN} units, window {WINDOW}")
    print(f"{'units':>10}  {'level':<8} {'method':<20} {'seconds':>8}  {'ratio':>7}")
    for size, level, method, secs, ratio in rows:
        print(f"{size:>10}  {level:<8} {method:<20} {secs:8.3f}  {ratio:>7}")


if __name__ == "__main__":
    main()
