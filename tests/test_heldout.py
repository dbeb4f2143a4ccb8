"""The held-out check (benchmarks/heldout_eval.py): codebook, gold conversion, import diagnostics.

The real-data tests read the Mannheimer interviews from ``../shared/testdata`` at run time and skip
when that folder is absent; nothing from them is stored in the repository.  The embedding model is
never loaded here: the full scoring run is the benchmark's job.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from coder.codebook import load_codebook
from coder.codings_io import read_codings_csv

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "heldout_eval.py"
MATERIAL = REPO.parent / "shared" / "testdata" / "mannheimer_interviews"


def _load_script():
    spec = importlib.util.spec_from_file_location("heldout_eval", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


he = _load_script()


@pytest.fixture(scope="module")
def material() -> Path:
    if not (MATERIAL / "qualcoder_export" / "codings.csv").is_file():
        pytest.skip(f"held-out material not found at {MATERIAL} (the tests read ../shared/testdata when it exists)")
    return MATERIAL


@pytest.fixture(scope="module")
def prepared(material, tmp_path_factory):
    prep = he.prepare(material, tmp_path_factory.mktemp("heldout") / "project")
    yield prep
    prep["project"].close()


def test_codebook_validates_and_covers_every_category():
    cb = load_codebook(he.CODEBOOK)
    assert cb.unit == "sentence"
    assert tuple(cb.code_speakers) == ("participant",)
    assert set(he.CATEGORY_CODES.values()) == set(cb.ids)
    assert 8 <= len(cb.ids) <= 12
    for code in cb.codes:
        assert code.definition and code.include and 3 <= len(code.examples) <= 6, code.id
        assert code.keywords or code.patterns, code.id


def test_main_skips_without_material(tmp_path, capsys):
    assert he.main(["--shared", str(tmp_path)]) == 0
    assert "skipped" in capsys.readouterr().err


def test_keep_inside_repository_is_refused(tmp_path, capsys):
    assert he.main(["--shared", str(tmp_path), "--keep", str(REPO / "heldout-project")]) == 1
    assert "inside the repository" in capsys.readouterr().err
    assert not (REPO / "heldout-project").exists()


def test_every_fine_code_maps_to_a_codebook_code(material):
    codes = he.code_map(material)
    assert len(codes) == 230  # EXPECTED_VALUES.md §5
    assert all(info["code"] is not None for info in codes.values())
    by_name = {info["name"]: info["code"] for info in codes.values()}
    # filed under a category of another prefix: the top-level category decides
    assert by_name["curation - researcher reluctance to share data"] == "disciplinary"
    assert by_name["IP - privacy of participants more important than IP"] == "responsible_practice"
    assert by_name["consent - IRB"] == "informed_consent"


def test_gold_conversion_quotes_equal_the_imported_text(prepared):
    texts, rows, report = prepared["texts"], prepared["rows"], prepared["report"]
    assert rows
    for r in rows:
        assert r["quote"] == texts[r["document"]][r["start"]:r["end"]]
    # the counts the script prints are the counts of what it wrote
    assert report["passages"] == 753  # EXPECTED_VALUES.md §5
    assert report["mapped"] + report["unmapped"] == report["passages"]
    assert sum(report["how_mapped"].values()) == report["mapped"]
    assert sum(report["speaker_turns"].values()) == report["mapped"]
    assert report["gold_rows"] + report["duplicate_rows_merged"] == report["mapped"] == len(rows) + report["duplicate_rows_merged"]
    assert report["gold_rows_marking_a_unit"] + report["gold_rows_marking_no_unit"] == report["gold_rows"]
    # every passage's text is in the plain text coder imported (EXPECTED_VALUES: seltext == file[pos0:pos1])
    assert report["mapped"] == 753 and report["unmapped"] == 0


def test_gold_csv_is_read_by_coder(prepared):
    project, gold_file, rows = prepared["project"], prepared["gold_file"], prepared["rows"]
    with open(gold_file, encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header[:5] == ["document", "code", "start", "end", "quote"]
    read = read_codings_csv(gold_file, texts=project.texts(), codes=set(project.codebook().ids), coder="gold")
    assert [(r["document"], r["code"], r["start"], r["end"]) for r in read] == \
        [(r["document"], r["code"], r["start"], r["end"]) for r in rows]


def test_sidecars_make_sara_mannheimer_the_interviewer(prepared):
    tf = prepared["project"].turns_frame()
    assert set(tf.loc[tf["role"] == "interviewer", "label"]) == {he.INTERVIEWER}
    assert he.INTERVIEWER not in set(tf.loc[tf["role"] == "participant", "label"])
    assert prepared["documents"] == 28
    assert prepared["units"] > 0
