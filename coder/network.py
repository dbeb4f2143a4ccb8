"""Networks of codes: co-occurrence graphs, directed problem links, loops, exports.

Two graphs, kept apart on purpose because they mean different things:

* :func:`build_graph` — an undirected :class:`networkx.Graph` of *co-occurrence*
  (codes talked about together; no direction, no causation), built from a
  :class:`coder.cooccur.Cooccurrence`.
* :func:`link_graph` — a :class:`networkx.DiGraph` of *problem links*
  (a participant said problem A led to, caused or worsened problem B), built
  from the coded links with their quotes as evidence.

On the link graph, :func:`reinforcing_loops` finds vicious circles
(A → B → … → A).  :func:`communities`, :func:`centrality` and
:func:`network_summary` describe a graph; the ``write_*`` functions export it.
Everything is pure: functions take data and return new data, and only the
``write_*`` functions touch the file system.

References
----------
.. [1] Johnson, D. B. (1975). Finding all the elementary circuits of a
   directed graph. *SIAM Journal on Computing* 4(1), 77–84.
   doi:10.1137/0204007
.. [2] Gupta, A., & Suzumura, T. (2021). Finding all bounded-length simple
   cycles in a directed graph. arXiv:2105.10094
.. [3] Blondel, V. D., Guillaume, J.-L., Lambiotte, R., & Lefebvre, E. (2008).
   Fast unfolding of communities in large networks. *Journal of Statistical
   Mechanics* P10008. doi:10.1088/1742-5468/2008/10/P10008
.. [4] Barrat, A., Barthélemy, M., Pastor-Satorras, R., & Vespignani, A.
   (2004). The architecture of complex weighted networks. *PNAS* 101(11),
   3747–3752. doi:10.1073/pnas.0400087101
.. [5] Brandes, U. (2001). A faster algorithm for betweenness centrality.
   *Journal of Mathematical Sociology* 25(2), 163–177.
   doi:10.1080/0022250X.2001.9990249
.. [6] Opsahl, T., Agneessens, F., & Skvoretz, J. (2010). Node centrality in
   weighted networks: Generalizing degree and shortest paths. *Social
   Networks* 32(3), 245–251. doi:10.1016/j.socnet.2010.03.006
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from coder.cooccur import Cooccurrence
from coder.errors import AnalysisError

__all__ = [
    "Evidence",
    "Loop",
    "build_graph",
    "link_graph",
    "reinforcing_loops",
    "communities",
    "centrality",
    "network_summary",
    "write_edges_csv",
    "write_nodes_csv",
    "write_graphml",
    "write_gexf",
]

CodesArg = pd.DataFrame | Sequence[str] | None


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One stated link: where a participant said it, in their words.

    Attributes
    ----------
    case, document : str
        The family and the interview.
    quote : str or None
        The participant's words.
    start, end : int or None
        Half-open code-point range of the quote in the document's plain text.
    coder : str or None
        Who coded the link.
    """

    case: str
    document: str | None
    quote: str | None
    start: int | None
    end: int | None
    coder: str | None

    def as_dict(self) -> dict[str, Any]:
        """The evidence as a plain dict (JSON-safe)."""
        return asdict(self)


