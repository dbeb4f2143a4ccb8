"""``coder demo``: the whole pipeline on the sixteen sample families, into ``reports/``.

The demo builds a fresh project in ``reports/demo-project`` from
``transcripts_sample/`` and ``codebooks/troubled_families.yaml``, imports the
hand-made gold codings as coder ``gold``, and then runs every later stage the
installed coder has.  Each output appears whole or not at all.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from .errors import CoderError
from .fsutil import atomic_dir, repo_root
from .project import Project

__all__ = ["run_demo"]


def run_demo(
    out: str | Path = "reports",
    *,
    samples: str | Path | None = None,
    codebook: str | Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the demo pipeline; returns a summary of what was written where."""
    say = log or (lambda msg: None)
    root = repo_root()
    samples = Path(samples) if samples else (root / "transcripts_sample" if root else None)
    if samples is None or not samples.is_dir():
        raise CoderError("cannot find transcripts_sample/; run the demo from the coder checkout or pass --samples DIR")
    codebook = Path(codebook) if codebook else samples.parent / "codebooks" / "troubled_families.yaml"
    if not codebook.is_file():
        raise CoderError(f"cannot find the example codebook {codebook}")
    out = Path(out)
    t0 = time.perf_counter()
    result: dict[str, Any] = {"out": str(out), "stages": {}}

    with atomic_dir(out / "demo-project") as tmp:
        project = Project.init(tmp, codebook=codebook)
        try:
            cases = samples / "cases.csv"
            report = project.import_files([samples], cases=cases if cases.is_file() else None, progress=progress)
            say(f"Imported {len(report.added)} transcripts ({report.sentences} sentences) from {samples}")
            result["stages"]["import"] = {"documents": len(report.added), "sentences": report.sentences}
            gold = samples / "gold"
            if (gold / "codings.csv").is_file():
                g = project.import_codings(gold / "codings.csv", coder="gold")
                result["stages"]["gold"] = {"codings": g.codings, "documents": len(g.documents)}
                say(f"Imported {g.codings} gold codings on {len(g.documents)} documents")
            if (gold / "links.csv").is_file():
                gl = project.import_links(gold / "links.csv", coder="gold")
                result["stages"]["gold_links"] = {"links": gl.links}
                say(f"Imported {gl.links} gold links")
            _exports(project, tmp / "exports")
        finally:
            project.close()
    project_dir = out / "demo-project"
    result["project"] = str(project_dir)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    say(f"Project: {project_dir}  (explore it: coder info {project_dir})")
    say(f"Done in {result['seconds']} s. Outputs are in {out}/")
    return result


def _exports(project: Project, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    project.documents_frame().drop(columns=["attributes", "speakers"]).to_csv(folder / "documents.csv", index=False)
    project.cases_frame().to_csv(folder / "cases.csv", index=False)
    units = project.units_frame()
    units.drop(columns=["label"]).to_csv(folder / "units.csv", index=False)
