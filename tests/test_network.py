"""Tests for coder.network: graphs, loops, communities, centrality, summary, exports."""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from coder.cooccur import cooccurrence
from coder.errors import AnalysisError
from coder.network import (
    Evidence,
    build_graph,
    centrality,
    communities,
    link_graph,
    network_summary,
    reinforcing_loops,
    write_edges_csv,
    write_gexf,
    write_graphml,
    write_nodes_csv,
)

CODEBOOK = pd.DataFrame(
    [
        ("debt", "Debt and arrears", "problem", "#aa0000", None),
        ("stress", "Stress and anxiety", "problem", "#bb0000", None),
        ("housing", "Housing problems", "problem", "#cc0000", None),
        ("school", "School exclusion", "problem", "#dd0000", None),
        ("health", "Poor health", "problem", "#ee0000", None),
        ("drink", "Alcohol misuse", "problem", "#110000", None),
        ("violence", "Domestic abuse", "problem", "#220000", None),
        ("eviction", "Eviction", "event", "#330000", "housing"),
        ("keyworker", "Family key worker", "support", "#00aa00", None),
    ],
    columns=["id", "name", "kind", "color", "parent"],
)

# A hand-made link set:
#   2-cycle within F1:   debt -> stress -> debt        (debt -> stress also said in F2)
#   3-cycle within F1:   housing -> school -> health -> housing   (housing -> school also in F2)
#   3-cycle only across families: drink -> violence (F2), violence -> eviction (F3),
#                                 eviction -> drink (F2)
#   a self-link stress -> stress (F3): ignored by the loop search
#   a dead end keyworker -> stress (F3)
LINK_ROWS = [
    # case, document, from, to, quote, start, end
    ("F1", "F1-mother", "debt", "stress", "the debts kept me awake", 120, 143),
    ("F1", "F1-child", "debt", "stress", "mum worries about money", 30, 53),
    ("F2", "F2-mother", "debt", "stress", "owing money is the worst", 0, 24),
    ("F1", "F1-mother", "stress", "debt", "I stopped opening the post", 200, 226),
    ("F1", "F1-mother", "housing", "school", "we moved and he lost his place", 300, 330),
    ("F2", "F2-mother", "housing", "school", "the flat was miles from school", 50, 80),
    ("F1", "F1-mother", "school", "health", "being home all day made him ill", 400, 431),
    ("F1", "F1-child", "health", "housing", "we couldn't keep the flat clean", 5, 36),
    ("F2", "F2-mother", "drink", "violence", "when he drank he got nasty", 100, 126),
    ("F3", "F3-father", "violence", "eviction", "the landlord heard the fights", 10, 39),
    ("F2", "F2-mother", "eviction", "drink", "after we lost the house he drank more", 140, 177),
    ("F3", "F3-father", "stress", "stress", "worry makes worry", 60, 77),
    ("F3", "F3-father", "keyworker", "stress", "she sorted the forms", 90, 110),
]


@pytest.fixture
def links() -> pd.DataFrame:
    df = pd.DataFrame(LINK_ROWS, columns=["case", "document", "from_code", "to_code", "quote", "start", "end"])
    df["coder"] = "alice"
    return df.sample(frac=1, random_state=1).reset_index(drop=True)


@pytest.fixture
def cooc():
    units = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(8)],
            "document": ["F1-mother"] * 4 + ["F2-mother"] * 4,
            "case": ["F1"] * 4 + ["F2"] * 4,
            "position": list(range(4)) * 2,
        }
    )
    unit_codes = pd.DataFrame(
        [
            ("u0", "debt"), ("u0", "stress"), ("u1", "debt"), ("u1", "stress"), ("u2", "housing"),
            ("u3", "school"), ("u4", "debt"), ("u4", "stress"), ("u5", "housing"), ("u5", "school"),
            ("u6", "drink"),
        ],
        columns=["unit_id", "code"],
    )  # fmt: skip
    return cooccurrence(unit_codes, units, level="segment")


# ---------------------------------------------------------------------------
# loops
# ---------------------------------------------------------------------------


def brute_force_cycles(edges: set[tuple[str, str]], max_len: int) -> set[tuple[str, ...]]:
    """Every simple directed cycle up to max_len by trying all node sequences."""
    nodes = sorted({n for e in edges for n in e})
    out = set()
    for k in range(2, max_len + 1):
        for seq in itertools.permutations(nodes, k):
            if seq[0] == min(seq) and all((seq[i], seq[(i + 1) % k]) in edges for i in range(k)):
                out.add(seq)
    return out


