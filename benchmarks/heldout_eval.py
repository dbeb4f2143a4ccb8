"""Held-out accuracy check: coder's auto-coder against a real human coding it was never tuned on.

The project's own accuracy figures (README, "Accuracy of the auto-coder") come from the small gold
coding of the fictional sample transcripts, the same material the auto-coder's rules and the example
codebook were developed against.  This script is the held-out check: 28 real de-identified research
interviews about data curation (Mannheimer 2023, Qualitative Data Repository, doi:10.5064/F6GWMU4O),
exported from Otter.ai, with 753 human codings from the study's QualCoder project, scored with a
codebook the engine's developers did not write or tune: ``benchmarks/heldout/data_curation.yaml``.

The codebook has one code per top-level category of the study (context, data quality and
trustworthiness, data comparability, informed consent, privacy and confidentiality, intellectual
property and data ownership, curation, disciplinary differences, strategies for responsible
practice).  It was written from the study description, the *names* of the study's codes and general
domain knowledge only, before looking at any coded passage or transcript; its examples are invented
sentences.  Do not tune it (or the engine) to this check's scores: that would make it one more
training set.

What it does
------------
1. Copies the 28 transcripts (not the two "removed" stubs) into a work folder with a sidecar
   ``<stem>.meta.yaml`` each, declaring "Sara Mannheimer" the interviewer and every other Otter
   speaker the participant (document id ``BSR01`` etc., case = document, attribute ``group``),
   creates a coder project there with the codebook and imports them.
2. Converts the QualCoder codings (``qualcoder_export/codings.csv``, code-point offsets
   ``pos0``/``pos1`` into the raw files) into a coder gold codings CSV
   (``document,code,start,end,quote,coder,memo``): each fine-grained code is mapped to the codebook
   code of its top-level category (the category directly under the root "Mannheimer"; a code filed
   directly under the root by its name prefix, e.g. "privacy - ..."), and each passage is located in
   the imported plain text (same offsets when the text there is identical, else the nearest exact
   or whitespace-insensitive occurrence of the passage).  Passages that cannot be located are
   reported with the reason, and so are those that fall (partly or wholly) in interviewer turns:
   only participant sentences are coding units, so interviewer-only passages cannot be matched.
3. Runs :func:`coder.evaluate.compare_methods` - (a) keyword-substring baseline, (b) rules,
   (c) rules + semantic suggestions - and prints micro P/R/F1 and macro F1 per method, per-code
   precision and recall per method, and the number of units and gold codings.

Run it from the repository root::

    .venv/bin/python benchmarks/heldout_eval.py                      # temporary project, removed after
    .venv/bin/python benchmarks/heldout_eval.py --keep /tmp/heldout  # keep the project: re-runs reuse its
                                                                     # cached embeddings (much faster)
    .venv/bin/python benchmarks/heldout_eval.py --json               # one JSON document on stdout

``--shared PATH`` points at the shared test data (default: ``../shared/testdata`` next to the
repository).  When ``mannheimer_interviews/`` is not there the script says so and exits 0.  The
first run embeds about 7,800 participant sentences with MiniLM, which takes several minutes on two
CPU cores; with ``--keep`` a re-run only embeds what changed (the codebook's prototype sentences).

Licence: the interviews may not be republished.  Nothing from them is ever written into this
repository: the script reads them at run time, and ``--keep`` refuses a folder inside the repository.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_SHARED = REPO.parent / "shared" / "testdata"
MATERIAL = "mannheimer_interviews"
CODEBOOK = REPO / "benchmarks" / "heldout" / "data_curation.yaml"
INTERVIEWER = "Sara Mannheimer"
GOLD_CODER = "mannheimer"

# Top-level category (name prefix, lower-cased, spaces removed) -> codebook code id.
CATEGORY_CODES = {
    "context": "context",
    "quality": "data_quality",
    "comparability": "comparability",
    "consent": "informed_consent",
    "privacy": "privacy",
    "ip": "intellectual_property",
    "curation": "curation",
    "disciplinary": "disciplinary",
    "strategiesforresponsiblepractice": "responsible_practice",
}

METHOD_SHORT = ("(a) baseline", "(b) rules", "(c) rules+semantic")


class MaterialMissing(Exception):
    """The shared test data is not where we looked."""


# --------------------------------------------------------------------------- material


def material_dir(shared: str | Path | None = None) -> Path:
    """The Mannheimer folder, or :class:`MaterialMissing` naming where it was looked for."""
    base = Path(shared) if shared is not None else DEFAULT_SHARED
    folder = base / MATERIAL
    needed = [folder / "transcripts", folder / "qualcoder_export" / "codings.csv",
              folder / "qualcoder_export" / "codes.csv", folder / "qualcoder_export" / "code_categories.csv",
              folder / "qualcoder_export" / "sources.csv"]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise MaterialMissing(f"held-out material not found ({missing[0]} is missing); it lives in the shared "
                              f"test data beside the repository (../shared/testdata/{MATERIAL}), or pass --shared")
    return folder


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def transcript_files(material: Path) -> list[Path]:
    """The 28 interview transcripts (the two 'removed' stubs are left out)."""
    return sorted(p for p in (material / "transcripts").glob("*.txt") if "_removed" not in p.stem)


def document_id(stem: str) -> str:
    """``BSR01_transcript_deidentified`` -> ``BSR01``."""
    return stem.split("_", 1)[0]


def _prefix_key(name: str) -> str:
    return name.split(" - ", 1)[0].replace(" ", "").lower() if " - " in name else ""


def code_map(material: Path) -> dict[str, dict[str, Any]]:
    """QualCoder code id -> {name, category (top-level), prefix, code (codebook id or None)}.

    The top-level category of a code is the category directly under the root category (the one
    without a parent); a code filed directly under the root takes its own name prefix.
    """
    export = material / "qualcoder_export"
    cats = {r["catid"]: r for r in _read_csv(export / "code_categories.csv")}
    roots = {cid for cid, r in cats.items() if not (r.get("supercatid") or "").strip()}
    out = {}
    for row in _read_csv(export / "codes.csv"):
        catid = (row.get("catid") or "").strip()
        top_name = row["name"]
        seen = set()
        while catid and catid not in roots and catid in cats and catid not in seen:
            seen.add(catid)
            parent = (cats[catid].get("supercatid") or "").strip()
            if parent in roots or not parent:
                top_name = cats[catid]["name"]
                break
            catid = parent
        key = _prefix_key(top_name)
        out[row["cid"]] = {"name": row["name"], "category": top_name.split(" - ", 1)[0], "prefix": key,
                           "code": CATEGORY_CODES.get(key)}
    return out


# --------------------------------------------------------------------------- project


def _speaker_labels(path: Path) -> list[str]:
    """The Otter speaker labels of a transcript, as coder's own parser reads them."""
    from coder.ingest import decode_bytes, parse_text

    text, _ = decode_bytes(path.read_bytes(), str(path))
    parsed = parse_text(text, source=str(path), format="otter", default_id=path.stem)
    return list(dict.fromkeys(t.label for t in parsed.turns))


