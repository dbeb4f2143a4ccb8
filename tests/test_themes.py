"""Emergent themes: clustering on fake vectors, the codebook tie-back, outputs, the merge, and one real run."""

from __future__ import annotations

import doctest
import hashlib
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import yaml

from coder import codebook_merge, themes, themes_page
from coder.codebook import parse_codebook
from coder.codebook_merge import bump_version, merge_codebook_text, merge_patch
from coder.errors import AnalysisError, CodebookError
from coder.redact import find_names
from coder.themes import (
    MIN_UNITS,
    Theme,
    ThemesResult,
    find_themes,
    proposed_codes_yaml,
    stop_words,
    theme_settings,
    themes_section,
    write_themes,
)

# The brief's fillers (and contraction fragments): none may ever be a keyword or part of one.
FILLERS = {"like", "you", "know", "i", "mean", "yeah", "erm", "um", "sort", "of", "kind", "really", "just", "gonna",
           "wanna", "innit", "got", "get", "think", "said", "say", "went", "thing", "things", "bit", "lot", "ok",
           "okay", "cos", "na", "don", "didn", "ve", "ll", "re"}

ROSTER = ["Annette Quarry", "Kyle"]
CODEBOOK = """\
codebook: themes-test
title: Themes test codebook
version: 1.0.0
codes:
  - id: school_exclusion
    name: School exclusion
    kind: problem
    definition: A child excluded from school or kept out of school by the teacher.
    examples: ["The school excluded him and the teacher would not have him back."]
    keywords: [excluded, exclusion]
  - id: debt
    name: Debt
    kind: problem
    definition: Money owed, rent arrears, bailiffs, catalogue debt.
    examples: ["We were in rent arrears and the bailiffs came about the debt."]
    keywords: [debt, arrears, bailiffs]
  - id: domestic_abuse
    name: Domestic abuse
    kind: problem
    definition: Violence or coercive control by a partner.
"""

# Three pools of talk; the school pool avoids the codebook's rule keywords so it stays uncoded.
POOLS = {
    "school": [
        "Yeah, like, the teacher kept ringing me about the homework, you know.",
        "I mean the school was really on at him about his uniform and that.",
        "Erm, the teacher said he'd gone missing from school again, sort of thing.",
        "He just hated school, kind of hated the teacher, innit.",
        "They're gonna put him in detention at school again, I think.",
        "Kyle never did his homework and the teacher went mad, honestly.",
        "I don't know, the school said his homework was really behind.",
        "Yeah, so the teacher rang, said he'd not been at school all week.",
        "I've told the school, I've told the teacher, nobody listens.",
        "We'll see, the school's having a meeting about his homework.",
    ],
    "debt": [
        "Yeah, the debt just got bigger and bigger, you know.",
        "I mean we were in arrears on the rent by the Christmas.",
        "Then the bailiffs came about the debt, like, at the door.",
        "Erm, the catalogue debt was the worst of it, sort of.",
        "We owed the rent arrears and the bailiffs kept writing.",
        "Annette said the debt was doing her head in, really.",
        "I didn't open the letters about the arrears, I just didn't.",
        "The bailiffs said they're gonna take the telly for the debt.",
        "You know, we'd got the rent arrears down by the summer.",
        "The debt advice woman sorted the arrears with the bailiffs.",
    ],
    "pigeons": [
        "Yeah, my dad kept racing pigeons up the allotment, you know.",
        "I mean the pigeons were his life, the loft and the allotment.",
        "Erm, Kyle loves the pigeons, he's up the allotment every day.",
        "We'd clean the loft out and feed the pigeons, sort of ritual.",
        "The racing pigeons come back to the loft, it's magic, really.",
        "He just sits up the allotment with the pigeons, kind of peaceful.",
        "I've got three racing pigeons of my own now at the loft.",
        "They're gonna race the pigeons from the coast, the allotment lot.",
        "Annette's dad built that loft on the allotment for his pigeons.",
        "Honestly, the allotment and the pigeons keep him out of trouble.",
    ],
}
TAILS = ["last year, Kyle reckons", "that winter", "in the spring, ask Annette", "back then", "most weeks, with kyle",
         "every time", "after that, Annette Quarry says", "before all this", "round then, for Kyle's sake",
         "at the start"]
