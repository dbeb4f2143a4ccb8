"""store.insert_many: the SQLite fast path stores exactly what SQLAlchemy's Core executemany stores."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from coder import store
from coder.autocode import auto_code
from coder.store import Coding, session_scope

COLUMNS = ("document_id", "code", "start", "end", "coder", "codebook_version_id", "status", "confidence", "method",
           "evidence", "run_id", "created")


def orm_rows(project, coder):
    with session_scope(project.engine) as s:
        return [(c.document_id, c.code, c.start, c.end, c.codebook_version_id, c.status, c.confidence, c.method,
                 c.evidence, c.memo, c.run_id, c.created)
                for c in s.scalars(select(Coding).where(Coding.coder == coder).order_by(Coding.id))]


def raw_rows(project, coder):
    db = sqlite3.connect(str(project.path / "coder.db"))
    try:
        return db.execute("SELECT document_id, code, start, \"end\", codebook_version_id, status, confidence, "
                          "typeof(confidence), method, evidence, typeof(evidence), memo, run_id, created "
                          "FROM codings WHERE coder = ? ORDER BY id", (coder,)).fetchall()
    finally:
        db.close()


def test_fast_insert_stores_what_core_stores(project):
    from coder.store import Coder

    with session_scope(project.engine) as s:
        s.add_all([Coder(name="fast", kind="auto"), Coder(name="core", kind="auto")])
    cbv = project.codebook_version_id()
    values = [
        ("A-mother", "debt", 0, 10, cbv, "accepted", 0.9, "keyword",
         {"rule": "debt", "match": [3, 7], "text": "debt"}, None, "2024-01-01T00:00:00+00:00"),
        ("A-mother", "alcohol", 5, 40, None, "suggested", None, "semantic",
         {"similarity": 0.41234, "nearest": "Ünïcödé “quotes” — and \"escapes\"\n",
          "list": [1, 2.5, None, True]},
         None, "2024-01-01T00:00:00+00:00"),
        ("B-father", "debt", 1, 2, cbv, "accepted", 1e-300, "pattern", {}, None, "x" * 40),
        ("B-father", "debt", 1, 2, cbv, "rejected", 0.35, "keyword", {"hypothetical": "if", "n": -0.0}, None, ""),
    ] * 7  # more rows than one chunk
    for coder, fast in (("fast", True), ("core", False)):
        rows = [(d, c, a, b, coder, v, st, conf, m, ev, run, created) for d, c, a, b, v, st, conf, m, ev, run, created
                in values]
        with session_scope(project.engine) as s:
            store.insert_many(s.connection(), Coding.__table__, COLUMNS, rows, chunk=5, fast=fast)
    assert orm_rows(project, "fast") == orm_rows(project, "core")
    assert raw_rows(project, "fast") == raw_rows(project, "core")  # the stored bytes: JSON text, types, NULLs
    assert len(orm_rows(project, "fast")) == 28
    assert orm_rows(project, "fast")[1][8]["nearest"].startswith("Ünïcödé")


def test_fast_insert_falls_back_when_sqlalchemy_computes_a_default(project):
    """An omitted column with a Python-side default (created) is left to the Core path, which fills it in."""
    cbv = project.codebook_version_id()
    with session_scope(project.engine) as s:
        s.add(store.Coder(name="x", kind="human"))
    with session_scope(project.engine) as s:
        store.insert_many(s.connection(), Coding.__table__, COLUMNS[:-1],
                          [("A-mother", "debt", 0, 10, "x", cbv, "accepted", 1.0, "manual", {"a": 1}, None)])
    (row,) = orm_rows(project, "x")
    assert row[8] == {"a": 1} and len(row[11]) == 25  # utcnow(): 2024-01-01T00:00:00+00:00


@pytest.mark.parametrize("semantic", [False])
def test_auto_code_rows_read_back_as_with_core_executemany(project, monkeypatch, semantic):
    auto_code(project, semantic=semantic)
    fast = orm_rows(project, "auto")
    fast_raw = raw_rows(project, "auto")
    original = store.insert_many
    monkeypatch.setattr(store, "insert_many", lambda *a, **k: original(*a, **{**k, "fast": False}))
    auto_code(project, semantic=semantic)
    core = orm_rows(project, "auto")
    core_raw = raw_rows(project, "auto")
    strip = lambda rows, run_at, created_at: [r[:run_at] + r[run_at + 1:created_at] for r in rows]  # noqa: E731
    assert strip(fast, 10, 11) == strip(core, 10, 11)  # run id and timestamp differ between the two runs
    assert strip(fast_raw, 12, 13) == strip(core_raw, 12, 13)
    assert len(fast) == 9 and all(len(r[11]) == 25 for r in fast)


def test_row_converter_orders_and_processes():
    import json

    from coder.store import _row_converter

    rows = [(1, 2, {"a": 1}, 4), (5, 6, {"b": [2]}, 8)]
    dumps = json.dumps
    assert _row_converter([0, 1, 2, 3], [None, None, dumps, None])(rows) == [(1, 2, '{"a": 1}', 4),
                                                                             (5, 6, '{"b": [2]}', 8)]
    assert _row_converter([3, 2, 0, 1], [None, dumps, None, None])(rows) == [(4, '{"a": 1}', 1, 2),
                                                                             (8, '{"b": [2]}', 5, 6)]
    assert _row_converter([3, 2, 0, 1], [None] * 4)(rows) == [(4, {"a": 1}, 1, 2), (8, {"b": [2]}, 5, 6)]
    assert _row_converter([0, 1, 2, 3], [None] * 4)(rows) == rows
    assert _row_converter([2, 0, 1, 3], [dumps, str, None, None])(rows) == [('{"a": 1}', "1", 2, 4),
                                                                            ('{"b": [2]}', "5", 6, 8)]


def test_fast_insert_restores_the_page_cache_setting(project):
    cbv = project.codebook_version_id()
    with session_scope(project.engine) as s:
        s.add(store.Coder(name="y", kind="human"))
    with session_scope(project.engine) as s:
        conn = s.connection()
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        store.insert_many(conn, Coding.__table__, COLUMNS,
                          [("A-mother", "debt", 0, 10, "y", cbv, "accepted", 1.0, "manual", {}, None, "t")])
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == before
