"""Codebook validation: exact messages with file, line and key path."""

from __future__ import annotations

import pytest

from coder.codebook import load_codebook, parse_codebook
from coder.errors import CodebookError

from .conftest import TINY_CODEBOOK


def err(text: str) -> str:
    with pytest.raises(CodebookError) as e:
        parse_codebook(text, source="codebook.yaml")
    return str(e.value)


def test_tiny_codebook_tree():
    cb = parse_codebook(TINY_CODEBOOK)
    assert cb.ids == ["domestic_abuse", "substance", "alcohol", "debt", "school_exclusion", "family_worker"]
    assert cb.code("alcohol").parent == "substance"
    assert cb.descendants("substance") == ["alcohol"]
    assert cb.unit == "sentence" and cb.code_speakers == ("participant",)
    assert cb.code("domestic_abuse").patterns[0][0] == {"LEMMA": {"IN": ["hit", "punch", "kick"]}}


def test_unknown_token_attribute():
    text = "codebook: x\ncodes:\n  - id: a\n    name: A\n  - id: b\n    name: B\n  - id: c\n    name: C\n" \
           "  - id: d\n    name: D\n    patterns:\n      - [{LEMA: hit}]\n"
    assert err(text) == "codebook.yaml:12: codes[3].patterns[0]: unknown token attribute 'LEMA'"


def test_pattern_value_rejected_by_spacy():
    text = "codes:\n  - id: a\n    name: A\n    patterns:\n      - [{LOWER: {IN: 5}}]\n"
    assert err(text).startswith("codebook.yaml:5: codes[0].patterns[0]: invalid token pattern:")


def test_duplicate_ids_in_nested_codes():
    text = "codes:\n  - id: a\n    name: A\n    codes:\n      - id: b\n        name: B\n  - id: b\n    name: B2\n"
    assert err(text) == "codebook.yaml:7: codes[1].id: duplicate code id 'b' (first defined at line 5)"


def test_unknown_key_suggests_allowed():
    text = "codes:\n  - id: a\n    name: A\n    keyword: [debt]\n"
    assert err(text).startswith("codebook.yaml:4: codes[0].keyword: unknown key (allowed: codes, color, definition,")


def test_unknown_top_level_key():
    assert err("codez: []\n").startswith("codebook.yaml:1: codez: unknown key (allowed:")


def test_bad_colour():
    text = "codes:\n  - id: a\n    name: A\n    color: red\n"
    assert err(text) == "codebook.yaml:4: codes[0].color: 'red' is not a colour like \"#b03a2e\""


def test_bad_id_kind_unit_and_speakers():
    assert err("codes:\n  - id: Debt Stuff\n    name: A\n") == \
        "codebook.yaml:2: codes[0].id: 'Debt Stuff' must use only a-z, 0-9 and _"
    assert err("codes:\n  - id: a\n    name: A\n    kind: problm\n") == \
        "codebook.yaml:4: codes[0].kind: 'problm' is not one of problem, service, support, outcome, context, event, other"
    assert err("unit: paragraph\ncodes:\n  - {id: a, name: A}\n") == \
        "codebook.yaml:1: unit: 'paragraph' is not one of sentence, turn"
    assert err("code_speakers: [everyone]\ncodes:\n  - {id: a, name: A}\n") == \
        "codebook.yaml:1: code_speakers[0]: 'everyone' is not one of interviewer, participant, other"


def test_missing_name_and_id():
    assert err("codes:\n  - id: a\n") == "codebook.yaml:2: codes[0]: code 'a' is missing 'name'"
    assert err("codes:\n  - name: A\n") == "codebook.yaml:2: codes[0]: missing 'id'"


def test_parent_cycle_and_unknown_parent():
    text = "codes:\n  - {id: a, name: A, parent: b}\n  - {id: b, name: B, parent: a}\n"
    assert err(text) == "codebook.yaml:2: code 'a': parent cycle a -> b -> a; a code cannot be its own ancestor"
    text = "codes:\n  - {id: a, name: A, parent: zz}\n"
    assert err(text) == "codebook.yaml:2: code 'a': parent 'zz' is not a code in this codebook"


def test_invalid_yaml_and_empty():
    assert err("codes:\n  - id: a\n    name: [unclosed\n").startswith("codebook.yaml:4: invalid YAML:")
    assert err("") == "codebook.yaml:1: codebook is empty; it needs at least a 'codes:' list"
    assert err("title: x\n") == "codebook.yaml:1: no 'codes:' list; a codebook needs at least one code"


def test_duplicate_yaml_key():
    assert err("codes:\n  - id: a\n    name: A\n    name: B\n") == "codebook.yaml:4: codes[0].name: duplicate key"


def test_trained_only_attribute_warns():
    cb = parse_codebook("codes:\n  - id: a\n    name: A\n    patterns:\n      - [{POS: VERB}]\n", source="c.yaml")
    assert len(cb.warnings) == 1 and "POS needs a trained pipeline" in cb.warnings[0]


def test_load_codebook_missing_file(tmp_path):
    with pytest.raises(CodebookError, match="nope.yaml: no such codebook file"):
        load_codebook(tmp_path / "nope.yaml")


def test_hash_ignores_line_endings():
    assert parse_codebook(TINY_CODEBOOK).hash == parse_codebook(TINY_CODEBOOK.replace("\n", "\r\n")).hash