CUES = {
    "school": {"school", "teacher", "homework", "uniform", "detention", "excluded", "exclusion"},
    "debt": {"debt", "arrears", "bailiffs", "catalogue", "owed", "rent"},
    "pigeons": {"pigeons", "allotment", "loft", "racing"},
}


def _pool_of(text: str) -> str | None:
    words = set(re.findall(r"[a-z]+", text.lower()))
    hits = [name for name, cues in CUES.items() if words & cues]
    return hits[0] if len(hits) == 1 else None


class FakeVectors:
    """Clearly separated fake embeddings: one direction per pool plus seeded noise; no model."""

    dim = 64

    def __init__(self, noise: float = 0.35):
        rng = np.random.default_rng(7)
        self.directions = {name: rng.normal(size=self.dim) for name in CUES}
        self.directions = {k: v / np.linalg.norm(v) for k, v in self.directions.items()}
        self.noise = noise
        self.calls = 0

    def __call__(self, texts, progress=None):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int(hashlib.sha256(t.encode()).hexdigest()[:12], 16)
            noise = np.random.default_rng(seed).normal(size=self.dim)
            v = self.noise * noise / np.linalg.norm(noise)
            words = set(re.findall(r"[a-z]+", t.lower()))
            for name, cues in CUES.items():
                if words & cues:
                    v = v + self.directions[name]
            out[i] = v / np.linalg.norm(v)
        return out


def _transcript(doc: str, case: str, k: int) -> str:
    lines = [f"---\ndocument: {doc}\ncase: {case}\nspeakers:\n  INT: {{role: interviewer}}\n"
             "  ANN: {role: participant, relation: mother, name: Annette Quarry}\n"
             "roster:\n  - {name: Kyle, relation: son}\n---"]
    for name, pool in POOLS.items():
        lines.append(f"INT: Tell me about the {name}.")
        # every interview covers every pool, each sentence with its own ending, so no two units are the same
        lines.append("ANN: " + " ".join(f"{s[:-1]}, {TAILS[(k + j) % len(TAILS)]}." for j, s in enumerate(pool)))
    return "\n\n".join(lines) + "\n"


@pytest.fixture
def theme_project(tmp_path: Path):
    from coder import Project

    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    folder = tmp_path / "transcripts"
    folder.mkdir()
    for k in range(6):
        (folder / f"T{k}.txt").write_text(_transcript(f"T{k}-mother", f"T{k}", k), encoding="utf-8")
    p = Project.init(tmp_path / "proj", codebook=tmp_path / "cb.yaml")
    p.import_files([folder])
    yield p
    p.close()


@pytest.fixture
def fake():
    return FakeVectors()


@pytest.fixture
def result(theme_project, fake):
    return find_themes(theme_project, embedder=fake)


def _by_pool(result: ThemesResult) -> dict[str, Theme]:
    out = {}
    for t in result.themes:
        pools = {_pool_of(e["quote"]) for e in t.examples}
        assert len(pools) == 1, (t.id, pools)
        out[pools.pop()] = t
    return out


# --------------------------------------------------------------------------- clustering


def test_three_separated_clusters_give_three_pure_themes(theme_project, result):
    units = theme_project.units_frame().set_index("unit_id")
    assert result.n_units == 180 and result.skipped_short == 0
    assert len(result.themes) == 3
    a = result.assignments
    for t in result.themes:
        members = a.loc[a["theme"] == t.id, "unit_id"]
        pools = {_pool_of(units.loc[u, "text"]) for u in members}
        assert len(pools) == 1, f"theme {t.id} mixes {pools}"
        assert t.size == len(members)
        assert t.cases == ("T0", "T1", "T2", "T3", "T4", "T5")
        assert 3 <= len(t.examples) <= 5
        assert len({e["case"] for e in t.examples}) == len(t.examples)  # distinct cases first
    assert result.outliers == int((a["theme"] == -1).sum())
    assert sum(t.size for t in result.themes) + result.outliers == result.n_units
    themes_by_pool = _by_pool(result)
    assert {"pigeons", "allotment"} & set(themes_by_pool["pigeons"].keywords)
    assert {"debt", "arrears", "bailiffs"} & set(themes_by_pool["debt"].keywords)
    e = themes_by_pool["school"].examples[0]
    assert set(e) == {"quote", "document", "case", "turn", "unit_id", "speaker"}
    assert e["speaker"] == "Mother" and e["document"] == f"{e['case']}-mother" and isinstance(e["turn"], int)


