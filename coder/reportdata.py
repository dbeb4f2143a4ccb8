"""Everything the reports show, computed once from a project (the report data contract).

:func:`build_report_data` reads the project once, runs the analyses once
(prevalence, case × code matrix, co-occurrence, links and loops, timelines,
agreement, accuracy) and returns one plain, JSON-safe dict.  The templates
only read it: sixteen journeys, the cross-case report and the training pack
are then rendered from the same numbers ("compute once, render many"), so a
figure in one report always equals the same figure in another.

Privacy: every quote and time anchor passes through :func:`coder.redact.redact`
with every roster name of the project, and speakers appear by pseudonym,
relation or role, never by label (Otter labels are real names).

By default the numbers use the analysis coder's *accepted* codings: rule
matches, not semantic suggestions awaiting review.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from typing import Any, Sequence

import pandas as pd

from .errors import AnalysisError
from .figures import DEFAULT_KINDS
from .redact import redact

__all__ = ["build_report_data", "KINDS", "COREQ", "DISCUSSION_QUESTIONS"]

KINDS = DEFAULT_KINDS  # one table of kind labels, colours and shapes: the report contract's data['kinds']

# COREQ: Tong, Sainsbury & Craig (2007), Int J Qual Health Care 19(6):349-357, doi:10.1093/intqhc/mzm042
COREQ = [
    (1, "Research team and reflexivity", "Interviewer/facilitator: which author/s conducted the interview or focus group?"),
    (2, "Research team and reflexivity", "Credentials: what were the researcher's credentials?"),
    (3, "Research team and reflexivity", "Occupation: what was their occupation at the time of the study?"),
    (4, "Research team and reflexivity", "Gender: was the researcher male or female?"),
    (5, "Research team and reflexivity", "Experience and training: what experience or training did the researcher have?"),
    (6, "Research team and reflexivity", "Relationship established: was a relationship established prior to study commencement?"),
    (7, "Research team and reflexivity", "Participant knowledge of the interviewer: what did the participants know about the researcher?"),
    (8, "Research team and reflexivity", "Interviewer characteristics: what characteristics were reported about the interviewer?"),
    (9, "Study design", "Methodological orientation and theory: what methodological orientation underpinned the study?"),
    (10, "Study design", "Sampling: how were participants selected?"),
    (11, "Study design", "Method of approach: how were participants approached?"),
    (12, "Study design", "Sample size: how many participants were in the study?"),
    (13, "Study design", "Non-participation: how many people refused to participate or dropped out, and why?"),
    (14, "Study design", "Setting of data collection: where was the data collected?"),
    (15, "Study design", "Presence of non-participants: was anyone else present besides the participants and researchers?"),
    (16, "Study design", "Description of sample: what are the important characteristics of the sample?"),
    (17, "Study design", "Interview guide: were questions, prompts or guides provided by the authors? Was it pilot tested?"),
    (18, "Study design", "Repeat interviews: were repeat interviews carried out? If yes, how many?"),
    (19, "Study design", "Audio/visual recording: did the research use audio or visual recording to collect the data?"),
    (20, "Study design", "Field notes: were field notes made during and/or after the interview?"),
    (21, "Study design", "Duration: what was the duration of the interviews?"),
    (22, "Study design", "Data saturation: was data saturation discussed?"),
    (23, "Study design", "Transcripts returned: were transcripts returned to participants for comment and/or correction?"),
    (24, "Analysis and findings", "Number of data coders: how many data coders coded the data?"),
    (25, "Analysis and findings", "Description of the coding tree: did authors provide a description of the coding tree?"),
    (26, "Analysis and findings", "Derivation of themes: were themes identified in advance or derived from the data?"),
    (27, "Analysis and findings", "Software: what software, if applicable, was used to manage the data?"),
    (28, "Analysis and findings", "Participant checking: did participants provide feedback on the findings?"),
    (29, "Analysis and findings", "Quotations presented: were participant quotations presented to illustrate the findings? Was each identified?"),
    (30, "Analysis and findings", "Data and findings consistent: was there consistency between the data presented and the findings?"),
    (31, "Analysis and findings", "Clarity of major themes: were major themes clearly presented in the findings?"),
    (32, "Analysis and findings", "Clarity of minor themes: is there a description of diverse cases or discussion of minor themes?"),
]

DISCUSSION_QUESTIONS = [
    "Which of this family's problems would you have seen first, and which might have stayed hidden?",
    "The family described {n_links} way(s) one problem led to another. Where could support have broken the chain?",
    "This family was involved with {n_services} agencies. Who held the whole picture, and how would you know?",
    "What helped here, in the family's own words? What would you need to offer the same?",
    "Which sanctions or consequences were used, and how did practical help make them work rather than backfire?",
]

DOMAINS = ["Home and relationships", "Children and school", "Health", "Money and work", "Crime and justice", "Services"]


def _public_speaker(spec: dict[str, Any] | None, label: str) -> str:
    spec = spec or {}
    if spec.get("pseudonym"):
        return str(spec["pseudonym"])
    if spec.get("relation"):
        return str(spec["relation"]).replace("-", " ").capitalize()
    return {"interviewer": "Interviewer", "participant": "Participant"}.get(spec.get("role", ""), "Speaker")


def _short(text: str, limit: int = 45) -> str:
    words = text.split()
    return text if len(words) <= limit else " ".join(words[:limit]) + " …"


def _quote_rank(row) -> tuple:
    n = len(str(row["text"]).split())
    good_len = 0 if 7 <= n <= 40 else 1
    return (row["status"] != "accepted", row["method"] == "semantic", good_len, -(row["confidence"] or 0), row["position"])


def build_report_data(project, *, coder: str = "auto", statuses: Sequence[str] = ("accepted",),
                      reference: str | None = "gold", themes: dict[str, Any] | None = None,
                      events_csv: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Compute the report data (see ``docs/reports.md`` for the contract)."""
    from .analysis import project_agreement
    from .cases import parse_household
    from .cooccur import cooccurrence, prevalence
    from .network import network_summary
    from .provenance import coder_version
    from .timeline import code_domains_for, extract_events, names_from_roster, timeline_dict

    from .analysis import load_themes

    cb = project.codebook()
    coders = project.coders()
    if themes is None:
        themes = load_themes(project)
    if coder not in set(coders["coder"]):
        raise AnalysisError(f"no codings by '{coder}' yet; run 'coder code {project.path}' first (or pass another coder)")
    roster = project.roster_names()
    R = lambda text: redact(str(text), roster)  # noqa: E731

    codes_df = cb.to_frame()
    code_by_id = {c.id: c for c in cb.codes}
    depth = {}
    for c in cb.codes:
        d, p = 0, c.parent
        while p is not None:
            d, p = d + 1, code_by_id[p].parent
        depth[c.id] = d
    has_children = {c.parent for c in cb.codes if c.parent}

    units = project.units_frame()
    docs = project.documents_frame()
    speakers = {r.document: r.speakers for r in docs.itertuples()}
    units["speaker"] = [_public_speaker(speakers.get(d, {}).get(lab), lab) for d, lab in zip(units["document"], units["label"])]
    codings = project.codings_frame(coder, statuses=list(statuses))
    uc = project.unit_codes(coder, units=units, statuses=list(statuses))
    meta = {}
    if not codings.empty:
        # carry method/status/confidence from the codings onto the unit-codes (auto codings are unit-aligned)
        key = codings.assign(unit_id=codings["document"] + "@" + codings["start"].astype(str) + ":" + codings["end"].astype(str))
        meta = {(u, c): (s, m, conf) for u, c, s, m, conf in
                zip(key["unit_id"], key["code"], key["status"], key["method"], key["confidence"])}
    uc = uc.merge(units[["unit_id", "document", "case", "position", "text", "speaker", "turn"]], on="unit_id")
    uc["status"] = [meta.get((u, c), ("accepted", "manual", None))[0] for u, c in zip(uc["unit_id"], uc["code"])]
    uc["method"] = [meta.get((u, c), ("accepted", "manual", None))[1] for u, c in zip(uc["unit_id"], uc["code"])]
    uc["confidence"] = [meta.get((u, c), ("accepted", "manual", None))[2] for u, c in zip(uc["unit_id"], uc["code"])]
    links = project.links_frame(coder)
    cases_frame = project.cases_frame().set_index("case") if len(project.cases_frame()) else pd.DataFrame()
    case_ids = sorted(units["case"].unique())
    N_cases = len(case_ids)
    N_units = len(units)

    problem_ids = [c.id for c in cb.codes if c.kind == "problem"
                   and (c.id not in has_children or (uc["code"] == c.id).any())]
    service_ids = [c.id for c in cb.codes if c.kind == "service"]

    def best_quote(rows: pd.DataFrame) -> dict[str, Any] | None:
        if rows.empty:
            return None
        r = min((r for _, r in rows.iterrows()), key=_quote_rank)
        return {"quote": R(_short(r["text"])), "speaker": r["speaker"], "case": r["case"], "method": r["method"],
                "status": r["status"]}

    # ------------------------------------------------------------- cross-case numbers
    prev = prevalence(uc[["unit_id", "code"]], units[["unit_id", "document", "case", "position"]],
                      codes=list(codes_df["id"]))
    prevalence_rows = []
    for cid in problem_ids:
        row = prev.loc[cid] if cid in prev.index else None
        prevalence_rows.append({"code": cid, "name": code_by_id[cid].name, "kind": "problem",
                                "n_cases": int(row["n_cases"]) if row is not None else 0, "N_cases": N_cases,
                                "n_units": int(row["n_units"]) if row is not None else 0, "N_units": N_units,
                                "case_share": (float(row["n_cases"]) / N_cases) if row is not None and N_cases else 0.0})
    prevalence_rows.sort(key=lambda r: (-r["n_cases"], -r["n_units"], r["name"]))

    counts = uc.groupby(["case", "code"]).size()
    matrix_codes = [r["code"] for r in prevalence_rows]
    matrix = {"cases": case_ids, "codes": matrix_codes, "code_names": [code_by_id[c].name for c in matrix_codes],
              "values": [[int(counts.get((case, c), 0)) for c in matrix_codes] for case in case_ids]}

    prob_uc = uc[uc["code"].isin(problem_ids)]
    prob_codes = codes_df[codes_df["id"].isin(problem_ids)]
    link_rows = links[links["from_code"].isin(problem_ids) & links["to_code"].isin(problem_ids)]
    unit_frame = units[["unit_id", "document", "case", "position"]]
    net = {"level": "case", "N": N_cases, "nodes": [], "edges": [], "all_edges": 0, "note": None}
    summary = None
    if not prob_uc.empty:
        cooc = cooccurrence(prob_uc[["unit_id", "code"]], unit_frame, level="case", codes=problem_ids)
        summary = network_summary(cooc, link_rows, prob_codes)
        net["nodes"] = [{k: n.get(k) for k in ("id", "name", "kind", "color", "frequency", "cases")} for n in summary["nodes"]
                        if n.get("frequency")]
        net["all_edges"] = len(summary["edges"])
        net["edges"] = [{k: e.get(k) for k in ("source", "target", "count", "c", "lift", "p_value", "q_value", "significant")}
                        for e in summary["edges"] if e.get("significant")]
    if not net["edges"]:
        net["note"] = (f"No pair of problems co-occurs across families more often than chance would give "
                       f"(Benjamini–Hochberg q < 0.05, {N_cases} families). With few families this test has little power; "
                       "the directed links below show what participants said led to what.")

    def link_dicts(df: pd.DataFrame) -> list[dict[str, Any]]:
        out = []
        for (a, b), g in df.groupby(["from_code", "to_code"]):
            qs = []
            for r in g.sort_values(["document", "start"]).itertuples():
                qs.append({"quote": R(_short(r.quote, 60)), "case": r.case, "speaker": _speaker_at(units, r.document, r.start)})
            out.append({"from": a, "to": b, "from_name": code_by_id[a].name, "to_name": code_by_id[b].name,
                        "count": int(len(g)), "cases": sorted(set(g["case"])), "quotes": qs[:3]})
        out.sort(key=lambda d: (-d["count"], d["from"], d["to"]))
        return out

    loops = []
    if summary is not None:
        for lp in summary.get("loop_details", []):
            quotes = []
            cyc = lp["codes"]
            for i, q in enumerate(lp.get("quotes", [])):  # one quote per edge, in cycle order
                quotes.append({"from": cyc[i % len(cyc)], "to": cyc[(i + 1) % len(cyc)],
                               "quote": R(_short(q.get("quote") or "", 60)),
                               "case": q.get("case"), "speaker": _speaker_at(units, q.get("document"), q.get("start"))})
            loops.append({"codes": lp["codes"], "names": [code_by_id[c].name for c in lp["codes"]],
                          "families": lp.get("families") or [], "within_family": bool(lp.get("within_family")),
                          "quotes": quotes})

    mentioned_by = {r["code"]: set(prob_uc[prob_uc["code"] == r["code"]]["case"]) for r in prevalence_rows}
    negative = []
    for r in prevalence_rows:
        if r["n_cases"] >= max(2, math.ceil(N_cases / 2)) and r["n_cases"] < N_cases:
            missing = [c for c in case_ids if c not in mentioned_by[r["code"]]]
            negative.append({"code": r["code"], "name": r["name"],
                             "statement": f"{len(missing)} of {N_cases} families did not mention {r['name'].lower()}; "
                                          "not mentioning a problem is not evidence that the family did not have it.",
                             "cases": missing})
    link_cases = defaultdict(set)
    for r in link_rows.itertuples():
        link_cases[(r.from_code, r.to_code)].add(r.case)
    for (a, b), fams in sorted(link_cases.items(), key=lambda kv: -len(kv[1])):
        if len(fams) >= 2:
            both = mentioned_by.get(a, set()) & mentioned_by.get(b, set())
            without = sorted(both - fams)
            if without:
                negative.append({"code": f"{a}->{b}", "name": f"{code_by_id[a].name} → {code_by_id[b].name}",
                                 "statement": f"{len(fams)} families said {code_by_id[a].name.lower()} led to "
                                              f"{code_by_id[b].name.lower()}; {len(without)} others mentioned both without "
                                              "linking them.", "cases": without})

    exemplars = []
    for c in cb.codes:
        rows = uc[uc["code"] == c.id]
        if rows.empty:
            continue
        picked = sorted((r for _, r in rows.iterrows()), key=_quote_rank)
        seen_cases, qs = set(), []
        for r in picked:
            if r["case"] in seen_cases:
                continue
            seen_cases.add(r["case"])
            qs.append({"quote": R(_short(r["text"])), "case": r["case"], "speaker": r["speaker"], "method": r["method"],
                       "status": r["status"]})
            if len(qs) == 3:
                break
        exemplars.append({"code": c.id, "name": c.name, "kind": c.kind, "quotes": qs})

    serv = uc[uc["code"].isin(service_ids)].groupby("case")["code"].nunique()
    services_per_family = [{"case": c, "n": int(serv.get(c, 0))} for c in case_ids]

    # ------------------------------------------------------------- agreement and accuracy
    agreement = accuracy = None
    if reference and reference in set(coders["coder"]) and reference != coder:
        try:
            ag = project_agreement(project, [coder, reference], statuses=("accepted", "suggested"), spans=False).to_dict()
            agreement = {"coders": [coder, reference], "n_units": ag["n_units"], "documents": ag["n_documents"],
                         "percent": ag["overall"]["percent"], "kappa": ag["overall"]["kappa"], "alpha": ag["overall"]["alpha"]}
        except AnalysisError:
            agreement = None
        accuracy = _accuracy(project, coder, reference, units, cb)

    # ------------------------------------------------------------- families
    code_domains = code_domains_for(cb.codes)
    code_names = {c.id: c.name for c in cb.codes}
    doc_roster = _doc_rosters(project)
    families = []
    for case in case_ids:
        cu = units[units["case"] == case]
        cuc = uc[uc["case"] == case]
        attrs = {k: v for k, v in (cases_frame.loc[case].to_dict().items() if case in cases_frame.index else {}.items())
                 if isinstance(v, str) and v}
        members = parse_household(attrs.get("household", ""), where=f"cases.csv {case}") if attrs.get("household") else []
        household = [{"relation": m.relation, "sex": m.sex, "age": m.age, "away": m.away, "generation": m.generation,
                      "label": f"{m.relation.replace('-', ' ').capitalize()} ({m.age})"} for m in members]
        case_docs = sorted(set(cu["document"]))
        interview_date = attrs.get("interview_date") or next(
            (str(a.get("date")) for d, a in zip(docs["document"], docs["attributes"]) if d in case_docs and a.get("date")), None)
        problems = []
        for cid in problem_ids:
            rows = cuc[cuc["code"] == cid]
            problems.append({"code": cid, "name": code_by_id[cid].name, "n_units": int(len(rows)),
                             "mentioned": bool(len(rows)), "quote": best_quote(rows)})
        fam_prob = cuc[cuc["code"].isin(problem_ids)]
        web_edges = []
        if not fam_prob.empty:
            fc = cooccurrence(fam_prob[["unit_id", "code"]], unit_frame[unit_frame["case"] == case], level="window",
                              window=3, codes=problem_ids)
            web_edges = [{"source": e.source, "target": e.target, "count": int(e.count)}
                         for e in fc.edges.itertuples() if e.count > 0]
        fam_links = link_rows[link_rows["case"] == case]
        fam_loops = []
        for lp in loops:
            if case in lp["families"]:
                fam_loops.append({"codes": lp["codes"], "names": lp["names"],
                                  "quotes": [q for q in lp["quotes"] if q.get("case") == case] or lp["quotes"]})
        web_nodes = [{"id": cid, "name": code_by_id[cid].name, "kind": "problem", "color": code_by_id[cid].color,
                      "frequency": int((fam_prob["code"] == cid).sum())}
                     for cid in problem_ids if (fam_prob["code"] == cid).any()]
        services = []
        for cid in service_ids:
            rows = cuc[cuc["code"] == cid]
            if len(rows):
                q = best_quote(rows)
                services.append({"code": cid, "name": code_by_id[cid].name, "n_units": int(len(rows)),
                                 "quote": {"quote": q["quote"], "speaker": q["speaker"]}})
        services.sort(key=lambda s: -s["n_units"])
        # timeline
        codes_per_unit = cuc.groupby("unit_id")["code"].apply(list).to_dict()
        tl_units = cu.assign(codes=[codes_per_unit.get(u, []) for u in cu["unit_id"]])
        rel = {}
        for d in case_docs:
            for lab, spec in (speakers.get(d) or {}).items():
                if spec.get("relation"):
                    rel[lab] = spec["relation"]
        names = names_from_roster(doc_roster.get(case, []))
        events = extract_events(tl_units, interview_date=interview_date, household=members, code_domains=code_domains,
                                code_names=code_names, speaker_relations=rel, names=names, case=case)
        if events_csv:
            from .timeline import apply_overrides, read_events_csv

            events = apply_overrides(events, read_events_csv(events_csv, cases=case_ids), case)
        tl = timeline_dict(events, interview_date)
        for ev in tl["events"]:
            ev["quote"] = R(_short(ev.get("quote") or "", 40))
            if ev.get("anchor"):
                ev["anchor"] = R(ev["anchor"])
            ev["label"] = R(ev.get("label") or "")
        family_best: dict[str, list[dict[str, Any]]] = {"support": [], "outcome": []}  # what helped; outcomes
        for c in cb.codes:
            q = best_quote(cuc[cuc["code"] == c.id]) if c.kind in family_best else None
            if q:
                family_best[c.kind].append({"code": c.id, "name": c.name, "quote": q["quote"], "speaker": q["speaker"]})
        helped, outcomes = family_best["support"], family_best["outcome"]
        quotes = _their_words(cuc, code_names, R)
        fam_link_dicts = link_dicts(fam_links)
        families.append({
            "case": case, "title": f"Family {case}", "interview_date": interview_date, "household": household,
            "speakers": sorted({(s, "participant") for s in cu["speaker"]}, key=lambda x: x[0]) and
            [{"label_public": s, "role": "participant"} for s in sorted(set(cu["speaker"]))],
            "attributes": {k: attrs[k] for k in ("area_type", "tenure", "recruitment", "lead_carer") if k in attrs},
            "problems": problems,
            "web": {"nodes": web_nodes, "edges": web_edges, "links": fam_link_dicts, "loops": fam_loops},
            "services": services, "timeline": tl, "helped": helped, "quotes": quotes, "outcomes": outcomes,
            "discussion_questions": [q.format(n_links=len(fam_link_dicts), n_services=len(services))
                                     for q in DISCUSSION_QUESTIONS],
            "provenance": {
                "codebook": f"{cb.id} {cb.version}",
                "coders": [coder], "status": _status_text(coder, statuses),
                "agreement": (f"κ = {agreement['kappa']:.2f} ({coder} vs {reference}, {agreement['documents']} documents)"
                              if agreement and agreement.get("kappa") is not None else None),
            },
        })

    # ------------------------------------------------------------- methods, COREQ, limitations
    recruitment = Counter(cases_frame["recruitment"]) if "recruitment" in cases_frame else Counter()
    consent = sorted(set(cases_frame["consent"])) if "consent" in cases_frame else []
    dates = sorted(d for d in (cases_frame["interview_date"] if "interview_date" in cases_frame else []) if d)
    methods = {
        "recruitment": dict(recruitment), "consent": consent,
        "area_type": dict(Counter(cases_frame["area_type"])) if "area_type" in cases_frame else {},
        "tenure": dict(Counter(cases_frame["tenure"])) if "tenure" in cases_frame else {},
        "interview_dates": [dates[0], dates[-1]] if dates else [],
        "procedure": _procedure(cb, N_cases, len(docs), N_units, coder, statuses, accuracy, agreement),
    }
    coreq = _coreq(cb, docs, cases_frame, N_cases, coders, themes, recruitment, methods)
    limitations = _limitations(coder, statuses, accuracy, agreement, N_cases, themes)

    total_links = link_dicts(link_rows)
    generated = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return {
        "generated": generated,
        "coder_version": coder_version(),
        "project": {
            "title": cb.title,
            "codebook": {"id": cb.id, "version": cb.version, "revision": _revision(project), "n_codes": len(cb.codes)},
            "coders": [{"name": r.coder, "kind": r.kind, "codings": int(r.codings)} for r in coders.itertuples()],
            "analysis_coder": coder, "n_cases": N_cases, "n_documents": int(len(docs)), "n_units": N_units,
            "unit": cb.unit, "statuses": list(statuses),
        },
        "kinds": KINDS,
        "codes": [{"id": c.id, "name": c.name, "kind": c.kind, "parent": c.parent, "color": c.color or KINDS[c.kind]["color"],
                   # codebook text is user-written too, and may use a roster name in an example
                   "definition": R(c.definition), "examples": [R(e) for e in c.examples[:2]], "depth": depth[c.id]}
                  for c in cb.codes],
        "accuracy": accuracy,
        "agreement": agreement,
        "themes": themes,
        "crosscase": {
            "prevalence": prevalence_rows, "matrix": matrix, "network": net, "links": total_links, "loops": loops,
            "negative_cases": negative, "exemplars": exemplars, "services_per_family": services_per_family,
            "methods": methods, "coreq": coreq, "limitations": limitations,
        },
        "families": families,
    }


