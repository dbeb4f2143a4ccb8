"""The sample corpus, codebooks and gold coding are what they claim to be."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from coder.codebook import load_codebook
from coder.ingest import is_transcript_file, read_transcript

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "transcripts_sample"


def transcripts():
    return [read_transcript(f) for f in sorted(SAMPLES.iterdir()) if is_transcript_file(f)]


def test_sixteen_families_in_every_format():
    ts = transcripts()
    assert len(ts) == 16 and len({t.case for t in ts}) == 16
    formats = Counter(t.format for t in ts)
    assert {"text", "otter", "docx", "vtt", "srt"} <= set(formats)
    for t in ts:
        words = sum(len(t.text[x.start:x.end].split()) for x in t.turns)
        assert 1500 <= words <= 3000, (t.document, words)
        assert t.attributes.get("note") == "fictional interview written for software testing", t.document
        participants = [s for s in t.speakers.values() if s.role == "participant"]
        assert participants and all(s.name for s in participants), t.document  # roster names, for redaction tests
    two_participants = [t.document for t in ts if sum(s.role == "participant" for s in t.speakers.values()) >= 2]
    assert len(two_participants) >= 4


def test_sample_imports_with_cases(coded_sample):
    docs = coded_sample.documents_frame()
    assert len(docs) == 16
    cases = coded_sample.cases_frame()
    assert len(cases) == 16
    assert {"household", "area_type", "tenure", "recruitment", "consent", "interview_date"} <= set(cases.columns)


@pytest.mark.parametrize("name", ["troubled_families.yaml", "supporting_families_2022.yaml"])
def test_codebooks_validate_and_are_complete(name):
    cb = load_codebook(REPO / "codebooks" / name)
    assert cb.warnings == ()
    for c in cb.codes:
        assert c.definition and c.include and c.exclude and len(c.examples) >= 2 and c.keywords, c.id


def test_troubled_families_codebook_covers_the_brief():
    cb = load_codebook(REPO / "codebooks" / "troubled_families.yaml")
    kinds = Counter(c.kind for c in cb.codes)
    assert kinds["problem"] >= 15 and kinds["service"] >= 10 and kinds["support"] >= 5 and kinds["outcome"] >= 5
    assert kinds["context"] >= 6  # the 2012 report's themes
    tops = [c for c in cb.codes if c.kind == "problem" and c.parent is None]
    assert len(tops) == 6  # the six headline problems of the 2015 programme
    for leaf in ("alcohol", "drugs", "debt", "housing", "mental_health", "physical_health"):
        assert leaf in cb.ids


def test_supporting_families_has_the_ten_outcomes():
    cb = load_codebook(REPO / "codebooks" / "supporting_families_2022.yaml")
    assert len([c for c in cb.codes if c.kind == "problem" and c.parent is None]) == 10


def test_every_gold_quote_is_in_a_participant_turn(coded_sample):
    gold = coded_sample.codings_frame("gold")
    assert len(gold) >= 300 and gold["document"].nunique() >= 5
    turns = coded_sample.turns_frame()
    participant = turns[turns["role"] == "participant"]
    spans = {d: list(zip(g["start"], g["end"])) for d, g in participant.groupby("document")}
    for r in gold.itertuples():
        assert any(a <= r.start and r.end <= b for a, b in spans[r.document]), (r.document, r.quote)


def test_gold_links_are_between_problems(coded_sample):
    cb = coded_sample.codebook()
    kind = {c.id: c.kind for c in cb.codes}
    links = coded_sample.links_frame("gold")
    assert len(links) >= 20
    assert set(kind[c] for c in links["from_code"]) == {"problem"} and set(kind[c] for c in links["to_code"]) == {"problem"}


def test_gold_readme_explains_how_it_was_made():
    text = (SAMPLES / "gold" / "README.md").read_text(encoding="utf-8").lower()
    assert "negat" in text and "interviewer" in text and "auto-coder" in text


def test_cases_csv_household_notation_parses():
    from coder.cases import parse_household, read_cases

    cases = read_cases(SAMPLES / "cases.csv")
    father_led = [c for c, row in cases.items() if row["lead_carer"] == "father"]
    assert father_led
    for c, row in cases.items():
        members = parse_household(row["household"])
        assert any(m.generation == 0 for m in members) and any(m.generation >= 1 for m in members), c