def test_same_input_gives_same_themes(theme_project, fake, result):
    again = find_themes(theme_project, embedder=FakeVectors())
    assert again.to_dict() == result.to_dict()
    assert again.assignments.equals(result.assignments)


def test_nearest_code_and_new_flag(result):
    by_pool = _by_pool(result)
    assert by_pool["school"].nearest_code == "school_exclusion" and not by_pool["school"].new
    assert by_pool["debt"].nearest_code == "debt" and not by_pool["debt"].new
    assert by_pool["debt"].similarity > 0.8
    pigeons = by_pool["pigeons"]
    assert pigeons.new and pigeons.similarity < themes.NEW_THRESHOLD
    assert [c["code"] for c in by_pool["debt"].top_codes][0] == "debt" and len(pigeons.top_codes) == 3
    assert result.new_themes == [pigeons]


def test_new_threshold_is_an_argument(theme_project, fake):
    r = find_themes(theme_project, embedder=fake, new_threshold=0.99)
    assert all(t.new for t in r.themes)
    assert r.settings["new_threshold"] == 0.99


def test_fillers_and_names_never_become_keywords(result):
    keywords = [k for t in result.themes for k in t.keywords]
    assert keywords
    tokens = {tok for k in keywords for tok in k.split()}
    assert not tokens & FILLERS
    assert not tokens & {"kyle", "kyles", "annette", "quarry"}


def test_stop_words_cover_spoken_english_and_names():
    sw = stop_words(["Lily-Rose Hart", "Miss Kaur"])
    assert FILLERS - {"i", "you", "of"} <= themes.SPOKEN_STOP_WORDS
    assert FILLERS <= sw
    assert {"lily", "rose", "hart", "harts", "kaur", "miss"} <= sw
    assert {"rent", "school", "pigeons"}.isdisjoint(sw)


def test_roster_names_are_redacted_from_quotes(result):
    quotes = [e["quote"] for t in result.themes for e in t.examples]
    assert any("[name]" in q for q in quotes)
    for q in quotes:
        assert find_names(q, ROSTER) == []
        assert not re.search(r"\b(kyle|annette|quarry)\b", q, re.I), q  # "with kyle" too
    assert themes.redact_quote("with kyle, Miss Kaur and KYLE's mum", ["Kyle", "Miss Kaur"]) == \
        "with [name], [name] and [name]'s mum"
    text = json.dumps(result.to_dict()) + proposed_codes_yaml(result)
    assert not re.search(r"kyle|annette|quarry", text, re.I)


def test_too_few_units_is_an_error_and_embeds_nothing(project, tmp_path):
    fake = FakeVectors()
    n = int((project.units_frame()["text"].str.split().str.len() >= 4).sum())
    with pytest.raises(AnalysisError) as exc:
        find_themes(project, embedder=fake)
    assert str(exc.value) == (f"themes need at least {MIN_UNITS} participant units of 4+ words, but {project.path} "
                              f"has {n}; import more interviews")
    assert fake.calls == 0


def test_uncoded_looks_only_at_talk_no_code_covers(theme_project, fake):
    from coder.autocode import auto_code

    auto_code(theme_project, semantic=False)
    coded = set(theme_project.unit_codes("auto")["unit_id"])
    assert coded
    r = find_themes(theme_project, uncoded=True, embedder=fake)
    assert r.uncoded and r.n_units == 180 - len(coded)
    assert not set(r.assignments["unit_id"]) & coded
    pools = {p for t in r.themes for p in {_pool_of(e["quote"]) for e in t.examples}}
    assert "debt" not in pools and "pigeons" in pools


def test_uncoded_needs_the_coders_codings(theme_project, fake):
    with pytest.raises(AnalysisError,
                       match=r"^--uncoded needs the codings of coder 'auto', which has none; run 'coder code "):
        find_themes(theme_project, uncoded=True, embedder=fake)


def test_settings_adapt_to_corpus_size_and_can_be_overridden(theme_project, fake):
    assert theme_settings(4018)["min_topic_size"] == 32 and theme_settings(4018)["n_neighbors"] == 15
    assert theme_settings(100) == {"min_topic_size": 5, "min_samples": 2, "max_cluster_size": 35, "n_neighbors": 5}
    r = find_themes(theme_project, embedder=fake, min_topic_size=40, n_neighbors=10, representation=None)
    assert (r.settings["min_topic_size"], r.settings["n_neighbors"]) == (40, 10)
    assert all(t.size >= 40 for t in r.themes)
    with pytest.raises(AnalysisError, match="min topic size 100 is more than half of the 180 units"):
        find_themes(theme_project, embedder=fake, min_topic_size=100)
    with pytest.raises(AnalysisError, match="unknown representation 'lda'"):
        find_themes(theme_project, embedder=fake, representation="lda")


