"""Report figures: well-formed, accessible, escaped, deterministic, and with no overlapping labels."""

from __future__ import annotations

import doctest
import functools
import itertools
import xml.etree.ElementTree as ET

import pytest

from coder import figures
from coder.figures import text_width

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = ['<script>alert(1)</script>', '"><img src=x onerror=1>']

LONG_NAMES = [
    "Special educational needs, learning disability and neurodevelopmental conditions",
    "Child protection and children's social care involvement",
    "Domestic violence and abuse", "Worklessness and benefits", "Debt and financial hardship",
    "Housing insecurity and poor housing", "Mental health", "Physical health and disability",
    "Alcohol misuse", "Drug use", "Crime and offending", "Anti-social behaviour",
    "Prison, custody and licence", "Truancy and persistent absence",
    "School exclusion and reduced timetables", "Child exploitation and going missing",
    "Child behaviour and emotional difficulties", "History repeating across generations",
    "Parent's own childhood abuse and neglect", "Having been in care",
]


# --------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------


def family_web(name_a="Alcohol misuse"):
    ids = ["alcohol", "work", "debt", "mh", "dva"]
    names = [name_a, "Worklessness and benefits", "Debt and financial hardship", "Mental health",
             "Domestic violence and abuse"]
    nodes = [{"id": i, "name": n, "kind": "problem", "frequency": f} for i, n, f in zip(ids, names, [5, 7, 8, 12, 9])]
    edges = [{"source": a, "target": b, "count": c} for a, b, c in
             [("alcohol", "work", 3), ("work", "debt", 5), ("debt", "mh", 2), ("mh", "dva", 6)]]
    links = [{"from": a, "to": b, "count": 1} for a, b in
             [("alcohol", "work"), ("work", "alcohol"), ("work", "debt"), ("debt", "mh"), ("mh", "work"),
              ("dva", "mh")]]
    loops = [{"codes": ["alcohol", "work"]}, {"codes": ["work", "debt", "mh"]}]
    return nodes, edges, links, loops


def big_network():
    ids = [f"c{i}" for i in range(len(LONG_NAMES))]
    nodes = [{"id": i, "name": n, "kind": "problem" if k % 4 else "context", "frequency": 2 + (k * 7) % 13}
             for k, (i, n) in enumerate(zip(ids, LONG_NAMES))]
    edges = []
    for k, (a, b) in enumerate(itertools.combinations(range(len(ids)), 2)):
        if (a * 7 + b * 3) % 9 == 0:
            edges.append({"source": ids[a], "target": ids[b], "count": 1 + k % 6, "significant": k % 3 != 0})
    links = [{"from": ids[0], "to": ids[5], "count": 2}, {"from": ids[5], "to": ids[0], "count": 1},
             {"from": ids[3], "to": ids[4], "count": 1}]
    loops = [{"codes": [ids[0], ids[5]]}]
    return nodes, edges, links, loops


def timeline_15():
    lanes = ["Home and relationships", "Money and work"]
    events = []
    for k in range(15):
        events.append({"domain": lanes[k % 2], "label": ["Moved in with partner", "Lost job at the factory",
                                                          "Benefits sanctioned", "Fled to a refuge", "Evicted"][k % 5],
                       "code": "x", "year": None if k in (6, 11) else 2012 + (k * 3) % 8, "approximate": k % 3 == 0,
                       "order": 15 - k})
    return {"domains": lanes, "start_year": 2010, "end_year": 2024, "interview_year": 2024, "events": events}


def household(spec):
    from coder.cases import parse_household

    return [{"relation": m.relation, "sex": m.sex, "age": m.age, "away": m.away, "generation": m.generation,
             "label": f"{m.relation} ({m.age})"} for m in parse_household(spec)]


TF15 = "mother:F:40-49; son:M:19; son:M:17; daughter:F:15; son:M:12; daughter:F:8; son:M:4; daughter:F:24:away"
TF07 = "grandmother:F:50-59; grandfather:M:60-69; grandson:M:13; granddaughter:F:9; mother:F:30-39:away"
TF01 = "mother:F:30-39; son:M:14; daughter:F:11; son:M:6; ex-partner:M:30-39:away"


def all_figures(text="Alcohol misuse"):
    """One call of every figure function, with ``text`` in every user-text slot."""
    return dict(_all_figures(text))


