"""The project store: init, import, re-import, replace, codings in/out, schema versions."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from coder import Project
from coder.errors import CodingsError, InputError, ProjectError, SchemaVersionError
from coder import store

from .conftest import TRANSCRIPT_A


def test_init_creates_sqlite_in_wal_mode_with_foreign_keys(project):
    db = project.path / "coder.db"
    assert db.is_file()
    with project.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    raw = sqlite3.connect(db)
    assert raw.execute("select value from meta where key='schema_version'").fetchone()[0] == str(store.SCHEMA_VERSION)


def test_init_refuses_existing_project(project):
    with pytest.raises(ProjectError, match="is already a coder project"):
        Project.init(project.path)


def test_open_missing_project(tmp_path):
    with pytest.raises(ProjectError, match=r"is not a coder project \(no coder.db\); create it with 'coder init"):
        Project.open(tmp_path / "nothing")


def test_import_documents_turns_units(project):
    docs = project.documents_frame()
    assert list(docs["document"]) == ["A-mother", "B-father", "C-mother"]
    assert list(docs["case"]) == ["A", "B", "C"]
    units = project.units_frame()
    # only participant sentences are units; interviewer talk is never a unit by default
    assert set(units["role"]) == {"participant"}
    a = units[units["document"] == "A-mother"]["text"].tolist()
    assert a == ["He used to hit me when he'd had a drink.", "We got into debt with the catalogue.",
                 "Then the bailiffs came.", "Kyle got excluded in Year 9.", "The family worker helped us."]
    texts = project.texts()
    for r in units.itertuples():
        assert texts[r.document][r.start:r.end] == r.text
    assert list(units.groupby("document")["position"].min()) == [0, 0, 0]


def test_turn_units(project):
    turns = project.units_frame(unit="turn")
    assert len(turns) == 4  # two participant turns in A, one in B, one in C
    everyone = project.units_frame(unit="turn", roles=["participant", "interviewer"])
    assert len(everyone) == 8


def test_reimport_unchanged_changes_nothing(project, transcripts):
    before = project.runs_frame()
    report = project.import_files([transcripts])
    assert report.added == [] and sorted(report.unchanged) == ["A-mother", "B-father", "C-mother"]
    assert len(project.runs_frame()) == len(before)  # not even an audit row: nothing happened


def test_changed_file_refused_without_replace(project, transcripts):
    (transcripts / "A-mother.txt").write_text(TRANSCRIPT_A.replace("Year 9", "Year 10"))
    with pytest.raises(InputError, match="document 'A-mother' already exists with different content .* use --replace"):
        project.import_files([transcripts])


def test_replace_reanchors_codings_and_reports_dropped(project, transcripts, tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text("document,code,quote\nA-mother,debt,We got into debt with the catalogue.\n"
                   "A-mother,school_exclusion,Kyle got excluded in Year 9.\n")
    project.import_codings(csv, coder="ann")
    new = TRANSCRIPT_A.replace("INT: And the school?", "INT: And the school? Take your time.").replace(
        "Kyle got excluded in Year 9.", "Kyle got sent home in Year 9.")
    (transcripts / "A-mother.txt").write_text(new)
    report = project.import_files([transcripts], replace=True)
    assert report.replaced == ["A-mother"] and report.reanchored == 1
    assert [d["quote"] for d in report.dropped] == ["Kyle got excluded in Year 9."]
    codings = project.codings_frame("ann")
    assert codings["quote"].tolist() == ["We got into debt with the catalogue."]


def test_cases_csv_joins_attributes_and_rejects_unknown_case(project, transcripts, tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text("case,household,area\nA,mother:F:30-39; son:M:14,urban\nB,father:M:40-49,rural\n")
    project.import_files([transcripts], cases=cases)
    frame = project.cases_frame().set_index("case")
    assert frame.loc["A", "area"] == "urban" and frame.loc["B", "household"] == "father:M:40-49"
    bad = tmp_path / "bad.csv"
    bad.write_text("case,area\nZ,urban\n")
    with pytest.raises(InputError, match=r"bad.csv: case 'Z' has no documents"):
        project.import_files([transcripts], cases=bad)


def test_cases_csv_errors(project, transcripts, tmp_path):
    bad = tmp_path / "nocase.csv"
    bad.write_text("family,area\nA,urban\n")
    with pytest.raises(InputError, match=r"nocase.csv:1: no 'case' column"):
        project.import_files([transcripts], cases=bad)
    dup = tmp_path / "dup.csv"
    dup.write_text("case,area\nA,urban\nA,rural\n")
    with pytest.raises(InputError, match=r"dup.csv:3: case 'A' appears twice"):
        project.import_files([transcripts], cases=dup)


def test_bad_file_in_batch_imports_nothing(project, transcripts, tmp_path):
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "ok.txt").write_text("---\ndocument: D\n---\nINT: hi\nDEB: hello\n")
    (folder / "zz-empty.txt").write_text("")
    with pytest.raises(InputError, match="zz-empty.txt: file is empty"):
        project.import_files([folder])
    assert "D" not in project.documents_frame()["document"].tolist()


def test_duplicate_document_ids_in_one_import(project, tmp_path):
    folder = tmp_path / "dups"
    folder.mkdir()
    (folder / "x1.txt").write_text("---\ndocument: X\n---\nINT: hi\nDEB: a\n")
    (folder / "x2.txt").write_text("---\ndocument: X\n---\nINT: hi\nDEB: b\n")
    with pytest.raises(InputError, match="document id 'X' is also used by"):
        project.import_files([folder])


# --------------------------------------------------------------------------- codebook versions


def test_codebook_version_stored_only_on_change(project, tiny_codebook):
    again = project.set_codebook(tiny_codebook)
    assert again.changed is False
    tiny_codebook.write_text(tiny_codebook.read_text().replace("version: 1.0.0", "version: 1.1.0"))
    changed = project.set_codebook(tiny_codebook)
    assert changed.changed is True and changed.revision == 2
    versions = project.codebook_versions()
    assert versions["version"].tolist() == ["1.0.0", "1.1.0"]
    assert project.codebook().version == "1.1.0"


# --------------------------------------------------------------------------- codings


def test_codings_import_by_quote_and_offsets_roundtrip(project, tmp_path):
    texts = project.texts()
    start = texts["B-father"].index("we were in arrears")
    csv = tmp_path / "c.csv"
    csv.write_text(
        "document,code,start,end,quote,memo\n"
        f"B-father,debt,{start},{start + 18},we were in arrears,offset row\n"
        "A-mother,domestic_abuse,,,He used to hit me,\n"
        "C-mother,debt,,,The debt was doing   my head in.,spaces differ\n"
    )
    report = project.import_codings(csv, coder="ann")
    assert report.codings == 3 and report.documents == ["A-mother", "B-father", "C-mother"]
    frame = project.codings_frame("ann")
    assert sorted(frame["quote"]) == ["He used to hit me", "The debt was doing my head in.", "we were in arrears"]
    out = tmp_path / "out.csv"
    assert project.export_codings(out, coder="ann") == 3
    exported = pd.read_csv(out)
    assert list(exported.columns[:6]) == ["document", "code", "start", "end", "quote", "coder"]
    # exported file re-imports to the same codings for another coder
    project.import_codings(out, coder="bob")
    assert sorted(project.codings_frame("bob")["quote"]) == sorted(frame["quote"])


def test_codings_reimport_replaces_that_coder_only(project, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("document,code,quote\nA-mother,debt,We got into debt\n")
    b = tmp_path / "b.csv"
    b.write_text("document,code,quote\nA-mother,debt,the bailiffs came\n")
    project.import_codings(a, coder="ann")
    project.import_codings(b, coder="bob")
    a.write_text("document,code,quote\nA-mother,school_exclusion,Kyle got excluded\n")
    report = project.import_codings(a, coder="ann")
    assert report.replaced == 1
    assert project.codings_frame("ann")["code"].tolist() == ["school_exclusion"]
    assert project.codings_frame("bob")["code"].tolist() == ["debt"]


@pytest.mark.parametrize("row,message", [
    ("A-mother,debt,,,not in the text at all", r"c.csv:2: quote not found in document 'A-mother'"),
    ("A-mother,debt,,,the", r"c.csv:2: quote occurs \d+ times in 'A-mother'; lengthen it or give start and end"),
    ("Z-nobody,debt,,,x", r"c.csv:2: unknown document 'Z-nobody'; documents in the project: A-mother, B-father, C-mother"),
    ("A-mother,dbt,,,We got into debt", r"c.csv:2: unknown code 'dbt'; add it to the codebook or fix the id"),
    ("A-mother,debt,5,2,", r"c.csv:2: span \[5, 2\) is outside document 'A-mother'"),
    ("A-mother,debt,0,5,wrong words", r"c.csv:2: quote does not match the text at \[0, 5\) of 'A-mother'"),
])
def test_codings_errors_name_the_row(project, tmp_path, row, message):
    csv = tmp_path / "c.csv"
    csv.write_text("document,code,start,end,quote\n" + row + "\n")
    with pytest.raises(CodingsError, match=message):
        project.import_codings(csv, coder="ann")
    assert project.coders().empty  # nothing written


def test_auto_is_reserved(project, tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text("document,code,quote\nA-mother,debt,We got into debt\n")
    with pytest.raises(CodingsError, match="coder name 'auto' is reserved"):
        project.import_codings(csv, coder="auto")


def test_unit_codes_half_coverage_rule(project, tmp_path):
    texts = project.texts()
    t = texts["A-mother"]
    s = t.index("We got into debt")
    csv = tmp_path / "c.csv"
    # covers the second half of "We got into debt with the catalogue." and all of "Then the bailiffs came."
    mid = s + len("We got into debt with the catalogue.") // 2
    end = t.index("Then the bailiffs came.") + len("Then the bailiffs came.")
    csv.write_text(f"document,code,start,end\nA-mother,debt,{mid},{end}\nA-mother,domestic_abuse,{t.index('hit me')},{t.index('hit me') + 6}\n")
    project.import_codings(csv, coder="ann")
    uc = project.unit_codes("ann")
    units = project.units_frame().set_index("unit_id")["text"]
    got = sorted((units[u], c) for u, c in zip(uc["unit_id"], uc["code"]))
    assert got == [("He used to hit me when he'd had a drink.", "domestic_abuse"),
                   ("Then the bailiffs came.", "debt"),
                   ("We got into debt with the catalogue.", "debt")]


def test_links_import(project, tmp_path):
    csv = tmp_path / "l.csv"
    csv.write_text("document,from_code,to_code,quote\nC-mother,debt,school_exclusion,After we got evicted the kids stopped going to school.\n")
    report = project.import_links(csv, coder="ann")
    assert report.links == 1
    links = project.links_frame("ann")
    assert links[["case", "from_code", "to_code"]].values.tolist() == [["C", "debt", "school_exclusion"]]


def test_unknown_coder(project):
    with pytest.raises(Exception, match="unknown coder 'nobody'; known coders: none yet"):
        project.codings_frame("nobody")


# --------------------------------------------------------------------------- schema versions


def test_other_schema_version_gives_migration_path(project, monkeypatch):
    path = project.path
    project.close()
    raw = sqlite3.connect(path / "coder.db")
    raw.execute("update meta set value='0' where key='schema_version'")
    raw.commit()
    raw.close()
    with pytest.raises(SchemaVersionError) as e:
        Project.open(path)
    assert str(e.value) == f"{path} uses schema version 0; this coder uses 1. Back it up, then run 'coder migrate {path}'"
    # with no migration registered the path is explicit, not a crash
    from coder.store import make_engine, migrate
    engine = make_engine(f"sqlite:///{path / 'coder.db'}")
    with pytest.raises(SchemaVersionError, match="no migration from schema version 0 to 1"):
        migrate(engine)
    ran = []
    monkeypatch.setitem(store.MIGRATIONS, 0, lambda s: ran.append(True))
    assert migrate(engine) == (0, 1)
    engine.dispose()
    assert ran == [True]
    Project.open(path).close()


def test_newer_schema_version(project):
    path = project.path
    project.close()
    raw = sqlite3.connect(path / "coder.db")
    raw.execute("update meta set value='99' where key='schema_version'")
    raw.commit()
    raw.close()
    with pytest.raises(SchemaVersionError, match="was written by a newer coder .* upgrade coder"):
        Project.open(path)


def test_audit_trail_records_versions(project):
    runs = project.runs_frame()
    assert runs["command"].tolist() == ["init", "codebook", "import"]
    assert "spacy" in runs.iloc[-1]["versions"] and runs.iloc[-1]["versions"]["segmenter"] == "blank:en"


def test_database_without_a_project_is_a_clear_error(tmp_path):
    import sqlite3

    folder = tmp_path / "notaproject"
    folder.mkdir()
    sqlite3.connect(folder / "coder.db").execute("create table other (x int)")
    with pytest.raises(ProjectError, match="is not a coder project database .no schema version.; create one with 'coder init'"):
        Project.open(folder)


def test_replace_takes_up_new_turns_of_an_unchanged_file(tmp_path):
    """Same file, other roles (or a fixed parser): --replace re-reads it; a plain re-import does not."""
    f = tmp_path / "t" / "call.txt"
    f.parent.mkdir()
    f.write_text("Alex Smith  00:00\nHow was the move?\n\nJo Bloggs  00:05\nWe got evicted in March.\n", encoding="utf-8")
    p = Project.init(tmp_path / "proj")
    p.import_files([f])
    assert set(p.units_frame()["text"]) == {"How was the move?", "We got evicted in March."}  # both participants
    assert p.import_files([f], interviewer=["Alex Smith"]).unchanged == ["call"]
    report = p.import_files([f], interviewer=["Alex Smith"], replace=True)
    assert report.replaced == ["call"]
    assert p.units_frame()["text"].tolist() == ["We got evicted in March."]