# --------------------------------------------------------------------------- proposed codes and the merge


def test_proposed_codes_parse_and_merge(theme_project, result, tmp_path):
    text = proposed_codes_yaml(result)
    patch = parse_codebook(text, source="proposed_codes.yaml")
    assert len(patch.codes) == len(result.new_themes) == 1
    code = patch.codes[0]
    assert re.fullmatch(r"theme_[a-z0-9_]+", code.id) and code.kind == "other" and code.definition == ""
    assert "pigeons" in code.id or "allotment" in code.id
    assert code.keywords and set(code.keywords) <= set(result.new_themes[0].keywords)
    assert list(code.examples) == [e["quote"] for e in result.new_themes[0].examples[:3]]
    assert "# TODO for the researcher: write the definition" in text
    path = tmp_path / "proposed_codes.yaml"
    path.write_text(text, encoding="utf-8")

    report = merge_patch(theme_project, path)
    assert (report.version, report.revision, report.changed, report.codes) == ("1.0.1", 2, True, 4)
    cb = theme_project.codebook()
    assert cb.ids == ["school_exclusion", "debt", "domestic_abuse", code.id]
    assert "# TODO for the researcher" in cb.yaml_text  # the patch's reminders travel with the codes
    with pytest.raises(CodebookError) as exc:
        merge_patch(theme_project, path)
    assert str(exc.value) == (f"{path}: code id '{code.id}' is already in codebook 'themes-test'; "
                              "rename it in the patch or delete it there")


def test_no_new_theme_means_an_empty_patch(theme_project, fake, tmp_path):
    r = find_themes(theme_project, embedder=fake, new_threshold=0.0)
    text = proposed_codes_yaml(r)
    assert yaml.safe_load(text)["codes"] == []
    path = tmp_path / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError, match="the patch has no codes to merge"):
        merge_patch(theme_project, path)


def test_merge_text_keeps_comments_and_bumps_version():
    base = ("# my notes\ncodebook: cb\nversion: 1\ncodes:\n  # problems\n  - id: debt\n    name: Debt\n"
            "    codes:\n      - id: arrears\n        name: Arrears\n\nunit: sentence\n")
    patch = "codebook: cb\ncodes:\n    - id: pigeons  # birds\n      name: Pigeons\n      examples: [\"a: b\"]\n"
    text, added, warnings = merge_codebook_text(base, patch, patch_source="p.yaml")
    assert added == ["pigeons"] and warnings == []
    cb = parse_codebook(text)
    assert cb.version == "1.1" and cb.ids == ["debt", "arrears", "pigeons"] and cb.unit == "sentence"
    assert cb.code("pigeons").parent is None and cb.code("pigeons").examples == ("a: b",)
    assert "# my notes" in text and "# problems" in text and "# birds" in text and "# merged from p.yaml" in text
    with pytest.raises(CodebookError, match=r"^p.yaml: code id 'arrears' is already in codebook 'cb'"):
        merge_codebook_text(base, "codes:\n- id: x\n  name: X\n  codes:\n  - {id: arrears, name: A}\n",
                            patch_source="p.yaml")
    flow = "codebook: cb\nversion: 2.9\ncodes: [{id: debt, name: Debt}]\n"
    text, _, warnings = merge_codebook_text(flow, patch)
    assert parse_codebook(text).version == "2.10" and parse_codebook(text).ids == ["debt", "pigeons"]
    assert warnings and "comments were not kept" in warnings[0]


def test_bump_version():
    assert [bump_version(v) for v in ("1.0.0", "1", "1.9", "v2")] == ["1.0.1", "1.1", "1.10", "v2.1"]


# --------------------------------------------------------------------------- outputs


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings: list[int] = []
        self.th: list[dict] = []
        self.tags: list[str] = []
        self.in_tbody_th = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "th":
            self.th.append(dict(attrs))