@functools.lru_cache(maxsize=None)
def _all_figures(text):
    nodes, edges, links, loops = family_web(text)
    services = [{"code": "police", "name": text, "n_units": 4}, {"code": "gp", "name": "GP", "n_units": 9}]
    tl = timeline_15()
    tl["events"][0]["label"] = text
    tl["events"][1]["domain"] = text
    tl["events"][6]["label"] = text
    members = household(TF01)
    members[0]["relation"] = text
    themes = {"themes": [{"id": 0, "size": 12, "keywords": [text, "rent"], "cases": ["TF01"], "new": True}]}
    kw = {"title": f"Title {text}", "desc": f"Desc {text}"}
    return {
        "network": figures.network_svg(nodes, edges, links=links, loops=loops, kinds=figures.DEFAULT_KINDS, **kw),
        "heatmap": figures.heatmap_svg(["TF01", text], [text, "Debt"], [[1, 0], [3, 7]], **kw),
        "bars": figures.bar_chart_svg([{"label": text, "value": 0.5, "n": 8, "N": 16, "color": "#b03a2e"}], **kw),
        "themes": figures.theme_bars_svg(themes, **kw),
        "genogram": figures.genogram_svg(members, **kw),
        "ecomap": figures.ecomap_svg(f"Family {text}", services, **kw),
        "timeline": figures.timeline_svg(tl, **kw),
        "legend": figures.kind_legend_svg({"problem": {"label": text, "color": "#b03a2e", "shape": "circle"}},
                                          present=["problem"], **kw),
    }


# --------------------------------------------------------------------------
# helpers that read the SVG back
# --------------------------------------------------------------------------


def parse(svg):
    return ET.fromstring(svg)


def viewbox(root):
    return [float(v) for v in root.get("viewBox").split()]


def text_lines(t):
    spans = t.findall(f"{NS}tspan")
    if not spans:
        return [t.text or ""], 0.0
    lh = float(spans[1].get("dy")) if len(spans) > 1 else 0.0
    return [s.text or "" for s in spans], lh


def text_boxes(root, classes=None):
    """Boxes of the un-rotated ``<text>`` elements (with these classes), from their attributes."""
    out = []
    for t in root.iter(f"{NS}text"):
        if classes is not None and t.get("class") not in classes:
            continue
        if t.get("transform"):
            continue
        size = float(t.get("font-size"))
        x, y = float(t.get("x")), float(t.get("y"))
        lines, lh = text_lines(t)
        bold = t.get("font-weight") == "bold"
        w = max(text_width(s, size, bold) for s in lines)
        anchor = t.get("text-anchor", "start")
        x0 = x if anchor == "start" else x - w / 2 if anchor == "middle" else x - w
        out.append(((x0, y - 0.8 * size, x0 + w, y + (len(lines) - 1) * lh + 0.24 * size), " ".join(lines)))
    return out


def assert_no_overlap(boxes):
    for (a, ta), (b, tb) in itertools.combinations(boxes, 2):
        hit = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        assert not hit, f"labels overlap: {ta!r} {a} and {tb!r} {b}"


def assert_inside(root, boxes):
    x, y, w, h = viewbox(root)
    for (x0, y0, x1, y1), t in boxes:
        assert x0 >= x - 0.5 and y0 >= y - 0.5 and x1 <= x + w + 0.5 and y1 <= y + h + 0.5, f"{t!r} outside the viewBox"


