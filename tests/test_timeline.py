"""Tests for coder.timeline: time expressions on real transcript sentences, events, events.csv.

Sentences in quotes below are copied from transcripts_sample/ (TFxx names the
file); the expected years were worked out by hand from cases.csv (interview
date, household) and are written as the sum that gives them.
"""

from __future__ import annotations

import doctest
import json

import pandas as pd
import pytest

from coder import timeline
from coder.cases import parse_household
from coder.errors import InputError
from coder.timeline import (
    DOMAINS,
    Event,
    apply_overrides,
    code_domains_for,
    collapse_events,
    default_domain,
    extract_events,
    find_time_expressions,
    names_from_roster,
    read_events_csv,
    short_label,
    timeline_dict,
)

# cases.csv rows used below
TF01 = dict(date="2024-03-12", household="mother:F:30-39; son:M:14; daughter:F:11; son:M:6; ex-partner:M:30-39:away",
            names={"Connor": "son", "Keeley": "daughter", "Alfie": "son", "Wayne Dobson": "ex-partner",
                   "Wayne": "ex-partner"})
TF02 = dict(date="2024-04-03", household="father:M:40-49; son:M:15; daughter:F:9; mother:F:40-49:away")
TF05 = dict(date="2024-06-19", household="mother:F:40-49; daughter:F:15; son:M:18")
TF07 = dict(date="2024-07-02",
            household="grandmother:F:50-59; grandfather:M:60-69; grandson:M:13; granddaughter:F:9; mother:F:30-39:away")
TF10 = dict(date="2024-08-14", household="mother:F:30-39; daughter:F:16; son:M:14; grandson:M:0")
TF11 = dict(date="2024-09-05", household="mother:F:40-49; son:M:16; daughter:F:11")
TF16 = dict(date="2024-11-20", household="mother:F:30-39; father:M:30-39; daughter:F:7; son:M:4")


def when(text, date="2024-03-12", household="", speaker=None, names=None):
    """[(text, year, approximate)] of every expression found in ``text``."""
    found = find_time_expressions(text, interview_date=date, household=parse_household(household),
                                  speaker=speaker, names=names)
    return [(e.text, None if e.year is None else round(e.year, 2), e.approximate) for e in found]


def year_of(text, **kw):
    found = when(text, **kw)
    assert len(found) == 1, found
    return found[0][1:]


# ---------------------------------------------------------------------------- explicit years


@pytest.mark.parametrize("text, year, approx", [
    ("He broke my wrist once, that was 2018, and I told them at A&E I'd fell down the stairs at my mum's.",  # TF01
     2018.0, False),
    ("So 2013, 2014 maybe.", 2013.5, True),                                                        # TF01
    ("On and off, mainly on, from about 2015.", 2015.0, True),                                     # TF04
    ("Slipped a disc lifting kerbstones, 2014.", 2014.0, False),                                   # TF04
    ("Summer 2022.", 2022.5, True),                                                                # TF01
    ("We got evicted the June after, 2022.", round(2022 + 5 / 12, 2), False),                      # TF06
    ("I finished in the March, 2021 — no, 2022.", round(2022 + 2 / 12, 2), False),                 # TF09 (self-correction)
    ("I got sent down in 2021, the summer, for a burglary.", 2021.5, True),                         # TF13
    ("We were in the refuge back in 2016.", 2016.0, False),
    ("I left school in '09 with nothing.", 2009.0, False),
    ("In the nineties my dad was inside.", 1995.0, True),
    ("It got bad in the late eighties.", 1988.0, True),
    ("Yeah, the back end of 2021.", 2021.85, True),                                                # TF04
])
def test_explicit_years(text, year, approx):
    assert year_of(text) == (year, approx)


