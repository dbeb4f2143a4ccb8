"""Codings and links CSV files (SPEC §3): read with row-level errors, write atomically.

A codings row gives a span either as ``start``/``end`` (code points into the
document's plain text) or as a ``quote`` that occurs in it.  Quotes are
matched exactly first, then with any run of whitespace matching any other
(quotes copied out of a word processor lose their line breaks).  A quote
that is missing or occurs more than once is an error naming the row.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import CodingsError
from .ingest import decode_bytes

__all__ = ["read_codings_csv", "read_links_csv", "locate_quote", "write_csv_atomic"]


def _read_rows(file: str | Path, required: set[str]) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    path = Path(file)
    shown = str(path)
    if not path.is_file():
        raise CodingsError("no such file", path=shown)
    text, _ = decode_bytes(path.read_bytes(), shown)
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    missing = required - set(fields)
    if missing:
        raise CodingsError(f"missing column(s) {', '.join(sorted(missing))}; columns found: {', '.join(fields) or 'none'}",
                           path=shown, line=1)
    rows = []
    for row in reader:
        rows.append((reader.line_num, {(k or "").strip(): (v if v is not None else "") for k, v in row.items() if k is not None}))
    if not rows:
        raise CodingsError("no rows", path=shown)
    return shown, rows


def locate_quote(quote: str, text: str) -> list[tuple[int, int]]:
    """All places ``quote`` occurs in ``text``: exact matches, else whitespace-insensitive ones.

    Examples
    --------
    >>> locate_quote("got evicted", "we got\\nevicted. We got evicted again")  # the exact match wins
    [(19, 30)]
    >>> locate_quote("got  evicted", "we got\\nevicted.")
    [(3, 14)]
    """
    quote = quote.strip()
    if not quote:
        return []
    exact = [(m.start(), m.end()) for m in re.finditer(re.escape(quote), text)]
    if exact:
        return exact
    pattern = r"\s+".join(re.escape(w) for w in quote.split())
    return [(m.start(), m.end()) for m in re.finditer(pattern, text)]


def _span(row: dict[str, str], text: str, shown: str, line: int, doc: str) -> tuple[int, int]:
    start_s, end_s, quote = row.get("start", "").strip(), row.get("end", "").strip(), row.get("quote", "")
    if start_s or end_s:
        try:
            start, end = int(start_s), int(end_s)
        except ValueError:
            raise CodingsError(f"start/end must be whole numbers (got '{start_s}', '{end_s}')", path=shown, line=line) from None
        if not 0 <= start < end <= len(text):
            raise CodingsError(f"span [{start}, {end}) is outside document '{doc}' (0–{len(text)})", path=shown, line=line)
        if quote.strip() and " ".join(quote.split()) != " ".join(text[start:end].split()):
            raise CodingsError(f"quote does not match the text at [{start}, {end}) of '{doc}'; fix the offsets or the quote",
                               path=shown, line=line)
        return start, end
    if not quote.strip():
        raise CodingsError("give either start and end, or a quote", path=shown, line=line)
    hits = locate_quote(quote, text)
    if not hits:
        raise CodingsError(f"quote not found in document '{doc}': \"{_short(quote)}\"", path=shown, line=line)
    if len(hits) > 1:
        raise CodingsError(f"quote occurs {len(hits)} times in '{doc}'; lengthen it or give start and end: \"{_short(quote)}\"",
                           path=shown, line=line)
    return hits[0]


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _coder(row: dict[str, str], coder: str | None, shown: str, line: int) -> str:
    name = coder or row.get("coder", "").strip()
    if not name:
        raise CodingsError("no coder: add a 'coder' column or pass --coder NAME", path=shown, line=line)
    return name


def _document(row, texts, shown, line) -> str:
    doc = row.get("document", "").strip()
    if doc not in texts:
        known = ", ".join(sorted(texts)[:8]) + ("…" if len(texts) > 8 else "")
        raise CodingsError(f"unknown document '{doc}'; documents in the project: {known or 'none'}", path=shown, line=line)
    return doc


def read_codings_csv(file: str | Path, *, texts: dict[str, str], codes: set[str], coder: str | None = None) -> list[dict[str, Any]]:
    """Read and check a codings CSV against the project's texts and codes."""
    shown, rows = _read_rows(file, {"document", "code"})
    out = []
    for line, row in rows:
        doc = _document(row, texts, shown, line)
        code = row.get("code", "").strip()
        if code not in codes:
            raise CodingsError(f"unknown code '{code}'; add it to the codebook or fix the id", path=shown, line=line)
        start, end = _span(row, texts[doc], shown, line, doc)
        memo = row.get("memo", "").strip() or None
        out.append({"document": doc, "code": code, "start": start, "end": end,
                    "coder": _coder(row, coder, shown, line), "memo": memo, "line": line})
    return out


def read_links_csv(file: str | Path, *, texts: dict[str, str], codes: set[str], coder: str | None = None) -> list[dict[str, Any]]:
    """Read and check a links CSV (document, from_code, to_code, quote)."""
    shown, rows = _read_rows(file, {"document", "from_code", "to_code"})
    out = []
    for line, row in rows:
        doc = _document(row, texts, shown, line)
        for key in ("from_code", "to_code"):
            if row.get(key, "").strip() not in codes:
                raise CodingsError(f"unknown {key} '{row.get(key, '').strip()}'; add it to the codebook or fix the id",
                                   path=shown, line=line)
        start, end = _span(row, texts[doc], shown, line, doc)
        out.append({"document": doc, "from_code": row["from_code"].strip(), "to_code": row["to_code"].strip(),
                    "start": start, "end": end, "quote": texts[doc][start:end],
                    "coder": _coder(row, coder, shown, line), "line": line})
    return out


def write_csv_atomic(df: pd.DataFrame, file: str | Path) -> None:
    """Write a CSV via a temporary file and rename, so a reader never sees half a file."""
    path = Path(file)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            df.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
