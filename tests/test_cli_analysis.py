"""network, agreement, evaluate and report on the command line: output shapes and one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coder.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def coded(tmp_path, tiny_codebook, transcripts):
    proj = tmp_path / "p"
    assert run("init", proj, "--codebook", tiny_codebook).exit_code == 0
    assert run("import", proj, transcripts).exit_code == 0
    assert run("code", proj, "--no-semantic").exit_code == 0
    gold = tmp_path / "gold.csv"
    gold.write_text("document,code,quote\nA-mother,domestic_abuse,He used to hit me\n"
                    "A-mother,debt,We got into debt with the catalogue.\nC-mother,debt,The debt was doing my head in.\n")
    assert run("codings", "import", proj, gold, "--coder", "gold").exit_code == 0
    return proj


def test_code_summary(coded):
    r = run("code", coded, "--no-semantic")
    assert r.exit_code == 0
    assert r.stdout.startswith("Coded 9 units (")
    assert "By method: keyword 8, pattern 1" in r.stdout


def test_network_json_shape_at_every_level(coded):
    for level in ("segment", "window", "case"):
        r = run("network", coded, "--level", level, "--json")
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert data["level"] == level
        assert set(data) >= {"nodes", "edges", "links", "loops"}
        for e in data["edges"]:
            assert set(e) >= {"source", "target", "count", "c", "p_target_given_source", "p_source_given_target",
                              "lift", "p_value"}
        for n in data["nodes"]:
            assert set(n) >= {"id", "name", "kind", "frequency", "cases"}


def test_network_exports(coded, tmp_path):
    out = tmp_path / "net"
    r = run("network", coded, "--out", out)
    assert r.exit_code == 0
    assert {p.name for p in out.iterdir()} == {"nodes.csv", "edges.csv", "network.graphml", "network.gexf",
                                               "network.json", "case_code_matrix.csv", "case_code_matrix.xlsx",
                                               "network.svg", "heatmap.svg"}
    import pandas as pd

    xlsx = pd.read_excel(out / "case_code_matrix.xlsx", index_col=0)
    assert list(xlsx.index[-2:]) == ["n cases mentioning", "N cases"] and (xlsx.loc["N cases"] == 3).all()
    assert "<title" in (out / "network.svg").read_text() and "<title" in (out / "heatmap.svg").read_text()


@pytest.mark.parametrize("args,message", [
    (["--coder", "nobody"], "Error: unknown coder 'nobody'; known coders: auto, gold\n"),
    (["--level", "window", "--window", "0"], "Error: --window must be 1 or more (got 0)\n"),
    (["--level", "sentence"], "Error: --level must be segment, window or case (got 'sentence')\n"),
])
def test_network_bad_input_is_one_line(coded, args, message):
    r = run("network", coded, *args)
    assert r.exit_code == 1 and r.stderr == message


def test_network_without_codings(tmp_path, tiny_codebook, transcripts):
    proj = tmp_path / "q"
    run("init", proj, "--codebook", tiny_codebook)
    run("import", proj, transcripts)
    r = run("network", proj)
    assert r.exit_code == 1
    assert r.stderr == "Error: unknown coder 'auto'; known coders: none yet (run 'coder code' to create 'auto')\n"


def test_network_with_no_edges_still_renders_a_note(coded):
    r = run("network", coded, "--level", "case", "--kinds", "support")
    assert r.exit_code == 0
    assert "No pair of codes co-occurs at the case level." in r.stdout


def test_agreement_auto_vs_gold(coded, tmp_path):
    out = tmp_path / "ag"
    r = run("agreement", coded, "--coders", "auto,gold", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["coders"] == ["auto", "gold"] and data["n_units"] == 7  # units of A-mother and C-mother
    assert set(data["overall"]) >= {"percent", "kappa", "alpha"}
    assert set(data["codes"]["debt"]) >= {"percent", "kappa", "alpha", "brennan_prediger"}
    r = run("agreement", coded, "--coders", "auto,gold", "--out", out)
    assert r.exit_code == 0
    listing = (out / "disagreements.csv").read_text()
    assert "Then the bailiffs came." in listing  # auto coded debt there; this gold did not
    html = (out / "disagreements.html").read_text()
    assert html.count("<h1>") == 1 and '<th scope="col">' in html


@pytest.mark.parametrize("coders,message", [
    ("auto,nobody", "Error: unknown coder 'nobody'; known coders: auto, gold\n"),
    ("auto", "Error: --coders needs at least two names, e.g. --coders auto,gold\n"),
])
def test_agreement_bad_input(coded, coders, message):
    r = run("agreement", coded, "--coders", coders)
    assert r.exit_code == 1 and r.stderr == message


def test_agreement_no_documents_in_common(coded, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("document,code,quote\nB-father,debt,we were in arrears on the rent\n")
    run("codings", "import", coded, other, "--coder", "bob")
    r = run("agreement", coded, "--coders", "gold,bob")
    assert r.exit_code == 1
    assert r.stderr == "Error: coders gold, bob have no documents in common; import codings for the same documents first\n"


def test_evaluate_json(coded, tmp_path):
    gold = tmp_path / "gold.csv"
    r = run("evaluate", coded, "--gold", gold, "--json")
    data = json.loads(r.stdout)
    assert set(data) >= {"unit", "codes", "micro", "macro", "focus"}
    assert data["codes"]["debt"]["tp"] == 2
    assert set(data["focus"]) == {"unnamed_gold", "unnamed_recall", "negation_units", "negation_auto", "negation_precision"}
    text = run("evaluate", coded, "--gold", gold).stdout
    assert f"recall on the {data['focus']['unnamed_gold']} gold codings no keyword names:" in text


def test_report_unknown_case_and_kind(coded, tmp_path):
    r = run("report", coded, "--out", tmp_path / "r", "--case", "ZZ")
    assert r.exit_code == 1 and r.stderr.startswith("Error: unknown case 'ZZ'; cases: A, B, C")
    r = run("report", coded, "--out", tmp_path / "r", "--kind", "poster")
    assert r.exit_code == 1 and r.stderr == "Error: --kind must be journey, crosscase, training or all (got 'poster')\n"
    assert not (tmp_path / "r").exists()  # nothing half-written


def test_report_html_for_one_family(coded, tmp_path):
    out = tmp_path / "r"
    r = run("report", coded, "--out", out, "--case", "A", "--kind", "journey", "--format", "html")
    assert r.exit_code == 0, r.output
    html = (out / "journeys" / "A.html").read_text()
    assert html.count("<h1") == 1 and "Annette" not in html and "Quarry" not in html


def test_consensus_coder_keeps_what_both_coders_applied(coded, tmp_path):
    r = run("agreement", coded, "--coders", "auto,gold", "--consensus", "consensus", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["consensus"] == {"coder": "consensus", "codings": 3}
    from coder import Project

    p = Project.open(coded)
    got = sorted(zip(p.codings_frame("consensus")["code"], p.codings_frame("consensus")["quote"]))
    p.close()
    # auto and gold agree on these units; auto's extra "Then the bailiffs came." (debt) is not agreed
    assert got == [("debt", "The debt was doing my head in."), ("debt", "We got into debt with the catalogue."),
                   ("domestic_abuse", "He used to hit me when he'd had a drink.")]
    r = run("agreement", coded, "--coders", "auto,gold", "--consensus", "gold")
    assert r.exit_code == 1 and "cannot also be one of the coders compared" in r.stderr