def test_two_expressions_in_one_sentence():
    # TF13: the bare "in the November" takes its year from "November '22" in the same sentence;
    # "eighteen months" is a sentence length, not a date.
    nov22 = round(2022 + 10 / 12, 2)
    assert when("Three years, I did eighteen months of it, then come out on licence in the November, November '22.",
                date="2024-06-04") == [("in the November", nov22, True), ("November '22", nov22, False)]
    # TF13: the January takes its year from Ruby's age (6 in 2024, so three in 2021), not "the most recent January"
    assert when("And then there was a night in the January, the neighbours phoned the police because the kids were "
                "on their own in the house, Ruby was only three, and Kirsty was at the pub.", date="2024-06-04",
                household="father:M:30-39; partner:F:30-39; son:M:9; daughter:F:6", speaker="father",
                names={"Ruby": "daughter", "Riley": "son", "Kirsty": "ex-partner"}) == [
        ("in the January", 2021.0, True), ("Ruby was only three", 2021.0, True)]
    # TF15: a feast with a year is exact
    assert ("Christmas 2022", round(2022 + 11 / 12, 2), False) in when(
        "Then the Christmas after he turned eighteen, so Christmas 2022, he was in town and there was a fight "
        "outside a pub and he got done for assault.", date="2024-02-06")


@pytest.mark.parametrize("text", [
    "He got eighteen months for it and served nine.",                            # TF13: a sentence length
    "They arrested him at six in the morning, kicked the door in and everything.",
    "He pushed me down the stairs when I was six months gone.",                  # TF03: a pregnancy, not an age
    "I was working then, I was a dinner lady at the primary, midday supervisor they call it now, la-di-da.",  # TF07
    "Now they say it's secondary progressive, which basically means it only goes one way.",
    "It was two in the morning.",
    "He'd been at the pub since twelve and he come back.",
    "It cost us 2000 quid.",
])
def test_no_false_dates(text):
    assert when(text, household=TF01["household"], speaker="mother") == []


# ---------------------------------------------------------------------------- relative to the interview


@pytest.mark.parametrize("text, date, year, approx", [
    ("And last Christmas I took out a payday loan.", "2024-10-10", round(2023 + 11 / 12, 2), False),   # TF14
    ("He got excluded twice last year.", TF10["date"], 2023.0, False),                                 # TF10
    ("LEANNE: They came off the plan in June last year.", TF16["date"], round(2023 + 5 / 12, 2), False),  # TF16
    ("They've been in care since last March.", "2024-01-30", round(2023 + 2 / 12, 2), False),           # TF06
    ("And Lisa's off hers completely, she came off the methadone last summer.", "2024-05-08", 2023.5, True),  # TF04
    ("And he got his GCSEs this summer.", TF11["date"], 2024.5, True),                                  # TF11
    ("Then in the February, this year, she missed a Sunday.", TF07["date"], round(2024 + 1 / 12, 2), False),  # TF07
    ("(laughs) A couple of years ago I'd never have thought I'd say \"just us\" like it's a good thing.",  # TF16
     TF16["date"], 2022.0, True),
    ("We had the bailiffs round the year before last.", "2024-03-12", 2022.0, False),
    ("He went inside two years ago.", "2024-03-12", 2022.0, False),
    ("He went inside six months ago.", "2024-03-12", round(2024 + 2 / 12 - 0.5, 2), False),
    ("He was sent down 18 months ago.", "2024-03-12", round(2024 + 2 / 12 - 1.5, 2), False),
    ("We moved in March.", "2024-06-19", round(2024 + 2 / 12, 2), True),    # the most recent March
    ("We moved in March.", "2024-02-06", round(2023 + 2 / 12, 2), True),
    ("Last September, she'd just gone back for Year 11.", TF10["date"], round(2023 + 8 / 12, 2), False),  # TF10
])
def test_relative_expressions(text, date, year, approx):
    found = [e for e in when(text, date=date) if e[1] is not None and "Year" not in e[0]]
    assert found[0][1:] == (year, approx)


def test_relative_needs_an_interview_date():
    assert when("He got excluded twice last year.", date=None) == []
    assert when("He broke my wrist in 2018.", date=None) == [("in 2018", 2018.0, False)]


def test_plans_are_not_events():
    # TF13: "a forklift course that starts in July" is in the future
    found = when("I'm on universal credit, I've got a work coach, she's put me on a forklift course that starts in "
                 "July.", date="2024-06-04")
    assert found == [("in July", None, True)]


# ---------------------------------------------------------------------------- ages and school years


