"""Report rendering speed: seconds per page for the whole demo set, computing the analysis once.

Run from the repository root (after `coder demo`, or it builds a rules-only project itself)::

    .venv/bin/python benchmarks/bench_reports.py

It measures, in one run: building the report data once (all analyses), rendering
every HTML page, and writing every PDF (16 journeys, the cross-case report and
the training pack), then prints seconds per PDF page. As a baseline from the same
run it times journeys rendered the naive way (recomputing the analysis for each
family, measured on two families) and prints the ratio per document.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from pypdf import PdfReader

    from coder import Project
    from coder.autocode import auto_code
    from coder.render import render_html, write_reports
    from coder.reportdata import build_report_data

    demo = ROOT / "reports" / "demo-project"
    tmp = Path(tempfile.mkdtemp(prefix="coder-bench-reports-"))
    if (demo / "coder.db").is_file():
        project = Project.open(demo)
        print(f"project: {demo}")
    else:
        samples = ROOT / "transcripts_sample"
        project = Project.init(tmp / "proj", codebook=ROOT / "codebooks" / "troubled_families.yaml")
        project.import_files([samples], cases=samples / "cases.csv")
        auto_code(project, semantic=False)
        print("project: sample corpus, rules-only coding")

    t = time.perf_counter()
    data = build_report_data(project)
    t_data = time.perf_counter() - t
    n_fam = len(data["families"])

    t = time.perf_counter()
    pages_html = [render_html("crosscase", data), render_html("training", data)]
    pages_html += [render_html("journey", data, case=f["case"]) for f in data["families"]]
    t_html = time.perf_counter() - t

    t = time.perf_counter()
    written = write_reports(data, tmp / "out", formats=("pdf",))
    t_pdf = time.perf_counter() - t
    pdfs = [f for f in written["files"] if f.endswith(".pdf")]
    pages = sum(len(PdfReader(tmp / "out" / f).pages) for f in pdfs)

    print(f"{'stage':44s} {'seconds':>8s}")
    print(f"{'report data, computed once':44s} {t_data:8.1f}")
    print(f"{'HTML, ' + str(len(pages_html)) + ' documents':44s} {t_html:8.1f}")
    print(f"{'PDF, ' + str(len(pdfs)) + ' documents, ' + str(pages) + ' pages':44s} {t_pdf:8.1f}")
    print(f"{'seconds per PDF page (data + HTML + PDF)':44s} {(t_data + t_html + t_pdf) / pages:8.2f}")
    # baseline, measured: a renderer that recomputes the analysis for each family's journey
    t = time.perf_counter()
    for fam in data["families"][:2]:
        render_html("journey", build_report_data(project), case=fam["case"])
    naive = (time.perf_counter() - t) / 2
    once = (t_data + t_html) / len(pages_html)
    print(f"{'HTML per document, analysis redone each time':44s} {naive:8.2f}")
    print(f"{'HTML per document, analysis computed once':44s} {once:8.2f}")
    print(f"{'ratio (redone / once)':44s} {naive / once:8.1f}x")
    project.close()


if __name__ == "__main__":
    main()