# --------------------------------------------------------------------------
# every figure
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(all_figures()))
def test_figure_is_accessible_self_contained_svg(name):
    svg = all_figures()[name]
    root = parse(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") and float(root.get("width")) > 0 and float(root.get("height")) > 0
    ids = root.get("aria-labelledby").split()
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert [by_id[i].tag for i in ids] == [f"{NS}title", f"{NS}desc"]
    assert by_id[ids[0]].text == "Title Alcohol misuse"
    assert "<script" not in svg and 'href="http' not in svg and "href=" not in svg and "url(http" not in svg
    assert "DejaVu Sans" in root.get("font-family")
    assert_inside(root, text_boxes(root))


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("name", list(all_figures()))
def test_user_text_is_escaped(name, hostile):
    svg = all_figures(hostile)[name]
    assert hostile not in svg
    root = parse(svg)  # still well-formed
    tags = {el.tag for el in root.iter()}
    assert f"{NS}script" not in tags and f"{NS}img" not in tags and "img" not in tags
    assert any(hostile in "".join(el.itertext()) for el in root.iter())  # shown, as text


def test_control_characters_are_dropped():
    svg = figures.bar_chart_svg([{"label": "bad\x00\x0bname", "value": 1}], title="t\x01", desc="d")
    assert "badname" in "".join(parse(svg).itertext())


def test_figures_are_deterministic():
    assert _all_figures.__wrapped__("Debt") == _all_figures.__wrapped__("Debt")
    nodes, edges, links, loops = big_network()
    a = figures.network_svg(nodes, edges, links=links, loops=loops, kinds=None, title="t", desc="d", seed=7)
    b = figures.network_svg(nodes, edges, links=links, loops=loops, kinds=None, title="t", desc="d", seed=7)
    assert a == b


def test_figures_on_one_page_have_distinct_ids():
    svgs = list(all_figures().values()) + list(all_figures("Debt").values())
    ids = [el.get("id") for svg in svgs for el in parse(svg).iter() if el.get("id")]
    assert len(ids) == len(set(ids))


def test_doctests():
    assert doctest.testmod(figures).failed == 0


# --------------------------------------------------------------------------
# network
# --------------------------------------------------------------------------


def test_network_labels_do_not_overlap_with_20_long_names():
    nodes, edges, links, loops = big_network()
    svg = figures.network_svg(nodes, edges, links=links, loops=loops, kinds=figures.DEFAULT_KINDS,
                              title="Problems talked about together", desc="d")
    root = parse(svg)
    boxes = text_boxes(root, {"node-label", "loop-label"})
    assert len([b for b in boxes if b[1].startswith("Loop")]) <= 1
    assert len(boxes) >= 20
    assert_no_overlap(boxes)
    assert_inside(root, text_boxes(root))
    # a long name is wrapped onto at most two lines, and kept whole in a tooltip
    assert max(len(text_lines(t)[0]) for t in root.iter(f"{NS}text") if t.get("class") == "node-label") == 2
    assert LONG_NAMES[0] in svg


def test_network_draws_loops_links_and_kinds():
    nodes, edges, links, loops = family_web()
    nodes[0]["kind"] = "service"
    svg = figures.network_svg(nodes, edges, links=links, loops=loops, kinds=figures.DEFAULT_KINDS, title="t", desc="d")
    root = parse(svg)
    groups = [g.get("class") for g in root.iter(f"{NS}g")]
    assert groups.count("loop-edge") == 5  # 2-loop and 3-loop
    assert groups.count("link") == 1       # dva → mh
    assert groups.count("edge") == 4
    assert "Loop 1: Alcohol misuse → Worklessness and benefits → Alcohol misuse" in svg
    assert "Services and agencies" in svg and "Problems" in svg  # key names both kinds
    node_shapes = [list(g)[1].tag for g in root.iter(f"{NS}g") if g.get("class") == "node"]
    assert f"{NS}rect" in node_shapes and f"{NS}circle" in node_shapes  # service square, problems circles


def test_network_dashes_edges_that_are_not_significant():
    nodes, edges, _, _ = family_web()
    edges[0]["significant"] = False
    svg = figures.network_svg(nodes, edges, kinds=None, title="t", desc="d")
    assert svg.count('stroke-dasharray="5 4"') == 2  # the edge and its key entry
    assert "not more than chance" in svg


@pytest.mark.parametrize("n", [1, 2, 3])
def test_network_small(n):
    nodes, edges, links, _ = family_web()
    keep = {nd["id"] for nd in nodes[:n]}
    svg = figures.network_svg(nodes[:n], [e for e in edges if {e["source"], e["target"]} <= keep],
                              links=[lk for lk in links if {lk["from"], lk["to"]} <= keep], kinds=None,
                              title="t", desc="d")
    root = parse(svg)
    assert_no_overlap(text_boxes(root, {"node-label", "loop-label"}))
    assert_inside(root, text_boxes(root))


@pytest.mark.parametrize("nodes,edges", [([], []), ([{"id": "a", "name": "A"}], [])])
def test_network_empty_has_note(nodes, edges):
    svg = figures.network_svg(nodes, edges, kinds=None, title="t", desc="d")
    assert "No problems co-occur in this family&#39;s talk" in svg
    other = figures.network_svg([], [], kinds=None, title="t", desc="d", empty_note="Nothing here")
    assert "Nothing here" in other


# --------------------------------------------------------------------------
# heatmap and bars
# --------------------------------------------------------------------------


def test_heatmap_cells_numbers_and_contrast():
    rows = [f"TF{i:02d}" for i in range(1, 17)]
    cols = LONG_NAMES
    values = [[(i * 7 + j * 3) % 31 if (i + j) % 3 else 0 for j in range(len(cols))] for i in range(len(rows))]
    svg = figures.heatmap_svg(rows, cols, values, title="t", desc="d", value_label="sentences")
    root = parse(svg)
    nonzero = sum(1 for r in values for v in r if v)
    cells = [g for g in root.iter(f"{NS}g") if any(t.get("class") == "cell" for t in g.iter(f"{NS}text"))]
    assert len(cells) == nonzero
    for g in cells:
        fill = g.find(f"{NS}rect").get("fill")
        ink = g.find(f"{NS}text").get("fill")
        assert figures.contrast_ratio(fill, ink) >= 4.5
    headers = [t for t in root.iter(f"{NS}text") if t.get("class") == "col-label"]
    assert len(headers) == len(cols) and all("rotate(-45)" in t.get("transform") for t in headers)
    assert float(root.get("width")) <= 720
    assert "Number of sentences" in svg


def test_heatmap_empty():
    assert "Nothing to show" in figures.heatmap_svg([], [], [], title="t", desc="d")


def test_bar_chart_text_and_order():
    items = [{"label": "Housing", "value": 0.75, "n": 12, "N": 16}, {"label": "Debt", "value": 0.25, "n": 4, "N": 16}]
    root = parse(figures.bar_chart_svg(items, title="t", desc="d"))
    values = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "bar-value"]
    assert values == ["12/16 (75%)", "4/16 (25%)"]
    bars = [float(r.get("width")) for r in root.iter(f"{NS}rect") if r.get("fill") != "#ffffff"]
    assert bars[0] == pytest.approx(3 * bars[1], rel=0.01)
    assert_inside(root, text_boxes(root))