def _revision(project) -> int:
    v = project.codebook_versions()
    return int(v["revision"].max()) if len(v) else 0


def _speaker_at(units: pd.DataFrame, document: str | None, start: int | None) -> str:
    if document is None or start is None:
        return "Participant"
    rows = units[(units["document"] == document) & (units["start"] <= start) & (units["end"] > start)]
    if rows.empty:
        rows = units[(units["document"] == document) & (units["start"] >= start)].head(1)
    return rows.iloc[0]["speaker"] if len(rows) else "Participant"


def _doc_rosters(project) -> dict[str, list[dict[str, Any]]]:
    from sqlalchemy import select

    from .store import Document, session_scope

    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with session_scope(project.engine) as s:
        for case, roster in s.execute(select(Document.case_id, Document.roster)).all():
            out[case].extend(roster or [])
    return out


def _their_words(cuc: pd.DataFrame, code_names: dict[str, str], R) -> list[dict[str, Any]]:
    """3–5 quotes in the family's own words: rich units (several codes), varied speakers, readable length."""
    if cuc.empty:
        return []
    g = cuc[cuc["status"] == "accepted"].groupby(["unit_id", "text", "speaker", "position"])["code"].apply(list).reset_index()
    g["n_words"] = g["text"].str.split().str.len()
    g = g[(g["n_words"] >= 10) & (g["n_words"] <= 45)]
    g["score"] = g["code"].str.len()
    g = g.sort_values(["score", "position"], ascending=[False, True])
    out, used = [], set()
    for r in g.itertuples():
        key = frozenset(r.code)
        if key in used:
            continue
        used.add(key)
        out.append({"quote": R(r.text), "speaker": r.speaker, "code_names": [code_names[c] for c in r.code]})
        if len(out) == 4:
            break
    return out