@dataclass(frozen=True)
class Loop:
    """A reinforcing loop: a directed cycle of problem links ``A → B → … → A``.

    Attributes
    ----------
    codes : tuple of str
        The codes in cycle order, rotated so that the smallest id comes first;
        edge *k* runs ``codes[k] → codes[(k + 1) % length]``.
    families : tuple of str
        The cases in which **every** edge of the loop is stated: there the
        loop is told *within one family*.  Empty when the loop only exists
        *across families*: each edge is stated by some family but no family
        states them all, so the loop is assembled from several accounts
        (a pattern in the data set, not a story anyone told).
    edge_families : tuple of tuple of str
        For each edge, every case that states it.
    evidence : tuple of tuple of Evidence
        For each edge, every statement of it, sorted by (document, start).
    """

    codes: tuple[str, ...]
    families: tuple[str, ...]
    edge_families: tuple[tuple[str, ...], ...]
    evidence: tuple[tuple[Evidence, ...], ...]

    @property
    def length(self) -> int:
        """Number of edges (= number of codes)."""
        return len(self.codes)

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """The directed edges in cycle order."""
        n = len(self.codes)
        return tuple((self.codes[k], self.codes[(k + 1) % n]) for k in range(n))

    @property
    def within_family(self) -> bool:
        """True when at least one family states every edge."""
        return bool(self.families)

    @property
    def quotes(self) -> tuple[Evidence, ...]:
        """One supporting quote per edge: the first by (document, start), any family."""
        return tuple(ev[0] for ev in self.evidence)

    def quotes_in(self, family: str) -> tuple[Evidence, ...]:
        """One quote per edge from ``family`` alone (first by document, start).

        Raises
        ------
        coder.errors.AnalysisError
            When the loop is not told within that family.
        """
        if family not in self.families:
            raise AnalysisError(
                f"loop {' → '.join(self.codes)} is not stated within family {family!r}: "
                f"choose one of {list(self.families) or 'none (cross-family loop)'}"
            )
        return tuple(next(e for e in ev if e.case == family) for ev in self.evidence)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _codebook(codes: CodesArg) -> dict[str, dict[str, Any]] | None:
    """id → {name, kind, color, parent} from a codebook table or a list of ids."""
    if codes is None:
        return None
    if isinstance(codes, pd.DataFrame):
        if "id" not in codes.columns:
            raise AnalysisError("codes is missing column 'id': pass the codebook table (id, name, kind, color, parent)")
        out: dict[str, dict[str, Any]] = {}
        for row in codes.to_dict("records"):
            out[row["id"]] = {
                k: _clean(row.get(k)) for k in ("name", "kind", "color", "parent") if k in codes.columns
            }
        return out
    if isinstance(codes, str):
        raise AnalysisError("codes must be a list of code ids or the codebook table, not one string")
    return {c: {} for c in codes}