def test_loops_within_and_across_families(links):
    loops = reinforcing_loops(links)
    by_codes = {lp.codes: lp for lp in loops}
    assert set(by_codes) == {
        ("debt", "stress"),
        ("health", "housing", "school"),
        ("drink", "violence", "eviction"),
    }
    two = by_codes[("debt", "stress")]
    assert two.families == ("F1",) and two.within_family and two.length == 2
    assert two.edges == (("debt", "stress"), ("stress", "debt"))
    assert two.edge_families == (("F1", "F2"), ("F1",))
    three = by_codes[("health", "housing", "school")]  # rotated: smallest id first
    assert three.edges == (("health", "housing"), ("housing", "school"), ("school", "health"))
    assert three.families == ("F1",)
    across = by_codes[("drink", "violence", "eviction")]
    assert across.families == () and not across.within_family
    assert across.edge_families == (("F2",), ("F3",), ("F2",))
    # within-family loops first, then by length
    assert [lp.codes for lp in loops][-1] == ("drink", "violence", "eviction")
    # no self-loop, no length-1 cycle
    assert all(lp.length >= 2 for lp in loops)


def test_loop_quotes_first_by_document_then_start(links):
    two = next(lp for lp in reinforcing_loops(links) if lp.codes == ("debt", "stress"))
    # debt -> stress: F1-child/30 < F1-mother/120 < F2-mother/0 (document first)
    assert two.quotes[0] == Evidence("F1", "F1-child", "mum worries about money", 30, 53, "alice")
    assert [e.document for e in two.evidence[0]] == ["F1-child", "F1-mother", "F2-mother"]
    assert two.quotes[1].quote == "I stopped opening the post"
    assert two.quotes_in("F1")[0].document == "F1-child"
    with pytest.raises(AnalysisError, match="is not stated within family 'F2'"):
        two.quotes_in("F2")
    across = next(lp for lp in reinforcing_loops(links) if not lp.within_family)
    assert [q.case for q in across.quotes] == ["F2", "F3", "F2"]


def test_loops_match_brute_force_and_length_bounds(links):
    edges = {(a, b) for a, b in zip(links.from_code, links.to_code) if a != b}
    rng = np.random.default_rng(5)
    extra = {(f"p{a}", f"p{b}") for a, b in rng.integers(0, 6, size=(14, 2)) if a != b}
    ring = pd.DataFrame({"case": "F9", "from_code": [a for a, _ in extra], "to_code": [b for _, b in extra]})
    big = pd.concat([links, ring])
    for max_len in (2, 3, 4, 5):
        got = {lp.codes for lp in reinforcing_loops(big, max_len=max_len)}
        want = brute_force_cycles(edges | extra, max_len)
        assert got == {tuple(c) for c in want}
    assert {lp.codes for lp in reinforcing_loops(links, min_len=3)} == {
        ("health", "housing", "school"),
        ("drink", "violence", "eviction"),
    }


def test_loops_with_codes_restrict_to_kinds(links):
    problems = CODEBOOK[CODEBOOK.kind == "problem"]
    # eviction is an event: the cross-family loop disappears
    got = {lp.codes for lp in reinforcing_loops(links, problems)}
    assert got == {("debt", "stress"), ("health", "housing", "school")}


def test_five_cycle_needs_max_len_five():
    ring = pd.DataFrame({"case": "F1", "from_code": list("abcde"), "to_code": list("bcdea")})
    assert reinforcing_loops(ring) == []
    assert [lp.codes for lp in reinforcing_loops(ring, max_len=5)] == [tuple("abcde")]


@pytest.mark.parametrize(
    "kw,msg", [({"min_len": 1}, "min_len must be a whole number ≥ 2"), ({"max_len": 1}, "max_len must be")]
)
def test_loop_argument_errors(links, kw, msg):
    with pytest.raises(AnalysisError, match=msg):
        reinforcing_loops(links, **kw)


def test_links_errors_and_defaults():
    with pytest.raises(AnalysisError, match="links is missing column\\(s\\) 'to_code'"):
        reinforcing_loops(pd.DataFrame({"case": ["F1"], "from_code": ["a"]}))
    with pytest.raises(AnalysisError, match="needs a 'case' or 'document' column"):
        link_graph(pd.DataFrame({"from_code": ["a"], "to_code": ["b"]}))
    # case defaults to the document
    g = link_graph(pd.DataFrame({"document": ["D1"], "from_code": ["a"], "to_code": ["b"]}))
    assert g.edges["a", "b"]["cases"] == ["D1"]
    assert reinforcing_loops(pd.DataFrame(columns=["case", "from_code", "to_code"])) == []


# ---------------------------------------------------------------------------
# graphs
# ---------------------------------------------------------------------------