def write_inputs(material: Path, dest: Path) -> tuple[list[Path], list[str], dict[str, dict[str, str]]]:
    """Copy the transcripts into ``dest`` with a ``.meta.yaml`` sidecar each.

    Returns (files, notes, labels): ``labels`` maps each document to {speaker label: role}.
    """
    dest.mkdir(parents=True, exist_ok=True)
    files, notes, labels_by_doc = [], [], {}
    for src in transcript_files(material):
        target = dest / src.name
        if not target.exists() or target.read_bytes() != src.read_bytes():
            shutil.copyfile(src, target)
        labels = _speaker_labels(src)
        doc = document_id(src.stem)
        if INTERVIEWER not in labels:
            notes.append(f"{doc}: no '{INTERVIEWER}' turns")
        others = [lb for lb in labels if lb != INTERVIEWER]
        if len(others) != 1:
            notes.append(f"{doc}: {len(others)} non-interviewer speaker labels {others}")
        elif others[0] != doc:
            notes.append(f"{doc}: participant label '{others[0]}' differs from the file name")
        speakers = {INTERVIEWER: {"role": "interviewer"}}
        speakers.update({lb: {"role": "participant", "pseudonym": doc} for lb in others})
        meta = {"document": doc, "case": doc, "title": f"Data curation interview {doc}",
                "speakers": speakers, "attributes": {"group": doc.rstrip("0123456789"),
                                                     "source": "Mannheimer 2023, QDR doi:10.5064/F6GWMU4O"}}
        labels_by_doc[doc] = {lb: spec["role"] for lb, spec in speakers.items()}
        side = dest / f"{src.stem}.meta.yaml"
        body = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
        if not side.exists() or side.read_text(encoding="utf-8") != body:
            side.write_text(body, encoding="utf-8")
        files.append(target)
    return files, notes, labels_by_doc


