"""Directed links from causal and temporal connectives, in both phrasings."""

from __future__ import annotations

import pandas as pd
import pytest

from coder.autocode import code_units
from coder.codebook import parse_codebook
from coder.links import extract_links

CB = parse_codebook("""
codes:
  - {id: alcohol, name: Alcohol, kind: problem, keywords: [the drink, drinking]}
  - {id: worklessness, name: Worklessness, kind: problem, keywords: [lost my job, lose my job, lost the job]}
  - {id: eviction, name: Eviction, kind: problem, keywords: [evict]}
  - {id: truancy, name: Truancy, kind: problem, keywords: [stopped going to school, stop go to school]}
  - {id: debt, name: Debt, kind: problem, keywords: [debt]}
  - {id: mental_health, name: Mental health, kind: problem, keywords: [really down, depressed, anxiety]}
  - {id: police, name: Police, kind: service, keywords: [police]}
""")


def links_for(*texts, turns=None):
    turns = turns or list(range(len(texts)))
    units = pd.DataFrame({"unit_id": [f"d@{i}" for i in range(len(texts))], "document": "d", "turn": turns,
                          "start": [i * 100 for i in range(len(texts))],
                          "end": [i * 100 + len(t) for i, t in enumerate(texts)], "text": list(texts)})
    codings, _ = code_units(units, CB)
    return [(lk["from_code"], lk["to_code"]) for lk in extract_links(units, codings, CB)]


@pytest.mark.parametrize("text,expected", [
    ("because of the drink I lost my job", [("alcohol", "worklessness")]),
    ("I lost my job because of the drink", [("alcohol", "worklessness")]),
    ("after we got evicted the kids stopped going to school", [("eviction", "truancy")]),
    ("the kids stopped going to school after we got evicted", [("eviction", "truancy")]),
    ("the debt was doing my head in, I got really down", [("debt", "mental_health")]),
    ("ever since I lost my job I've been really down", [("worklessness", "mental_health")]),
    ("I was drinking, that's why I lost the job", [("alcohol", "worklessness")]),
    ("the debt, which made the anxiety worse", [("debt", "mental_health")]),
])
def test_connectives_give_direction(text, expected):
    assert links_for(text) == expected


def test_adjacent_units_in_one_turn():
    assert links_for("We got evicted in the May.", "After that the kids stopped going to school.", turns=[3, 3]) == \
        [("eviction", "truancy")]
    # a new turn (the interviewer spoke in between, or another speaker) does not link
    assert links_for("We got evicted in the May.", "After that the kids stopped going to school.", turns=[3, 5]) == []


def test_no_connective_no_link_and_services_are_not_problems():
    assert links_for("I lost my job and I was drinking.") == []
    assert links_for("because of the drink the police came") == []


def test_negated_problem_does_not_link():
    assert links_for("I lost my job but not because of the drink, I've never been drinking") == []


def test_link_keeps_quote_and_connective():
    units = pd.DataFrame({"unit_id": ["d@0"], "document": "d", "turn": [1], "start": [10], "end": [44],
                          "text": ["I lost my job because of the drink"]})
    codings, _ = code_units(units, CB)
    (link,) = extract_links(units, codings, CB)
    assert link["quote"] == "I lost my job because of the drink"
    assert (link["start"], link["end"]) == (10, 44)
    assert link["evidence"]["connective"] == "because of"


def test_when_and_once_introduce_the_cause():
    assert links_for("I started drinking when I lost my job") == [("worklessness", "alcohol")]
    assert links_for("once we got evicted the kids stopped going to school") == [("eviction", "truancy")]


def test_a_sentence_read_both_ways_gives_no_link():
    # "after the drink I lost my job" says alcohol -> worklessness; "…my job so I was drinking" says the reverse
    assert links_for("after the drink I lost my job so I was drinking again") == []


def test_suggested_codes_never_make_a_link():
    """Links join what the rules found; a model's suggestion is unreviewed and links nothing."""
    texts = ("The worry was awful.", "After that the kids stopped going to school.")
    units = pd.DataFrame({"unit_id": ["d@0", "d@100"], "document": "d", "turn": [1, 1], "start": [0, 100],
                          "end": [20, 144], "text": list(texts)})
    codings, _ = code_units(units, CB)
    suggestion = {"unit_id": "d@0", "code": "mental_health", "status": "suggested", "method": "semantic"}
    assert extract_links(units, codings + [suggestion], CB) == []
    rule = {**suggestion, "status": "accepted", "method": "keyword"}  # the same code found by a rule links
    assert [(lk["from_code"], lk["to_code"]) for lk in extract_links(units, codings + [rule], CB)] == \
        [("mental_health", "truancy")]