def test_speaker_ages_come_from_the_age_band():
    hh, kw = TF01["household"], dict(date=TF01["date"], speaker="mother")
    # mother 30-39 in 2024: born 1985-1994; fifteen in 2000-2009
    assert year_of("When I was fifteen I started drinking.", household=hh, **kw) == (2004.5, True)
    assert year_of("I was seventeen.", household=hh, **kw) == ((2024 - 39 + 17 + 2024 - 30 + 17) / 2, True)   # TF01
    assert year_of("I fell pregnant with Connor at nineteen and we got the house here off the council, and for a "
                   "bit it was alright.", household=hh, names=TF01["names"], **kw) == (2008.5, True)         # TF01
    assert year_of("I left home aged 16.", household=hh, **kw) == (2005.5, True)
    # no household: found, but not placed
    assert when("When I was fifteen I started drinking.", date=TF01["date"]) == [("When I was fifteen", None, True)]


def test_childrens_ages_come_from_the_household():
    kw = dict(date=TF01["date"], household=TF01["household"], speaker="mother", names=TF01["names"])
    # TF01: "Connor rang the police the first time. He was eight." Only Connor (14) is a boy old enough
    # (Alfie is 6; the ex-partner is an adult and a child fits): 2024 - 14 + 8
    assert year_of("He was eight.", **kw) == (2018.0, True)
    # TF01: Alfie is the second son on the roster and in cases.csv: 2024 - 6 + 4
    assert year_of("He'd been at the pub since twelve and he come back and something about the gas bill, I don't "
                   "even — and he went for me in the kitchen, in front of all three of them, Alfie was only four.",
                   **kw) == (2022.0, True)
    assert year_of("When Keeley was six she got ill.", **kw) == (2024 - 11 + 6, True)
    # Only the ex-partner was ever twenty-two: 2024 - 39 + 22 .. 2024 - 30 + 22
    assert year_of("Seventeen, and he was twenty-two and he had a car.", **kw) == (2011.5, True)             # TF01
    # Two boys could have been six (Connor in 2016, Alfie now): left undated, not guessed
    assert year_of("When he was six he got ill.", **kw) == (None, True)
    # TF10: the son is 14, the grandson 0: 2024 - 14 + 9
    assert year_of("Diagnosed when he was nine, after about two years on the list for the paediatrician.",
                   date=TF10["date"], household=TF10["household"], speaker="mother") == (2019.0, True)
    # TF05: 2024 - 15 + 4
    assert year_of("Me and Steve split up when Ellie was, what, four?", date=TF05["date"],
                   household=TF05["household"], speaker="mother",
                   names=names_from_roster([{"name": "Ellie Pickering", "relation": "daughter"}])) == (2013.0, True)
    # TF07: "She" is the children's mother (30-39), the only woman old enough: 2024-39+20 .. 2024-30+20
    assert when("She had Kai at twenty and Mia at twenty-four.", date=TF07["date"], household=TF07["household"],
                speaker="grandmother")[0] == ("at twenty", 2009.5, True)


def test_school_years():
    # TF01: Connor, 14, in Year 9 now: 2024 - 14 + (9 + 5)
    assert year_of("Connor's the eldest, he's fourteen, he's in Year 9 at Holloway Park.", date=TF01["date"],
                   household=TF01["household"], speaker="mother", names=TF01["names"]) == (2024.0, True)
    # TF02: Reece (the son, 15) speaking about himself: 2024 - 15 + 14, and Year 10 a year later
    assert when("And then I got in a fight in Year 9 and they gave me isolation, and then like Year 10 it just "
                "kept happening.", date=TF02["date"], household=TF02["household"], speaker="son") == [
        ("in Year 9", 2023.0, True), ("Year 10", 2024.0, True)]
    # TF07: the grandson, 13: 2024 - 13 + 11, and a range of school years
    kw = dict(date=TF07["date"], household=TF07["household"], speaker="grandmother")
    assert year_of("He got excluded for three days in Year 6 for hitting a lad.", **kw) == (2022.0, True)
    assert year_of("He started kicking off at school, Year 5, Year 6, throwing chairs, swearing at the teachers.",
                   **kw) == (2021.5, True)
    # TF11: the mother talks of her son (16): 2024 - 16 + 14
    assert year_of("His attendance went down to about seventy percent in Year 9, and they sent the attendance "
                   "letter.", date=TF11["date"], household=TF11["household"], speaker="mother") == (2022.0, True)
    # TF16: Archie, 4, started Reception this school year (never after the interview)
    assert ("started Reception", 2024.0, True) in when(
        "Lily-Rose, she's seven, she's at St Bridget's, Year 3, and Archie, he's four, he started Reception in "
        "September.", date=TF16["date"], household=TF16["household"], speaker="mother",
        names={"Lily-Rose": "daughter", "Archie": "son"})
    # TF01 has no girl old enough for Year 10
    assert year_of("She was excluded in year 10.", date=TF01["date"], household=TF01["household"],
                   speaker="mother") == (None, True)