def _inside_repo(path: Path) -> bool:
    p = path.resolve()
    return p == REPO or REPO in p.parents


def build_project(material: Path, workdir: Path, *, codebook: Path = CODEBOOK):
    """Create (or reopen) the project in ``workdir``, import the transcripts, set the codebook.

    Returns ``(project, info)`` where info has the import report and sidecar notes.
    """
    from coder import Project

    workdir = Path(workdir)
    files, notes, labels = write_inputs(material, workdir / "transcripts")
    if (workdir / "coder.db").exists():
        project = Project.open(workdir)
    else:
        project = Project.init(workdir)
    cb_report = project.set_codebook(codebook)
    report = project.import_files(files)
    return project, {"import": report.as_dict(), "codebook": cb_report.as_dict(), "notes": notes, "labels": labels}




def _turn_roles(turns) -> dict[str, tuple[list[int], list[int], list[str]]]:
    by_doc: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for doc, start, end, role in turns:
        by_doc[doc].append((int(start), int(end), str(role)))
    out = {}
    for doc, rows in by_doc.items():
        rows.sort()
        out[doc] = ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    return out


def _where(doc_turns, start: int, end: int) -> str:
    """Which speakers' turns the span [start, end) overlaps: participant | mixed | interviewer | none."""
    if doc_turns is None:
        return "none"
    starts, ends, roles = doc_turns
    hit = set()
    i = bisect.bisect_right(ends, start)  # first turn ending after the span starts
    while i < len(starts) and starts[i] < end:
        if min(end, ends[i]) > max(start, starts[i]):
            hit.add(roles[i])
        i += 1
    if not hit:
        return "none"
    if "participant" in hit and len(hit) > 1:
        return "mixed"
    if hit == {"participant"}:
        return "participant"
    return "interviewer"


def convert_gold(material: Path, texts: dict[str, str], turns) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """QualCoder codings -> coder gold rows, with a report of what could not be mapped and why.

    ``texts``: document id -> imported plain text (``Project.texts()``); ``turns``: iterable of
    ``(document, start, end, role)`` (e.g. from ``Project.turns_frame()``).
    Rows: document, code, start, end, quote (== texts[document][start:end]), coder, memo.
    """
    from coder.codings_io import locate_quote

    export = material / "qualcoder_export"
    codes = code_map(material)
    sources = {r["fid"]: r["name"] for r in _read_csv(export / "sources.csv")}
    raw_cache: dict[str, str] = {}
    doc_turns = _turn_roles(turns)
    rows: list[dict[str, Any]] = []
    unmapped: Counter = Counter()
    unmapped_examples: dict[str, list[str]] = defaultdict(list)
    how: Counter = Counter()
    where: Counter = Counter()
    raw_mismatch = 0
    codings = _read_csv(export / "codings.csv")
    keys = set()
    duplicates = 0

    def fail(reason: str, ident: str) -> None:
        unmapped[reason] += 1
        if len(unmapped_examples[reason]) < 5:
            unmapped_examples[reason].append(ident)

    for c in codings:
        ident = f"ctid {c['ctid']}"
        info = codes.get(c["cid"])
        if info is None:
            fail("code id not in codes.csv", ident)
            continue
        if info["code"] is None:
            fail(f"no codebook code for category '{info['category']}'", ident)
            continue
        name = sources.get(c["fid"])
        if name is None:
            fail("source id not in sources.csv", ident)
            continue
        doc = document_id(name)
        if doc not in texts:
            fail("document not imported", f"{ident} ({name})")
            continue
        text = texts[doc]
        sel = c["seltext"]
        pos0, pos1 = int(c["pos0"]), int(c["pos1"])
        if not sel.strip():
            fail("empty selection", ident)
            continue
        if name not in raw_cache:
            raw_path = material / "transcripts" / f"{name}.txt"
            raw_cache[name] = raw_path.read_text(encoding="utf-8") if raw_path.exists() else ""
        if raw_cache[name][pos0:pos1] != sel:
            raw_mismatch += 1
        if text[pos0:pos1] == sel:
            start, end = pos0, pos1
            how["same offsets"] += 1
        else:
            hits = locate_quote(sel, text)
            if not hits:
                fail("passage text not found in the imported text", ident)
                continue
            start, end = _nearest(hits, pos0)
            how["relocated by text" + (" (ambiguous: nearest taken)" if len(hits) > 1 else "")] += 1
        where[_where(doc_turns.get(doc), start, end)] += 1
        key = (doc, info["code"], start, end)
        if key in keys:
            duplicates += 1  # two fine codes of one category on the same span: one gold row
            continue
        keys.add(key)
        rows.append({"document": doc, "code": info["code"], "start": start, "end": end, "quote": text[start:end],
                     "coder": GOLD_CODER, "memo": info["name"]})
    mapped = sum(how.values())
    report = {
        "passages": len(codings),
        "mapped": mapped,
        "unmapped": sum(unmapped.values()),
        "unmapped_reasons": dict(unmapped),
        "unmapped_examples": {k: v for k, v in unmapped_examples.items()},
        "how_mapped": dict(how),
        "raw_offsets_not_matching_seltext": raw_mismatch,
        "speaker_turns": {k: where.get(k, 0) for k in ("participant", "mixed", "interviewer", "none")},
        "duplicate_rows_merged": duplicates,
        "gold_rows": len(rows),
        "fine_codes": len(codes),
        "fine_codes_per_code": dict(Counter(v["code"] or "(unmapped)" for v in codes.values())),
        "gold_rows_per_code": dict(Counter(r["code"] for r in rows)),
    }
    return rows, report