def test_link_graph(links):
    g = link_graph(links, CODEBOOK)
    assert g.is_directed()
    e = g.edges["debt", "stress"]
    assert e["count"] == 3 and e["n_cases"] == 2 and e["cases"] == ["F1", "F2"]
    assert e["documents"] == ["F1-child", "F1-mother", "F2-mother"]
    assert [q["start"] for q in e["quotes"]] == [30, 120, 0]
    assert set(e["quotes"][0]) == {"case", "document", "quote", "start", "end", "coder"}
    assert g.has_edge("stress", "stress")  # kept here, ignored by loops
    assert g.nodes["eviction"]["kind"] == "event" and g.nodes["eviction"]["parent"] == "housing"
    assert g.nodes["stress"]["links_in"] == 5 and g.nodes["stress"]["links_out"] == 2
    only = link_graph(links, ["debt", "stress"])
    assert set(only.edges) == {("debt", "stress"), ("stress", "debt"), ("stress", "stress")}


def test_build_graph(cooc, links):
    g = build_graph(cooc, links, CODEBOOK)
    assert not g.is_directed()
    assert set(g.nodes) == set(cooc.codes)
    n = g.nodes["debt"]
    assert (n["name"], n["kind"], n["color"]) == ("Debt and arrears", "problem", "#aa0000")
    assert n["frequency"] == 3 and n["cases"] == 2 and n["links_out"] == 3 and n["links_in"] == 1
    assert g.graph["level"] == "segment" and g.graph["N"] == 8
    for row in cooc.edges.itertuples():
        d = g.edges[row.source, row.target]
        assert d["count"] == row.count == d["weight"]
        assert d["c"] == pytest.approx(row.c) and d["p_value"] == pytest.approx(row.p_value)
        assert (d["source"], d["target"]) == (row.source, row.target)
    assert g.number_of_edges() == len(cooc.edges)
    sig = build_graph(cooc, significant_only=True)
    assert sig.number_of_edges() == int(cooc.edges.significant.sum())
    bare = build_graph(cooc)
    assert bare.nodes["debt"]["name"] == "debt" and bare.nodes["debt"]["kind"] == "other"
    with pytest.raises(AnalysisError, match="needs the result of coder.cooccur.cooccurrence"):
        build_graph(cooc.edges)


# ---------------------------------------------------------------------------
# communities and centrality
# ---------------------------------------------------------------------------


def two_cliques() -> nx.Graph:
    g = nx.Graph()
    for group in ("abcd", "wxyz"):
        for u, v in itertools.combinations(group, 2):
            g.add_edge(u, v, count=5)
    g.add_edge("d", "w", count=1)
    return g


def test_communities_known_answer_and_deterministic():
    g = two_cliques()
    assert communities(g) == [list("abcd"), list("wxyz")]
    rng = np.random.default_rng(2)
    h = nx.gnm_random_graph(40, 120, seed=3)
    for u, v in h.edges:
        h.edges[u, v]["count"] = int(rng.integers(1, 9))
    first = communities(h, seed=7)
    assert all(communities(h, seed=7) == first for _ in range(3))
    assert sorted(n for c in first for n in c) == sorted(h.nodes)  # a partition
    assert communities(nx.Graph()) == []


def test_centrality_by_hand():
    # a-b w=4, b-c w=4, a-c w=1, c-d w=1; distances 1/w: .25, .25, 1, 1.
    # shortest paths: a-c via b (.5 < 1); a-d via b, c (1.5 < 2); b-d via c.
    # betweenness: b on (a,c), (a,d) = 2; c on (a,d), (b,d) = 2; normalised by
    # (n-1)(n-2)/2 = 3.  strength: a 5, b 8, c 6, d 1.
    g = nx.Graph()
    g.add_edge("a", "b", count=4)
    g.add_edge("b", "c", count=4)
    g.add_edge("a", "c", count=1)
    g.add_edge("c", "d", count=1)
    cent = centrality(g)
    assert cent.strength.to_dict() == {"a": 5, "b": 8, "c": 6, "d": 1}
    assert cent.degree.to_dict() == {"a": 2, "b": 2, "c": 3, "d": 1}
    assert cent.betweenness.to_dict() == pytest.approx({"a": 0, "b": 2 / 3, "c": 2 / 3, "d": 0})
    # unweighted, b would have no betweenness: the distance really is 1/w
    assert nx.betweenness_centrality(g)["b"] == 0


def test_centrality_directed(links):
    cent = centrality(link_graph(links))
    assert {"in_strength", "out_strength"} <= set(cent.columns)
    assert cent.loc["debt", "out_strength"] == 3 and cent.loc["debt", "in_strength"] == 1


# ---------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------


