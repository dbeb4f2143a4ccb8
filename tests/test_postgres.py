"""The same code on PostgreSQL. Runs when CODER_TEST_PG_URL names an empty database
(e.g. postgresql+psycopg://coder:coder@127.0.0.1/coder_test); skipped otherwise."""

from __future__ import annotations

import os

import pytest

from coder import Project
from coder.autocode import auto_code

URL = os.environ.get("CODER_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not URL, reason="set CODER_TEST_PG_URL to an empty PostgreSQL database to run")


@pytest.fixture
def pg_url():
    from sqlalchemy import create_engine

    from coder.store import Base

    engine = create_engine(URL)
    Base.metadata.drop_all(engine)
    engine.dispose()
    yield URL


def test_project_on_postgresql(tmp_path, tiny_codebook, transcripts, pg_url):
    p = Project.init(tmp_path / "pg", codebook=tiny_codebook, db=pg_url)
    p.import_files([transcripts])
    assert p.import_files([transcripts]).unchanged  # idempotent re-import
    auto_code(p, semantic=False)
    assert len(p.codings_frame("auto")) == 9
    p.close()
    q = Project.open(tmp_path / "pg", db=pg_url)
    assert q.documents_frame()["document"].tolist() == ["A-mother", "B-father", "C-mother"]
    q.close()


def test_auto_codes_and_units_as_on_sqlite(tmp_path, tiny_codebook, transcripts, pg_url):
    """The generic Core paths (insert, rows) on PostgreSQL store and read what SQLite's fast paths do."""
    from pandas.testing import assert_frame_equal

    on_pg = Project.init(tmp_path / "pg", codebook=tiny_codebook, db=pg_url)
    on_sqlite = Project.init(tmp_path / "lite", codebook=tiny_codebook)
    frames = []
    for p in (on_pg, on_sqlite):
        p.import_files([transcripts])
        auto_code(p, semantic=False)
        codings = p.codings_frame("auto").drop(columns=["id"])
        codings["evidence"] = codings["evidence"].map(repr)
        frames.append((p.units_frame(), p.units_frame(unit="turn"), codings))
        p.close()
    for a, b in zip(*frames):
        assert_frame_equal(a, b)
    assert len(frames[0][2]) == 9