def write_gold_csv(rows: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["document", "code", "start", "end", "quote", "coder", "memo"])
        w.writeheader()
        w.writerows(rows)


def prepare(material: Path, workdir: Path) -> dict[str, Any]:
    """Build the project and the gold CSV in ``workdir`` (no coding, no embedding)."""
    from coder.units import assign_units
    import pandas as pd

    project, info = build_project(material, workdir)
    texts = project.texts()
    tf = project.turns_frame()
    rows, report = convert_gold(material, texts, zip(tf["document"], tf["start"], tf["end"], tf["role"]))
    gold_file = Path(workdir) / "gold_codings.csv"
    write_gold_csv(rows, gold_file)
    units = project.units_frame()
    g = pd.DataFrame(rows, columns=["document", "code", "start", "end"])
    per_row = assign_units(units, g.assign(code=[str(i) for i in range(len(g))]))
    marked = per_row["code"].nunique() if len(per_row) else 0
    pairs = assign_units(units, g)
    report["gold_rows_marking_a_unit"] = int(marked)
    report["gold_rows_marking_no_unit"] = int(len(rows) - marked)
    report["gold_unit_code_pairs"] = int(len(pairs))
    report["gold_units"] = int(pairs["unit_id"].nunique()) if len(pairs) else 0
    turns_by_role = tf.groupby("role").size().to_dict()
    return {"project": project, "gold_file": gold_file, "rows": rows, "report": report, "texts": texts,
            "units": int(len(units)), "documents": len(texts), "turns": turns_by_role, **info}


# --------------------------------------------------------------------------- run


def _f(x: Any) -> str:
    return "n/a" if x is None or (isinstance(x, float) and x != x) else f"{x:.3f}"


def _progress(stage: str, i: int, n: int, _state={"last": 0.0}) -> None:  # noqa: B006 - deliberate state
    now = time.monotonic()
    if i == n or now - _state["last"] > 10:
        _state["last"] = now
        print(f"  {stage}: {i}/{n}", file=sys.stderr, flush=True)


def evaluate_heldout(material: Path, workdir: Path, *, quiet: bool = False) -> dict[str, Any]:
    from coder.evaluate import compare_methods

    t0 = time.perf_counter()
    if not quiet:
        print(f"building the project in {workdir} ...", file=sys.stderr, flush=True)
    prep = prepare(material, workdir)
    t_prep = time.perf_counter() - t0
    project = prep["project"]
    try:
        if not quiet:
            print(f"scoring three methods on {prep['units']} units (embedding uncached sentences) ...",
                  file=sys.stderr, flush=True)
        results = compare_methods(project, prep["gold_file"], progress=None if quiet else _progress)
    finally:
        project.close()
    total = time.perf_counter() - t0
    methods = []
    for short, ev in zip(METHOD_SHORT, results):
        methods.append({"method": ev.label, "short": short, "n_units": ev.scores["n_units"],
                        "micro": ev.scores["micro"], "macro": ev.scores["macro"], "codes": ev.scores["codes"],
                        **ev.extra})
    return {
        "material": str(material),
        "codebook": str(CODEBOOK.relative_to(REPO)),
        "project": str(workdir),
        "documents": prep["documents"],
        "turns": prep["turns"],
        "units": prep["units"],
        "import": {k: prep["import"].get(k) for k in ("added", "unchanged", "turns", "sentences", "warnings")},
        "sidecar_notes": prep["notes"],
        "gold": prep["report"],
        "methods": methods,
        "seconds": {"prepare": round(t_prep, 1), "total": round(total, 1)},
    }