# ---------------------------------------------------------------------------- events from units


def units_frame(rows):
    """Rows of (turn, label, text, codes) → the units frame extract_events takes."""
    return pd.DataFrame([
        {"unit_id": f"TF01-mother@{i * 100}:{i * 100 + 50}", "document": "TF01-mother", "case": "TF01", "turn": turn,
         "position": i, "start": i * 100, "end": i * 100 + 50, "text": text, "label": label, "codes": codes}
        for i, (turn, label, text, codes) in enumerate(rows)])


CODE_DOMAINS = {"domestic_abuse": "Home and relationships", "alcohol": "Health", "worklessness": "Money and work",
                "police": "Services", "crime": "Crime and justice", "prison": "Crime and justice",
                "debt": "Money and work"}
CODE_NAMES = {"domestic_abuse": "Domestic violence and abuse", "alcohol": "Alcohol misuse",
              "worklessness": "Worklessness", "police": "Police", "crime": "Crime and offending",
              "prison": "Prison, custody and licence", "debt": "Debt and financial hardship"}

TF01_UNITS = [  # TF01, turns 5, 7 and 13, shortened
    (5, "SHELLEY", "But the proper stuff, the hitting, that started after Keeley.", ["domestic_abuse"]),
    (5, "SHELLEY", "So 2013, 2014 maybe.", []),
    (5, "SHELLEY", "He'd lost his job at Thornley Tyres, and he was at home all day, and that's when the drinking "
                   "really took off — cans from dinnertime, then it was cans and vodka.", ["alcohol", "worklessness"]),
    (5, "SHELLEY", "And when he'd had a drink he was a different man.", ["alcohol"]),
    (7, "SHELLEY", "He knocked me about.", ["domestic_abuse"]),
    (7, "SHELLEY", "He broke my wrist once, that was 2018, and I told them at A&E I'd fell down the stairs at my mum's.",
     ["domestic_abuse"]),
    (7, "SHELLEY", "They knew.", []),
    (13, "SHELLEY", "He'd been at the pub since twelve and he come back and something about the gas bill, I don't "
                    "even — and he went for me in the kitchen, in front of all three of them, Alfie was only four.",
     ["domestic_abuse"]),
    (13, "SHELLEY", "And Keeley ran next door in her swimming costume and Pam next door rang 999.", ["police"]),
    (13, "SHELLEY", "So he got arrested, he got charged, he pleaded guilty in the end.", ["crime", "support_code"]),
]


def tf01_events(**kw):
    return extract_events(units_frame(TF01_UNITS), interview_date=TF01["date"],
                          household=parse_household(TF01["household"]), code_domains=CODE_DOMAINS,
                          code_names=CODE_NAMES, speaker_relations={"SHELLEY": "mother", "INT": None},
                          names=TF01["names"], **kw)


def test_extract_events_dates_and_inherits():
    ev = {(e.order, e.code): e for e in tf01_events()}
    assert len(ev) == 9  # "support_code" has no domain: no event
    # undated: nothing in the unit and nothing before it in the turn
    assert ev[0, "domestic_abuse"].year is None and ev[0, "domestic_abuse"].anchor is None
    # the previous unit of the same turn is dated: inherited, approximate
    lost = ev[2, "worklessness"]
    assert (lost.year, lost.approximate, lost.anchor, lost.label, lost.domain) == (
        2013.5, True, "2013, 2014 maybe", "Lost job", "Money and work")
    assert lost.id == "TF01:TF01-mother@200:250:worklessness"
    assert lost.quote.startswith("He'd lost his job") and lost.source == "auto"
    # two units back: not inherited by default, inherited with inherit=2
    assert ev[3, "alcohol"].year is None
    assert {(e.order, e.code): e for e in tf01_events(inherit=2)}[3, "alcohol"].year == 2013.5
    # an explicit year is exact; inheritance does not cross turns
    assert (ev[5, "domestic_abuse"].year, ev[5, "domestic_abuse"].approximate) == (2018.0, False)
    assert ev[4, "domestic_abuse"].year is None
    # age of a named child, then inherited by the next sentence
    assert (ev[7, "domestic_abuse"].year, ev[7, "domestic_abuse"].anchor) == (2022.0, "Alfie was only four")
    assert (ev[8, "police"].year, ev[8, "police"].approximate) == (2022.0, True)
    assert ev[9, "crime"].year is None and ev[9, "crime"].label == "Arrested"


