"""Emergent themes: BERTopic over participant talk, tied back to the codebook.

``find_themes(project)`` clusters the participants' coding units (sentences
by default) into themes, describes each theme by its keywords, the cases it
occurs in and a few representative quotes, and says which existing code it is
nearest to.  A theme far from every code is flagged ``new`` and becomes a
proposed code (:func:`proposed_codes_yaml`) that the researcher can review
and merge into the codebook (:func:`coder.codebook_merge.merge_patch`).
``uncoded=True`` looks only at the talk that no code covers: what the
codebook misses.

Pipeline (Grootendorst 2022, every stage a BERTopic constructor argument)
-------------------------------------------------------------------------
1. **Units.**  Participant units of at least ``min_words`` (4) words; shorter
   ones ("Yeah.", "Not really, no.") carry no theme and are counted as
   ``skipped_short``.
2. **Embeddings.**  The project's cached all-MiniLM-L6-v2 vectors
   (:class:`coder.embeddings.CachedEmbedder`): the auto-coder has already
   embedded every unit, so nothing is recomputed, and BERTopic's ``fit``
   receives ``embeddings=``.  BERTopic's ``embedding_model`` is a thin
   backend over the same cache, so nothing is ever downloaded; it is used
   only to embed candidate keywords for MMR / KeyBERT-inspired
   representations (and those word vectors are cached too).
3. **UMAP** (McInnes, Healy & Melville 2018) to 5 dimensions with
   ``min_dist=0`` and a fixed ``random_state`` (``seed``).  The ``n_neighbors``
   nearest neighbours are computed exactly (cosine, with numpy) and handed
   to UMAP as ``precomputed_knn``: the same graph UMAP would build, without
   its per-pair Python distance loop on small corpora.
4. **HDBSCAN** (Campello, Moulavi & Sander 2013) on the reduced vectors.
   Units it leaves unclustered are BERTopic's outlier topic −1: not a theme,
   their number is reported as ``outliers``.
5. **c-TF-IDF keywords** over one "document" per theme, from a vectoriser for
   spoken English (below), optionally refined by maximal marginal relevance
   (``representation="mmr"``, the default; Carbonell & Goldstein 1998) or
   BERTopic's KeyBERT-inspired model (``"keybert"``); ``None`` keeps plain
   c-TF-IDF.  A keyword must also occur in at least
   ``max(2, ceil(0.02 × theme size))`` of the theme's units (a theme left
   with fewer than three such keywords is topped up from its best c-TF-IDF
   words).

Settings that adapt to the corpus (``N`` = units clustered)
-----------------------------------------------------------
* ``min_topic_size = clamp(round(sqrt(N) / 2), 5, 50)``: 27 for the sample's
  2,945 units, 11 for 500, 5 for 100 and fewer.
* HDBSCAN ``min_samples = max(2, min_topic_size // 3)``: fewer outliers than
  HDBSCAN's default (``min_samples = min_cluster_size``).
* HDBSCAN ``max_cluster_size = ceil(0.35 × N)``: a cluster holding more than a
  third of all units is a mix of talk that excess-of-mass selection failed to
  split (on the sample's uncoded units, one "theme" of 1,135 of 1,872 units),
  so its sub-clusters are taken instead.
* ``n_neighbors = clamp(N // 50, 5, 15)``: BERTopic's default 15 from 750
  units up, smaller for small corpora so that local structure survives.
* Vectoriser: unigrams and bigrams of alphabetic tokens of two or more
  letters; ``min_df=1`` because BERTopic fits it on one document *per theme*
  (so ``min_df`` would count themes); the per-theme unit count above plays
  the part of ``min_df``.

``min_topic_size`` and ``n_neighbors`` can be overridden (``--min-topic-size``,
``--neighbors``).  With fewer than :data:`MIN_UNITS` units there is nothing
stable to find and :class:`~coder.errors.AnalysisError` says so.

Stop words for spoken English
-----------------------------
scikit-learn's English list plus :data:`SPOKEN_STOP_WORDS`: fillers and
backchannels ("yeah", "erm", "like", "innit", "sort of", "kind of"), discourse
verbs ("know", "think", "mean", "said", "went", "got"), contraction fragments
("don", "didn", "ve", "ll", "re" from "don't", "I've" …) and the same
contractions typed without an apostrophe ("dont", "im", "thats"), transcript
annotations ("laughs", "pause", "inaudible") and number words.  Every token
of every roster name (and its possessive, "kyles") is a stop word too, so a
name never becomes a keyword; quotes are redacted with :func:`redact_quote` (roster
names and each of their first and last names, in any case, become ``[name]``).

Nearest code and ``new``
------------------------
A theme's centroid is the mean of its units' embeddings, normalised to unit
length; a code's centroid is the mean of the embeddings of its prototype
sentences (:func:`coder.autocode.prototypes`: "name: definition", include
items and examples), normalised.  Their cosine similarity is the theme-to-code
similarity: the **mean over prototypes**, not the maximum, because a centroid
of many sentences is best compared with a centroid of many descriptions (the
maximum lets one generic example sentence win: on the sample corpus it mapped
a rent-and-council-tax theme to "voluntary sector" instead of "debt").  The
theme is ``new`` when its best similarity is below ``new_threshold`` (default
:data:`NEW_THRESHOLD` = 0.45: on the sample corpus themes about a codebook
topic score 0.6–0.85 against their code, small-talk themes 0.3–0.45).

Determinism
-----------
UMAP runs single-threaded with ``random_state=seed``; exact neighbours,
HDBSCAN, c-TF-IDF and MMR are deterministic; representative quotes are the
units nearest the centroid (distinct cases first, ties by position).  The same
project and settings give the same themes.

References
----------
* Grootendorst, M. (2022). BERTopic: Neural topic modeling with a class-based
  TF-IDF procedure. arXiv:2203.05794. https://doi.org/10.48550/arXiv.2203.05794
* McInnes, L., Healy, J., & Melville, J. (2018). UMAP: Uniform manifold
  approximation and projection for dimension reduction. arXiv:1802.03426.
  https://doi.org/10.48550/arXiv.1802.03426
* Campello, R. J. G. B., Moulavi, D., & Sander, J. (2013). Density-based
  clustering based on hierarchical density estimates. PAKDD 2013, 160–172.
  https://doi.org/10.1007/978-3-642-37456-2_14
* Carbonell, J., & Goldstein, J. (1998). The use of MMR, diversity-based
  reranking for reordering documents and producing summaries. SIGIR '98,
  335–336. https://doi.org/10.1145/290941.291025
* Nothman, J., Qin, H., & Yurchak, R. (2018). Stop word lists in free
  open-source software packages. NLP-OSS, 7–12.
  https://doi.org/10.18653/v1/W18-2502
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .errors import AnalysisError
from .themes_page import proposed_codes_yaml, themes_section, write_themes  # the outputs, re-exported

__all__ = [
    "find_themes",
    "fit_topics",
    "describe_themes",
    "distinct_keywords",
    "redact_quote",
    "ThemesResult",
    "Theme",
    "theme_settings",
    "stop_words",
    "write_themes",
    "themes_section",
    "proposed_codes_yaml",
    "SPOKEN_STOP_WORDS",
    "MIN_UNITS",
    "MIN_WORDS",
    "NEW_THRESHOLD",
]

MIN_UNITS = 50
MIN_WORDS = 4
NEW_THRESHOLD = 0.45
N_KEYWORDS = 10
N_EXAMPLES = 5
UMAP_COMPONENTS = 5
EXACT_KNN_MAX = 20_000
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
REPRESENTATIONS = ("mmr", "keybert", None)
Progress = Callable[[str, int, int], None]

_FILLERS = """
like yeah yeh yep yup yes no nope nah aye erm um umm er uh ah ahh oh ooh eh mm mmm hmm huh ok okay alright
right well really just actually basically literally obviously honestly honest probably maybe totally anyway
anyways innit sort kind stuff bit lot lots loads thing things whatever dunno suppose apparently gonna wanna gotta
gimme lemme cos coz cause cuz na ta ya yer ye
"""
_DISCOURSE_VERBS = """
know knew known knows knowing think thinks thinking thought mean means meant say says saying said tell tells
telling told go goes going gone went get gets getting got gotten come comes coming came did does doing done
make makes making made want wants wanted have has having
"""
_CONTRACTION_FRAGMENTS = """
don didn doesn isn wasn weren aren couldn wouldn shouldn haven hasn hadn won ain ve ll re mustn needn shan
"""
_CONTRACTIONS_TYPED = """
dont didnt doesnt isnt wasnt werent arent couldnt wouldnt shouldnt havent hasnt hadnt wont cant aint im ive id
youre youve youd youll hes shes thats theres theyre theyve theyd theyll weve whos whats wheres hows itll itd
"""
_ANNOTATIONS = "laughs laughing laughter pause pauses sighs sigh inaudible crosstalk unclear coughs interruption"
_NUMBERS = """
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million
"""

#: Spoken-English stop words added to scikit-learn's English list (see the module docstring).
SPOKEN_STOP_WORDS: frozenset[str] = frozenset(
    " ".join([_FILLERS, _DISCOURSE_VERBS, _CONTRACTION_FRAGMENTS, _CONTRACTIONS_TYPED, _ANNOTATIONS, _NUMBERS]).split()
)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Theme:
    """One emergent theme (BERTopic topic) and where it sits against the codebook."""

    id: int
    size: int
    keywords: tuple[str, ...]
    cases: tuple[str, ...]
    examples: tuple[dict, ...]
    nearest_code: str | None
    nearest_name: str | None
    similarity: float | None
    new: bool
    top_codes: tuple[dict, ...] = ()

    @property
    def label(self) -> str:
        """A short human label: up to three keywords that add a new word each."""
        return ", ".join(distinct_keywords(self.keywords, 3)) or f"theme {self.id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "size": self.size, "keywords": list(self.keywords),
            "examples": [dict(e) for e in self.examples], "nearest_code": self.nearest_code,
            "nearest_name": self.nearest_name, "similarity": self.similarity, "new": self.new,
            "cases": list(self.cases), "n_cases": len(self.cases), "top_codes": [dict(c) for c in self.top_codes],
        }


@dataclass
class ThemesResult:
    """What :func:`find_themes` found; ``to_dict()`` is the ``--json`` document (SPEC §4.1)."""

    themes: list[Theme]
    outliers: int
    n_units: int
    skipped_short: int
    uncoded: bool
    coder: str
    settings: dict[str, Any]
    codebook: dict[str, Any]
    assignments: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def new_themes(self) -> list[Theme]:
        return [t for t in self.themes if t.new]

    def to_dict(self) -> dict[str, Any]:
        return {
            "themes": [t.to_dict() for t in self.themes],
            "n_themes": len(self.themes),
            "n_new": len(self.new_themes),
            "outliers": self.outliers,
            "n_units": self.n_units,
            "skipped_short": self.skipped_short,
            "uncoded": self.uncoded,
            "coder": self.coder,
            "codebook": {k: self.codebook[k] for k in ("id", "title", "version")},
            "settings": dict(self.settings),
        }


def distinct_keywords(keywords: Sequence[str], n: int = 3) -> list[str]:
    """Up to ``n`` keywords, skipping any whose words all appear in keywords already taken.

    Examples
    --------
    >>> distinct_keywords(["stood stairs", "stood", "stairs", "school", "kept"])
    ['stood stairs', 'school', 'kept']
    """
    taken: list[str] = []
    seen: set[str] = set()
    for k in keywords:
        words = set(k.split())
        if words and not words <= seen:
            taken.append(k)
            seen |= words
        if len(taken) == n:
            break
    return taken


# --------------------------------------------------------------------------- settings


def theme_settings(n_units: int, *, min_topic_size: int | None = None,
                   n_neighbors: int | None = None) -> dict[str, int]:
    """Clustering settings for ``n_units`` units (formulas in the module docstring).

    Examples
    --------
    >>> theme_settings(2945)
    {'min_topic_size': 27, 'min_samples': 9, 'max_cluster_size': 1031, 'n_neighbors': 15}
    >>> theme_settings(500)
    {'min_topic_size': 11, 'min_samples': 3, 'max_cluster_size': 175, 'n_neighbors': 10}
    >>> theme_settings(500, min_topic_size=20, n_neighbors=8)
    {'min_topic_size': 20, 'min_samples': 6, 'max_cluster_size': 175, 'n_neighbors': 8}
    """
    if min_topic_size is None:
        min_topic_size = int(min(50, max(5, round(math.sqrt(n_units) / 2))))
    if n_neighbors is None:
        n_neighbors = int(min(15, max(5, n_units // 50)))
    if min_topic_size < 2:
        raise AnalysisError(f"min topic size must be at least 2, not {min_topic_size}")
    if n_neighbors < 2:
        raise AnalysisError(f"the number of UMAP neighbours must be at least 2, not {n_neighbors}")
    if n_units and min_topic_size > n_units // 2:
        raise AnalysisError(f"min topic size {min_topic_size} is more than half of the {n_units} units; "
                            "use a smaller --min-topic-size")
    if n_units and n_neighbors >= n_units:
        raise AnalysisError(f"{n_neighbors} UMAP neighbours need more than {n_units} units; use a smaller --neighbors")
    return {"min_topic_size": int(min_topic_size), "min_samples": int(max(2, min_topic_size // 3)),
            "max_cluster_size": int(math.ceil(0.35 * n_units)), "n_neighbors": int(n_neighbors)}


def _name_tokens(names: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for name in names:
        for tok in re.findall(r"[^\W\d_]{2,}", str(name).lower()):
            out |= {tok, tok + "s"}
    return out


_HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "nan", "nana", "grandad", "auntie", "aunty", "uncle"}


def redact_quote(text: str, roster: Sequence[str]) -> str:
    """Replace every roster name, and each of its first/last names in any case, by ``[name]``.

    :func:`coder.redact.redact` first (full names in any case, capitalised
    parts), then the parts again case-insensitively, whole words only: a
    transcript that writes "our kyle" is redacted too.  Titles ("Miss" of
    "Miss Kaur") are not names and stay.

    Examples
    --------
    >>> redact_quote("our kyle and Kyle's mate, and Miss Kaur; Mark my words.", ["Kyle", "Miss Kaur", "Mark"])
    "our [name] and [name]'s mate, and [name]; [name] my words."
    """
    from .redact import REDACTED, redact

    text = redact(text, roster)
    parts = sorted({p for n in roster for p in re.split(r"[\s\-]+", str(n))
                    if len(p) >= 2 and p.lower().strip(".") not in _HONORIFICS}, key=len, reverse=True)
    if parts:
        rx = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in parts) + r")(?!\w)", re.I)
        text = rx.sub(REDACTED, text)
    return text


def stop_words(roster: Sequence[str] = ()) -> frozenset[str]:
    """scikit-learn's English stop words, :data:`SPOKEN_STOP_WORDS` and every roster-name token.

    Examples
    --------
    >>> sw = stop_words(["Kyle Hollis"])
    >>> sorted(w for w in ("kyle", "kyles", "hollis", "yeah", "don", "rent") if w in sw)
    ['don', 'hollis', 'kyle', 'kyles', 'yeah']
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | SPOKEN_STOP_WORDS | _name_tokens(roster)


