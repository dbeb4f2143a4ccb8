"""Reports: structure, escaping, no network, tagged PDF, template overrides, atomic output."""

from __future__ import annotations

import copy
import http.server
import re
import shutil
import socketserver
import threading
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("coder.figures")  # the renderer inlines its SVGs

from coder import render  # noqa: E402
from coder.errors import CoderError  # noqa: E402

HOSTILE = '<script>alert(1)</script> <img src="http://127.0.0.1:{port}/quote.png"> he said it like it was nothing'

# --------------------------------------------------------------------------- data


def make_data(port: int = 9) -> dict:
    """A small report data dict that follows the v1 contract exactly: 2 families, 4 problems."""
    hostile = HOSTILE.format(port=port)
    kinds = {
        "problem": {"label": "Problems", "color": "#b03a2e", "shape": "circle"},
        "service": {"label": "Services and agencies", "color": "#1f5f8b", "shape": "square"},
        "support": {"label": "What helped", "color": "#1e7b4f", "shape": "diamond"},
        "outcome": {"label": "Outcomes", "color": "#6c3483", "shape": "triangle"},
        "context": {"label": "Family history and context", "color": "#7d6608", "shape": "hexagon"},
        "event": {"label": "Life events", "color": "#a34a00", "shape": "star"},
        "other": {"label": "Other", "color": "#505a5f", "shape": "pentagon"},
    }
    codes = [
        {"id": "alcohol", "name": "Alcohol misuse", "kind": "problem", "parent": None, "color": "#b03a2e",
         "definition": "Drinking that causes harm.", "examples": ["I lost my job because of the drink."], "depth": 0},
        {"id": "worklessness", "name": "Worklessness", "kind": "problem", "parent": None, "color": "#b03a2e",
         "definition": "No adult in work.", "examples": [], "depth": 0},
        {"id": "debt", "name": "Debt <b>& arrears</b>", "kind": "problem", "parent": None, "color": "#b03a2e",
         "definition": "Money owed.", "examples": [], "depth": 0},
        {"id": "housing", "name": "Housing problems", "kind": "problem", "parent": None, "color": "#b03a2e",
         "definition": "Eviction, arrears, overcrowding.", "examples": [], "depth": 0},
        {"id": "police", "name": "Police", "kind": "service", "parent": None, "color": "#1f5f8b",
         "definition": "Police contact.", "examples": [], "depth": 0},
        {"id": "family_worker", "name": "Family worker", "kind": "support", "parent": None, "color": "#1e7b4f",
         "definition": "A dedicated worker.", "examples": [], "depth": 0},
    ]
    problems = ["alcohol", "worklessness", "debt", "housing"]
    names = {c["id"]: c["name"] for c in codes}
    matrix = [[3, 2, 1, 0], [0, 4, 2, 1]]

    def family(i: int, case: str) -> dict:
        row = matrix[i]
        mentioned = [p for p, v in zip(problems, row) if v]
        loops = [{"codes": ["alcohol", "worklessness"], "names": ["Alcohol misuse", "Worklessness"],
                  "quotes": [{"from": "alcohol", "to": "worklessness", "quote": "I lost my job because of the drink.",
                              "speaker": "Father"},
                             {"from": "worklessness", "to": "alcohol", "quote": "No job, so I drank more.",
                              "speaker": "Father"}]}] if i == 0 else []
        return {
            "case": case, "title": f"Family {case}", "interview_date": f"2024-0{i + 3}-12",
            "household": [{"relation": "mother", "sex": "F", "age": "30-39", "away": False, "generation": 0,
                           "label": "Mother (30-39)"},
                          {"relation": "son", "sex": "M", "age": "10-14", "away": False, "generation": 1,
                           "label": "Son (10-14)"}] if i == 0 else [],
            "speakers": [{"label_public": "Mother", "role": "participant"}],
            "attributes": {"area_type": "urban", "tenure": "social rent", "recruitment": "family intervention project"},
            "problems": [{"code": p, "name": names[p], "n_units": v, "mentioned": bool(v),
                          "quote": ({"quote": hostile if p == "worklessness" else f"Talk about {names[p]}.",
                                     "speaker": "Mother"} if v else None)}
                         for p, v in zip(problems, row)],
            "web": {"nodes": [{"id": p, "name": names[p], "kind": "problem", "color": "#b03a2e",
                               "frequency": row[problems.index(p)]} for p in mentioned],
                    "edges": [{"source": mentioned[0], "target": mentioned[1], "count": 2}],
                    "links": [{"from": "alcohol", "to": "worklessness", "from_name": "Alcohol misuse",
                               "to_name": "Worklessness", "count": 1,
                               "quotes": [{"quote": "I lost my job because of the drink.", "speaker": "Father"}]},
                              {"from": "worklessness", "to": "alcohol", "from_name": "Worklessness",
                               "to_name": "Alcohol misuse", "count": 1,
                               "quotes": [{"quote": "No job, so I drank more.", "speaker": "Father"}]}] if i == 0 else [],
                    "loops": loops},
            "services": [{"code": "police", "name": "Police", "n_units": 2,
                          "quote": {"quote": "The police came round again.", "speaker": "Mother"}}],
            "timeline": {"domains": ["Home and relationships", "Children and school", "Health", "Money and work",
                                     "Crime and justice", "Services"],
                         "start_year": 2015, "end_year": 2024, "interview_year": 2024,
                         "events": [{"domain": "Money and work", "label": "Lost job", "code": "worklessness",
                                     "year": 2021.0, "approximate": True, "anchor": "in 2021", "order": 1,
                                     "quote": "I lost my job in 2021.", "source": "auto"},
                                    {"domain": "Home and relationships", "label": "Moved in with nan", "code": "housing",
                                     "year": None, "approximate": False, "anchor": None, "order": 2,
                                     "quote": "We moved in with my nan.", "source": "auto"}]},
            "helped": [{"code": "family_worker", "name": "Family worker",
                        "quote": "She wouldn't take no for an answer.", "speaker": "Mother"}] if i == 0 else [],
            "quotes": [{"quote": hostile, "speaker": "Mother", "code_names": ["Worklessness"]},
                       {"quote": "She just kept coming back.", "speaker": "Mother", "code_names": ["Family worker"]},
                       {"quote": "We got into debt with the catalogue.", "speaker": "Son", "code_names": ["Debt"]}],
            "outcomes": [],
            "discussion_questions": ["When could a service have stepped in earlier?", "What made the worker different?"],
            "provenance": {"codebook": "tiny 1.0.0 (revision 1)", "coders": ["auto"],
                           "status": "auto-coded, not yet reviewed", "agreement": None},
        }

    cases = ["A", "B"]
    prevalence = sorted(
        [{"code": p, "name": names[p], "kind": "problem", "n_cases": sum(1 for r in matrix if r[j]), "N_cases": 2,
          "n_units": sum(r[j] for r in matrix), "N_units": 40, "case_share": sum(1 for r in matrix if r[j]) / 2}
         for j, p in enumerate(problems)], key=lambda r: -r["n_cases"])
    return {
        "generated": "2026-11-22 22:40 UTC",
        "coder_version": "0.1.0",
        "project": {"title": "Tiny study <i>of</i> families",
                    "codebook": {"id": "tiny", "version": "1.0.0", "revision": 1, "n_codes": len(codes)},
                    "coders": [{"name": "auto", "kind": "auto", "codings": 17}],
                    "analysis_coder": "auto", "n_cases": 2, "n_documents": 2, "n_units": 40, "unit": "sentence",
                    "statuses": ["accepted", "suggested"]},
        "kinds": kinds,
        "codes": codes,
        "accuracy": {"micro_f1": 0.71, "precision": 0.78, "recall": 0.66, "gold_documents": 1, "gold_units": 20},
        "agreement": None,
        "themes": {"n_themes": 1, "themes": [{"id": 0, "size": 6, "keywords": ["rent", "arrears", "council"],
                                              "cases": ["A", "B"], "examples": [{"quote": hostile, "case": "A",
                                                                                "speaker": "Mother"}],
                                              "nearest_code": "housing", "nearest_name": "Housing problems",
                                              "similarity": 0.61, "new": False}]},
        "crosscase": {
            "prevalence": prevalence,
            "matrix": {"cases": cases, "codes": problems, "code_names": [names[p] for p in problems], "values": matrix},
            "network": {"level": "case", "N": 2,
                        "nodes": [{"id": p, "name": names[p], "kind": "problem", "color": "#b03a2e",
                                   "frequency": r["n_cases"], "cases": r["n_cases"]}
                                  for p in problems for r in prevalence if r["code"] == p],
                        "edges": [], "all_edges": 5,
                        "note": "No pair of problems co-occurs more often than chance in 2 families."},
            "links": [{"from": "alcohol", "to": "worklessness", "from_name": "Alcohol misuse", "to_name": "Worklessness",
                       "count": 1, "cases": ["A"],
                       "quotes": [{"quote": "I lost my job because of the drink.", "case": "A", "speaker": "Father"}]}],
            "loops": [{"codes": ["alcohol", "worklessness"], "names": ["Alcohol misuse", "Worklessness"],
                       "families": ["A"], "within_family": True,
                       "quotes": [{"from": "alcohol", "to": "worklessness", "quote": hostile, "case": "A",
                                   "speaker": "Father"}]}],
            "negative_cases": [{"code": "alcohol", "name": "Alcohol misuse",
                                "statement": "1 of 2 families did not mention alcohol misuse", "cases": ["B"]}],
            "exemplars": [{"code": "worklessness", "name": "Worklessness", "kind": "problem",
                           "quotes": [{"quote": hostile, "case": "A", "speaker": "Mother", "method": "keyword",
                                       "status": "suggested"}]}],
            "services_per_family": [{"case": "A", "n": 1}, {"case": "B", "n": 1}],
            "methods": {"recruitment": {"family intervention project": 2}, "consent": ["Written consent."],
                        "area_type": {"urban": 2}, "tenure": {"social rent": 2},
                        "interview_dates": ["2024-03-12", "2024-04-12"],
                        "procedure": "Two families were interviewed at home."},
            "coreq": [{"item": 1, "domain": "Research team and reflexivity", "question": "Interviewer/facilitator",
                       "answer": None, "source": None},
                      {"item": 13, "domain": "Study design", "question": "Sample size", "answer": "2 families",
                       "source": "project"}],
            "limitations": ["Two families cannot represent anyone."],
        },
        "families": [family(0, "A"), family(1, "B")],
    }