def print_report(res: dict[str, Any]) -> None:
    g = res["gold"]
    print(f"Held-out check: {res['documents']} Mannheimer interviews, codebook {res['codebook']}")
    print(f"units: {res['units']} participant sentences; turns by role: {res['turns']}")
    print(f"QualCoder passages: {g['passages']}; mapped {g['mapped']} ({g['how_mapped']}), unmapped {g['unmapped']}"
          + (f" {g['unmapped_reasons']}" if g["unmapped"] else ""))
    st = g["speaker_turns"]
    print(f"mapped passages by speaker: {st['participant']} in participant turns only, {st['mixed']} spanning "
          f"interviewer and participant, {st['interviewer']} in interviewer turns only, {st['none']} outside any turn")
    print(f"gold codings: {g['gold_rows']} rows ({g['duplicate_rows_merged']} same-span duplicates merged), "
          f"{g['gold_rows_marking_a_unit']} mark at least one unit, {g['gold_rows_marking_no_unit']} mark none; "
          f"{g['gold_unit_code_pairs']} (unit, code) pairs on {g['gold_units']} units")
    if g["raw_offsets_not_matching_seltext"]:
        print(f"note: {g['raw_offsets_not_matching_seltext']} QualCoder offsets do not match the raw file text")
    for note in res["sidecar_notes"]:
        print(f"note: {note}")
    for w in res["import"].get("warnings") or []:
        print(f"import warning: {w}")
    print()
    print("| method | micro precision | micro recall | micro F1 | macro F1 |")
    print("|---|---|---|---|---|")
    for m in res["methods"]:
        print(f"| {m['method']} | {_f(m['micro']['precision'])} | {_f(m['micro']['recall'])} | "
              f"{_f(m['micro']['f1'])} | {_f(m['macro']['f1'])} |")
    thr = [m.get("threshold") for m in res["methods"] if m.get("threshold") is not None]
    if thr:
        print(f"(semantic threshold {thr[0]:.3f})")
    print()
    head = " | ".join(f"{m['short']} P / R" for m in res["methods"])
    print(f"| code | gold units | {head} |")
    print("|---|---|" + "---|" * len(res["methods"]))
    codes = list(res["methods"][0]["codes"])
    for code in codes:
        cells = []
        for m in res["methods"]:
            c = m["codes"][code]
            cells.append(f"{_f(c['precision'])} / {_f(c['recall'])} ({c['auto']})")
        print(f"| {code} | {res['methods'][0]['codes'][code]['gold']} | " + " | ".join(cells) + " |")
    print("(per-code cells: precision / recall (units the method coded))")
    print()
    print(f"time: {res['seconds']['total']:.1f} s (project and gold {res['seconds']['prepare']:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Held-out accuracy check on the Mannheimer data-curation interviews "
                                             "(see the module docstring).")
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                    help="the shared test data folder (default: ../shared/testdata beside the repository)")
    ap.add_argument("--keep", type=Path, default=None,
                    help="keep the project in this folder (outside the repository) and reuse it on re-runs, "
                         "so embeddings stay cached")
    ap.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    args = ap.parse_args(argv)
    if args.keep is not None and _inside_repo(args.keep):
        print(f"error: --keep {args.keep} is inside the repository; the project holds copies of interviews that "
              "may not be republished, so keep it elsewhere (e.g. /tmp/heldout)", file=sys.stderr)
        return 1
    try:
        material = material_dir(args.shared)
    except MaterialMissing as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 0
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        res = evaluate_heldout(material, args.keep, quiet=args.json)
    else:
        with tempfile.TemporaryDirectory(prefix="coder-heldout-") as tmp:
            res = evaluate_heldout(material, Path(tmp) / "project", quiet=args.json)
    if args.json:
        from coder.jsonutil import dumps

        print(dumps(res))
    else:
        print_report(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