def test_a_year_said_after_a_bare_month_completes_it():
    # TF16: 'LEANNE: He was on bail, and then he got sent down in the May. 2021.'
    units = units_frame([(40, "LEANNE", "He was on bail, and then he got sent down in the May.", ["prison"]),
                         (40, "LEANNE", "2021.", [])])
    (e,) = extract_events(units, interview_date=TF16["date"], code_domains=CODE_DOMAINS, code_names=CODE_NAMES)
    assert (e.year, e.approximate, e.anchor) == (round(2021 + 4 / 12, 2), False, "in the May … 2021")


def test_code_spans_pick_the_nearest_expression():
    text = "When I was fifteen I got nicked for shoplifting, and then in 2019 the bailiffs came."
    units = units_frame([(3, "SHELLEY", text, ["crime", "debt"])])
    units["code_spans"] = [{"crime": [(text.index("nicked"), text.index("nicked") + 6)],
                            "debt": [(text.index("bailiffs"), text.index("bailiffs") + 8)]}]
    ev = extract_events(units, interview_date=TF01["date"], household=parse_household(TF01["household"]),
                        code_domains=CODE_DOMAINS, code_names=CODE_NAMES, speaker_relations={"SHELLEY": "mother"})
    assert [(e.code, e.year) for e in ev] == [("crime", 2004.5), ("debt", 2019.0)]
    # without spans the exact date wins for both
    ev = extract_events(units.drop(columns="code_spans"), interview_date=TF01["date"],
                        household=parse_household(TF01["household"]), code_domains=CODE_DOMAINS,
                        code_names=CODE_NAMES, speaker_relations={"SHELLEY": "mother"})
    assert [e.year for e in ev] == [2019.0, 2019.0]


def test_extract_events_is_deterministic():
    a = [e.to_dict() for e in tf01_events()]
    b = [e.to_dict() for e in tf01_events()]
    assert a == b
    assert json.dumps(timeline_dict(tf01_events(), TF01["date"]), sort_keys=True) == \
        json.dumps(timeline_dict(tf01_events(), TF01["date"]), sort_keys=True)


def test_codes_cells_and_dates_in_other_shapes():
    import datetime as dt
    import numpy as np

    units = units_frame([(5, "SHELLEY", "He broke my wrist once, that was 2018.", ["domestic_abuse"])])
    units["codes"] = [np.array(["domestic_abuse", "unknown_code"])]
    (e,) = extract_events(units, interview_date=dt.date(2024, 3, 12), code_domains=CODE_DOMAINS, code_names={})
    assert (e.year, e.label) == (2018.0, "Domestic abuse")
    with pytest.raises(InputError, match="interview date '12/03/2024' is not an ISO date such as 2024-03-12"):
        extract_events(units, interview_date="12/03/2024", code_domains=CODE_DOMAINS, code_names={})


def test_unknown_domain_in_the_mapping():
    with pytest.raises(InputError, match="unknown timeline domain 'Housing'"):
        extract_events(units_frame(TF01_UNITS), interview_date=None, code_domains={"alcohol": "Housing"},
                       code_names={})


# ---------------------------------------------------------------------------- collapse and the contract


def ev(id_, code, year, order, approx=False, quote="q"):
    return Event(id_, CODE_DOMAINS.get(code, "Health"), code, code, year, approx, None, order, quote)


