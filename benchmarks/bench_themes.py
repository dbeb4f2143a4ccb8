"""Benchmark: emergent themes on the sample corpus, embedding cold versus warm.

Run from the repository root::

    .venv/bin/python benchmarks/bench_themes.py              # all 16 sample interviews
    .venv/bin/python benchmarks/bench_themes.py --docs 6     # the first 6 files only (quicker)

What it shows: :func:`coder.themes.find_themes` spends most of a first run
embedding the participants' sentences with MiniLM (the offline
all-MiniLM-L6-v2 weights, loaded on the first cache miss), and the rest in
clustering (UMAP, HDBSCAN, c-TF-IDF and MMR keywords).  The vectors are
cached in the project database, so a re-run only reads them back.

It builds a fresh project in a temporary folder (import not timed), then:

1. **cold**: ``find_themes`` on an empty embeddings cache;
2. **warm**: ``find_themes`` again in the same process (cache and compiled
   numba code warm);
3. **warm, new process**: ``find_themes`` in a fresh Python process, as a
   second ``coder themes`` would run it (imports and UMAP's numba JIT
   compilation included, no embedding).

Embedding time is measured inside the embedder (unit sentences, code
prototypes and candidate keywords for MMR); clustering is the rest of
``find_themes``.  ``warm/cold`` is the warm time divided by the cold time
(lower is better).  The machine has 2 cores; timings are wall-clock, one run
each, and vary with load.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class TimedEmbedder:
    """Wraps the project's cached embedder and adds up the seconds spent in it."""

    def __init__(self, inner):
        self.inner = inner
        self.model_name = inner.model_name
        self.seconds = 0.0
        self.misses = 0
        self.hits = 0

    def __call__(self, texts, progress=None):
        t0 = time.perf_counter()
        out = self.inner(texts)
        self.seconds += time.perf_counter() - t0
        self.misses += self.inner.stats["misses"]
        self.hits += self.inner.stats["hits"]
        return out


def build_project(folder: Path, docs: int | None) -> Path:
    from coder import Project

    samples = REPO / "transcripts_sample"
    src = folder / "transcripts"
    src.mkdir()
    files = sorted(f for f in samples.iterdir() if f.is_file() and f.name != "cases.csv")
    stems = sorted({f.name.split(".")[0] for f in files})[: docs or None]
    for f in files:
        if f.name.split(".")[0] in stems:
            shutil.copy(f, src / f.name)
    cases = samples / "cases.csv" if docs is None else None
    p = Project.init(folder / "proj", codebook=REPO / "codebooks" / "troubled_families.yaml")
    p.import_files([src], cases=cases)
    p.close()
    return folder / "proj"


def timed_run(path: Path) -> dict:
    from coder import Project
    from coder.embeddings import CachedEmbedder
    from coder.themes import find_themes

    p = Project.open(path)
    emb = TimedEmbedder(CachedEmbedder(p.engine))
    t0 = time.perf_counter()
    result = find_themes(p, embedder=emb)
    total = time.perf_counter() - t0
    p.close()
    return {"embed": emb.seconds, "cluster": total - emb.seconds, "total": total, "misses": emb.misses,
            "hits": emb.hits, "themes": len(result.themes), "units": result.n_units}


def new_process_run(path: Path) -> float:
    code = textwrap.dedent(f"""
        from coder import Project
        from coder.themes import find_themes
        p = Project.open({str(path)!r})
        find_themes(p)
    """)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=None, help="use only the first N sample interviews")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-themes-") as tmp:
        path = build_project(Path(tmp), args.docs)
        cold = timed_run(path)
        warm = timed_run(path)
        fresh = new_process_run(path)
    print(f"sample corpus: {cold['units']} units clustered, {cold['themes']} themes; "
          f"cold run embedded {cold['misses']} texts, warm run {warm['misses']} (cache hits {warm['hits']})")
    print(f"{'stage':<38}{'cold s':>9}{'warm s':>9}{'warm/cold':>11}")
    for key, label in (("embed", "embedding (MiniLM, through the cache)"),
                       ("cluster", "clustering (UMAP+HDBSCAN+c-TF-IDF+MMR)"),
                       ("total", "find_themes total")):
        print(f"{label:<38}{cold[key]:>9.2f}{warm[key]:>9.2f}{warm[key] / cold[key]:>11.3f}")
    print(f"{'warm re-run in a new process':<38}{'':>9}{fresh:>9.2f}{fresh / cold['total']:>11.3f}"
          "   (imports + numba JIT included)")


if __name__ == "__main__":
    main()