def _status_text(coder: str, statuses: Sequence[str]) -> str:
    if coder == "auto":
        return ("auto-coded by rules (keywords and patterns, negation-aware); not yet reviewed by a person"
                if list(statuses) == ["accepted"] else "auto-coded, including unreviewed semantic suggestions")
    return f"coded by {coder}"


def _accuracy(project, coder: str, reference: str, units: pd.DataFrame, cb) -> dict[str, Any] | None:
    from .evaluate import score_units

    ref = project.codings_frame(reference)
    if ref.empty:
        return None
    docs = sorted(set(ref["document"]))
    u = units[units["document"].isin(docs)]
    gold = project.unit_codes(reference, units=u)
    auto = project.unit_codes(coder, units=u, statuses=("accepted",))
    s = score_units(gold, auto, u["unit_id"].tolist(), cb.ids)
    m = s["micro"]
    return {"micro_f1": m["f1"], "precision": m["precision"], "recall": m["recall"], "gold_documents": len(docs),
            "gold_units": int(len(u)), "reference": reference}


def _procedure(cb, n_cases, n_docs, n_units, coder, statuses, accuracy, agreement) -> str:
    text = (f"{n_docs} interview transcripts from {n_cases} families were imported and split into {n_units:,} "
            f"{cb.unit}s of participant talk (interviewer talk was not coded). ")
    if coder == "auto":
        text += (f"Each {cb.unit} was coded against the codebook '{cb.title}' (version {cb.version}, {len(cb.codes)} codes) "
                 "by coder's rule engine: keywords matched on word lemmas and token patterns, ignoring negated mentions "
                 "(\"he doesn't drink\") and flagging hypotheticals and fears for review. ")
        if list(statuses) == ["accepted"]:
            text += "Semantic suggestions from sentence embeddings were kept for review and are not counted here. "
    else:
        text += f"Codings by {coder} against the codebook '{cb.title}' (version {cb.version}) are reported. "
    if accuracy and accuracy.get("micro_f1") is not None:
        text += (f"Against independent human coding of {accuracy['gold_documents']} transcripts, the rules reached "
                 f"precision {accuracy['precision']:.2f}, recall {accuracy['recall']:.2f} (micro F1 {accuracy['micro_f1']:.2f}). ")
    if agreement and agreement.get("kappa") is not None:
        text += (f"Agreement with the human coder over {agreement['n_units']:,} {cb.unit}s was "
                 f"{agreement['percent']:.0%} (Cohen's κ {agreement['kappa']:.2f}, Krippendorff's α {agreement['alpha']:.2f}). ")
    text += ("Directed links were recorded where a participant said one problem led to another, each with its quote; "
             "co-occurrence across families was tested with an exact hypergeometric test and Benjamini–Hochberg correction.")
    return text