# --------------------------------------------------------------------------- clustering


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def exact_cosine_knn(x: np.ndarray, k: int, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest neighbours of every row of unit vectors ``x`` (itself first), by cosine distance.

    Returns ``(indices, distances)``, each ``(n, k)``; ties are broken by row index.

    Examples
    --------
    >>> x = np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
    >>> idx, dist = exact_cosine_knn(x, 2)
    >>> idx.tolist(), [[round(float(d), 2) for d in row] for row in dist]
    ([[0, 1], [1, 0], [2, 1]], [[0.0, 0.2], [0.0, 0.2], [0.0, 0.4]])
    """
    n = x.shape[0]
    idx = np.empty((n, k), dtype=np.int32)
    dist = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, block):
        stop = min(n, start + block)
        d = 1.0 - x[start:stop] @ x.T
        rows = np.arange(stop - start)
        d[rows, np.arange(start, stop)] = -1.0  # itself first
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        pd_ = np.take_along_axis(d, part, axis=1)
        order = np.lexsort((part, pd_), axis=1)
        idx[start:stop] = np.take_along_axis(part, order, axis=1)
        dist[start:stop] = np.clip(np.take_along_axis(pd_, order, axis=1), 0.0, 2.0)
    return idx, dist


class CosineUMAP:
    """UMAP (cosine) on exactly computed nearest neighbours; a drop-in BERTopic ``umap_model``.

    For up to :data:`EXACT_KNN_MAX` vectors the neighbour graph is computed
    with numpy and passed as ``precomputed_knn`` (UMAP would otherwise call a
    Python distance function for every pair of a small corpus); above that,
    UMAP's own approximate search is used.
    """

    def __init__(self, n_neighbors: int = 15, n_components: int = UMAP_COMPONENTS, random_state: int = 42):
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.random_state = random_state
        self.model = None

    def fit_transform(self, x: np.ndarray, y=None) -> np.ndarray:
        from umap import UMAP

        x = _unit_rows(x)
        kw: dict[str, Any] = {}
        if len(x) <= EXACT_KNN_MAX:
            idx, dist = exact_cosine_knn(x, self.n_neighbors)
            kw["precomputed_knn"] = (idx, dist, None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model = UMAP(n_neighbors=self.n_neighbors, n_components=self.n_components, min_dist=0.0,
                              metric="cosine", random_state=self.random_state, **kw)
            return self.model.fit_transform(x)

    def fit(self, x: np.ndarray, y=None) -> "CosineUMAP":
        self.fit_transform(x)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.model.transform(_unit_rows(x))


def _backend(embed: Callable[[list[str]], np.ndarray]):
    """A BERTopic embedding backend over ``embed`` (the project cache): it never downloads anything."""
    from bertopic.backend import BaseEmbedder

    class CachedBackend(BaseEmbedder):
        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            docs = [str(d) for d in documents]
            return _unit_rows(embed(docs)) if docs else np.zeros((0, 384), dtype=np.float32)

    return CachedBackend()


def fit_topics(
    texts: Sequence[str],
    vectors: np.ndarray,
    *,
    min_topic_size: int,
    min_samples: int,
    n_neighbors: int,
    max_cluster_size: int = 0,
    seed: int = 42,
    stop: frozenset[str] | None = None,
    representation: str | None = "mmr",
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> tuple[np.ndarray, dict[int, list[str]], Callable[[str], list[str]]]:
    """Run BERTopic on texts with precomputed vectors; pure (no database).

    Returns ``(labels, keywords, analyzer)``: the topic of every text (−1 =
    outlier), up to 30 candidate keywords per topic (best first), and the
    vectoriser's analyzer (text → its unigram and bigram features).  ``embed``
    embeds words for the MMR / KeyBERT-inspired representations; without it
    the keywords are plain c-TF-IDF.
    """
    from bertopic import BERTopic
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer

    if representation not in REPRESENTATIONS:
        raise AnalysisError(f"unknown representation '{representation}'; use mmr, keybert or none")
    stop = stop if stop is not None else stop_words()
    vectorizer = CountVectorizer(stop_words=sorted(stop), ngram_range=(1, 2), min_df=1, token_pattern=TOKEN_PATTERN)
    rep = None
    if embed is None:  # no word vectors: plain c-TF-IDF
        representation = None
    if representation == "mmr":
        rep = MaximalMarginalRelevance(diversity=0.3, top_n_words=20)
    elif representation == "keybert":
        rep = KeyBERTInspired(top_n_words=20, nr_repr_docs=5, nr_candidate_words=40, random_state=seed)
    model = BERTopic(
        embedding_model=_backend(embed or (lambda words: np.zeros((len(words), vectors.shape[1]), np.float32))),
        umap_model=CosineUMAP(n_neighbors=n_neighbors, n_components=UMAP_COMPONENTS, random_state=seed),
        hdbscan_model=HDBSCAN(min_cluster_size=min_topic_size, min_samples=min_samples, metric="euclidean",
                              cluster_selection_method="eom", max_cluster_size=max_cluster_size,
                              prediction_data=False),
        vectorizer_model=vectorizer,
        representation_model=rep,
        top_n_words=30,
        calculate_probabilities=False,
        verbose=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels, _ = model.fit_transform(list(texts), embeddings=_unit_rows(vectors))
    labels = np.asarray(labels, dtype=int)
    keywords: dict[int, list[str]] = {}
    for topic in sorted(set(labels.tolist()) - {-1}):
        words = model.get_topic(topic) or []
        keywords[topic] = [w for w, _ in words if w]
    return labels, keywords, vectorizer.build_analyzer()


# --------------------------------------------------------------------------- the run


def _public_speaker(spec: dict | None) -> str:
    """How a speaker is shown in outputs: pseudonym, else relation, else role; never the name."""
    spec = spec or {}
    for key in ("pseudonym", "relation"):
        if spec.get(key):
            value = str(spec[key])
            return value[:1].upper() + value[1:]
    role = str(spec.get("role") or "participant")
    return role[:1].upper() + role[1:]


def _select_units(project, *, uncoded: bool, coder: str) -> pd.DataFrame:
    units = project.units_frame()
    if uncoded:
        known = set(project.coders()["coder"])
        if coder not in known:
            how = (f"run 'coder code {project.path}' first" if coder == "auto"
                   else f"import them with 'coder codings import {project.path} FILE --coder {coder}'")
            raise AnalysisError(f"--uncoded needs the codings of coder '{coder}', which has none; {how} "
                                f"(known coders: {', '.join(sorted(known)) or 'none'})")
        coded = set(project.unit_codes(coder, units=units)["unit_id"])
        units = units[~units["unit_id"].isin(coded)]
    return units.reset_index(drop=True)


def find_themes(
    project,
    *,
    uncoded: bool = False,
    coder: str = "auto",
    min_topic_size: int | None = None,
    n_neighbors: int | None = None,
    seed: int = 42,
    embedder=None,
    representation: str | None = "mmr",
    new_threshold: float = NEW_THRESHOLD,
    min_words: int = MIN_WORDS,
    n_examples: int = N_EXAMPLES,
    progress: Progress | None = None,
) -> ThemesResult:
    """Emergent themes in the participants' talk, each tied to its nearest code.

    Parameters
    ----------
    project : coder.Project
        An open project with transcripts and a codebook.
    uncoded : bool
        Only units that carry no code of ``coder``: the talk the codebook misses.
    coder : str
        Whose codings define "coded" for ``uncoded``.
    min_topic_size, n_neighbors : int, optional
        Override the corpus-adapted HDBSCAN minimum cluster size and UMAP
        neighbourhood (see :func:`theme_settings`).
    seed : int
        UMAP's random state: the same project and seed give the same themes.
    embedder : callable, optional
        ``texts -> (n, d)`` unit vectors; default the project's
        :class:`~coder.embeddings.CachedEmbedder` (tests pass fake vectors).
    representation : {"mmr", "keybert", None}
        How c-TF-IDF keywords are refined.
    new_threshold : float
        A theme whose best similarity to any code is below this is ``new``.
    min_words : int
        Units with fewer words are not clustered.
    n_examples : int
        Representative quotes per theme (3 to 5 are shown in reports).

    Returns
    -------
    ThemesResult

    Raises
    ------
    AnalysisError
        With fewer than :data:`MIN_UNITS` units to cluster, or bad settings.
    """
    if representation not in REPRESENTATIONS:
        raise AnalysisError(f"unknown representation '{representation}'; use mmr, keybert or none")
    cb = project.codebook()
    units = _select_units(project, uncoded=uncoded, coder=coder)
    n_words = units["text"].str.split().str.len().fillna(0) if len(units) else pd.Series(dtype=int)
    keep = (n_words >= min_words).to_numpy() if len(units) else np.zeros(0, dtype=bool)
    skipped = int((~keep).sum())
    units = units[keep].reset_index(drop=True)
    n = len(units)
    if n < MIN_UNITS:
        what = "uncoded participant units" if uncoded else "participant units"
        raise AnalysisError(f"themes need at least {MIN_UNITS} {what} of {min_words}+ words, but {project.path} "
                            f"has {n}; import more interviews" + (" or drop --uncoded" if uncoded else ""))
    settings = theme_settings(n, min_topic_size=min_topic_size, n_neighbors=n_neighbors)

    if embedder is None:
        from .embeddings import CachedEmbedder

        embedder = CachedEmbedder(project.engine)
    texts = units["text"].tolist()
    vectors = _unit_rows(embedder(texts, progress=progress) if progress else embedder(texts))
    roster = project.roster_names()
    stop = stop_words(roster)
    if progress:
        progress("themes", 0, 1)
    labels, candidates, analyzer = fit_topics(
        texts, vectors, min_topic_size=settings["min_topic_size"], min_samples=settings["min_samples"],
        n_neighbors=settings["n_neighbors"], max_cluster_size=settings["max_cluster_size"], seed=seed, stop=stop,
        representation=representation,
        embed=lambda words: embedder(words))

    from .autocode import prototypes

    proto_texts, owners = prototypes(cb)
    proto_vecs = _unit_rows(embedder(proto_texts))
    speakers = {r.document: (r.speakers or {}) for r in project.documents_frame().itertuples()}
    themes = describe_themes(
        units, vectors, labels, candidates, analyzer=analyzer, stop=stop, proto_vecs=proto_vecs, owners=owners,
        code_names={c.id: c.name for c in cb.codes}, code_order=cb.ids, roster=roster, speakers=speakers,
        new_threshold=new_threshold, n_examples=n_examples)
    if progress:
        progress("themes", 1, 1)
    assignments = units[["unit_id", "document", "case", "turn"]].copy()
    assignments["theme"] = labels
    model_name = getattr(embedder, "model_name", "custom")
    return ThemesResult(
        themes=themes, outliers=int((labels == -1).sum()), n_units=n, skipped_short=skipped, uncoded=uncoded,
        coder=coder,
        settings={**settings, "n_components": UMAP_COMPONENTS, "seed": seed, "representation": representation,
                  "min_words": min_words, "new_threshold": new_threshold,
                  "similarity": "cosine to the code centroid (mean of its prototype embeddings)",
                  "embedding_model": model_name},
        codebook={"id": cb.id, "title": cb.title, "version": cb.version, "ids": list(cb.ids)},
        assignments=assignments,
    )


def describe_themes(
    units: pd.DataFrame,
    vectors: np.ndarray,
    labels: np.ndarray,
    candidates: dict[int, list[str]],
    *,
    analyzer: Callable[[str], list[str]],
    stop: frozenset[str],
    proto_vecs: np.ndarray,
    owners: Sequence[str],
    code_names: dict[str, str],
    code_order: Sequence[str],
    roster: Sequence[str] = (),
    speakers: dict[str, dict] | None = None,
    new_threshold: float = NEW_THRESHOLD,
    n_examples: int = N_EXAMPLES,
) -> list[Theme]:
    """Turn topic labels into :class:`Theme` records (pure; see the module docstring)."""
    speakers = speakers or {}
    owners_arr = np.asarray(owners)
    code_centroids = _unit_rows(np.array([proto_vecs[owners_arr == c].mean(axis=0) if (owners_arr == c).any()
                                          else np.zeros(proto_vecs.shape[1]) for c in code_order]))
    features = [set(analyzer(t)) for t in units["text"]]
    themes = []
    for topic in sorted(candidates):
        members = np.flatnonzero(labels == topic)
        size = len(members)
        min_units = max(2, math.ceil(0.02 * size))
        keywords = []
        for word in candidates[topic]:
            if any(tok in stop for tok in word.split()):
                continue
            if sum(1 for i in members if word in features[i]) >= min_units:
                keywords.append(word)
            if len(keywords) == N_KEYWORDS:
                break
        for word in candidates[topic]:  # a theme of rare words: its best c-TF-IDF words after all
            if len(keywords) >= 3:
                break
            if word not in keywords and not any(tok in stop for tok in word.split()):
                keywords.append(word)
        centroid = vectors[members].mean(axis=0)
        centroid = centroid / (np.linalg.norm(centroid) or 1.0)
        top_codes: list[dict] = []
        if len(code_order) and len(proto_vecs):
            per_code = code_centroids @ centroid
            order = np.argsort(-per_code, kind="stable")[:3]
            top_codes = [{"code": code_order[k], "name": code_names.get(code_order[k], code_order[k]),
                          "similarity": round(float(per_code[k]), 4)} for k in order]
        best = top_codes[0] if top_codes else None
        examples = _examples(units, vectors, members, centroid, roster, speakers, n_examples,
                             features=features, keywords=keywords)
        themes.append(Theme(
            id=int(topic), size=int(size), keywords=tuple(keywords),
            cases=tuple(sorted(set(units["case"].iloc[members]))), examples=tuple(examples),
            nearest_code=best["code"] if best else None, nearest_name=best["name"] if best else None,
            similarity=best["similarity"] if best else None,
            new=bool(best is None or best["similarity"] < new_threshold), top_codes=tuple(top_codes)))
    return themes


def _examples(units: pd.DataFrame, vectors: np.ndarray, members: np.ndarray, centroid: np.ndarray,
              roster: Sequence[str], speakers: dict[str, dict], n: int,
              features: Sequence[set] | None = None, keywords: Sequence[str] = ()) -> list[dict]:
    """Representative quotes: units nearest the centroid, preferring distinct cases, the theme's
    keywords and whole thoughts (8+ words), relaxing those preferences in turn; redacted."""
    sims = vectors[members] @ centroid
    ranked = [int(members[i]) for i in np.lexsort((members, -sims))]
    words = units["text"].str.split().str.len().to_numpy()
    kw = set(keywords)
    has_kw = [bool(features and kw & features[i]) if kw else True for i in range(len(units))]
    passes = [  # (distinct case, needs a keyword, min words)
        (True, True, 8), (True, False, 8), (False, True, 6), (False, False, 6), (False, False, 0)]
    picked: list[int] = []
    seen_text: set[str] = set()
    for distinct, need_kw, min_w in passes:
        cases = {units["case"].iat[i] for i in picked}
        for i in ranked:
            if len(picked) >= n:
                break
            text = _clean_quote(units["text"].iat[i]).lower()
            if i in picked or text in seen_text or words[i] < min_w or (need_kw and not has_kw[i]):
                continue
            if distinct and units["case"].iat[i] in cases:
                continue
            picked.append(i)
            seen_text.add(text)
            cases.add(units["case"].iat[i])
    out = []
    for i in sorted(picked, key=picked.index):
        row = units.iloc[i]
        spec = speakers.get(row["document"], {}).get(row["label"])
        out.append({"quote": redact_quote(_clean_quote(row["text"]), roster), "document": row["document"],
                    "case": row["case"], "turn": int(row["turn"]), "unit_id": row["unit_id"],
                    "speaker": _public_speaker(spec)})
    return out


_ANNOTATION_TAIL = re.compile(r"^\s*[\w ]{1,20}[\])]\s*(?=\S)")
_DANGLING_OPEN = re.compile(r"\s*[\[(]\s*$")


def _clean_quote(text: str) -> str:
    """One line, without the halves of a transcript annotation that sentence splitting cut off.

    Examples
    --------
    >>> _clean_quote("laughs] Which I'm not\\n allowed to mention. (")
    "Which I'm not allowed to mention."
    >>> _clean_quote("I said [laughs] no.")
    'I said [laughs] no.'
    """
    text = _ANNOTATION_TAIL.sub("", " ".join(str(text).split()))
    return _DANGLING_OPEN.sub("", text)
