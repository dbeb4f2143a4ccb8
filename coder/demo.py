"""``coder demo``: the whole pipeline on the sixteen sample families, into ``reports/``.

Stages, each through the same library functions the commands use:

1. a fresh project in ``reports/demo-project`` from ``transcripts_sample/`` and
   ``codebooks/troubled_families.yaml``; the hand-made gold codings and links
   imported as coder ``gold``;
2. ``coder code`` (rules and semantic suggestions, directed links);
3. ``coder evaluate --compare`` against the gold → ``reports/evaluation/``;
4. ``coder agreement --coders auto,gold`` → ``reports/agreement/``;
5. ``coder network`` at the segment, window and case levels → ``reports/network/``;
6. ``coder themes`` → ``reports/themes/``;
7. ``coder report`` → ``reports/`` (journeys, cross-case report, training pack; HTML and PDF).

Each output appears whole or not at all.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from .errors import CoderError
from .fsutil import atomic_dir, repo_root
from .jsonutil import dumps
from .project import Project

__all__ = ["run_demo"]


def run_demo(
    out: str | Path = "reports",
    *,
    samples: str | Path | None = None,
    codebook: str | Path | None = None,
    semantic: bool = True,
    themes: bool = True,
    formats: tuple[str, ...] = ("html", "pdf"),
    progress: Callable[[str, int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the demo pipeline; returns a summary of what was written where."""
    from .analysis import project_agreement, project_network, write_agreement, write_network
    from .autocode import auto_code
    from .codings_io import write_csv_atomic
    from .evaluate import compare_methods
    from .render import write_reports
    from .reportdata import build_report_data

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
    gold = samples / "gold"
    stage_times: dict[str, float] = {}

    def timed(name: str, t: float) -> None:
        stage_times[name] = round(time.perf_counter() - t, 2)

    with atomic_dir(out / "demo-project") as tmp:
        project = Project.init(tmp, codebook=codebook)
        try:
            t = time.perf_counter()
            cases = samples / "cases.csv"
            report = project.import_files([samples], cases=cases if cases.is_file() else None, progress=progress)
            say(f"1. Imported {len(report.added)} transcripts ({report.sentences:,} sentences) from {samples}/")
            result["stages"]["import"] = {"documents": len(report.added), "sentences": report.sentences}
            if (gold / "codings.csv").is_file():
                g = project.import_codings(gold / "codings.csv", coder="gold")
                result["stages"]["gold"] = {"codings": g.codings, "documents": len(g.documents)}
                say(f"   gold coding: {g.codings:,} codings on {len(g.documents)} documents")
            if (gold / "links.csv").is_file():
                gl = project.import_links(gold / "links.csv", coder="gold")
                result["stages"]["gold_links"] = {"links": gl.links}
            timed("import", t)

            t = time.perf_counter()
            coded = auto_code(project, semantic=semantic, progress=progress)
            result["stages"]["code"] = {"units": coded.units, "codings": coded.codings, "links": coded.links,
                                        "per_method": coded.per_method}
            say(f"2. Auto-coded {coded.units:,} units: {coded.codings:,} codings "
                f"({', '.join(f'{k} {v}' for k, v in sorted(coded.per_method.items()))}), {coded.links} directed links")
            timed("code", t)

            if (gold / "codings.csv").is_file():
                t = time.perf_counter()
                evals = compare_methods(project, gold / "codings.csv",
                                        links_file=gold / "links.csv" if (gold / "links.csv").is_file() else None)
                rows = [{"method": e.label, **{k: e.scores["micro"][k] for k in ("precision", "recall", "f1")},
                         "macro_f1": e.scores["macro"]["f1"], "links_f1": (e.links or {}).get("f1")} for e in evals]
                with atomic_dir(out / "evaluation") as ev_dir:
                    (ev_dir / "evaluation.json").write_text(dumps(
                        {"gold_documents": evals[0].documents, "n_units": evals[0].scores["n_units"], "methods": rows,
                         "per_code": evals[-1].scores["codes"]}), encoding="utf-8")
                    write_csv_atomic(evals[-1].disagreements, ev_dir / "disagreements.csv")
                result["stages"]["evaluate"] = rows
                say("3. Accuracy against the gold (micro F1): "
                    + "; ".join(f"{r['method']} {r['f1']:.2f}" for r in rows) + f"  -> {out}/evaluation/")
                timed("evaluate", t)

                t = time.perf_counter()
                ag = project_agreement(project, ["auto", "gold"])
                write_agreement(ag, out / "agreement", roster=project.roster_names())
                o = ag.to_dict()["overall"]
                result["stages"]["agreement"] = {"kappa": o["kappa"], "alpha": o["alpha"], "percent": o["percent"]}
                say(f"4. Agreement auto vs gold: {o['percent']:.1%} agreement, kappa {o['kappa']:.2f}, "
                    f"alpha {o['alpha']:.2f}  -> {out}/agreement/")
                timed("agreement", t)

            t = time.perf_counter()
            levels = {}
            for level in ("segment", "window", "case"):
                net = project_network(project, level=level)
                write_network(net, out / "network" / level)
                levels[level] = {"pairs": len(net.summary["edges"]),
                                 "significant": sum(1 for e in net.summary["edges"] if e.get("significant")),
                                 "links": len(net.summary["links"]), "loops": len(net.summary["loops"])}
            result["stages"]["network"] = levels
            say(f"5. Networks: {levels['segment']['links']} directed links, {levels['segment']['loops']} reinforcing loops; "
                f"segment/window/case pairs {levels['segment']['pairs']}/{levels['window']['pairs']}/{levels['case']['pairs']}"
                f"  -> {out}/network/")
            timed("network", t)

            theme_data = None
            if themes and semantic:
                t = time.perf_counter()
                from .analysis import store_themes
                from .themes import find_themes, themes_section, write_themes

                th = find_themes(project)
                write_themes(th, out / "themes")
                store_themes(project, th)
                theme_data = themes_section(th)
                result["stages"]["themes"] = {"themes": len(th.themes), "new": sum(1 for x in th.themes if x.new)}
                say(f"6. Emergent themes: {len(th.themes)} ({result['stages']['themes']['new']} not covered by the codebook)"
                    f"  -> {out}/themes/")
                timed("themes", t)

            t = time.perf_counter()
            data = build_report_data(project, themes=theme_data)
            written = write_reports(data, out, formats=formats, progress=progress)
            result["stages"]["report"] = {"files": len(written["files"]), "seconds": written["seconds"]}
            say(f"7. Reports: {len(data['families'])} family journeys, the cross-case report and the training pack "
                f"({len(written['files'])} files)  -> {out}/index.html")
            timed("report", t)
        finally:
            project.close()
    result["project"] = str(out / "demo-project")
    result["stage_seconds"] = stage_times
    result["seconds"] = round(time.perf_counter() - t0, 2)
    say(f"Done in {result['seconds']:.0f} s. Open {out}/index.html; explore the project with: coder info {out}/demo-project")
    return result

