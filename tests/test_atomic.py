"""All-or-nothing writes: a kill -9 in the middle of an import leaves the project as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from coder import Project

SCRIPT = textwrap.dedent("""
    import sys, time, pathlib
    from coder import Project
    project, folder, marker = sys.argv[1:4]
    p = Project.open(project)
    def progress(stage, done, total):
        # after some documents are written (flushed, uncommitted), signal the test and hang
        if stage == "write" and done == 3:
            pathlib.Path(marker).write_text("writing")
            time.sleep(120)
    p.import_files([folder], progress=progress)
""")


def test_kill_9_during_import_leaves_project_unchanged(tmp_path, tiny_codebook):
    project = Project.init(tmp_path / "proj", codebook=tiny_codebook)
    project.close()
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(8):
        (folder / f"d{i}.txt").write_text(f"---\ndocument: D{i}\ncase: C{i}\n---\nINT: Any debt?\n\nDEB: Loads of debt, {i} times over.\n")
    marker = tmp_path / "marker"
    script = tmp_path / "slow_import.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "proj"), str(folder), str(marker)])
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert proc.poll() is None, "import finished or crashed before it could be killed"
            assert time.time() < deadline, "import never reached the write phase"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    raw = sqlite3.connect(tmp_path / "proj" / "coder.db")
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert raw.execute("select count(*) from documents").fetchone()[0] == 0
    assert raw.execute("select count(*) from turns").fetchone()[0] == 0
    assert raw.execute("select count(*) from cases").fetchone()[0] == 0
    assert raw.execute("select count(*) from runs where command='import'").fetchone()[0] == 0
    raw.close()

    # and the project still works: the same import now succeeds in full
    project = Project.open(tmp_path / "proj")
    report = project.import_files([folder])
    assert len(report.added) == 8
    project.close()


CODE_SCRIPT = textwrap.dedent("""
    import sys, time, pathlib
    from coder import Project
    from coder.autocode import auto_code
    project, marker = sys.argv[1:3]
    p = Project.open(project)
    def progress(stage, done, total):
        if stage == "write":  # codings inserted, transaction still open
            pathlib.Path(marker).write_text("writing")
            time.sleep(120)
    auto_code(p, semantic=False, progress=progress)
""")


def test_kill_9_during_coding_run_keeps_previous_run(tmp_path, tiny_codebook, transcripts):
    from coder.autocode import auto_code

    project = Project.init(tmp_path / "proj", codebook=tiny_codebook)
    project.import_files([transcripts])
    auto_code(project, semantic=False)
    before = project.codings_frame("auto")[["document", "code", "start", "end"]].values.tolist()
    project.close()
    marker = tmp_path / "marker"
    script = tmp_path / "slow_code.py"
    script.write_text(CODE_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "proj"), str(marker)])
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert proc.poll() is None, "coding run ended before it could be killed"
            assert time.time() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    project = Project.open(tmp_path / "proj")
    after = project.codings_frame("auto")[["document", "code", "start", "end"]].values.tolist()
    assert after == before
    assert (project.runs_frame()["command"] == "code").sum() == 1
    project.close()