def _coreq(cb, docs, cases_frame, n_cases, coders, themes, recruitment, methods) -> list[dict[str, Any]]:
    answers: dict[int, tuple[str, str]] = {}
    if recruitment:
        answers[10] = ("Purposive, through services: " + "; ".join(f"{k} ({v})" for k, v in sorted(recruitment.items())),
                       "cases.csv (recruitment)")
    answers[12] = (f"{n_cases} families, {len(docs)} interviews", "project")
    settings = sorted({str(a.get("setting")) for a in docs["attributes"] if isinstance(a, dict) and a.get("setting")})
    if settings:
        answers[14] = ("; ".join(settings), "transcript front matter (setting)")
    if methods.get("area_type") or methods.get("tenure"):
        answers[16] = ("Area: " + ", ".join(f"{k} {v}" for k, v in sorted(methods["area_type"].items()))
                       + ". Tenure: " + ", ".join(f"{k} {v}" for k, v in sorted(methods["tenure"].items())) + ".",
                       "cases.csv")
    per_case = docs.groupby("case").size()
    answers[18] = (("No: one interview per family" if per_case.max() == 1 else
                    f"Yes: up to {int(per_case.max())} interviews per family"), "project")
    formats = Counter(docs["format"])
    recorded = sum(v for k, v in formats.items() if k in ("otter", "vtt", "srt"))
    answers[19] = (f"{recorded} of {len(docs)} transcripts come from recordings (Otter.ai, WebVTT or SubRip exports); "
                   "the others are typed transcripts.", "transcript formats")
    humans = [r.coder for r in coders.itertuples() if r.kind == "human"]
    answers[24] = (f"{len(humans)} human coder(s) ({', '.join(humans) or 'none'}) and the rule-based auto-coder",
                   "project coders")
    answers[25] = (f"Yes: codebook '{cb.title}' version {cb.version}, {len(cb.codes)} codes, in the appendix", "codebook")
    answers[26] = (("A priori codebook, plus emergent themes derived from the data with BERTopic"
                    if themes else "Identified in advance (codebook); emergent themes not run"), "project")
    from .provenance import coder_version

    answers[27] = (f"coder {coder_version()} (open source)", "provenance")
    answers[29] = ("Yes: quotations are attributed by role or pseudonym and family code, never by name", "reports")
    return [{"item": i, "domain": d, "question": q, "answer": answers.get(i, (None, None))[0],
             "source": answers.get(i, (None, None))[1]} for i, d, q in COREQ]


def _limitations(coder, statuses, accuracy, agreement, n_cases, themes) -> list[str]:
    out = [f"The sample is {n_cases} families recruited through services; it is not representative, and prevalence "
           "figures describe these families only.",
           "A problem that was not mentioned may still be present: families choose what to tell, and interviews "
           "did not ask about every problem.",
           "Directed links are what participants said led to what; they are accounts, not causal estimates."]
    if coder == "auto":
        out.append("Codings were made automatically and have not all been reviewed by a person"
                   + (f"; measured against human coding, precision was {accuracy['precision']:.2f} and recall "
                      f"{accuracy['recall']:.2f}." if accuracy and accuracy.get("precision") is not None else "."))
    if not agreement:
        out.append("No intercoder agreement is reported: only one coder coded the data.")
    if n_cases < 30:
        out.append("With this few families, tests of co-occurrence across families have little power; absence of a "
                   "significant pair is not evidence of independence.")
    if not themes:
        out.append("Emergent themes were not run; the findings are limited to the codebook's codes.")
    return out