def test_collapse_same_code_same_year():
    out = collapse_events([ev("F:1:debt", "debt", 2019.0, 1, True, "first"), ev("F:2:alcohol", "alcohol", 2019.0, 2),
                           ev("F:3:debt", "debt", 2019.58, 3), ev("F:4:debt", "debt", 2020.0, 4),
                           ev("F:5:debt", "debt", None, 5), ev("F:6:debt", "debt", None, 6)])
    assert [(e.id, e.year, e.approximate, e.mentions, e.quote) for e in out] == [
        ("F:1:debt", 2019.58, False, 2, "first"), ("F:2:alcohol", 2019.0, False, 1, "q"),
        ("F:4:debt", 2020.0, False, 1, "q"), ("F:5:debt", None, False, 2, "q")]


def test_timeline_dict_follows_the_contract():
    d = timeline_dict(tf01_events(), TF01["date"])
    assert list(d) == ["domains", "start_year", "end_year", "interview_year", "events"]
    assert d["domains"] == list(DOMAINS)
    assert (d["start_year"], d["end_year"], d["interview_year"]) == (2012, 2024, 2024)  # 2013.5 - 1, floored
    keys = {"id", "domain", "label", "code", "year", "approximate", "anchor", "order", "quote", "source", "mentions"}
    assert all(set(e) == keys for e in d["events"])
    years = [e["year"] for e in d["events"]]
    dated = [y for y in years if y is not None]
    assert dated == sorted(dated) and years[len(dated):] == [None] * (len(years) - len(dated))
    json.dumps(d, allow_nan=False)


def test_timeline_axis_for_sparse_and_empty_families():
    assert timeline_dict([ev("F:1:debt", "debt", 2022.5, 0)], "2024-03-12")["start_year"] == 2014  # 10 years at least
    d = timeline_dict([], "2024-03-12")
    assert (d["start_year"], d["end_year"], d["events"]) == (2014, 2024, [])
    assert (timeline_dict([], None)["start_year"], timeline_dict([], None)["end_year"]) == (None, None)


# ---------------------------------------------------------------------------- domains and labels


def sample_codes():
    """The sample codebook's codes as dicts (read with yaml: load_codebook would import spaCy)."""
    import yaml
    from pathlib import Path

    def walk(codes, parent=None):
        for c in codes:
            yield {"id": c["id"], "name": c["name"], "kind": c.get("kind", "other"), "parent": parent}
            yield from walk(c.get("codes") or [], c["id"])

    book = yaml.safe_load((Path(__file__).parents[1] / "codebooks" / "troubled_families.yaml").read_text("utf-8"))
    return list(walk(book["codes"]))


def test_default_domains_for_the_sample_codebook():
    codes = sample_codes()
    d = code_domains_for(codes)
    assert d["housing"] == d["domestic_abuse"] == d["family_structure"] == d["childhood_abuse"] == DOMAINS[0]
    assert d["truancy"] == d["school_exclusion"] == d["child_protection"] == d["back_in_school"] == DOMAINS[1]
    assert d["alcohol"] == d["drugs"] == d["mental_health"] == d["reduced_substance_use"] == DOMAINS[2]
    assert d["debt"] == d["worklessness"] == d["into_work"] == DOMAINS[3]
    assert d["crime"] == d["prison"] == d["antisocial_behaviour"] == d["stopped_offending"] == DOMAINS[4]
    assert d["police"] == d["jobcentre"] == d["health_visitor"] == DOMAINS[5]
    assert "key_worker" not in d and "worsened" not in d  # support codes and unplaceable outcomes
    assert all(len(short_label(c["id"], c["name"])) <= timeline.MAX_LABEL for c in codes)


def test_default_domain_keywords():
    assert default_domain("eviction", "event") == "Home and relationships"
    assert default_domain("benefit_sanction", "problem") == "Money and work"
    assert default_domain("asb_warning", "event") == "Crime and justice"
    assert default_domain("something", "problem") is None


def test_labels():
    assert short_label("housing", "Housing insecurity and poor housing", "We got evicted the June after, 2022.") == \
        "Eviction"
    assert short_label("family_structure", "Dysfunctional and shifting family structure") == \
        "Shifting family structure"
    assert short_label("x", "A very long code name without any break in it at all") == "A very long code name without…"


# ---------------------------------------------------------------------------- events.csv