def test_bar_chart_darkens_a_light_colour():
    root = parse(figures.bar_chart_svg([{"label": "x", "value": 1, "color": "#ffeeaa"}], title="t", desc="d"))
    fill = [r.get("fill") for r in root.iter(f"{NS}rect") if r.get("fill") != "#ffffff"][0]
    assert figures.contrast_ratio(fill, "#ffffff") >= 3.0


def test_theme_bars_label_and_empty():
    svg = figures.theme_bars_svg({"themes": [{"id": 0, "size": 41, "keywords": ["rent", "arrears", "landlord", "x"],
                                              "cases": ["TF01", "TF02"]}]}, title="t", desc="d")
    assert "rent, arrears, landlord" in svg and ", x" not in svg and "2 families" in svg
    assert "No themes" in figures.theme_bars_svg(None, title="t", desc="d")


def test_palette_meets_aa():
    for colour in figures.PALETTE.values():
        assert figures.contrast_ratio(colour, "#ffffff") >= 4.5


# --------------------------------------------------------------------------
# genogram
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [TF15, TF07, TF01, "mother:F:30-39; daughter:F:5",
                                  "mother:F:30-39; daughter:F:16; son:M:14; grandson:M:0",
                                  "mother:F:30-39; son:M:10:away; daughter:F:7:away; partner:M:30-39:away",
                                  "carer:X:40-49; child:X:9"])
def test_genogram_symbols_match_members(spec):
    members = household(spec)
    root = parse(figures.genogram_svg(members, title="t", desc="d"))
    rects = list(root.iter(f"{NS}rect"))[1:]  # the first is the white background
    circles = list(root.iter(f"{NS}circle"))
    assert len(rects) == sum(m["sex"] == "M" for m in members)
    assert len(circles) == sum(m["sex"] == "F" for m in members)
    symbols = rects + circles + [p for p in root.iter(f"{NS}path") if "member" in (p.get("class") or "")]
    assert len(symbols) == len(members)
    assert sum(bool(s.get("stroke-dasharray")) for s in symbols) == sum(m["away"] for m in members)
    notes = [t for t in root.iter(f"{NS}text") if "".join(t.itertext()) == "lives elsewhere"]
    assert len(notes) == sum(m["away"] for m in members)
    assert_no_overlap(text_boxes(root, {"member-label"}))
    assert_inside(root, text_boxes(root))


def test_genogram_generations_are_rows_top_down():
    root = parse(figures.genogram_svg(household(TF07), title="t", desc="d"))
    y = {}
    for g in root.iter(f"{NS}g"):
        title = g.find(f"{NS}title")
        shape = next((c for c in g if c.tag in (f"{NS}rect", f"{NS}circle")), None)
        if title is not None and shape is not None:
            if shape.tag == f"{NS}circle":
                cy = float(shape.get("cy"))
            else:
                cy = float(shape.get("y")) + float(shape.get("height")) / 2
            y[title.text.split()[0]] = cy
    assert y["Grandmother"] == y["Grandfather"] < y["Mother"] < y["Grandson"] == y["Granddaughter"]