# --------------------------------------------------------------------------- HTML structure


class Outline(HTMLParser):
    """Tags, headings, ids, tables and SVGs of an HTML document."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[tuple[int, str]] = []
        self.ids: set[str] = set()
        self.tables: list[list[dict]] = []   # the <th> attributes of each table
        self.svgs: list[set[str]] = []       # child tag names of each <svg>
        self._heading: list | None = None
        self._table_stack: list[list[dict]] = []
        self._svg_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [int(tag[1]), ""]
        if tag == "table":
            self._table_stack.append([])
        if tag == "th" and self._table_stack:
            self._table_stack[-1].append(a)
        if tag == "svg":
            self.svgs.append(set())
            self._svg_depth += 1
        elif self._svg_depth:
            self.svgs[-1].add(tag)

    def handle_endtag(self, tag):
        if re.fullmatch(r"h[1-6]", tag) and self._heading:
            self.headings.append((self._heading[0], self._heading[1].strip()))
            self._heading = None
        if tag == "table" and self._table_stack:
            self.tables.append(self._table_stack.pop())
        if tag == "svg":
            self._svg_depth -= 1

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data


def outline(html: str) -> Outline:
    o = Outline()
    o.feed(html)
    return o


SECTIONS = {
    "journey": ["household", "problems", "web", "ecomap", "timeline", "helped", "quotes", "provenance"],
    "crosscase": ["summary", "methods", "prevalence", "heatmap", "network", "loops", "negative-cases", "exemplars",
                  "themes", "coreq", "limitations", "codebook"],
    "training": ["how-to-use", "card-A", "card-B"],
}


@pytest.fixture(scope="module")
def data() -> dict:
    return make_data()


@pytest.fixture(scope="module")
def pages(data) -> dict[str, str]:
    return {kind: render.render_html(kind, data, case="A" if kind == "journey" else None) for kind in SECTIONS}


def test_filters():
    assert render.pct(0.5625) == "56%"
    assert render.pct(0.125) == "13%"          # half rounds up, not to even
    assert render.pct(None) == render.pct(float("nan")) == "n/a"
    assert render.n_of_N(9, 16) == "9 of 16"
    assert render.fmt(float("nan")) == render.fmt(None) == "n/a"
    assert render.fmt(0.6812) == "0.68" and render.fmt(4018) == "4,018"
    env = render.make_env()
    assert env.filters["nN"](9, 16) == "9 of 16"
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    for name in ("journey.html.j2", "crosscase.html.j2", "anything.txt"):
        assert env.autoescape(name) is True


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_every_section_is_present(pages, kind):
    o = outline(pages[kind])
    missing = [s for s in SECTIONS[kind] if s not in o.ids]
    assert not missing, f"{kind}: sections missing: {missing}"


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_document_outline_and_accessibility(pages, kind):
    html = pages[kind]
    o = outline(html)
    assert re.search(r'<html lang="en-GB">', html)
    assert [lvl for lvl, _ in o.headings].count(1) == 1, "exactly one <h1>"
    assert o.headings[0][0] == 1, "the first heading is the <h1>"
    for (a, ta), (b, tb) in zip(o.headings, o.headings[1:]):
        assert b <= a + 1, f"{kind}: heading level skips from h{a} {ta!r} to h{b} {tb!r}"
    assert o.tables or kind == "training", f"{kind} has no table"
    for ths in o.tables:
        assert ths and all(th.get("scope") in ("col", "row", "colgroup", "rowgroup") for th in ths)
    assert o.svgs, f"{kind} has no figure"
    for children in o.svgs:
        assert {"title", "desc"} <= children
    assert any(t == "a" and a.get("href") == "#main" for t, a in o.tags), "skip link"
    names = {a.get("name") for t, a in o.tags if t == "meta"}
    assert {"author", "description"} <= names
    assert re.search(r"<title>[^<]+</title>", html)


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_html_is_self_contained(pages, kind):
    o = outline(pages[kind])
    assert not [t for t, _ in o.tags if t in ("script", "link", "iframe", "object", "embed", "img")]
    for _, a in o.tags:
        for key in ("src", "href", "xlink:href"):
            v = a.get(key)
            assert v is None or v.startswith(("#", "data:")), f"{kind}: external reference {key}={v!r}"
    assert "Content-Security-Policy" in pages[kind]


@pytest.mark.parametrize("kind", list(SECTIONS))
def test_user_text_is_escaped(pages, kind):
    html = pages[kind]
    o = outline(html)
    assert "<script>alert(1)</script>" not in html
    assert not [t for t, _ in o.tags if t in ("script", "img", "i")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_wording(pages):
    j, cc = pages["journey"], pages["crosscase"]
    assert "Not mentioned" in j and "absent" not in (j + cc).lower()
    assert "Involved with 1 agency" in j
    assert re.search(r'<span class="nN">2 of 2</span> families', cc)      # n of N, with the noun
    assert "No pair of problems co-occurs more often than chance" in cc     # the network note
    assert "For the researcher" in cc and "2 families" in cc                # COREQ, both kinds of item
    assert "— <span class=\"quote__by\">Mother</span>" in j                 # attributed by role
    assert "66%" in cc and "78%" in cc                                       # measured accuracy


def test_no_themes_section_without_themes(data):
    d = copy.deepcopy(data)
    d["themes"] = None
    o = outline(render.render_html("crosscase", d))
    assert "themes" not in o.ids and "codebook" in o.ids


def test_sparse_data_renders(data):
    """A family that mentioned nothing, and a cross-case section with nothing in it, still render."""
    d = copy.deepcopy(data)
    fam = d["families"][1]
    for p in fam["problems"]:
        p.update(mentioned=False, n_units=0, quote=None)
    fam.update(household=[], services=[], helped=[], quotes=[], outcomes=[], attributes={},
               web={"nodes": [], "edges": [], "links": [], "loops": []})
    fam["timeline"]["events"] = []
    cc = d["crosscase"]
    cc.update(links=[], loops=[], negative_cases=[], exemplars=[], services_per_family=[], limitations=[])
    cc["methods"].update(recruitment={}, consent=[], area_type={}, tenure={}, interview_dates=[])
    d.update(accuracy=None, agreement=None, themes=None)
    journey = render.render_html("journey", d, case="B")
    assert "This family did not mention any of the problems in the codebook." in journey
    assert "Involved with 0 agencies" in journey
    cross = render.render_html("crosscase", d)
    assert "Not measured." in cross and "No family described problems feeding each other" in cross
    render.render_html("training", d)


def test_unknown_kind_and_case(data):
    with pytest.raises(CoderError, match="unknown report kind 'poster'; choose one of journey, crosscase, training"):
        render.render_html("poster", data)
    with pytest.raises(CoderError, match="no family 'Z' in the report data; known cases: A, B"):
        render.render_html("journey", data, case="Z")
    with pytest.raises(CoderError, match="needs a case"):
        render.render_html("journey", data)


# --------------------------------------------------------------------------- template overrides


def test_templates_override_full_copy(data, tmp_path):
    custom = render.copy_templates(tmp_path / "mine")
    j = custom / "journey.html.j2"
    j.write_text(j.read_text().replace("Problems at a glance", "Problems, briefly"))
    html = render.render_html("journey", data, case="A", templates_dir=custom)
    assert "Problems, briefly" in html and "Problems at a glance" not in html
    with pytest.raises(CoderError, match="already exists"):
        render.copy_templates(custom)


def test_templates_override_partial_and_custom_css(data, tmp_path):
    (tmp_path / "custom.css").write_text(".masthead { border-bottom-color: #00703c; }")
    (tmp_path / "crosscase.html.j2").write_text(
        '{% extends "coder/crosscase.html.j2" %}{% block doc_type %}Briefing for the council{% endblock %}')
    html = render.render_html("crosscase", data, templates_dir=tmp_path)
    assert "Briefing for the council" in html and "border-bottom-color: #00703c" in html
    assert "How this report was made" in html  # everything else still comes from the package
    with pytest.raises(CoderError, match="templates folder not found"):
        render.make_env(tmp_path / "nope")


def test_documented_example_folder_renders(data):
    example = Path(__file__).resolve().parents[1] / "templates" / "example"
    if not example.is_dir():
        pytest.skip("templates/example is not in this checkout")
    html = render.render_html("crosscase", data, templates_dir=example)
    assert "Briefing for the local partnership" in html and "--accent: #00703c" in html


# --------------------------------------------------------------------------- no network, ever


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    _Recorder.requests = []
    server = socketserver.TCPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


def test_listener_records_requests(listener):
    port, seen = listener  # the control: a real fetch is seen
    urllib.request.urlopen(f"http://127.0.0.1:{port}/control", timeout=5).read()
    assert seen == ["/control"]


def test_hostile_template_fetches_nothing(listener, tmp_path):
    port, seen = listener
    data = make_data(port)
    hostile = render.copy_templates(tmp_path / "hostile")
    base = hostile / "base.html.j2"
    base.write_text(base.read_text().replace(
        "<main id=\"main\" tabindex=\"-1\">",
        f'<main id="main" tabindex="-1"><img src="http://127.0.0.1:{port}/template.png">'
        "{{ data.families[0].quotes[0].quote|safe }}"))                 # autoescape bypassed on purpose
    (hostile / "custom.css").write_text(f"body {{ background: url(http://127.0.0.1:{port}/bg.png); }}")
    html = render.render_html("journey", data, case="A", templates_dir=hostile)
    assert f'<img src="http://127.0.0.1:{port}/quote.png">' in html    # the unescaped quote is in the HTML
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(render.UnsafeURLError, match=rf"refused to fetch 'http://127\.0\.0\.1:{port}/"):
        render.render_pdf(html, out / "journey.pdf", base_dir=out, allowed_dirs=[hostile])
    assert seen == []
    assert not (out / "journey.pdf").exists()


def test_hostile_template_in_worker_processes(tmp_path):
    port = 9  # discard: nothing listens; the error must come from the fetcher, before any connection
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "custom.css").write_text(f"h1 {{ background-image: url(http://127.0.0.1:{port}/h1.png); }}")
    out = tmp_path / "out"
    with pytest.raises(render.UnsafeURLError, match="refused to fetch 'http://127.0.0.1"):
        render.write_reports(make_data(port), out, kinds=("crosscase", "training"), formats=("pdf",),
                             templates_dir=hostile, workers=2)
    assert [p.name for p in out.iterdir()] == []                           # nothing written, no staging left


def test_pdf_variant_fallback(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    html = ('<!DOCTYPE html><html lang="en-GB"><head><title>Fallback</title></head>'
            "<body><h1>Fallback</h1><p>9 of 16 families.</p></body></html>")
    info = render.render_pdf(html, tmp_path / "f.pdf", base_dir=tmp_path, variant="pdf/no-such-variant")
    assert info["variant"] == "tagged" and "no-such-variant" in info["fallback_reason"]
    reader = pypdf.PdfReader(tmp_path / "f.pdf")
    assert reader.metadata["/CoderPDFVariant"] == "tagged" and reader.metadata.title == "Fallback"
    assert "9 of 16 families" in reader.pages[0].extract_text()


def test_fetcher_rules(tmp_path):
    inside = tmp_path / "out"
    inside.mkdir()
    (inside / "ok.css").write_text("p { color: black }")
    (tmp_path / "secret.txt").write_text("secret")
    fetcher = render.safe_fetcher([inside])
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    resp = fetcher.fetch((inside / "ok.css").as_uri())
    assert resp.read() == b"p { color: black }"
    resp.close()
    for url, why in [("http://127.0.0.1:9/x.png", "network"), ("https://example.org/a.css", "network"),
                     ("ftp://example.org/a", "network"), ((tmp_path / "secret.txt").as_uri(), "outside"),
                     ((inside / ".." / "secret.txt").as_uri(), "outside"), ("file://evil.example/etc/passwd", "host")]:
        with pytest.raises(render.UnsafeURLError, match=why):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6


# --------------------------------------------------------------------------- PDF and write_reports


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports") / "out"
    (out).mkdir()
    (out / "demo-project").mkdir()
    (out / "demo-project" / "keep.txt").write_text("not ours")
    result = render.write_reports(make_data(), out, kinds=("crosscase", "journey"), formats=("html", "pdf"),
                                  cases=["A"])
    return out, result


def test_pdf_text_and_metadata(written):
    pypdf = pytest.importorskip("pypdf")
    out, result = written
    reader = pypdf.PdfReader(out / "crosscase.pdf")
    text = " ".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"\s+", " ", text)
    assert "2 of 2 families" in text and "1 of 2 families" in text
    assert reader.metadata.title == "Tiny study <i>of</i> families: cross-case report"
    assert reader.metadata.author
    assert reader.metadata.subject.startswith("Cross-case report from interviews with 2 families")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]      # tagged
    assert reader.metadata["/CoderPDFVariant"] == result["pdf"]["crosscase.pdf"] in ("pdf/ua-1", "tagged")
    journey = pypdf.PdfReader(out / "journeys" / "A.pdf")
    assert 1 <= len(journey.pages) <= 2


def test_write_reports_layout_and_index(written):
    out, result = written
    assert sorted(result["files"]) == ["crosscase.html", "crosscase.pdf", "index.html", "journeys/A.html",
                                       "journeys/A.pdf"]
    index = (out / "index.html").read_text()
    assert 'href="crosscase.pdf"' in index and 'href="journeys/A.html"' in index and 'href="training' not in index
    assert (out / "demo-project" / "keep.txt").read_text() == "not ours"   # other files are never touched
    assert not [p for p in out.iterdir() if p.name.startswith(".")]        # no staging folder left


def test_write_reports_is_all_or_nothing(tmp_path, data):
    out = tmp_path / "out"
    render.write_reports(data, out, kinds=("crosscase",), formats=("html",))
    before = (out / "crosscase.html").read_text()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "training.html.j2").write_text('{% extends "base.html.j2" %}{% block content %}{{ nope.nothing }}{% endblock %}')
    (broken / "crosscase.html.j2").write_text('{% extends "coder/crosscase.html.j2" %}{% block doc_type %}NEW{% endblock %}')
    with pytest.raises(CoderError, match="training template failed"):
        render.write_reports(data, out, kinds=("crosscase", "training"), formats=("html",), templates_dir=broken)
    assert (out / "crosscase.html").read_text() == before                   # the new crosscase never landed
    assert sorted(p.name for p in out.iterdir()) == ["crosscase.html", "index.html"]
    with pytest.raises(CoderError, match="unknown report format 'docx'"):
        render.write_reports(data, out, formats=("docx",))


def test_write_reports_html_only_all_families(tmp_path, data):
    calls = []
    result = render.write_reports(data, tmp_path / "r", formats=("html",), progress=lambda *a: calls.append(a))
    assert sorted(result["files"]) == ["crosscase.html", "index.html", "journeys/A.html", "journeys/B.html",
                                       "training.html"]
    assert calls[-1] == ("render", 5, 5)
    shutil.rmtree(tmp_path / "r")