def test_write_themes_writes_three_files(result, tmp_path):
    paths = write_themes(result, tmp_path / "themes")
    assert sorted(p.name for p in (tmp_path / "themes").iterdir()) == ["proposed_codes.yaml", "themes.html",
                                                                        "themes.json"]
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert len(data["themes"]) == 3
    for t in data["themes"]:
        assert {"id", "size", "keywords", "examples", "nearest_code", "similarity"} <= set(t)
        assert {"cases", "n_cases", "new", "nearest_name", "top_codes"} <= set(t)
    assert {"outliers", "settings", "n_units", "n_themes"} <= set(data)
    assert data["settings"]["min_topic_size"] == theme_settings(180)["min_topic_size"]
    assert parse_codebook(paths["yaml"].read_text(encoding="utf-8")).codes

    html = paths["html"].read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    assert page.headings.count(1) == 1 and page.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:])), page.headings
    assert page.th and all(th.get("scope") in ("col", "row") for th in page.th)
    assert "svg" in page.tags and "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert "<style>" in html and "Content-Security-Policy" in html
    for t in result.themes:
        assert f'id="theme-{t.id}"' in html


def test_page_escapes_user_text(result):
    from dataclasses import replace

    bad = replace(result.themes[0], keywords=("<script>alert(1)</script>", "rent"),
                  examples=({"quote": 'He said "<b>no</b>" & left', "document": "d<1>", "case": "C&1", "turn": 1,
                             "unit_id": "u", "speaker": "Mother"},))
    r = replace(result, themes=[bad], codebook={**result.codebook, "title": "Fish & <chips>"})
    html = themes_page.render_themes_html(r)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>no</b>" not in html and "&lt;b&gt;no&lt;/b&gt;" in html
    assert "Fish &amp; &lt;chips&gt;" in html


def test_failed_write_leaves_the_folder_as_it_was(result, tmp_path, monkeypatch):
    out = tmp_path / "themes"
    out.mkdir()
    (out / "keep.txt").write_text("old", encoding="utf-8")

    def boom(_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(themes_page, "render_themes_html", boom)
    with pytest.raises(RuntimeError):
        write_themes(result, out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".themes")]


def test_themes_section_is_plain_report_data(result):
    section = themes_section(result)
    assert section["n_themes"] == len(section["themes"]) == 3
    assert section["settings"]["min_topic_size"] == result.settings["min_topic_size"]
    json.dumps(section)  # plain JSON data
    for t in section["themes"]:
        assert set(t) == {"id", "size", "keywords", "cases", "examples", "nearest_code", "nearest_name",
                          "similarity", "new"}
        assert all(set(e) == {"quote", "case", "speaker"} for e in t["examples"])


def test_doctests():
    for module in (themes, themes_page, codebook_merge):
        assert doctest.testmod(module).failed == 0, module.__name__


# --------------------------------------------------------------------------- the real thing


def test_sample_corpus_with_real_embeddings(sample_project):
    """MiniLM embeddings of the 16 sample interviews (cached in the project), real UMAP + HDBSCAN + MMR."""
    t0 = time.perf_counter()
    r = find_themes(sample_project)
    seconds = time.perf_counter() - t0
    assert len(r.themes) >= 3
    assert r.n_units > 2000 and r.settings["min_topic_size"] == theme_settings(r.n_units)["min_topic_size"]
    roster = sample_project.roster_names()
    for t in r.themes:
        assert t.keywords, t
        assert not {tok for k in t.keywords for tok in k.split()} & (FILLERS | themes.SPOKEN_STOP_WORDS)
        assert 3 <= len(t.examples) <= 5
        for e in t.examples:
            assert find_names(e["quote"], roster) == []
    mapped = {t.nearest_code for t in r.themes if not t.new}
    assert {"alcohol", "debt"} & mapped  # the sample talks about drink and money at length
    print(f"\nthemes on the sample corpus: {len(r.themes)} themes, {r.outliers} outliers, {seconds:.1f} s")


def test_no_theme_found_still_writes_a_page(theme_project, fake, tmp_path):
    r = find_themes(theme_project, embedder=fake, min_topic_size=80)
    assert r.themes == [] and r.outliers == r.n_units == 180
    paths = write_themes(r, tmp_path / "none")
    assert "None found." in paths["html"].read_text(encoding="utf-8")
    assert "# No theme was found: nothing to propose." in paths["yaml"].read_text(encoding="utf-8")
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["themes"] == []