def test_genogram_seven_children_fit():
    root = parse(figures.genogram_svg(household(TF15), title="t", desc="d", width=560))
    assert float(root.get("width")) == 560
    assert_no_overlap(text_boxes(root))


def test_genogram_empty():
    svg = figures.genogram_svg([], title="t", desc="d")
    assert "Household not recorded" in svg


# --------------------------------------------------------------------------
# eco-map
# --------------------------------------------------------------------------


def test_ecomap_14_services_headline_and_no_overlap():
    names = ["Police", "School and education staff", "Children's social care and social workers",
             "Council housing, housing associations and landlords", "Health visitor and family nurse",
             "GP and health services", "CAMHS and mental health services", "Youth offending team", "Probation",
             "Drug and alcohol services", "Jobcentre, DWP and benefits system",
             "Family worker and family intervention service", "Domestic abuse services",
             "Voluntary and community services"]
    services = [{"code": f"s{i}", "name": n, "n_units": 1 + (i * 5) % 23} for i, n in enumerate(names)]
    svg = figures.ecomap_svg("Family TF01", services, title="t", desc="d")
    root = parse(svg)
    assert "Involved with 14 agencies" in svg
    boxes = text_boxes(root, {"service-label", "headline", "subtitle", "center-label"})
    assert len(boxes) == 17
    assert_no_overlap(boxes)
    assert_inside(root, text_boxes(root))
    widths = sorted(float(p.get("stroke-width")) for p in root.iter(f"{NS}path") if p.get("stroke-linecap") == "round")
    assert widths[0] < widths[-1]


def test_ecomap_one_and_none():
    one = figures.ecomap_svg("Family", [{"name": "Police", "n_units": 2}], title="t", desc="d")
    assert "Involved with 1 agency" in one
    assert "No services or agencies were mentioned" in figures.ecomap_svg("Family", [], title="t", desc="d")


# --------------------------------------------------------------------------
# timeline
# --------------------------------------------------------------------------


def test_timeline_labels_do_not_overlap_with_15_events_in_2_lanes():
    svg = figures.timeline_svg(timeline_15(), title="t", desc="d")
    root = parse(svg)
    boxes = text_boxes(root, {"event-label"})
    assert len(boxes) == 15
    assert_no_overlap(boxes)
    assert_no_overlap(text_boxes(root, {"event-label", "lane-label", "year", "undated-head"}))
    assert_inside(root, text_boxes(root))


def test_timeline_marks_approximate_undated_and_interview():
    tl = timeline_15()
    svg = figures.timeline_svg(tl, title="t", desc="d")
    root = parse(svg)
    labels = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "event-label"]
    n_approx = sum(1 for e in tl["events"] if e["approximate"] and e["year"] is not None)
    assert sum(1 for s in labels if s.startswith("≈ ")) == n_approx
    hollow = [c for c in root.iter(f"{NS}circle") if c.get("fill") == "#ffffff"]
    assert len(hollow) == n_approx + 1  # + the key
    assert "Undated (in narrative order)" in svg and "Interview" in svg
    # undated events are numbered in narrative order: "Undated B" (order 4) is 1, "Undated A" (order 9) is 2
    tl["events"][6]["label"], tl["events"][11]["label"] = "Undated A", "Undated B"
    root = parse(figures.timeline_svg(tl, title="t", desc="d"))
    by_y = {}
    for t in root.iter(f"{NS}text"):
        by_y.setdefault(t.get("y"), []).append("".join(t.itertext()))
    numbered = {row[0]: row[1] for row in by_y.values() if len(row) == 2 and row[0].endswith(".")}
    assert numbered == {"1.": "Undated B", "2.": "Undated A"}
    assert sorted(float(t.text) for t in root.iter(f"{NS}text") if t.get("class") == "year") == \
        sorted({float(y) for y in range(2010, 2025) if y % 2 == 0})


def test_timeline_empty():
    assert "No events were recorded" in figures.timeline_svg({"domains": ["Health"], "events": []}, title="t", desc="d")
    assert "No events were recorded" in figures.timeline_svg(None, title="t", desc="d")


def test_timeline_single_year_and_unknown_domain():
    tl = {"domains": ["Health"], "start_year": None, "end_year": None, "interview_year": None,
          "events": [{"domain": "Elsewhere", "label": "Moved", "year": 2020.0, "approximate": False, "order": 1}]}
    root = parse(figures.timeline_svg(tl, title="t", desc="d"))
    assert "Elsewhere" in "".join(root.itertext())
    assert_inside(root, text_boxes(root))
