"""The command line, run in-process with typer's CliRunner: output, --json and exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coder.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def cli_project(tmp_path, tiny_codebook, transcripts):
    proj = tmp_path / "p"
    r = run("init", proj, "--codebook", tiny_codebook)
    assert r.exit_code == 0, r.output
    assert r.stdout == f"Created project {proj} with codebook 'tiny' (6 codes)\n"
    r = run("import", proj, transcripts)
    assert r.exit_code == 0, r.output
    return proj


def test_import_summary_and_idempotence(cli_project, transcripts):
    r = run("import", cli_project, transcripts)
    assert r.exit_code == 0
    assert r.stdout == "Imported 0 new, 0 replaced, 3 unchanged document(s): 0 turns, 0 sentences; 0 new case(s).\n"


def test_import_json(tmp_path, tiny_codebook, transcripts):
    proj = tmp_path / "q"
    run("init", proj)
    r = run("import", proj, transcripts, "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["added"] == ["A-mother", "B-father", "C-mother"] and data["turns"] == 8


def test_user_error_is_one_line_exit_1(cli_project, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    r = run("import", cli_project, empty)
    assert r.exit_code == 1
    assert r.stderr == f"Error: {empty}: file is empty; nothing to import\n"
    assert "Traceback" not in r.output


def test_missing_project_exit_1(tmp_path):
    r = run("info", tmp_path / "nope")
    assert r.exit_code == 1
    assert r.stderr == f"Error: {tmp_path / 'nope'} is not a coder project (no coder.db); create it with 'coder init {tmp_path / 'nope'}'\n"


def test_bad_usage_exit_2(cli_project):
    assert run("import").exit_code == 2
    assert run("frobnicate").exit_code == 2
    assert run("import", cli_project, "x", "--format").exit_code == 2


def test_codebook_command(cli_project, tiny_codebook, tmp_path):
    r = run("codebook", cli_project, tiny_codebook)
    assert r.stdout == "Codebook 'tiny' unchanged (revision 1).\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("codes:\n  - id: a\n    name: A\n    color: red\n")
    r = run("codebook", cli_project, bad)
    assert r.exit_code == 1
    assert r.stderr == f"Error: {bad}:4: codes[0].color: 'red' is not a colour like \"#b03a2e\"\n"
    r = run("codebook", cli_project, tiny_codebook, "--json")
    assert json.loads(r.stdout)["changed"] is False


def test_codings_import_export(cli_project, tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text("document,code,quote\nA-mother,debt,We got into debt\n")
    r = run("codings", "import", cli_project, csv, "--coder", "ann")
    assert r.exit_code == 0 and r.stdout == "Imported 1 coding(s) by ann on 1 document(s) (replaced 0).\n"
    out = tmp_path / "out.csv"
    r = run("codings", "export", cli_project, out, "--coder", "ann", "--json")
    assert json.loads(r.stdout) == {"file": str(out), "codings": 1}
    assert "We got into debt" in out.read_text()
    bad = tmp_path / "bad.csv"
    bad.write_text("document,code,quote\nA-mother,debt,no such words\n")
    r = run("codings", "import", cli_project, bad, "--coder", "ann")
    assert r.exit_code == 1
    assert r.stderr == f"Error: {bad}:2: quote not found in document 'A-mother': \"no such words\"\n"


def test_info_json(cli_project):
    r = run("info", cli_project, "--json")
    data = json.loads(r.stdout)
    assert data["documents"] == 3 and data["cases"] == 3 and data["codebook"]["codes"] == 6


def test_every_command_has_help():
    from typer.main import get_command

    group = get_command(app)
    for name, cmd in group.commands.items():
        assert cmd.help, f"command {name} has no help"
        r = run(name, "--help")
        assert r.exit_code == 0
