"""From character-span codings to coding units (SPEC §3).

Comparisons (evaluation, agreement, co-occurrence) work on coding units.  A
unit carries code C for a coder when one of that coder's C codings covers at
least half of the unit, or lies wholly inside it.  The rule makes span-based
human coding (a highlighted phrase, or a passage over three sentences) and
unit-based auto-coding comparable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["assign_units", "unit_carries"]


def unit_carries(unit_start: int, unit_end: int, start: int, end: int) -> bool:
    """True when the coding ``[start, end)`` puts its code on the unit.

    Examples
    --------
    >>> unit_carries(0, 10, 2, 5)    # wholly inside the unit
    True
    >>> unit_carries(0, 10, 5, 20)   # covers half of the unit
    True
    >>> unit_carries(0, 10, 6, 20)   # covers 4 of 10 characters
    False
    """
    overlap = min(unit_end, end) - max(unit_start, start)
    if overlap <= 0:
        return False
    inside = start >= unit_start and end <= unit_end
    return inside or 2 * overlap >= (unit_end - unit_start)


def assign_units(units: pd.DataFrame, codings: pd.DataFrame) -> pd.DataFrame:
    """Map codings (document, code, start, end) to the units (unit_id, document, start, end) they mark.

    Units of one document must not overlap (sentences and turns never do).
    Returns a DataFrame with columns ``unit_id, code``, one row per pair.

    Examples
    --------
    >>> units = pd.DataFrame({"unit_id": ["d@0:10", "d@11:30"], "document": ["d", "d"],
    ...                       "start": [0, 11], "end": [10, 30]})
    >>> codings = pd.DataFrame({"document": ["d", "d"], "code": ["debt", "drugs"],
    ...                         "start": [2, 5], "end": [30, 12]})
    >>> assign_units(units, codings).values.tolist()  # drugs covers 5 of the first unit's 10 characters
    [['d@0:10', 'debt'], ['d@11:30', 'debt'], ['d@0:10', 'drugs']]
    """
    out_units: list[str] = []
    out_codes: list[str] = []
    if len(units) == 0 or len(codings) == 0:
        return pd.DataFrame({"unit_id": pd.Series(dtype=str), "code": pd.Series(dtype=str)})
    by_doc = {d: g.sort_values("start") for d, g in units.groupby("document", sort=False)}
    for doc, cg in codings.groupby("document", sort=False):
        ug = by_doc.get(doc)
        if ug is None:
            continue
        ustart = ug["start"].to_numpy()
        uend = ug["end"].to_numpy()
        uid = ug["unit_id"].to_numpy()
        cs = cg["start"].to_numpy()
        ce = cg["end"].to_numpy()
        codes = cg["code"].to_numpy()
        lo = np.searchsorted(uend, cs, side="right")  # first unit ending after the coding starts
        hi = np.searchsorted(ustart, ce, side="left")  # units starting before the coding ends
        for k in range(len(cs)):
            for j in range(lo[k], hi[k]):
                if unit_carries(ustart[j], uend[j], cs[k], ce[k]):
                    out_units.append(uid[j])
                    out_codes.append(codes[k])
    df = pd.DataFrame({"unit_id": out_units, "code": out_codes})
    return df.drop_duplicates().reset_index(drop=True)