def test_network_summary_shape(cooc, links):
    s = network_summary(cooc, links, CODEBOOK)
    text = json.dumps(s, allow_nan=False)
    assert json.loads(text) == s
    assert s["level"] == "segment" and s["N"] == 8 and s["window"] is None
    for node in s["nodes"]:
        assert {"id", "name", "kind", "frequency", "cases"} <= set(node)
    for edge in s["edges"]:
        required = {"source", "target", "count", "c", "lift", "p_value"}
        assert required | {"p_target_given_source", "p_source_given_target"} <= set(edge)
        assert {"q_value", "significant"} <= set(edge)
    assert [(x["from"], x["to"]) for x in s["links"]] == sorted((x["from"], x["to"]) for x in s["links"])
    debt_stress = next(x for x in s["links"] if (x["from"], x["to"]) == ("debt", "stress"))
    assert debt_stress["count"] == 3 and debt_stress["cases"] == ["F1", "F2"] and len(debt_stress["quotes"]) == 3
    # the loops come from the links, whatever codes the co-occurrence analysed
    assert s["loops"] == [["debt", "stress"], ["health", "housing", "school"], ["drink", "violence", "eviction"]]
    details = {tuple(d["codes"]): d for d in s["loop_details"]}
    assert details[("debt", "stress")]["families"] == ["F1"]
    assert details[("debt", "stress")]["family_quotes"]["F1"][0]["document"] == "F1-child"
    assert sorted(c for comm in s["communities"] for c in comm) == sorted(cooc.codes)
    assert set(s["centrality"]) == set(cooc.codes)


def test_network_summary_without_codebook_keeps_cross_family_loop(cooc, links):
    s = network_summary(cooc, links)
    details = {tuple(d["codes"]): d for d in s["loop_details"]}
    assert details[("drink", "violence", "eviction")]["within_family"] is False
    assert [q["case"] for q in details[("drink", "violence", "eviction")]["quotes"]] == ["F2", "F3", "F2"]
    assert network_summary(cooc)["links"] == [] and network_summary(cooc)["loops"] == []


def test_network_summary_nan_becomes_none(cooc):
    wide = cooccurrence(
        pd.DataFrame({"unit_id": ["u0", "u0"], "code": ["a", "b"]}),
        pd.DataFrame({"unit_id": ["u0", "u1"], "case": ["F1", "F2"]}),
        codes=["a", "b", "never"],
        all_pairs=True,
    )
    s = network_summary(wide)  # zero-count edges: communities must cope
    json.dumps(s, allow_nan=False)
    assert sorted(map(sorted, s["communities"])) == [["a", "b"], ["never"]]
    never = [e for e in s["edges"] if "never" in (e["source"], e["target"])]
    assert never and all(e["p_value"] is None and e["lift"] is None for e in never)


# ---------------------------------------------------------------------------
# exports
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("writer,reader", [(write_graphml, nx.read_graphml), (write_gexf, nx.read_gexf)])
def test_cooccurrence_graph_round_trip(tmp_path, cooc, links, writer, reader):
    g = build_graph(cooc, links, CODEBOOK)
    path = writer(g, tmp_path / "net.xml")
    back = reader(path)
    assert set(back.nodes) == set(g.nodes)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in g.edges}
    for u, v, d in g.edges(data=True):
        b = back.edges[u, v]
        assert int(b["count"]) == d["count"]
        assert float(b["c"]) == pytest.approx(d["c"])
        assert float(b["p_value"]) == pytest.approx(d["p_value"])
    assert back.nodes["debt"]["name"] == "Debt and arrears"
    assert int(back.nodes["debt"]["frequency"]) == 3


@pytest.mark.parametrize("writer,reader", [(write_graphml, nx.read_graphml), (write_gexf, nx.read_gexf)])
def test_link_graph_round_trip(tmp_path, links, writer, reader):
    g = link_graph(links, CODEBOOK)
    back = reader(writer(g, tmp_path / "links.xml"))
    assert back.is_directed()
    assert set(back.edges) == set(g.edges)
    d = back.edges["debt", "stress"]
    assert d["cases"] == "F1; F2"
    assert [q["document"] for q in json.loads(d["quotes"])] == ["F1-child", "F1-mother", "F2-mother"]


def test_csv_exports(tmp_path, cooc, links):
    g = build_graph(cooc, links, CODEBOOK)
    edges = pd.read_csv(write_edges_csv(g, tmp_path / "edges.csv"))
    nodes = pd.read_csv(write_nodes_csv(g, tmp_path / "nodes.csv"))
    assert list(edges.columns[:3]) == ["source", "target", "count"]
    assert len(edges) == g.number_of_edges() and len(nodes) == g.number_of_nodes()
    assert nodes.columns[0] == "id" and "kind" in nodes.columns
    lg = pd.read_csv(write_edges_csv(link_graph(links), tmp_path / "links.csv"))
    row = lg[(lg.source == "debt") & (lg.target == "stress")].iloc[0]
    assert row.cases == "F1; F2" and len(json.loads(row.quotes)) == 3