def _node_info(code: str, book: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    info = (book or {}).get(code, {})
    return {
        "name": info.get("name") or code,
        "kind": info.get("kind") or "other",
        "color": info.get("color"),
        "parent": info.get("parent"),
    }


def _clean(value: Any) -> Any:
    """numpy scalars → Python, NaN/NA/inf → None (JSON-safe)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=str) if isinstance(obj, (set, frozenset)) else obj
        return [_jsonable(v) for v in items]
    if isinstance(obj, Evidence):
        return _jsonable(obj.as_dict())
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    return _clean(obj)


def _links_frame(links: pd.DataFrame, codes: CodesArg) -> pd.DataFrame:
    """Normalised links: case, document, from_code, to_code, quote, start, end, coder, row."""
    if not isinstance(links, pd.DataFrame):
        raise AnalysisError(f"links must be a pandas DataFrame, not {type(links).__name__}")
    missing = [c for c in ("from_code", "to_code") if c not in links.columns]
    if missing:
        raise AnalysisError(
            f"links is missing column(s) {', '.join(map(repr, missing))}: "
            "expected case, document, from_code, to_code, quote, start, end, coder"
        )
    if "case" not in links.columns and "document" not in links.columns:
        raise AnalysisError("links needs a 'case' or 'document' column to know which family stated each link")
    df = links.reset_index(drop=True).copy()
    for col in ("case", "document", "quote", "start", "end", "coder"):
        if col not in df.columns:
            df[col] = None
    df["case"] = df["case"].where(df["case"].notna(), df["document"])
    df = df[df["from_code"].notna() & df["to_code"].notna()]
    if df["case"].isna().any():
        raise AnalysisError("a link has neither case nor document: give every link the document it was stated in")
    book = _codebook(codes)
    if book is not None:
        df = df[df["from_code"].isin(list(book)) & df["to_code"].isin(list(book))]
    df["row"] = np.arange(len(df))
    start = pd.to_numeric(df["start"], errors="coerce")
    df["_doc_key"] = df["document"].map(lambda d: "" if d is None or d != d else str(d))
    df["_start_key"] = start.fillna(np.inf)
    df = df.sort_values(["_doc_key", "_start_key", "row"], kind="stable")
    return df.drop(columns=["_doc_key", "_start_key"])


def _int_or_none(value: Any) -> int | None:
    value = _clean(value)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> str | None:
    value = _clean(value)
    return None if value is None else str(value)


def _evidence(row: Mapping[str, Any]) -> Evidence:
    return Evidence(
        case=str(row["case"]),
        document=_str_or_none(row["document"]),
        quote=_str_or_none(row["quote"]),
        start=_int_or_none(row["start"]),
        end=_int_or_none(row["end"]),
        coder=_str_or_none(row["coder"]),
    )


def _statements(df: pd.DataFrame) -> dict[tuple[str, str], list[Evidence]]:
    """(from, to) → evidence list in (document, start) order."""
    out: dict[tuple[str, str], list[Evidence]] = {}
    for row in df.to_dict("records"):
        out.setdefault((row["from_code"], row["to_code"]), []).append(_evidence(row))
    return out


# --------------------------------------------------------------------------
# graphs
# --------------------------------------------------------------------------


def build_graph(
    cooc: Cooccurrence,
    links: pd.DataFrame | None = None,
    codes: CodesArg = None,
    significant_only: bool = False,
) -> nx.Graph:
    """The undirected co-occurrence graph of a :class:`~coder.cooccur.Cooccurrence`.

    Nodes are ``cooc.codes`` with attributes ``name``, ``kind``, ``color``,
    ``parent`` (from the codebook ``codes``; default name = id, kind =
    ``"other"``), ``frequency`` (the level's marginal), ``units`` (units
    carrying the code) and ``cases`` (cases where it appears).  When
    ``links`` are given, each node also gets ``links_out`` and ``links_in``:
    how many link statements leave and enter it (direction lives in
    :func:`link_graph`, not here).

    Edges are the rows of ``cooc.edges`` with every measure as an attribute
    (``count, n_source, n_target, N, c, p_target_given_source,
    p_source_given_target, lift, p_value, q_value, significant``) plus
    ``weight = count`` for tools such as Gephi.  ``p_target_given_source``
    reads in the direction ``source → target`` stored in the attributes
    ``source`` and ``target``.

    Parameters
    ----------
    cooc : Cooccurrence
    links : pandas.DataFrame, optional
        Problem links (``from_code``, ``to_code``, ``case`` or ``document``).
    codes : codebook DataFrame (``id, name, kind, color, parent``) or ids, optional
    significant_only : bool
        Keep only edges with ``significant`` true (q < ``cooc.alpha``).

    Returns
    -------
    networkx.Graph
        Graph attributes ``level, window, N, n_units, n_cases, alpha, n_tests``.

    Examples
    --------
    >>> import pandas as pd
    >>> from coder.cooccur import cooccurrence
    >>> units = pd.DataFrame({"unit_id": ["u1", "u2", "u3"], "case": ["F1", "F1", "F2"]})
    >>> uc = pd.DataFrame({"unit_id": ["u1", "u1", "u2", "u3"], "code": ["debt", "housing", "debt", "housing"]})
    >>> g = build_graph(cooccurrence(uc, units))
    >>> sorted(g.nodes(data="cases")), g.edges["debt", "housing"]["count"]
    ([('debt', 1), ('housing', 2)], 1)
    """
    if not isinstance(cooc, Cooccurrence):
        raise AnalysisError("build_graph needs the result of coder.cooccur.cooccurrence()")
    book = _codebook(codes)
    g = nx.Graph(
        level=cooc.level,
        window=cooc.window,
        N=cooc.N,
        n_units=cooc.n_units,
        n_cases=cooc.n_cases,
        alpha=cooc.alpha,
        n_tests=cooc.n_tests,
    )
    for code in cooc.codes:
        g.add_node(
            code,
            **_node_info(code, book),
            frequency=int(cooc.frequency[code]),
            units=int(cooc.unit_frequency[code]),
            cases=None if cooc.case_frequency is None else int(cooc.case_frequency[code]),
        )
    if links is not None:
        df = _links_frame(links, None)
        out_counts = df["from_code"].value_counts()
        in_counts = df["to_code"].value_counts()
        for code in cooc.codes:
            g.nodes[code]["links_out"] = int(out_counts.get(code, 0))
            g.nodes[code]["links_in"] = int(in_counts.get(code, 0))
    edges = cooc.edges
    if significant_only:
        edges = edges[edges["significant"]]
    for row in edges.to_dict("records"):
        attrs = {k: _clean(v) for k, v in row.items()}
        attrs["weight"] = attrs["count"]
        g.add_edge(row["source"], row["target"], **attrs)
    return g


def link_graph(links: pd.DataFrame, codes: CodesArg = None) -> nx.DiGraph:
    """The directed graph of problem links, with the quotes as evidence.

    One edge per ordered pair ``from_code → to_code`` stated at least once.
    Edge attributes: ``count`` (number of statements), ``weight`` (= count),
    ``n_cases`` and ``cases`` (sorted list of the families stating it),
    ``documents`` (sorted list), and ``quotes``: a list of dicts
    ``{case, document, quote, start, end, coder}`` sorted by (document,
    start).  Every statement counts, so the same link coded by two coders
    counts twice: select one coder upstream.  Self-links (A → A) are kept
    here as given; :func:`reinforcing_loops` ignores them.

    Parameters
    ----------
    links : pandas.DataFrame
        ``from_code``, ``to_code``, ``case`` (defaults to ``document``) and
        optionally ``document``, ``quote``, ``start``, ``end``, ``coder``.
    codes : codebook DataFrame or code ids, optional
        Node attributes ``name, kind, color, parent``; when given, links
        whose codes are not in it are left out.

    Returns
    -------
    networkx.DiGraph
        Nodes carry ``name, kind, color, parent, links_out, links_in``.

    Examples
    --------
    >>> import pandas as pd
    >>> links = pd.DataFrame({"case": ["F1", "F2"], "document": ["F1-m", "F2-m"],
    ...                       "from_code": ["debt", "debt"], "to_code": ["stress", "stress"],
    ...                       "quote": ["the debts got to me", "worrying about money"],
    ...                       "start": [10, 4], "end": [29, 24]})
    >>> g = link_graph(links)
    >>> g.edges["debt", "stress"]["count"], g.edges["debt", "stress"]["cases"]
    (2, ['F1', 'F2'])
    """
    df = _links_frame(links, codes)
    book = _codebook(codes)
    g = nx.DiGraph()
    for code in pd.unique(pd.concat([df["from_code"], df["to_code"]])).tolist():
        g.add_node(code, **_node_info(code, book))
    for (a, b), ev in _statements(df).items():
        cases = sorted({e.case for e in ev})
        docs = sorted({e.document for e in ev if e.document is not None})
        g.add_edge(
            a,
            b,
            count=len(ev),
            weight=len(ev),
            n_cases=len(cases),
            cases=cases,
            documents=docs,
            quotes=[e.as_dict() for e in ev],
        )
    for code in g.nodes:
        g.nodes[code]["links_out"] = int(sum(d["count"] for _, _, d in g.out_edges(code, data=True)))
        g.nodes[code]["links_in"] = int(sum(d["count"] for _, _, d in g.in_edges(code, data=True)))
    return g


# --------------------------------------------------------------------------
# loops
# --------------------------------------------------------------------------


def _canonical(cycle: Sequence[str]) -> tuple[str, ...]:
    i = min(range(len(cycle)), key=lambda k: str(cycle[k]))
    return tuple(cycle[i:]) + tuple(cycle[:i])


def reinforcing_loops(
    links: pd.DataFrame,
    codes: CodesArg = None,
    min_len: int = 2,
    max_len: int = 4,
) -> list[Loop]:
    """Reinforcing loops (vicious circles) in the directed problem links.

    A loop is a simple directed cycle ``A → B → … → A`` of ``min_len`` to
    ``max_len`` distinct codes, found with :func:`networkx.simple_cycles`
    (Johnson 1975, doi:10.1137/0204007; length-bounded search of Gupta &
    Suzumura 2021, arXiv:2105.10094) on the graph pooling every family's
    links.  Self-links (A → A) are ignored: a problem "worsening itself" is
    not a loop between problems.

    *Across families* versus *within one family*:

    * every loop returned exists **across families**: each of its edges is
      stated by at least one family, possibly different ones;
    * a loop exists **within a family** when that one family states every
      edge (``Loop.families``).  These are exactly the cycles one would find
      in that family's own link graph; a loop with empty ``families`` is
      only a cross-case pattern, assembled from several accounts.

    Each loop is rotated so its smallest code id comes first, so a cycle
    appears once however it was found.

    Parameters
    ----------
    links : pandas.DataFrame
        ``from_code``, ``to_code``, ``case`` (or ``document``), and
        optionally ``document``, ``quote``, ``start``, ``end``, ``coder``.
    codes : codebook DataFrame or code ids, optional
        Only links between these codes are used (pass the problem codes to
        restrict loops to problems).
    min_len, max_len : int
        Loop lengths to report, ``2 ≤ min_len ≤ max_len``.

    Returns
    -------
    list of Loop
        Sorted by number of families (most first), then length, then codes.

    Examples
    --------
    >>> import pandas as pd
    >>> links = pd.DataFrame({
    ...     "case":      ["F1", "F1", "F2", "F2"],
    ...     "from_code": ["debt", "stress", "stress", "drink"],
    ...     "to_code":   ["stress", "debt", "drink", "debt"]})
    >>> [(lp.codes, lp.families) for lp in reinforcing_loops(links)]
    [(('debt', 'stress'), ('F1',)), (('debt', 'stress', 'drink'), ())]
    """
    if isinstance(min_len, bool) or not isinstance(min_len, (int, np.integer)) or min_len < 2:
        raise AnalysisError(f"min_len must be a whole number ≥ 2 (got {min_len!r}): a loop needs two problems")
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < min_len:
        raise AnalysisError(f"max_len must be a whole number ≥ min_len = {min_len} (got {max_len!r})")
    df = _links_frame(links, codes)
    df = df[df["from_code"] != df["to_code"]]
    statements = _statements(df)
    g = nx.DiGraph(list(statements))
    found: dict[tuple[str, ...], Loop] = {}
    for cycle in nx.simple_cycles(g, length_bound=int(max_len)):
        if len(cycle) < min_len:
            continue
        key = _canonical(cycle)
        if key in found:
            continue
        edges = [(key[k], key[(k + 1) % len(key)]) for k in range(len(key))]
        edge_families = tuple(tuple(sorted({e.case for e in statements[e_]})) for e_ in edges)
        families = set(edge_families[0]).intersection(*map(set, edge_families[1:]))
        found[key] = Loop(
            codes=key,
            families=tuple(sorted(families)),
            edge_families=edge_families,
            evidence=tuple(tuple(statements[e_]) for e_ in edges),
        )
    return sorted(found.values(), key=lambda lp: (-len(lp.families), lp.length, tuple(map(str, lp.codes))))


# --------------------------------------------------------------------------
# graph measures
# --------------------------------------------------------------------------


def communities(graph: nx.Graph, seed: int = 42, weight: str = "count", resolution: float = 1.0) -> list[list[str]]:
    """Louvain communities of codes, reproducible with a fixed seed.

    Greedy modularity optimisation of Blondel et al. (2008,
    doi:10.1088/1742-5468/2008/10/P10008) via
    :func:`networkx.community.louvain_communities`, with edge weight
    ``count``.  Modularity
    ``Q = (1/2m) Σ_ij [w_ij − γ s_i s_j / 2m] δ(c_i, c_j)``
    with strengths ``s``, total weight ``m`` and resolution ``γ``.

    Parameters
    ----------
    graph : networkx.Graph or DiGraph
    seed : int
        Random seed: the same seed gives the same partition.
    weight : str
        Edge attribute used as weight (missing = 1); edges of weight 0 are
        ignored.
    resolution : float
        γ; above 1 favours smaller communities.

    Returns
    -------
    list of list of str
        Each community sorted; communities ordered by size (largest first),
        then by their first code.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_weighted_edges_from([("a", "b", 5), ("b", "c", 5), ("a", "c", 5),
    ...                            ("x", "y", 5), ("y", "z", 5), ("x", "z", 5),
    ...                            ("c", "x", 1)], weight="count")
    >>> communities(g)
    [['a', 'b', 'c'], ['x', 'y', 'z']]
    """
    if graph.number_of_nodes() == 0:
        return []
    positive = graph.__class__()  # edges of weight 0 (all_pairs tables) carry no tie
    positive.add_nodes_from(graph.nodes)
    positive.add_edges_from(
        (u, v, {weight: d.get(weight, 1)}) for u, v, d in graph.edges(data=True) if (d.get(weight, 1) or 0) > 0
    )
    parts = nx.community.louvain_communities(positive, weight=weight, resolution=resolution, seed=seed)
    groups = [sorted(p, key=str) for p in parts]
    return sorted(groups, key=lambda c: (-len(c), str(c[0])))


def centrality(graph: nx.Graph, weight: str = "count") -> pd.DataFrame:
    """Weighted degree (strength) and betweenness of every node.

    * ``degree``: number of neighbours.
    * ``strength``: ``s_i = Σ_j w_ij``, the sum of the weights (co-occurrence
      or link counts) of the node's edges (Barrat et al. 2004,
      doi:10.1073/pnas.0400087101).  On a directed graph also
      ``in_strength`` and ``out_strength``.
    * ``betweenness``: share of shortest paths between other nodes that pass
      through the node, normalised to [0, 1] (Freeman 1977; Brandes 2001,
      doi:10.1080/0022250X.2001.9990249).  Path length uses the *distance*
      ``1 / w`` of each edge, so frequent co-occurrence means close
      (Opsahl et al. 2010, doi:10.1016/j.socnet.2010.03.006); edges of
      weight 0 are left out.

    Parameters
    ----------
    graph : networkx.Graph or DiGraph
    weight : str
        Edge attribute holding the weight (missing = 1).

    Returns
    -------
    pandas.DataFrame
        Index ``code`` (graph node order); columns ``degree, strength,
        betweenness`` (+ ``in_strength, out_strength`` when directed).

    Examples
    --------
    A path a –2– b –1– c: b lies on the one shortest path between a and c.

    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_edge("a", "b", count=2); g.add_edge("b", "c", count=1)
    >>> centrality(g)  # doctest: +NORMALIZE_WHITESPACE
          degree  strength  betweenness
    code
    a          1       2.0          0.0
    b          2       3.0          1.0
    c          1       1.0          0.0
    """
    nodes = list(graph.nodes)
    dist = graph.__class__()
    dist.add_nodes_from(nodes)
    for u, v, d in graph.edges(data=True):
        w = d.get(weight, 1)
        if w is not None and w > 0:
            dist.add_edge(u, v, distance=1.0 / float(w))
    betweenness = nx.betweenness_centrality(dist, weight="distance", normalized=True)
    strength = dict(graph.degree(weight=weight))
    out = pd.DataFrame(
        {
            "degree": [int(graph.degree(n)) for n in nodes],
            "strength": [float(strength[n]) for n in nodes],
            "betweenness": [float(betweenness[n]) for n in nodes],
        },
        index=pd.Index(nodes, name="code"),
    )
    if graph.is_directed():
        out["in_strength"] = [float(s) for _, s in graph.in_degree(nodes, weight=weight)]
        out["out_strength"] = [float(s) for _, s in graph.out_degree(nodes, weight=weight)]
    return out


# --------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------

_EDGE_KEYS = (
    "source",
    "target",
    "count",
    "c",
    "p_target_given_source",
    "p_source_given_target",
    "lift",
    "p_value",
    "q_value",
    "significant",
    "n_source",
    "n_target",
    "N",
)


def network_summary(
    cooc: Cooccurrence,
    links: pd.DataFrame | None = None,
    codes: CodesArg = None,
    *,
    significant_only: bool = False,
    seed: int = 42,
    min_len: int = 2,
    max_len: int = 4,
) -> dict[str, Any]:
    """The ``network`` JSON document (SPEC §4.1), JSON-safe.

    Keys
    ----
    ``level``, ``window``, ``N``, ``n_units``, ``n_cases``, ``alpha``, ``n_tests``
        As in :class:`~coder.cooccur.Cooccurrence`.
    ``nodes``
        ``[{"id", "name", "kind", "color", "frequency", "units", "cases",
        "community", "degree", "strength", "betweenness"}]`` — ``cases`` is
        the number of cases mentioning the code; ``community`` indexes
        ``communities``; centrality as in :func:`centrality` on the
        co-occurrence graph.
    ``edges``
        ``[{"source", "target", "count", "c", "p_target_given_source",
        "p_source_given_target", "lift", "p_value", "q_value",
        "significant", "n_source", "n_target", "N"}]``.
    ``links``
        ``[{"from", "to", "count", "n_cases", "cases", "quotes"}]`` — one per
        directed pair stated, sorted by (from, to); empty without ``links``.
    ``loops``
        ``[[CODE, …]]`` — every reinforcing loop (across families), as in
        :func:`reinforcing_loops`.
    ``loop_details``
        One dict per loop, same order: ``codes``, ``length``,
        ``within_family``, ``families``, ``edge_families``, ``quotes`` (one
        per edge, first by document/start) and ``family_quotes``
        (``{family: [one quote per edge from that family]}``).
    ``communities``
        Louvain communities of the co-occurrence graph (:func:`communities`).
    ``centrality``
        ``{code: {"degree", "strength", "betweenness"}}`` (same values as in
        ``nodes``).

    NaN and infinities become ``None``.

    Parameters
    ----------
    cooc : Cooccurrence
    links : pandas.DataFrame, optional
    codes : codebook DataFrame or code ids, optional
        Node names, kinds and colours; also restricts the links and loops.
    significant_only : bool
        Keep only significant co-occurrence edges.
    seed : int
        Louvain seed.
    min_len, max_len : int
        Loop lengths.

    Returns
    -------
    dict

    Examples
    --------
    >>> import json, pandas as pd
    >>> from coder.cooccur import cooccurrence
    >>> units = pd.DataFrame({"unit_id": ["u1", "u2"], "case": ["F1", "F2"]})
    >>> uc = pd.DataFrame({"unit_id": ["u1", "u1", "u2"], "code": ["debt", "stress", "debt"]})
    >>> links = pd.DataFrame({"case": ["F1", "F1"], "from_code": ["debt", "stress"],
    ...                       "to_code": ["stress", "debt"]})
    >>> s = network_summary(cooccurrence(uc, units), links)
    >>> s["loops"], [(n["id"], n["frequency"], n["cases"]) for n in s["nodes"]]
    ([['debt', 'stress']], [('debt', 2, 2), ('stress', 1, 1)])
    >>> _ = json.dumps(s, allow_nan=False)
    """
    g = build_graph(cooc, links, codes, significant_only=significant_only)
    comms = communities(g, seed=seed)
    member = {code: i for i, comm in enumerate(comms) for code in comm}
    cent = centrality(g)
    nodes = []
    for code, d in g.nodes(data=True):
        nodes.append(
            {
                "id": code,
                "name": d["name"],
                "kind": d["kind"],
                "color": d["color"],
                "frequency": d["frequency"],
                "units": d["units"],
                "cases": d["cases"],
                "community": member.get(code),
                "degree": int(cent.at[code, "degree"]),
                "strength": float(cent.at[code, "strength"]),
                "betweenness": float(cent.at[code, "betweenness"]),
            }
        )
    edges = [{k: d[k] for k in _EDGE_KEYS} for _, _, d in g.edges(data=True)]
    link_list: list[dict[str, Any]] = []
    loops: list[Loop] = []
    if links is not None:
        lg = link_graph(links, codes)
        for a, b, d in sorted(lg.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
            link_list.append(
                {
                    "from": a,
                    "to": b,
                    "count": d["count"],
                    "n_cases": d["n_cases"],
                    "cases": d["cases"],
                    "quotes": d["quotes"],
                }
            )
        loops = reinforcing_loops(links, codes, min_len=min_len, max_len=max_len)
    summary = {
        "level": cooc.level,
        "window": cooc.window,
        "N": cooc.N,
        "n_units": cooc.n_units,
        "n_cases": cooc.n_cases,
        "alpha": cooc.alpha,
        "n_tests": cooc.n_tests,
        "nodes": nodes,
        "edges": edges,
        "links": link_list,
        "loops": [list(lp.codes) for lp in loops],
        "loop_details": [
            {
                "codes": list(lp.codes),
                "length": lp.length,
                "within_family": lp.within_family,
                "families": list(lp.families),
                "edge_families": [list(f) for f in lp.edge_families],
                "quotes": [e.as_dict() for e in lp.quotes],
                "family_quotes": {f: [e.as_dict() for e in lp.quotes_in(f)] for f in lp.families},
            }
            for lp in loops
        ],
        "communities": comms,
        "centrality": {
            code: {"degree": int(r.degree), "strength": float(r.strength), "betweenness": float(r.betweenness)}
            for code, r in cent.iterrows()
        },
    }
    return _jsonable(summary)


# --------------------------------------------------------------------------
# exports
# --------------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    """A GraphML/GEXF-safe scalar, or None to drop the attribute."""
    value = _clean(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if all(isinstance(_clean(v), (str, int, float, bool)) for v in items):
            return "; ".join(str(_clean(v)) for v in items)
        return json.dumps(_jsonable(items), ensure_ascii=False)
    if isinstance(value, Mapping):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return str(value)


def _scalar_graph(graph: nx.Graph) -> nx.Graph:
    """A copy whose attributes are all bool/int/float/str (lists joined with "; ", dicts as JSON)."""
    out = graph.__class__()
    out.graph.update({k: v for k, v in ((k, _scalar(v)) for k, v in graph.graph.items()) if v is not None})
    for n, d in graph.nodes(data=True):
        out.add_node(str(n), **{k: v for k, v in ((k, _scalar(v)) for k, v in d.items()) if v is not None})
    for u, v, d in graph.edges(data=True):
        out.add_edge(str(u), str(v), **{k: x for k, x in ((k, _scalar(x)) for k, x in d.items()) if x is not None})
    return out


def _table(rows: Iterable[dict[str, Any]], first: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame([{k: _scalar(v) for k, v in r.items()} for r in rows])
    cols = list(first) + [c for c in frame.columns if c not in first]
    return frame.reindex(columns=cols)


def write_edges_csv(graph: nx.Graph, path: str | Path) -> Path:
    """Write one CSV row per edge: ``source, target`` then every edge attribute.

    Lists become ``"; "``-joined strings and lists of dicts (quotes) JSON.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    rows = []
    for u, v, d in graph.edges(data=True):
        attrs = {k: x for k, x in d.items() if k not in ("source", "target")}
        rows.append({"source": u, "target": v, **attrs})
    _table(rows, ("source", "target")).to_csv(path, index=False)
    return path


def write_nodes_csv(graph: nx.Graph, path: str | Path) -> Path:
    """Write one CSV row per node: ``id`` then every node attribute.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    rows = [{"id": n, **d} for n, d in graph.nodes(data=True)]
    _table(rows, ("id",)).to_csv(path, index=False)
    return path


def write_graphml(graph: nx.Graph, path: str | Path) -> Path:
    """Write the graph as GraphML (yEd, Cytoscape, Gephi).

    Attributes are made GraphML-safe scalars: lists are ``"; "``-joined,
    lists of dicts and dicts become JSON strings, missing values (None, NaN)
    are left out.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    nx.write_graphml(_scalar_graph(graph), path)
    return path


def write_gexf(graph: nx.Graph, path: str | Path) -> Path:
    """Write the graph as GEXF 1.2 (Gephi), with the same attribute rules as :func:`write_graphml`.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    nx.write_gexf(_scalar_graph(graph), path)
    return path
