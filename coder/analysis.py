"""Project-level analyses: the glue between the store and the pure analysis core.

Each function reads plain frames from a :class:`~coder.project.Project`,
calls the pure functions of :mod:`coder.cooccur`, :mod:`coder.network` and
:mod:`coder.agreement`, and returns their results.  Writing files is left to
the callers (the CLI, the demo, the reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .errors import AnalysisError
from .jsonutil import dumps

__all__ = ["NetworkResult", "project_network", "write_network", "project_agreement", "AgreementReport",
           "write_agreement", "CONSENSUS"]

CONSENSUS = "consensus"
DEFAULT_STATUSES = ("accepted", "suggested")


def _require_codings(project, coder: str, statuses: Sequence[str]) -> pd.DataFrame:
    project.require_coder(coder)
    uc = project.unit_codes(coder, statuses=statuses)
    if uc.empty:
        raise AnalysisError(f"coder '{coder}' has no codings on any coding unit; code the documents first")
    return uc


@dataclass
class NetworkResult:
    """A co-occurrence network with its directed links, as computed for one coder and level."""

    cooc: Any  # coder.cooccur.Cooccurrence
    links: pd.DataFrame
    codes: pd.DataFrame
    summary: dict[str, Any]
    coder: str
    case_matrix: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"coder": self.coder, **self.summary}


def project_network(project, *, level: str = "segment", window: int = 3, coder: str = "auto",
                    kinds: Sequence[str] | None = ("problem",), significant_only: bool = False,
                    alpha: float = 0.05, statuses: Sequence[str] = DEFAULT_STATUSES) -> NetworkResult:
    """Co-occurrence at ``level`` and the directed problem links of one coder.

    ``kinds`` restricts the nodes (problems by default: the "linked and
    reinforcing" question); ``None`` keeps every code.
    """
    from .cooccur import case_code_matrix, cooccurrence
    from .network import network_summary

    if window < 1:
        raise AnalysisError(f"--window must be 1 or more (got {window})")
    cb = project.codebook()
    codes = cb.to_frame()
    if kinds:
        codes = codes[codes["kind"].isin(kinds)]
    uc = _require_codings(project, coder, statuses)
    units = project.units_frame(with_text=False)
    uc = uc[uc["code"].isin(set(codes["id"]))]
    links = project.links_frame(coder)
    links = links[links["from_code"].isin(set(codes["id"])) & links["to_code"].isin(set(codes["id"]))]
    cooc = cooccurrence(uc, units, level=level, window=window, codes=list(codes["id"]), alpha=alpha)
    summary = network_summary(cooc, links, codes, significant_only=significant_only)
    if not summary["edges"]:
        summary["note"] = ("No pair of codes co-occurs" + (" more often than chance" if significant_only else "")
                           + f" at the {level} level.")
    matrix = case_code_matrix(uc, units, codes=list(codes["id"]))
    return NetworkResult(cooc=cooc, links=links, codes=codes, summary=summary, coder=coder, case_matrix=matrix)


def write_network(result: NetworkResult, out_dir: str | Path) -> dict[str, str]:
    """CSV node and edge lists, GraphML and GEXF (for Gephi), and the JSON, written atomically."""
    from .fsutil import atomic_dir
    from .network import build_graph, write_edges_csv, write_gexf, write_graphml, write_nodes_csv

    out_dir = Path(out_dir)
    graph = build_graph(result.cooc, result.links, result.codes)
    names = {}
    with atomic_dir(out_dir) as tmp:
        write_nodes_csv(graph, tmp / "nodes.csv")
        write_edges_csv(graph, tmp / "edges.csv")
        write_graphml(graph, tmp / "network.graphml")
        write_gexf(graph, tmp / "network.gexf")
        (tmp / "network.json").write_text(dumps(result.to_dict()), encoding="utf-8")
        matrix = _matrix_with_denominators(result.case_matrix)
        matrix.to_csv(tmp / "case_code_matrix.csv")
        matrix.to_excel(tmp / "case_code_matrix.xlsx", sheet_name="cases x codes")
        (tmp / "network.svg").write_text(_network_figure(result), encoding="utf-8")
        (tmp / "heatmap.svg").write_text(_heatmap_figure(result), encoding="utf-8")
        for name in ("nodes.csv", "edges.csv", "network.graphml", "network.gexf", "network.json",
                     "case_code_matrix.csv", "case_code_matrix.xlsx", "network.svg", "heatmap.svg"):
            names[name] = str(out_dir / name)
    return names


def _matrix_with_denominators(matrix: pd.DataFrame) -> pd.DataFrame:
    """Cases × codes unit counts, with two footer rows: families mentioning each code (n) and all families (N)."""
    out = matrix.copy()
    n = (matrix > 0).sum(axis=0)
    out.loc["n cases mentioning"] = n
    out.loc["N cases"] = len(matrix)
    return out


def _network_figure(result: NetworkResult) -> str:
    from .figures import network_svg
    from .reportdata import KINDS

    s = result.summary
    level = s["level"]
    return network_svg(
        [n for n in s["nodes"] if n.get("frequency")], s["edges"], links=s["links"],
        loops=[{"codes": lp} for lp in s["loops"]], kinds=KINDS,
        title=f"Problems mentioned together ({level} level) and what participants said led to what",
        desc=(f"{len(s['edges'])} co-occurring pairs at the {level} level (N = {s['N']}), "
              f"{len(s['links'])} directed links and {len(s['loops'])} reinforcing loops, coder {result.coder}."),
        empty_note=s.get("note"))


def _heatmap_figure(result: NetworkResult) -> str:
    from .figures import heatmap_svg

    m = result.case_matrix
    names = dict(zip(result.codes["id"], result.codes["name"]))
    cols = [c for c in m.columns if m[c].sum() > 0] or list(m.columns)
    return heatmap_svg(list(m.index), [names.get(c, c) for c in cols], m[cols].values.tolist(),
                       title="Case × code matrix", desc="Number of coded units per family and code.",
                       value_label="units")


# --------------------------------------------------------------------------- agreement


@dataclass
class AgreementReport:
    result: Any  # coder.agreement.AgreementResult
    disagreements: pd.DataFrame
    documents: list[str]
    coders: list[str]
    overlap: Any = None

    def to_dict(self) -> dict[str, Any]:
        d = self.result.to_dict()
        d["documents"] = self.documents
        d["n_documents"] = len(self.documents)
        d["n_disagreements"] = int(len(self.disagreements))
        if self.overlap is not None:
            d["span_overlap"] = self.overlap.to_dict() if hasattr(self.overlap, "to_dict") else self.overlap
        return d


def project_agreement(project, coders: Sequence[str], *, statuses: Sequence[str] = DEFAULT_STATUSES,
                      spans: bool = True) -> AgreementReport:
    """Agreement between stored coders on the units of the documents they have in common.

    With two coders the documents are those both coded; with more, those at
    least two coded, the others counting as missing data (Krippendorff's α
    and Fleiss' κ handle missing ratings).
    """
    from .agreement import code_agreement, disagreements, span_overlap

    coders = list(dict.fromkeys(coders))
    if len(coders) < 2:
        raise AnalysisError("--coders needs at least two names, e.g. --coders auto,gold")
    cb = project.codebook()
    for c in coders:
        project.require_coder(c)
    frames = {c: project.codings_frame(c, statuses=statuses) for c in coders}
    docs_of = {c: set(frames[c]["document"]) for c in coders}
    counts: dict[str, int] = {}
    for c in coders:
        for d in docs_of[c]:
            counts[d] = counts.get(d, 0) + 1
    need = len(coders) if len(coders) == 2 else 2
    documents = sorted(d for d, n in counts.items() if n >= need)
    if not documents:
        raise AnalysisError(f"coders {', '.join(coders)} have no documents in common; "
                            "import codings for the same documents first")
    units = project.units_frame()
    units = units[units["document"].isin(documents)].reset_index(drop=True)
    assignments = []
    for c in coders:
        uc = project.unit_codes(c, units=units, statuses=statuses)
        uc = uc.assign(coder=c)
        assignments.append(uc)
    assign = pd.concat(assignments, ignore_index=True)[["unit_id", "coder", "code"]]
    missing = {(c, u) for c in coders for u, d in zip(units["unit_id"], units["document"]) if d not in docs_of[c]}
    result = code_agreement(assign, units["unit_id"].tolist(), coders, cb.ids, missing=missing or None, unit=cb.unit)
    meta = units[["unit_id", "document", "turn", "position", "text"]]
    listing = disagreements(assign, meta, coders, codes=cb.ids, missing=missing or None)
    overlap = None
    if spans:
        sp = pd.concat([frames[c][frames[c]["document"].isin(documents)][["document", "code", "start", "end", "coder"]]
                        for c in coders], ignore_index=True)
        try:
            overlap = span_overlap(sp, coders, codes=cb.ids)
        except AnalysisError:
            overlap = None
    return AgreementReport(result=result, disagreements=listing, documents=documents, coders=coders, overlap=overlap)


def write_agreement(report: AgreementReport, out_dir: str | Path, *, roster: Sequence[str] = ()) -> dict[str, str]:
    """Disagreement listing as CSV and a sortable HTML page for a consensus meeting (atomically)."""
    from jinja2 import Environment, select_autoescape

    from .fsutil import atomic_dir
    from .redact import redact

    out_dir = Path(out_dir)
    listing = report.disagreements.copy()
    listing["text"] = [redact(t, roster) for t in listing["text"]]
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    page = env.from_string(_AGREEMENT_PAGE).render(
        coders=report.coders, rows=listing.to_dict("records"), result=report.to_dict(),
        code_columns=[f"{c}_codes" for c in report.coders])
    with atomic_dir(out_dir) as tmp:
        listing.to_csv(tmp / "disagreements.csv", index=False)
        (tmp / "disagreements.html").write_text(page, encoding="utf-8")
        (tmp / "agreement.json").write_text(dumps(report.to_dict()), encoding="utf-8")
    return {"csv": str(out_dir / "disagreements.csv"), "html": str(out_dir / "disagreements.html"),
            "json": str(out_dir / "agreement.json")}


_AGREEMENT_PAGE = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Coder disagreements: {{ coders|join(' vs ') }}</title>
<style>
body{font-family:"DejaVu Sans",sans-serif;margin:2rem;color:#1b1b1b;line-height:1.45}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f5}caption{text-align:left;font-weight:bold;margin-bottom:.5rem}.code{font-family:monospace}
</style></head><body>
<h1>Disagreements between {{ coders|join(' and ') }}</h1>
<p>{{ rows|length }} (unit, code) pairs on which the coders differ, over {{ result.n_units }} units of
{{ result.n_documents }} documents coded by {{ coders|join(' and ') }}. Sorted by code, then document and position,
so a consensus meeting can work through one code at a time.</p>
<table><caption>Units where the coders differ</caption>
<thead><tr><th scope="col">Code</th><th scope="col">Document</th><th scope="col">Turn</th><th scope="col">Unit text</th>
{% for c in coders %}<th scope="col">{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr><td class="code">{{ r.code }}</td><td>{{ r.document }}</td><td>{{ r.turn }}</td><td>{{ r.text }}</td>
{% for col in code_columns %}<td>{{ r[col] }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table></body></html>
"""


# --------------------------------------------------------------------------- themes kept with the project


def store_themes(project, result) -> None:
    """Keep the latest themes (the report's plain-data section) in the project, with an audit row."""
    import json

    from . import store
    from .provenance import versions
    from .store import Run, session_scope
    from .themes import themes_section

    section = themes_section(result)
    with session_scope(project.engine) as s:
        store.set_meta(s, "themes_section", dumps(section))
        s.add(Run(command="themes", parameters=json.loads(dumps(section.get("settings", {}))), versions=versions(),
                  summary={"themes": section.get("n_themes")}, finished=store.utcnow()))


def load_themes(project) -> dict[str, Any] | None:
    """The themes section stored by the last ``coder themes`` run, or None."""
    import json

    from . import store
    from .store import session_scope

    with session_scope(project.engine) as s:
        raw = store.get_meta(s, "themes_section")
    return json.loads(raw) if raw else None


def write_consensus(project, coders: Sequence[str], *, name: str = CONSENSUS,
                    statuses: Sequence[str] = DEFAULT_STATUSES) -> int:
    """Store the agreed codings of ``coders`` as a new coder (default ``consensus``).

    On the units of the documents the coders have in common, a unit gets code
    C when more than half of the coders applied C (with two coders: both).
    Earlier codings of that coder on those documents are replaced, in one
    transaction.  Returns the number of codings written.
    """
    from sqlalchemy import delete

    from . import store
    from .provenance import versions
    from .store import Coder, Coding, Run, session_scope

    if name in coders:
        raise AnalysisError(f"the consensus coder '{name}' cannot also be one of the coders compared")
    if name == "auto":
        raise AnalysisError("'auto' is reserved for the auto-coder; choose another name for the consensus")
    report = project_agreement(project, coders, statuses=statuses, spans=False)
    units = project.units_frame(with_text=False)
    units = units[units["document"].isin(report.documents)].set_index("unit_id")
    votes: dict[tuple[str, str], int] = {}
    for c in coders:
        for u, code in project.unit_codes(c, units=units.reset_index(), statuses=statuses).itertuples(index=False):
            votes[(u, code)] = votes.get((u, code), 0) + 1
    agreed = sorted(k for k, v in votes.items() if v * 2 > len(coders))
    cbv = project.codebook_version_id()
    with session_scope(project.engine) as s:
        if s.get(Coder, name) is None:
            s.add(Coder(name=name, kind="consensus"))
        s.flush()
        s.execute(delete(Coding).where(Coding.coder == name, Coding.document_id.in_(report.documents)))
        s.add_all(Coding(document_id=units.loc[u, "document"], code=code, start=int(units.loc[u, "start"]),
                         end=int(units.loc[u, "end"]), coder=name, codebook_version_id=cbv, status="accepted",
                         method="consensus", evidence={"coders": list(coders)}) for u, code in agreed)
        s.add(Run(command="consensus", parameters={"coders": list(coders), "name": name}, versions=versions(),
                  summary={"codings": len(agreed), "documents": report.documents}, finished=store.utcnow()))
    return len(agreed)
