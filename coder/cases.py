"""Case attributes from ``cases.csv`` (SPEC §1.3) and the household notation.

``cases.csv`` has one row per case: a ``case`` column, then any attribute
columns.  The sample's ``household`` column lists members separated by ``;``,
each ``relation:sex:age`` with an optional fourth field ``away`` for a member
who does not live in the household, e.g.::

    mother:F:30-39; son:M:14; daughter:F:11; ex-partner:M:30-39:away

:func:`parse_household` turns that into members with a generation, so a
genogram can put children under their parents.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .ingest import decode_bytes

__all__ = ["read_cases", "parse_household", "Member", "GENERATION"]

# Generation of each relation, relative to the index parent (0 = parents' generation).
GENERATION = {
    "great-grandmother": -2, "great-grandfather": -2,
    "grandmother": -1, "grandfather": -1, "nan": -1, "grandad": -1,
    "mother": 0, "father": 0, "stepmother": 0, "stepfather": 0, "partner": 0, "ex-partner": 0,
    "carer": 0, "aunt": 0, "uncle": 0, "wife": 0, "husband": 0,
    "son": 1, "daughter": 1, "stepson": 1, "stepdaughter": 1, "child": 1, "foster-child": 1,
    "brother": 1, "sister": 1, "niece": 1, "nephew": 1,
    "grandson": 2, "granddaughter": 2, "grandchild": 2, "baby": 2,
}


@dataclass(frozen=True)
class Member:
    """A household member; ``away`` marks one who lives elsewhere (in care, in prison, left)."""

    relation: str
    sex: str
    age: str
    away: bool
    generation: int


def parse_household(spec: str, *, where: str = "household") -> list[Member]:
    """Parse the household notation.

    Examples
    --------
    >>> [m.relation for m in parse_household("mother:F:30-39; son:M:14; ex-partner:M:30-39:away")]
    ['mother', 'son', 'ex-partner']
    >>> parse_household("mother:F:30-39; son:M:14")[1].generation
    1
    """
    members = []
    for raw in (p.strip() for p in (spec or "").split(";")):
        if not raw:
            continue
        parts = [p.strip() for p in raw.split(":")]
        if len(parts) < 3 or len(parts) > 4:
            raise InputError(f"{where}: member '{raw}' should be relation:sex:age[:away], e.g. 'son:M:14'")
        relation, sex, age = parts[0].lower(), parts[1].upper(), parts[2]
        if sex not in {"F", "M", "X"}:
            raise InputError(f"{where}: member '{raw}': sex must be F, M or X")
        away = len(parts) == 4 and parts[3].lower() in {"away", "elsewhere", "absent"}
        if len(parts) == 4 and not away:
            raise InputError(f"{where}: member '{raw}': the fourth field may only be 'away'")
        members.append(Member(relation, sex, age, away, GENERATION.get(relation, 0)))
    return members


def read_cases(path: str | Path) -> dict[str, dict[str, str]]:
    """Read a cases CSV into ``{case_id: {attribute: value}}``.

    Raises :class:`InputError` naming the file and line for a missing ``case``
    column, an empty or duplicate case id, or a malformed household cell.
    """
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise InputError("no such cases file", path=shown)
    text, _ = decode_bytes(path.read_bytes(), shown)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "case" not in [f.strip() for f in reader.fieldnames]:
        raise InputError("no 'case' column; the first row must name the columns, starting with 'case'", path=shown, line=1)
    out: dict[str, dict[str, str]] = {}
    for row in reader:
        line = reader.line_num
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        case = row.pop("case", "")
        if not case:
            raise InputError("empty 'case' value", path=shown, line=line)
        if case in out:
            raise InputError(f"case '{case}' appears twice", path=shown, line=line)
        if row.get("household"):
            parse_household(row["household"], where=f"{shown}:{line}: household")
        out[case] = row
    if not out:
        raise InputError("no rows", path=shown)
    return out
