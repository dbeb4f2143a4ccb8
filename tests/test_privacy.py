"""No roster name reaches a published output: HTML, PDF text, figure labels, exports of the reports."""

from __future__ import annotations

import re

import pytest

from coder.redact import find_names, redact


@pytest.fixture(scope="module")
def report_data(coded_sample):
    from coder.reportdata import build_report_data

    return build_report_data(coded_sample)


@pytest.fixture(scope="module")
def roster(coded_sample):
    names = coded_sample.roster_names()
    assert len(names) >= 40  # speakers' names and household members from every front matter
    return names


def visible_text(html: str) -> str:
    """Text a reader can see or a screen reader can read: tags removed, attribute values kept."""
    attrs = " ".join(re.findall(r'(?:alt|title|aria-label)="([^"]*)"', html))
    return re.sub(r"<[^>]+>", " ", html) + " " + attrs


def test_roster_names_are_in_the_transcripts(coded_sample, roster):
    """The test means something: the raw talk does mention roster names."""
    texts = " ".join(coded_sample.texts().values())
    assert len(set(find_names(texts, roster))) >= 20


def test_redact_examples():
    assert redact("Kyle's dad, Lee Hollis, left", ["Lee Hollis", "Kyle"]) == "[name]'s dad, [name], left"
    assert redact("we will manage", ["Will"]) == "we will manage"


def test_report_data_has_no_roster_names(report_data, roster):
    from coder.jsonutil import dumps

    blob = dumps(report_data)
    assert find_names(blob, roster) == []


def test_html_reports_and_figures_have_no_roster_names(report_data, roster):
    from coder.render import render_html

    pages = [render_html("crosscase", report_data), render_html("training", report_data)]
    pages += [render_html("journey", report_data, case=f["case"]) for f in report_data["families"]]
    for html in pages:
        assert find_names(visible_text(html), roster) == []
        assert find_names(html, roster) == []  # nor in markup, SVG <title>/<desc> or labels


def test_pdf_text_has_no_roster_names(report_data, roster, tmp_path):
    from pypdf import PdfReader

    from coder.render import render_html, render_pdf

    for kind, case in [("crosscase", None), ("journey", "TF01"), ("journey", "TF13")]:
        out = tmp_path / f"{kind}-{case}.pdf"
        render_pdf(render_html(kind, report_data, case=case), out, base_dir=tmp_path)
        text = " ".join(page.extract_text() or "" for page in PdfReader(out).pages)
        assert len(text) > 500
        assert find_names(text, roster) == [], kind
        if kind == "crosscase":  # and the published figures carry their denominators
            top = report_data["crosscase"]["prevalence"][0]
            assert f"{top['n_cases']} of 16" in text and "not mentioned" in text.lower()


def test_speakers_appear_by_role_never_by_label(report_data):
    # Otter labels are people's full names; reports must use pseudonyms or relations
    for fam in report_data["families"]:
        for s in fam["speakers"]:
            assert s["label_public"] in {"Mother", "Father", "Son", "Daughter", "Grandmother", "Stepfather",
                                         "Participant"} or s["label_public"].split()[0] in {
                "Mother", "Father", "Son", "Daughter", "Grandmother", "Stepfather", "Grandad", "Partner"}, s
