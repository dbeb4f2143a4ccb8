"""The ``coder`` command line: argument parsing and rendering over the Python API.

Each command is a few lines: open the project, call one library function,
render what it returns (a human summary, or one JSON document with
``--json``).  A :class:`~coder.errors.CoderError` becomes a one-line message
on stderr and exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import json
import math
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .errors import CoderError
from .jsonutil import dumps

app = typer.Typer(
    name="coder",
    help="Qualitative coding of interview transcripts: import, code, analyse and report, with an audit trail.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
codings_app = typer.Typer(help="Human codings in and out (SPEC §3 CSV).", no_args_is_help=True)
links_app = typer.Typer(help="Directed problem links in (SPEC §3 CSV).", no_args_is_help=True)
app.add_typer(codings_app, name="codings")
app.add_typer(links_app, name="links")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ProjectArg = typer.Argument(..., help="The project directory.", show_default=False)
DbOpt = typer.Option(None, "--db", help="SQLAlchemy database URL (default: SQLite file in the project; or $CODER_DB).")
JsonOpt = typer.Option(False, "--json", help="Print one JSON document on stdout instead of a summary.")


def emit_json(data: Any) -> None:
    """Print one JSON document on stdout (NaN becomes null)."""
    sys.stdout.write(dumps(data) + "\n")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a CoderError into 'Error: …' on stderr and exit status 1."""
    try:
        yield
    except CoderError as exc:
        err.print(f"[red]Error:[/red] {exc}", markup=True, highlight=False) if False else err.print(
            "Error: " + str(exc), markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("Interrupted; nothing was written.", markup=False)
        raise typer.Exit(130) from None


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar on stderr; yields a ``progress(stage, done, total)`` callback."""
    if not enabled or not err.is_terminal:
        yield lambda stage, done, total: None
        return
    with Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _open(project: Path, db: Optional[str]):
    from .project import Project

    return Project.open(project, db=db)


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        err.print("Warning: " + w, markup=False)


# --------------------------------------------------------------------------- commands


@app.command()
def init(
    project: Path = ProjectArg,
    codebook: Optional[Path] = typer.Option(None, "--codebook", help="A codebook YAML to start with."),
    db: Optional[str] = DbOpt,
    model: str = typer.Option("blank:en", "--model", help="spaCy pipeline for sentences and lemmas (an installed trained pipeline name, or blank:en)."),
    as_json: bool = JsonOpt,
) -> None:
    """Create a project: a directory holding the project database."""
    from .project import Project

    with user_errors():
        p = Project.init(project, codebook=codebook, db=db, model=model)
        cb = p.codebook(required=False)
        info = {"project": str(project), "database": "sqlite" if p.url.startswith("sqlite") else p.engine.dialect.name,
                "codebook": cb.id if cb else None, "codes": len(cb.codes) if cb else 0}
        p.close()
    if as_json:
        emit_json(info)
    else:
        out.print(f"Created project {project}" + (f" with codebook '{cb.id}' ({len(cb.codes)} codes)" if cb else ""), markup=False)


@app.command("import")
def import_(
    project: Path = ProjectArg,
    paths: List[Path] = typer.Argument(..., help="Transcript files or folders.", show_default=False),
    cases: Optional[Path] = typer.Option(None, "--cases", help="A cases CSV (SPEC §1.3) with case attributes."),
    format: str = typer.Option("auto", "--format", help="auto | text | otter | docx | vtt | srt"),
    interviewer: List[str] = typer.Option([], "--interviewer", help="A speaker label to treat as interviewer (repeatable)."),
    replace: bool = typer.Option(False, "--replace", help="Update documents whose file changed; re-anchor their codings."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import transcripts; re-importing an unchanged file changes nothing."""
    with user_errors():
        p = _open(project, db)
        with progress_bar(not as_json) as progress:
            report = p.import_files(paths, cases=cases, format=format, interviewer=interviewer, replace=replace,
                                    progress=progress)
        p.close()
    _warn(report.warnings)
    if as_json:
        emit_json(report.as_dict())
        return
    out.print(f"Imported {len(report.added)} new, {len(report.replaced)} replaced, {len(report.unchanged)} unchanged "
              f"document(s): {report.turns} turns, {report.sentences} sentences; {report.cases} new case(s).", markup=False)
    if report.replaced:
        out.print(f"Re-anchored {report.reanchored} coding(s)/link(s); dropped {len(report.dropped)} whose text is gone:", markup=False)
        for d in report.dropped:
            out.print(f"  {d['document']} [{d['start']}, {d['end']}) {d['coder']}: \"{d['quote'][:60]}\"", markup=False)


@app.command()
def codebook(
    project: Path = ProjectArg,
    file: Optional[Path] = typer.Argument(None, help="The codebook YAML (SPEC §2).", show_default=False),
    merge: Optional[Path] = typer.Option(None, "--merge", help="Add the codes of a codebook patch (e.g. from 'coder themes')."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Set or update the codebook; a new version is stored only when the content changed."""
    with user_errors():
        if file is None and merge is None:
            raise CoderError("give a codebook FILE, or --merge PATCH")
        p = _open(project, db)
        if merge is not None:
            from .codebook_merge import merge_patch

            report = merge_patch(p, merge)
        else:
            report = p.set_codebook(file)
        p.close()
    _warn(report.warnings)
    if as_json:
        emit_json(report.as_dict())
    elif report.changed:
        out.print(f"Codebook '{report.codebook}' version {report.version} stored as revision {report.revision} "
                  f"({report.codes} codes).", markup=False)
    else:
        out.print(f"Codebook '{report.codebook}' unchanged (revision {report.revision}).", markup=False)


@codings_app.command("import")
def codings_import(
    project: Path = ProjectArg,
    file: Path = typer.Argument(..., help="Codings CSV: document,code,start,end,quote[,coder,memo].", show_default=False),
    coder: Optional[str] = typer.Option(None, "--coder", help="Coder name for every row (else the 'coder' column)."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import human codings; replaces that coder's codings on the same documents."""
    with user_errors():
        p = _open(project, db)
        report = p.import_codings(file, coder=coder)
        p.close()
    if as_json:
        emit_json(report.as_dict())
    else:
        out.print(f"Imported {report.codings} coding(s) by {report.coder} on {len(report.documents)} document(s)"
                  f" (replaced {report.replaced}).", markup=False)


@codings_app.command("export")
def codings_export(
    project: Path = ProjectArg,
    file: Path = typer.Argument(..., help="Where to write the CSV.", show_default=False),
    coder: Optional[str] = typer.Option(None, "--coder", help="Only this coder's codings."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Export codings as SPEC §3 CSV (with the quoted text)."""
    with user_errors():
        p = _open(project, db)
        n = p.export_codings(file, coder=coder)
        p.close()
    if as_json:
        emit_json({"file": str(file), "codings": n})
    else:
        out.print(f"Wrote {n} coding(s) to {file}", markup=False)


@links_app.command("import")
def links_import(
    project: Path = ProjectArg,
    file: Path = typer.Argument(..., help="Links CSV: document,from_code,to_code,quote[,coder].", show_default=False),
    coder: Optional[str] = typer.Option(None, "--coder", help="Coder name for every row (else the 'coder' column)."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import directed problem links stated by participants (human coding)."""
    with user_errors():
        p = _open(project, db)
        report = p.import_links(file, coder=coder)
        p.close()
    if as_json:
        emit_json(report.as_dict())
    else:
        out.print(f"Imported {report.links} link(s) by {report.coder} on {len(report.documents)} document(s).", markup=False)


@app.command()
def code(
    project: Path = ProjectArg,
    semantic: bool = typer.Option(True, "--semantic/--no-semantic", help="Add semantic suggestions from sentence embeddings."),
    threshold: Optional[float] = typer.Option(None, "--threshold", min=0.0, max=1.0,
                                              help="Probability a semantic suggestion needs, for every code (default 0.5, or the codebook's)."),
    links: bool = typer.Option(True, "--links/--no-links", help="Extract directed links between problems."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Auto-code all documents as coder 'auto' (replaces its previous run; human codings are untouched)."""
    from .autocode import auto_code

    with user_errors():
        p = _open(project, db)
        with progress_bar(not as_json) as progress:
            report = auto_code(p, semantic=semantic, threshold=threshold, links=links, progress=progress)
        p.close()
    _warn(report.warnings)
    if as_json:
        emit_json(report.as_dict())
        return
    rate = report.words / report.seconds if report.seconds else 0
    out.print(f"Coded {report.units} units ({report.words:,} words) in {report.seconds:.1f} s ({rate:,.0f} words/s): "
              f"{report.codings} codings, {report.links} directed links.", markup=False)
    methods = ", ".join(f"{k} {v}" for k, v in sorted(report.per_method.items()))
    out.print(f"By method: {methods or 'none'}" + (f"; semantic probability threshold {report.threshold:.2f}" if report.threshold else ""),
              markup=False)
    if report.embedding:
        out.print(f"Embeddings: {report.embedding.get('hits', 0)} cached, {report.embedding.get('misses', 0)} computed.", markup=False)
    table = Table("code", "codings")
    for code_id, n in sorted(report.per_code.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(code_id, str(n))
    out.print(table)


@app.command()
def evaluate(
    project: Path = ProjectArg,
    gold: Path = typer.Option(..., "--gold", help="Gold codings CSV (SPEC §3).", show_default=False),
    links: Optional[Path] = typer.Option(None, "--links", help="Gold links CSV: also score directed links."),
    coder: str = typer.Option("auto", "--coder", help="The stored coder to score."),
    compare: bool = typer.Option(False, "--compare", help="Score baseline keyword search, rules, and rules + semantic side by side (computed in memory)."),
    disagreements: Optional[Path] = typer.Option(None, "--disagreements", help="Write the unit-level disagreement listing to this CSV."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Score auto-coding against gold codings: per-code TP/FP/FN, precision, recall, F1, kappa."""
    from .codings_io import write_csv_atomic
    from .evaluate import compare_methods, evaluate as run_evaluate

    with user_errors():
        p = _open(project, db)
        with progress_bar(not as_json) as progress:
            results = (compare_methods(p, gold, links_file=links, progress=progress) if compare
                       else [run_evaluate(p, gold, links_file=links, coder=coder)])
        p.close()
        if disagreements is not None:
            write_csv_atomic(results[-1].disagreements, disagreements)
    if as_json:
        emit_json(results[0].to_dict() if not compare else {"methods": [r.to_dict() for r in results]})
        return
    if compare:
        table = Table("method", "micro P", "micro R", "micro F1", "macro F1", "R unnamed", "P negation", "links F1")
        for r in results:
            m, fo = r.scores["micro"], r.extra["focus"]
            table.add_row(r.label, _f(m["precision"]), _f(m["recall"]), _f(m["f1"]), _f(r.scores["macro"]["f1"]),
                          _f(fo["unnamed_recall"]), _f(fo["negation_precision"]), _f(r.links["f1"]) if r.links else "-")
        out.print(f"{len(results[0].documents)} gold documents, {results[0].scores['n_units']} units ({results[0].unit}s)", markup=False)
        out.print(table)
        fo = results[0].extra["focus"]
        out.print(f"R unnamed: recall on the {fo['unnamed_gold']} gold codings whose sentence contains none of the code's "
                  f"keywords; P negation: precision on codings of a code whose keyword occurs in a sentence with a negation.", markup=False)
        return
    r = results[0]
    out.print(f"{r.label} vs gold on {len(r.documents)} documents, {r.scores['n_units']} {r.unit} units", markup=False)
    table = Table("code", "gold", "auto", "TP", "FP", "FN", "P", "R", "F1", "kappa")
    for code_id, c in r.scores["codes"].items():
        if c["gold"] or c["auto"]:
            table.add_row(code_id, str(c["gold"]), str(c["auto"]), str(c["tp"]), str(c["fp"]), str(c["fn"]),
                          _f(c["precision"]), _f(c["recall"]), _f(c["f1"]), _f(c["kappa"]))
    out.print(table)
    m = r.scores["micro"]
    out.print(f"micro P {_f(m['precision'])}  R {_f(m['recall'])}  F1 {_f(m['f1'])}   macro F1 {_f(r.scores['macro']['f1'])}", markup=False)
    fo = r.extra["focus"]
    out.print(f"recall on the {fo['unnamed_gold']} gold codings no keyword names: {_f(fo['unnamed_recall'])}; "
              f"precision on {fo['negation_auto']} codings of mentions in negated sentences: {_f(fo['negation_precision'])}",
              markup=False)
    if r.links:
        out.print(f"links: {r.links['tp']} of {r.links['gold']} gold found, {r.links['auto']} auto; "
                  f"P {_f(r.links['precision'])} R {_f(r.links['recall'])} F1 {_f(r.links['f1'])}", markup=False)
    if disagreements is not None:
        out.print(f"Disagreement listing ({len(r.disagreements)} units): {disagreements}", markup=False)


def _f(x: Any) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


@app.command()
def network(
    project: Path = ProjectArg,
    level: str = typer.Option("segment", "--level", help="segment | window | case"),
    window: int = typer.Option(3, "--window", help="Units per moving stanza at the window level (ENA)."),
    coder: str = typer.Option("auto", "--coder", help="Whose codings to use."),
    kinds: str = typer.Option("problem", "--kinds", help="Code kinds to include, comma-separated, or 'all'."),
    significant: bool = typer.Option(False, "--significant", help="Keep only pairs with BH q < alpha."),
    alpha: float = typer.Option(0.05, "--alpha", help="False discovery rate for --significant."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Write CSV node/edge lists, GraphML, GEXF and JSON here."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Co-occurrence and directed-link network of problems, with reinforcing loops."""
    from .analysis import project_network, write_network

    with user_errors():
        if level not in ("segment", "window", "case"):
            raise CoderError(f"--level must be segment, window or case (got '{level}')")
        p = _open(project, db)
        result = project_network(p, level=level, window=window, coder=coder,
                                 kinds=None if kinds == "all" else [k.strip() for k in kinds.split(",")],
                                 significant_only=significant, alpha=alpha)
        p.close()
        files = write_network(result, out_dir) if out_dir is not None else {}
    if as_json:
        emit_json(result.to_dict())
        return
    s = result.summary
    n_sig = sum(1 for e in s["edges"] if e.get("significant"))
    out.print(f"{s['level']} level (N = {s['N']}{', window ' + str(s['window']) if s.get('window') else ''}), coder {coder}: "
              f"{len(s['nodes'])} codes, {len(s['edges'])} pairs ({n_sig} significant at q < {alpha}), "
              f"{len(s['links'])} directed links, {len(s['loops'])} reinforcing loops.", markup=False)
    if s.get("note"):
        out.print(s["note"], markup=False)
    names = {n["id"]: n["name"] for n in s["nodes"]}
    table = Table("pair", "n12", "c", "lift", "q")
    for e in sorted(s["edges"], key=lambda e: (-(e["count"] or 0), e["source"]))[:15]:
        table.add_row(f"{e['source']} + {e['target']}", str(e["count"]), _f(e["c"]), _f(e["lift"]), _f(e.get("q_value")))
    out.print(table)
    for loop in s.get("loop_details", [])[:10]:
        fams = ", ".join(loop.get("families") or []) or "across families only"
        out.print("loop: " + " -> ".join(loop["codes"] + [loop["codes"][0]]) + f"  ({fams})", markup=False)
    for name, path in files.items():
        out.print(f"wrote {path}", markup=False)


@app.command()
def agreement(
    project: Path = ProjectArg,
    coders: str = typer.Option(..., "--coders", help="Two or more coder names, comma-separated (e.g. auto,gold).", show_default=False),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Write the disagreement listing (CSV and HTML) here."),
    consensus: Optional[str] = typer.Option(None, "--consensus", help="Also store the agreed codings (majority of the coders) as this coder, e.g. consensus."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Intercoder agreement: percent, Cohen/Fleiss kappa, Krippendorff alpha, Brennan-Prediger, per code and overall."""
    from .analysis import project_agreement, write_agreement, write_consensus

    with user_errors():
        p = _open(project, db)
        names = [c.strip() for c in coders.split(",") if c.strip()]
        report = project_agreement(p, names)
        roster = p.roster_names()
        n_consensus = write_consensus(p, names, name=consensus) if consensus else None
        p.close()
        files = write_agreement(report, out_dir, roster=roster) if out_dir is not None else {}
    data = report.to_dict()
    if n_consensus is not None:
        data["consensus"] = {"coder": consensus, "codings": n_consensus}
    if as_json:
        emit_json(data)
        return
    out.print(f"{' vs '.join(report.coders)}: {data['n_units']} {data.get('unit') or 'unit'}s in "
              f"{len(report.documents)} documents coded by {'both' if len(report.coders) == 2 else 'two or more'}", markup=False)
    table = Table("code", *[f"n {c}" for c in report.coders], "percent", "kappa", "alpha", "B-P")
    for code_id, c in data["codes"].items():
        n_coded = c.get("n_coded", {})
        if any(n_coded.values()):
            table.add_row(code_id, *[str(n_coded.get(x, 0)) for x in report.coders], _f(c["percent"]), _f(c["kappa"]),
                          _f(c["alpha"]), _f(c["brennan_prediger"]))
    out.print(table)
    o = data["overall"]
    out.print(f"overall (pooled over units x codes): percent {_f(o['percent'])}  kappa {_f(o['kappa'])}  alpha {_f(o['alpha'])}",
              markup=False)
    out.print(f"{data['n_disagreements']} (unit, code) disagreements.", markup=False)
    for kind, path in files.items():
        out.print(f"wrote {path}", markup=False)
    if n_consensus is not None:
        out.print(f"Stored {n_consensus} agreed coding(s) as coder '{consensus}'.", markup=False)


@app.command()
def themes(
    project: Path = ProjectArg,
    uncoded: bool = typer.Option(False, "--uncoded", help="Only talk that no code covers: what the codebook misses."),
    coder: str = typer.Option("auto", "--coder", help="Whose codings decide what is 'uncoded'."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Write themes.json, proposed_codes.yaml and themes.html here."),
    min_topic_size: Optional[int] = typer.Option(None, "--min-topic-size", min=2, help="Smallest theme (default adapts to the corpus)."),
    neighbors: Optional[int] = typer.Option(None, "--neighbors", min=2, help="UMAP neighbours (default adapts to the corpus)."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Emergent themes (BERTopic) in participant talk, each tied to its nearest code; proposes new codes."""
    from .analysis import store_themes
    from .themes import find_themes, write_themes

    with user_errors():
        p = _open(project, db)
        with progress_bar(not as_json) as progress:
            result = find_themes(p, uncoded=uncoded, coder=coder, min_topic_size=min_topic_size,
                                 n_neighbors=neighbors, progress=progress)
        store_themes(p, result)
        p.close()
        files = write_themes(result, out_dir) if out_dir is not None else {}
    if as_json:
        emit_json({**result.to_dict(), "files": {k: str(v) for k, v in files.items()}})
        return
    s = result.settings
    out.print(f"{len(result.themes)} themes in {result.n_units} {'uncoded ' if uncoded else ''}units of {s['min_words']}+ words "
              f"({result.outliers} in no theme; min topic size {s['min_topic_size']}, {s['n_neighbors']} neighbours); "
              f"{len(result.new_themes)} far from every code.", markup=False)
    table = Table("theme", "units", "cases", "keywords", "nearest code", "sim", "new")
    for t in result.themes:
        table.add_row(str(t.id), str(t.size), str(len(t.cases)), t.label, t.nearest_code or "-", _f(t.similarity),
                      "yes" if t.new else "")
    out.print(table)
    for name, path in files.items():
        out.print(f"wrote {path}", markup=False)
    if result.new_themes and files:
        out.print(f"Review the proposed codes, then: coder codebook {project} --merge {files['yaml']}", markup=False)


@app.command()
def report(
    project: Path = ProjectArg,
    out_dir: Path = typer.Option(..., "--out", help="Folder for the reports.", show_default=False),
    case: Optional[List[str]] = typer.Option(None, "--case", help="Only this family's journey (repeatable)."),
    kind: str = typer.Option("all", "--kind", help="journey | crosscase | training | all"),
    format: str = typer.Option("both", "--format", help="html | pdf | both"),
    coder: str = typer.Option("auto", "--coder", help="Whose codings the reports show."),
    suggested: bool = typer.Option(False, "--include-suggested", help="Also count unreviewed semantic suggestions."),
    reference: Optional[str] = typer.Option("gold", "--reference", help="Human coder for the accuracy and agreement figures, if present."),
    events: Optional[Path] = typer.Option(None, "--events", help="Researcher-curated events.csv for the journeys."),
    templates: Optional[Path] = typer.Option(None, "--templates", help="Your own copy of the templates, to restyle."),
    db: Optional[str] = DbOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Render de-identified family journeys, the cross-case report and the training pack (HTML and PDF)."""
    from .render import write_reports
    from .reportdata import build_report_data

    kinds = {"all": ("journey", "crosscase", "training")}.get(kind, (kind,))
    formats = {"both": ("html", "pdf")}.get(format, (format,))
    with user_errors():
        if any(k not in ("journey", "crosscase", "training") for k in kinds):
            raise CoderError(f"--kind must be journey, crosscase, training or all (got '{kind}')")
        if any(f not in ("html", "pdf") for f in formats):
            raise CoderError(f"--format must be html, pdf or both (got '{format}')")
        p = _open(project, db)
        data = build_report_data(p, coder=coder, statuses=("accepted", "suggested") if suggested else ("accepted",),
                                 reference=reference, events_csv=str(events) if events else None)
        p.close()
        known = {f["case"] for f in data["families"]}
        for c in case or []:
            if c not in known:
                raise CoderError(f"unknown case '{c}'; cases: {', '.join(sorted(known))}")
        with progress_bar(not as_json) as progress:
            written = write_reports(data, out_dir, kinds=kinds, formats=formats, cases=case or None,
                                    templates_dir=templates, progress=progress)
    if as_json:
        emit_json(written)
        return
    out.print(f"Wrote {len(written['files'])} report file(s) to {out_dir}/ in {written['seconds']:.1f} s; "
              f"open {out_dir}/index.html", markup=False)


@app.command()
def info(project: Path = ProjectArg, db: Optional[str] = DbOpt, as_json: bool = JsonOpt) -> None:
    """Summarise a project: documents, cases, codebook, coders and the audit trail."""
    with user_errors():
        p = _open(project, db)
        docs = p.documents_frame()
        cb = p.codebook(required=False)
        coders = p.coders()
        runs = p.runs_frame()
        p.close()
    data = {"documents": len(docs), "cases": int(docs["case"].nunique()) if len(docs) else 0,
            "codebook": {"id": cb.id, "version": cb.version, "codes": len(cb.codes)} if cb else None,
            "coders": coders.to_dict("records"), "runs": len(runs)}
    if as_json:
        emit_json(data)
        return
    out.print(f"{project}: {data['documents']} document(s) in {data['cases']} case(s)", markup=False)
    out.print(f"Codebook: {cb.id} {cb.version} ({len(cb.codes)} codes)" if cb else "Codebook: none", markup=False)
    table = Table("coder", "kind", "codings")
    for r in coders.itertuples():
        table.add_row(r.coder, r.kind, str(r.codings))
    out.print(table)
    out.print(f"Audit trail: {len(runs)} run(s); last: {runs.iloc[-1]['command']} at {runs.iloc[-1]['started']}" if len(runs) else "", markup=False)


@app.command()
def migrate(project: Path = ProjectArg, db: Optional[str] = DbOpt) -> None:
    """Upgrade a project database written by an older coder."""
    from . import store
    from .project import DB_FILE, _resolve_url

    with user_errors():
        url = _resolve_url(project, db)
        if url.startswith("sqlite:///") and not (project / DB_FILE).is_file():
            raise CoderError(f"{project} is not a coder project (no {DB_FILE})")
        engine = store.make_engine(url)
        before, after = store.migrate(engine)
        engine.dispose()
    out.print(f"Schema version {before} -> {after}." if before != after else f"Already at schema version {after}.", markup=False)


@app.command()
def demo(
    out_dir: Path = typer.Option(Path("reports"), "--out", help="Where to write the reports."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="The sample transcripts folder (default: transcripts_sample/)."),
    as_json: bool = JsonOpt,
) -> None:
    """Run the whole pipeline on transcripts_sample/ with the example codebook, into reports/."""
    from .demo import run_demo

    with user_errors():
        with progress_bar(not as_json) as progress:
            result = run_demo(out_dir, samples=samples, progress=progress,
                              log=None if as_json else (lambda msg: out.print(msg, markup=False)))
    if as_json:
        emit_json(result)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
