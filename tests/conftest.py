"""Shared fixtures: a tiny codebook, three short transcripts, a temporary project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_TESTDATA = REPO.parent / "shared" / "testdata"

TINY_CODEBOOK = """\
codebook: tiny
title: Tiny test codebook
version: 1.0.0
unit: sentence
code_speakers: [participant]
codes:
  - id: domestic_abuse
    name: Domestic abuse
    kind: problem
    color: "#b03a2e"
    definition: Physical, emotional or financial abuse by a partner.
    examples: ["He used to hit me when he'd had a drink."]
    keywords: [domestic violence, refuge]
    patterns:
      - [{LEMMA: {IN: [hit, punch, kick]}}, {LOWER: {IN: [me, her]}}]
  - id: substance
    name: Drink and drugs
    kind: problem
    keywords: [the drink, drinking, on the gear]
    codes:
      - id: alcohol
        name: Alcohol
        kind: problem
        keywords: [drunk, cans]
  - id: debt
    name: Debt
    kind: problem
    keywords: [debt, arrears, bailiffs]
  - id: school_exclusion
    name: School exclusion
    kind: problem
    keywords: [excluded, exclusion]
  - id: family_worker
    name: Family worker
    kind: support
    keywords: [family worker]
"""

TRANSCRIPT_A = """\
---
document: A-mother
case: A
title: Test interview A
date: 2024-03-01
speakers:
  INT: {role: interviewer}
  ANN: {role: participant, relation: mother, name: Annette Quarry, pseudonym: Mother}
roster:
  - {name: Kyle, relation: son}
---
INT: Was there ever any violence, or debt?

ANN: He used to hit me when he'd had a drink. We got into debt with the catalogue.
Then the bailiffs came.

INT: And the school?

ANN: Kyle got excluded in Year 9. The family worker helped us.
"""

TRANSCRIPT_B = """\
---
document: B-father
case: B
speakers:
  INT: interviewer
  DAD: {role: participant, relation: father, name: Barry Oddfellow}
---
[00:00:05] INT: Tell me about the drink.

[00:00:09] DAD: I've never been a drinker. But we were in arrears on the rent.
"""

TRANSCRIPT_C = """\
Interviewer  0:02
How did things start?

Carol Pennyworth  0:09
After we got evicted the kids stopped going to school.
The debt was doing my head in.
"""


@pytest.fixture
def tiny_codebook(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_CODEBOOK, encoding="utf-8")
    return path


@pytest.fixture
def transcripts(tmp_path: Path) -> Path:
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "A-mother.txt").write_text(TRANSCRIPT_A, encoding="utf-8")
    (folder / "B-father.txt").write_text(TRANSCRIPT_B, encoding="utf-8")
    (folder / "C-otter.txt").write_text(TRANSCRIPT_C, encoding="utf-8")
    (folder / "C-otter.meta.yaml").write_text(
        "document: C-mother\ncase: C\nspeakers:\n  Interviewer: {role: interviewer}\n"
        "  Carol Pennyworth: {role: participant, relation: mother, name: Carol Pennyworth}\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def project(tmp_path: Path, tiny_codebook: Path, transcripts: Path):
    from coder import Project

    p = Project.init(tmp_path / "proj", codebook=tiny_codebook)
    p.import_files([transcripts])
    yield p
    p.close()


@pytest.fixture(scope="session")
def shared_testdata() -> Path:
    if not SHARED_TESTDATA.is_dir():
        pytest.skip("../shared/testdata is not beside this checkout; real-data checks skipped")
    return SHARED_TESTDATA


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory):
    """The 16 sample interviews with the example codebook, imported once per test session.

    Treat it as read-only: tests may add to its embeddings cache (that is the
    point of sharing it: MiniLM embeds the ~4,000 sentences once), nothing else.
    """
    from coder import Project

    samples = REPO / "transcripts_sample"
    p = Project.init(tmp_path_factory.mktemp("sample") / "proj", codebook=REPO / "codebooks" / "troubled_families.yaml")
    cases = samples / "cases.csv"
    p.import_files([samples], cases=cases if cases.is_file() else None)
    yield p
    p.close()


@pytest.fixture(scope="session")
def coded_sample(tmp_path_factory):
    """The sample project with the gold codings and links, auto-coded by rules (no model). Read-only."""
    from coder import Project
    from coder.autocode import auto_code

    samples = REPO / "transcripts_sample"
    p = Project.init(tmp_path_factory.mktemp("coded") / "proj", codebook=REPO / "codebooks" / "troubled_families.yaml")
    p.import_files([samples], cases=samples / "cases.csv")
    p.import_codings(samples / "gold" / "codings.csv", coder="gold")
    p.import_links(samples / "gold" / "links.csv", coder="gold")
    auto_code(p, semantic=False)
    yield p
    p.close()