def write(tmp_path, text):
    p = tmp_path / "events.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_overrides_replace_remove_and_add(tmp_path):
    events = tf01_events()
    lost = "TF01:TF01-mother@200:250:worklessness"
    knocked = "TF01:TF01-mother@400:450:domestic_abuse"
    path = write(tmp_path, "case,id,year,domain,label,code,quote,remove\n"
                           f"TF01,{lost},2014,,Wayne lost his job,,,\n"
                           "TF01,TF01:TF01-mother@500:550:domestic_abuse,2018.5,crime,,,,no\n"
                           f"TF01,{knocked},,,,,,yes\n"
                           "TF01,,2020,money,Started work,into_work,I got a job at the bakery.,\n"
                           "TF02,,2019,health,Diagnosis,,,\n")
    table = read_events_csv(path, cases=["TF01", "TF02"])
    out = apply_overrides(events, table, "TF01", code_names={"into_work": "Into work or training"})
    by_id = {e.id: e for e in out}
    assert knocked not in by_id and len(out) == len(events)  # one removed, one added
    assert (by_id[lost].year, by_id[lost].approximate, by_id[lost].label, by_id[lost].source) == (
        2014.0, False, "Wayne lost his job", "auto")
    wrist = by_id["TF01:TF01-mother@500:550:domestic_abuse"]
    assert (wrist.year, wrist.approximate, wrist.domain, wrist.label) == (
        2018.5, False, "Crime and justice", "Domestic violence and abuse")
    new = by_id["TF01:events.csv:5"]
    assert (new.domain, new.label, new.code, new.year, new.source, new.quote) == (
        "Money and work", "Started work", "into_work", 2020.0, "events.csv", "I got a job at the bakery.")
    assert new.order > max(e.order for e in events)
    # the other family's row is not applied here
    assert all(e.label != "Diagnosis" for e in out)
    assert apply_overrides(events, None, "TF01") == events


@pytest.mark.parametrize("body, message", [
    ("TF01,,2019,Hosuing,Evicted,,,\n", "unknown domain 'Hosuing'; use one of: " + ", ".join(DOMAINS)),
    ("TF01,,2019ish,home,Evicted,,,\n", "year '2019ish' is not a year; write a number such as 2019 or 2019.5 "
                                       "(and yes in 'approximate' if it is a guess)"),
    ("TF99,,2019,home,Evicted,,,\n", "unknown case 'TF99'; known cases: TF01, TF02"),
    (",,2019,home,Evicted,,,\n", "empty 'case'; every row names its family, e.g. TF01"),
    ("TF01,,2019,,Evicted,,,\n", "a new event (no 'id') needs a 'domain' and a 'label' or 'code'"),
    ("TF01,,,,,,,yes\n", "'remove' needs the 'id' of the event to remove"),
    ("TF01,TF01:x:debt,,,,,,maybe\n", "'remove' is 'maybe'; write yes or no"),
    ("TF01,TF02:x:debt,2019,,,,,\n", "id 'TF02:x:debt' does not belong to case 'TF01' (ids start with the case, "
                                     "e.g. 'TF01:')"),
])
def test_bad_events_csv_rows_name_the_file_and_line(tmp_path, body, message):
    path = write(tmp_path, "case,id,year,domain,label,code,quote,remove\nTF01,,2020,home,Moved,,,\n" + body)
    with pytest.raises(InputError) as err:
        read_events_csv(path, cases=["TF01", "TF02"])
    assert str(err.value) == f"{path}:3: {message}"


def test_bad_events_csv_header_and_stale_ids(tmp_path):
    path = write(tmp_path, "case,id,yr\nTF01,,2019\n")
    with pytest.raises(InputError) as err:
        read_events_csv(path)
    assert str(err.value) == (f"{path}:1: unknown column 'yr'; columns are case, id, year, domain, label, code, "
                              "quote, remove, approximate")
    path = write(tmp_path, "case,id,remove\nTF01,TF01:TF01-mother@1:2:debt,yes\n")
    with pytest.raises(InputError) as err:
        apply_overrides(tf01_events(), read_events_csv(path), "TF01")
    assert str(err.value).startswith(f"{path}:2: no event with id 'TF01:TF01-mother@1:2:debt' in case TF01;")


def test_doctests():
    assert doctest.testmod(timeline).failed == 0
