"""A family's life grid: dated events from coded talk, for the "family journey" page.

Each coded unit (a sentence, usually) whose code belongs to one of the six
life-grid domains becomes an :class:`Event`.  Its date comes from a time
expression in the unit, resolved against the interview date and the household
of ``cases.csv``.  There is no trained NER: regular expressions find the
expressions and a small tokenizer finds the subject of a clause ("he" in
"he was in Year 9"), so every rule is written down here and tested on
sentences from the sample transcripts.  Nothing here loads spaCy, so a report
can be built without it.

Resolution rules
----------------
Years are floats on a calendar axis: ``2019.0`` is "in 2019", a month adds
``(month - 1) / 12`` (``"March 2022"`` → 2022.17), and a span of possible
years is given by its midpoint (2000–2009 → 2004.5).  Let ``Y`` be the
interview year and ``T`` the interview as a year fraction.

* Explicit years: ``"in 2019"``, ``"back in 2016"``, ``"'09"`` (→ 2009; a
  two-digit year after ``Y`` is read as 19xx), ``"March 2022"``,
  ``"summer of 2021"``, ``"the back end of 2021"``, ``"Christmas 2022"``.
  Two years in a row (``"2013, 2014 maybe"``, ``"2019 or 2020"``) give their
  midpoint; a self-correction (``"2021 — no, 2022"``) gives the second.
* Decades: ``"in the nineties"`` → 1995, ``"the late eighties"`` → 1988.
* Relative to the interview: ``"last year"`` → Y−1, ``"this year"`` → Y,
  ``"the year before last"`` → Y−2, ``"two years ago"`` → Y−2 (``"a couple
  of"`` / ``"a few"`` → 2 / 3, approximate), ``"six months ago"`` → T−0.5,
  ``"in the last 18 months"`` → T−1.5 (approximate), ``"January last year"``,
  ``"last Christmas"``, ``"last summer"``, ``"last September"`` (the most
  recent one that *ended before the interview month*), ``"last week"`` → T.
  A bare duration (``"he got eighteen months"``) is a sentence, not a date,
  and is never read as one.
* A month or season without a year (``"in March"``, ``"in the January"``,
  ``"in the summer"``) takes the year of the nearest other date in the same
  sentence ("in the November, November '22"), else of the latest explicit
  date earlier in the same turn, moved on a year when the month comes before
  that date's month ("sent down in 2021, the summer … out in the January" →
  January 2022); with neither it is the most recent one before the interview.
  Approximate.
* Ages: ``"when I was fifteen"``, ``"at 16"`` (``at`` + a number only for 13–25,
  so "at six in the morning" is a time), ``"aged 12"``, ``"when Kyle was
  six"``, ``"he was twenty-two"``, ``"when he was a baby"``.  The person's
  birth years come from the household: a band ``30-39`` at interview gives
  born ``Y−39 … Y−30``, an exact age ``14`` gives ``Y−14``; the event year is
  birth + age.  Always approximate.
* School years: ``"Year 9"`` means the child reached age 9 + 5 = 14 that year
  (a child one year younger still counts: they are in that year now);
  ``"reception"`` → 5, ``"nursery"`` → 3–4, ``"primary"`` → 5–11,
  ``"secondary"``/``"big school"`` → 11–16.  Always approximate.

Who is "he"?  ``"I"`` is the speaker (``speaker_relations[label]`` → the
household members with that relation).  ``"he"``/``"she"`` are the household
members of that sex other than the speaker; a name is looked up in ``names``
(``{first name: relation}``, see :func:`names_from_roster`), and when several
members share that relation (two sons) and the roster names as many people
with it, they are matched in order (the roster and ``cases.csv`` both list
Connor before Alfie); an unknown name may be anyone but the speaker.  The
subject of "at 16" or of a bare "in Year 9" is the nearest I/he/she (or name
followed by a verb) before it, in the clause, else in the sentence.  Then:

1. people too young ever to have been that age are dropped (Connor, 14, can
   have been in Year 9; Alfie, 6, cannot);
2. for an age under 18, if a child is left the adults are dropped (a
   mother's "he was eight" is about a son, not her ex-partner's childhood);
   school years only ever date children (generation ≥ 1 or under 20), and an
   adult's "I" only with "when I was in Year 9";
3. one person left → their years; several → the midpoint only when all their
   years lie within :data:`AMBIGUITY_YEARS`, otherwise the expression is found
   but left undated (``year=None``): the report never guesses between two
   children.

A resolved date after the interview year is discarded, and a bare month in a
sentence that talks of the future ("a course that starts in July") is a
plan, not an event.

Which expression dates an event?  The one nearest the code's span when the
units carry ``code_spans``; otherwise the first exact one, then the first
approximate one, and last a month or season whose year was inferred (from
another date in the sentence, "in the January … Ruby was only three", or in
the turn, or the most recent one).  A bare month completed by a year said on its
own straight after ("sent down in the May. 2021.") takes that year.  A unit
with no expression inherits the date of the previous unit of the same turn
when that unit has a date of its own (not an inherited one), marked
approximate (``inherit=`` widens the look-back); otherwise the event is
undated (``year=None``) and keeps its narrative position ``order``.

Researcher corrections: ``events.csv``
--------------------------------------
One row per correction, columns ``case,id,year,domain,label,code,quote,remove``
(only ``case`` is required; an ``approximate`` column is also read):

* a row whose ``id`` is an automatic event's id (``TF01:TF01-mother@120:188:debt``)
  replaces that event's fields with the row's non-empty cells; setting
  ``year`` marks the date exact unless ``approximate`` says yes;
* ``remove`` = yes/true/y/1/x drops that event;
* a row without ``id`` adds an event (``source`` "events.csv"); it needs a
  ``domain`` and a ``label`` or ``code``.

``domain`` is one of :data:`DOMAINS` or a short form (home, children, health,
money, crime, services).  Unknown columns, domains or cases, a non-numeric
``year`` and an ``id`` that matches no event are :class:`~coder.errors.InputError`
naming the file and line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .cases import Member
from .errors import InputError

__all__ = [
    "DOMAINS",
    "TIMELINE_KINDS",
    "AMBIGUITY_YEARS",
    "Event",
    "TimeExpr",
    "default_domain",
    "code_domains_for",
    "short_label",
    "names_from_roster",
    "find_time_expressions",
    "extract_events",
    "collapse_events",
    "read_events_csv",
    "apply_overrides",
    "timeline_dict",
]

DOMAINS = (
    "Home and relationships",
    "Children and school",
    "Health",
    "Money and work",
    "Crime and justice",
    "Services",
)
DOMAIN_ALIASES = {
    "home": DOMAINS[0], "relationships": DOMAINS[0], "children": DOMAINS[1], "school": DOMAINS[1],
    "health": DOMAINS[2], "money": DOMAINS[3], "work": DOMAINS[3], "crime": DOMAINS[4],
    "justice": DOMAINS[4], "services": DOMAINS[5],
}
TIMELINE_KINDS = ("problem", "context", "outcome", "event", "service")
AMBIGUITY_YEARS = 2.0  # several possible people: date only if their years lie this close
MAX_LABEL = 30

# ---------------------------------------------------------------------------- domains and labels

_DOMAIN_RULES: tuple[tuple[str, str], ...] = (
    # order matters: the first keyword found in the id (then the parent) wins
    ("childhood", DOMAINS[0]), ("network", DOMAINS[0]), ("care_history", DOMAINS[0]),
    ("teenage", DOMAINS[0]), ("intergenerational", DOMAINS[0]), ("domestic", DOMAINS[0]),
    ("crime", DOMAINS[4]), ("prison", DOMAINS[4]), ("offend", DOMAINS[4]), ("asb", DOMAINS[4]),
    ("antisocial", DOMAINS[4]), ("police", DOMAINS[4]), ("court", DOMAINS[4]), ("custody", DOMAINS[4]),
    ("school", DOMAINS[1]), ("truan", DOMAINS[1]), ("exclu", DOMAINS[1]), ("child", DOMAINS[1]),
    ("special_needs", DOMAINS[1]), ("send", DOMAINS[1]), ("educat", DOMAINS[1]),
    ("alcohol", DOMAINS[2]), ("drug", DOMAINS[2]), ("substance", DOMAINS[2]), ("health", DOMAINS[2]),
    ("mental", DOMAINS[2]), ("wellbeing", DOMAINS[2]), ("disab", DOMAINS[2]), ("illness", DOMAINS[2]),
    ("housing", DOMAINS[0]), ("evict", DOMAINS[0]), ("homeless", DOMAINS[0]), ("tenanc", DOMAINS[0]),
    ("debt", DOMAINS[3]), ("work", DOMAINS[3]), ("benefit", DOMAINS[3]), ("financ", DOMAINS[3]),
    ("money", DOMAINS[3]), ("job", DOMAINS[3]), ("employ", DOMAINS[3]), ("poverty", DOMAINS[3]),
    ("income", DOMAINS[3]),
    ("family", DOMAINS[0]), ("relationship", DOMAINS[0]), ("partner", DOMAINS[0]), ("abuse", DOMAINS[0]),
    ("bereave", DOMAINS[0]), ("parent", DOMAINS[0]),
)


def default_domain(code: str, kind: str | None = None, parent: str | None = None) -> str | None:
    """The life-grid domain of a code, from its kind and keywords in its id and parent's id.

    Services are always "Services"; support codes (what helped) and codes of
    kind "other" are not life events and get ``None``, as does any code no
    keyword places.  Housing and eviction go under "Home and relationships"
    (where the family lives), debt, benefits and work under "Money and work";
    a parent's own childhood, being in care and teenage parenthood are family
    history, so "Home and relationships".

    Examples
    --------
    >>> default_domain("housing", "problem", "worklessness_finance")
    'Home and relationships'
    >>> default_domain("truancy", "problem", "school_attendance")
    'Children and school'
    >>> default_domain("police", "service"), default_domain("key_worker", "support")
    ('Services', None)
    """
    if kind == "service":
        return DOMAINS[5]
    if kind in ("support", "other"):
        return None
    for key in (code, parent):
        if not key:
            continue
        low = key.lower()
        for word, domain in _DOMAIN_RULES:
            if word in low:
                return domain
    return None


def code_domains_for(codes: Iterable[Any], kinds: Sequence[str] = TIMELINE_KINDS) -> dict[str, str]:
    """``{code_id: domain}`` by :func:`default_domain` for codes (``Code`` objects or dicts) of ``kinds``."""
    out: dict[str, str] = {}
    for c in codes:
        get = c.get if isinstance(c, Mapping) else (lambda k, c=c: getattr(c, k, None))
        if get("kind") not in kinds:
            continue
        domain = default_domain(get("id"), get("kind"), get("parent"))
        if domain is not None:
            out[get("id")] = domain
    return out


# Event-like labels where the quote says what happened (code, pattern on the quote, label).
_EVENT_LABELS: tuple[tuple[str, re.Pattern, str], ...] = tuple(
    (code, re.compile(rx, re.I), label) for code, rx, label in (
        ("housing", r"\bevict", "Eviction"),
        ("housing", r"\bhomeless|sofa[- ]surf", "Homeless"),
        ("housing", r"\brehoused|\bmoved\b", "Moved home"),
        ("worklessness", r"\b(lost|losing) (my|his|her|their|the) job|\bsacked\b|\bredundan|\blaid off\b", "Lost job"),
        ("worklessness", r"\bon the sick\b|\bhad to (stop|give up) work", "Stopped work"),
        ("debt", r"\bbailiff", "Bailiffs"),
        ("debt", r"\barrears\b", "Arrears"),
        ("debt", r"\bpayday loan|\bloan shark", "Loan"),
        ("crime", r"\barrest|\bnicked\b", "Arrested"),
        ("crime", r"\bcharged\b|\bcourt\b", "Charged / court"),
        ("prison", r"\bsent down\b|\binside\b|\bprison\b|\bjail\b", "Prison"),
        ("prison", r"\b(came|come|got) out\b|\breleased\b|\blicence\b", "Released"),
        ("school_exclusion", r"\bexcluded\b|\bexpelled\b|\bkicked out\b", "Excluded"),
        ("child_protection", r"\bcare order|\bin(to)? (foster )?care\b|\btaken\b|\bremoved\b", "Children taken into care"),
        ("child_protection", r"\bprotection plan\b|\bon a plan\b|\bon the plan\b", "Child protection plan"),
        ("domestic_abuse", r"\bleft (him|her)\b|\brefuge\b", "Left abusive partner"),
        ("mental_health", r"\bdiagnosed\b", "Diagnosis"),
        ("mental_health", r"\bsectioned\b", "Sectioned"),
        ("physical_health", r"\bdiagnosed\b", "Diagnosis"),
        ("physical_health", r"\bheart attack\b|\bstroke\b", "Heart attack / stroke"),
        ("teenage_parenthood", r"\bpregnant\b|\bfell\b|\bhad (him|her)\b", "Became a parent"),
    )
)


def short_label(code: str, name: str | None = None, quote: str = "") -> str:
    """A label of at most ``MAX_LABEL`` characters for an event of ``code``.

    When the quote says what happened (``"we got evicted"``) the label names
    the event ("Eviction"); otherwise it is the code name, cut at its first
    " and ", " or ", comma or bracket when too long (keeping the noun phrase
    after " and " when the part before is a lone adjective: "Dysfunctional and
    shifting family structure" → "Shifting family structure").

    Examples
    --------
    >>> short_label("housing", "Housing insecurity and poor housing", "We got evicted in 2019.")
    'Eviction'
    >>> short_label("housing", "Housing insecurity and poor housing")
    'Housing insecurity'
    >>> short_label("mental_health_services", "CAMHS and mental health services")
    'CAMHS'
    """
    for c, rx, label in _EVENT_LABELS:
        if c == code and quote and rx.search(quote):
            return label
    name = (name or code.replace("_", " ").capitalize()).strip()
    if len(name) <= MAX_LABEL:
        return name
    parts = re.split(r",|\(| and | or | — ", name, maxsplit=1)
    cut = parts[0].strip()
    if len(parts) == 2 and " " not in cut and re.search(r"(al|ary|ful|ive|ing|ed)$", cut) and not name[len(cut)] == ",":
        tail = re.split(r",|\(| and | or ", parts[1].strip(), maxsplit=1)[0].strip()  # "Voluntary and community
        cut = tail[:1].upper() + tail[1:]                                              #  services" -> the noun phrase
    if 3 <= len(cut) <= MAX_LABEL:
        return cut
    words, out = name.split(), ""
    for w in words:
        if len(out) + len(w) + 2 > MAX_LABEL:
            break
        out = f"{out} {w}".strip()
    return (out or name[: MAX_LABEL - 1]) + "…"


# ---------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """One life-grid event; ``to_dict()`` is the report contract's event dict plus ``id`` and ``mentions``."""

    id: str
    domain: str
    label: str
    code: str | None
    year: float | None
    approximate: bool
    anchor: str | None
    order: int
    quote: str
    source: str = "auto"
    mentions: int = 1

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["year"] is not None:
            d["year"] = round(float(d["year"]), 2)
        return d


@dataclass(frozen=True)
class TimeExpr:
    """A time expression in a text: ``[start, end)`` offsets, its text, kind and resolved year."""

    start: int
    end: int
    text: str
    kind: str  # year, decade, relative, month, age, school
    year: float | None
    approximate: bool
    month: int | None = None  # the month, when the expression names one (for later bare months)


# ---------------------------------------------------------------------------- the grammar

_SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VALUE = {w: i for i, w in enumerate(_SMALL)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
NUM = (r"(?:\d{1,2}|(?:" + "|".join(_TENS) + r")(?:[-\s](?:" + "|".join(_SMALL[1:10]) + r"))?|"
       + "|".join(sorted(_SMALL, key=len, reverse=True)) + r")(?!\w)")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_MONTH_ABBR = {"Jan": 1, "Feb": 2, "Sept": 9, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}
MONTH = r"(?-i:(?:" + "|".join(_MONTHS + list(_MONTH_ABBR)) + r"))(?!\w)"
SEASON = r"(?:spring|summer|autumn|winter)(?!\w)"
FEAST = r"(?:christmas|xmas|easter|new\s+year(?:['’]s)?(?:\s+eve)?|bonfire\s+night)(?!\w)"
_SEASON_MONTH = {"spring": 4, "summer": 7, "autumn": 10, "winter": 1, "christmas": 12, "xmas": 12,
                 "easter": 4, "new year": 1, "bonfire night": 11}
YEAR = (r"(?:(?<![\d£$.,])(?:19[4-9]\d|20[0-4]\d)(?![\d%]|[.,]\d|\s*(?:quid|pounds?|grand|people|miles|calories|"
        r"k\b|odd\b))|(?<![\w'’])['’]\d\d(?![\w%]))")
PREP = (r"(?:(?:(?:way|right)\s+)?back\s+)?(?:(?:in|since|from|until|till|by|during|over|around|about|"
        r"before|after|through|at)\s+)?")
HEDGE = r"(?:about|around|roughly|approximately|circa|maybe|probably)"
PART = (r"(?:(?:the\s+)?(?P<part>back\s+end|tail\s+end|very\s+end|end|start|beginning|middle|first\s+half|"
        r"second\s+half)\s+of\s+(?:the\s+)?|(?P<part2>early|mid|late)[-\s]+)")
_PART_OFFSET = {"back end": 0.85, "tail end": 0.85, "very end": 0.92, "end": 0.85, "start": 0.08,
                "beginning": 0.08, "middle": 0.5, "first half": 0.25, "second half": 0.75,
                "early": 0.2, "mid": 0.5, "late": 0.8}
SUBJ = r"(?P<subj>I|he|she|(?-i:\[name\]|[A-Z][a-z]+(?:-[A-Z][a-z]+)?))"
AGE = (r"(?:(?P<n>" + NUM + r")(?:\s*(?:,|or|-|–|to)\s*(?P<n2>" + NUM + r"))?"
       r"(?:\s+(?P<unit>months?|weeks?|years?)(?:\s+old)?)?|(?P<life>a\s+baby|a\s+newborn|a\s+toddler|"
       r"a\s+teenager|a\s+teen|tiny|a\s+little\s+(?:boy|girl|lad)))")
HEDGE_AFTER = r"(?:\s*,?\s*(?P<hedge2>maybe|probably|I\s+think|or\s+so|or\s+something|-?ish))?"
# What may not follow a number that is read as an age.
_NOT_AGE = re.compile(
    r"\s*(?:%|percent|per\s*cent|pounds?|quid|grand|pence|p\b|o['’]?clock|a\.?m\b|p\.?m\b|minutes?|mins?|"
    r"hours?|days?|nights?|times?|miles?|mph|stone|kilos?|foot|feet|inches|years?\s+(?:ago|later|on)|"
    r"in\s+the\s+(?:morning|afternoon|evening|night)|at\s+night|months?\s+(?:gone|pregnant|ago|later)|"
    r"weeks?\s+(?:gone|pregnant|ago|later)|of\s+(?:us|them|you)|(?:-|\s)?ish\b|[.:]\d)", re.I)
_FUTURE = re.compile(r"\b(?:will|won['’]t|gonna|going\s+to|hopefully|next\s+(?:week|month|year)|starts|begins|"
                     r"plan(?:ning)?\s+to|(?:I|we|he|she|they)\s*['’](?:m|s|re)\s+(?:doing|starting|going|due))\b|"
                     r"['’]ll\b", re.I)
_NOT_NAME = {"it", "that", "this", "there", "which", "what", "who", "everything", "everyone", "everybody",
             "nobody", "somebody", "someone", "anyone", "anybody", "all", "one", "mine", "life", "things",
             "mum", "dad", "mam", "nan", "gran", "grandad", "mummy", "daddy", "god", "christmas", "easter",
             "school", "year", "then", "so", "and", "but", "yeah", "well", "when", "they", "we", "you"}
_SCHOOL_YEAR = r"(?P<sy>1[0-3]|[1-9]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen)(?!\w)"
_STAGE_AGES = {"reception": (5, 5), "nursery": (3, 4), "primary": (5, 11), "secondary": (11, 16),
               "big school": (12, 12), "sixth form": (17, 18)}

_PATTERNS: tuple[tuple[str, re.Pattern], ...] = tuple((name, re.compile(rx, re.I)) for name, rx in (
    ("correction", PREP + r"(?:the\s+)?(?:(?P<m>" + MONTH + r"),?\s+)?(?P<y1>" + YEAR + r")\s*(?:—|–|-|,|\.\.\.)\s*"
     r"(?:no|sorry|I\s+mean),?\s*(?P<y2>" + YEAR + r")"),
    ("year_range", r"(?P<pre>" + PREP + r")(?:" + HEDGE + r"\s+)?(?P<y1>" + YEAR + r")\s*(?:,|or|to|-|–|/|and|until|till)\s*"
     r"(?P<y2>" + YEAR + r")" + HEDGE_AFTER),
    ("month_year", PREP + r"(?P<hedge>" + HEDGE + r"\s+)?" + PART + r"?(?:the\s+)?(?:(?P<m>" + MONTH + r")|(?P<s>"
     + SEASON + r"|" + FEAST + r"))(?:\s+time|\s+after|\s+before)?(?:\s+of|,)?\s+(?:in\s+)?(?P<y1>" + YEAR + r")"),
    ("part_year", PREP + r"(?P<hedge>" + HEDGE + r"\s+)?" + PART + r"(?P<y1>" + YEAR + r")"),
    ("year_month", PREP + r"(?P<y1>" + YEAR + r"),\s+(?:in\s+)?(?:the\s+)?(?:(?P<m>" + MONTH + r")|(?P<s>" + SEASON + r"))"),
    ("year", PREP + r"(?P<hedge>" + HEDGE + r"\s+)?(?P<y1>" + YEAR + r")" + HEDGE_AFTER),
    ("decade", PREP + r"(?:the\s+)(?:(?P<part2>early|mid|late)[-\s]+)?(?P<d>seventies|eighties|nineties|noughties|"
     r"['’]?[5-9]0s|19[5-9]0s|2000s|20[01]0s)(?!\w)"),
    ("ago", r"(?P<n>" + NUM + r"|an?|a\s+couple\s+of|a\s+couple|couple\s+of|a\s+few|few|several)(?P<half>\s+and\s+a\s+half)?"
     r"\s+(?P<unit>years?|months?|weeks?|days?)(?P<half2>\s+and\s+a\s+half)?\s+ago(?!\w)"),
    ("last_n", r"(?:(?:in|over|for|during)\s+)?the\s+(?:last|past)\s+(?P<n>" + NUM + r"|couple\s+of|few)\s+"
     r"(?P<unit>years|months|weeks)(?!\w)"),
    ("year_before_last", r"(?:the\s+)?year\s+before\s+last(?!\w)"),
    ("when_rel_year", PREP + r"(?:the\s+)?(?:(?P<m>" + MONTH + r")|(?P<s>" + SEASON + r"|" + FEAST + r"))(?:\s+time)?,?\s+"
     r"(?P<rel>last|this)\s+year(?!\w)"),
    ("rel_year_when", PREP + r"(?P<rel>last|this)\s+year,?\s+(?:in\s+)?the\s+(?:(?P<m>" + MONTH + r")|(?P<s>" + SEASON + r"))"),
    ("rel_year", PREP + r"(?P<the>the\s+)?(?P<rel>last|this|past)\s+year(?!\w)"),
    ("rel_when", PREP + r"(?P<rel>last|this)\s+(?:(?P<m>" + MONTH + r")|(?P<s>" + SEASON + r"|" + FEAST + r"))"),
    ("recent", r"(?:(?:last|this|the\s+other)\s+(?:week|weekend|month|night|day)|yesterday)(?!\w)"),
    ("bare_month", PREP + r"(?:the\s+)?(?P<m>" + MONTH + r")(?!\s*(?:\d|['’]\d))"),
    ("bare_season", r"(?:in|over|during|at|by|since|until|till|from)\s+(?:the\s+)?(?P<s>" + SEASON + r"|" + FEAST + r")"),
    ("later", r"(?:(?P<n>" + NUM + r"|an?|a\s+couple\s+of|a\s+few)\s+(?P<unit>years?|months?)\s+(?:later|after(?:wards)?)"
     r"|the\s+(?:year\s+after|following\s+year|next\s+year|year\s+later))(?!\w)"),
    ("age_when", r"(?P<pre>when|since|until|till|before|after|once|by\s+the\s+time)\s+" + SUBJ + r"\s+(?:was|were|"
     r"turned|hit|got\s+to|had\s+turned)(?:\s*,?\s*(?:what|like|erm|er|um|only|just|about|around|nearly|barely|still|"
     r"maybe)(?!\w)\s*,?)*\s*" + AGE),
    ("age_was", SUBJ + r"\s+(?:was|were)\s+(?:(?:only|just)\s+)?(?P<n>" + NUM + r")"),
    ("age_at", r"(?P<pre>at\s+the\s+age\s+of|at|aged|age)\s+(?:(?:only|just|about|around)\s+)?(?P<n>" + NUM
     + r")(?P<old>\s+(?:years?\s+old|year-old))?"),
    ("school", r"(?:(?P<pre>when|since|until|till|before|after|once)\s+" + SUBJ + r"\s+(?:was|were|went|started|got|"
     r"moved)\s+(?:(?:in|into|to|up\s+to|at)\s+)?)?(?P<prep>(?:in|at|into|during|by|from|since|for|until|till|to|"
     r"started|start|starting|left|finished|of)\s+)?(?P<the>the\s+)?(?:(?:start|end|beginning|middle)\s+of\s+)?"
     r"(?:year\s+" + _SCHOOL_YEAR + r"(?:\s*(?:,|or|-|–|and|to|into)\s*(?:year\s+)?(?P<sy2>1[0-3]|[1-9]))?"
     r"|(?P<stage>reception|nursery|primary|secondary|big\s+school|sixth\s+form))(?!\w)"),
))
_PRIORITY = {name: i for i, (name, _) in enumerate(_PATTERNS)}
_BARE = ("bare_month", "bare_season", "later")
_PRONOUNS = {"i": "I", "he": "he", "she": "she", "we": None, "they": None, "you": None}
_NAME_VERBS = {"was", "were", "'s", "’s", "is", "had", "'d", "’d", "got", "went", "started", "did", "turned",
               "came", "come", "left", "moved", "used", "has", "have", "would", "could", "never", "always",
               "just", "only", "kept", "ended", "stopped", "ran", "said", "told"}
_CLAUSE_BREAK = {".", ",", ";", ":", "—", "–", "-", "?", "!", "(", ")", "and", "but", "so", "because", "cos",
                 "'cause", "’cause", "then"}


def _num(s: str | None) -> float | None:
    """Value of a number written in digits or words ("twenty-two", "a couple of")."""
    if s is None:
        return None
    s = re.sub(r"\s+", " ", s.strip().lower())
    if s.isdigit():
        return float(s)
    if s in ("a", "an", "one"):
        return 1.0
    if "couple" in s:
        return 2.0
    if "few" in s:
        return 3.0
    if s == "several":
        return 4.0
    parts = re.split(r"[-\s]", s)
    if all(p in _WORD_VALUE for p in parts):
        return float(sum(_WORD_VALUE[p] for p in parts))
    return None


def _month(s: str | None) -> int | None:
    if not s:
        return None
    if s in _MONTHS:
        return _MONTHS.index(s) + 1
    return _MONTH_ABBR.get(s)


def _season(s: str | None) -> int | None:
    if not s:
        return None
    return _SEASON_MONTH.get(re.sub(r"\s+", " ", s.lower()).replace("’", "'").split("'")[0].removesuffix(" eve"))


def _year(s: str, interview_year: int) -> int:
    s = s.strip()
    if s[0] in "'’":
        yy = int(s[1:])
        return 2000 + yy if 2000 + yy <= interview_year else 1900 + yy
    return int(s)


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if not _present(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InputError(f"interview date '{value}' is not an ISO date such as 2024-03-12") from None


def _age_range(age: str | None) -> tuple[float, float] | None:
    """``"30-39"`` → (30, 39), ``"14"`` → (14, 14), ``"60+"`` → (60, 80); anything else → None."""
    if not age:
        return None
    m = re.fullmatch(r"\s*(\d{1,3})\s*(?:[-–]\s*(\d{1,3})|(\+))?\s*", str(age))
    if not m:
        return None
    lo = float(m.group(1))
    hi = float(m.group(2)) if m.group(2) else (lo + 20 if m.group(3) else lo)
    return (lo, hi) if hi >= lo else None


def _is_child(m: Member) -> bool:
    r = _age_range(m.age)
    return m.generation >= 1 or (r is not None and r[1] < 20)


@dataclass(frozen=True)
class _Context:
    """What resolution needs besides the text."""

    interview: dt.date | None
    household: tuple[Member, ...] = ()
    speaker: tuple[Member, ...] = ()  # the household members the speaker may be
    names: Mapping[str, str] = field(default_factory=dict)  # first name -> relation
    year_context: tuple[float, int | None] | None = None  # (year, month) of the turn's latest explicit date

    @property
    def year(self) -> int | None:
        return self.interview.year if self.interview else None

    @property
    def now(self) -> float | None:
        return self.interview.year + (self.interview.month - 1) / 12 if self.interview else None


def _most_recent(month: int, ctx: _Context, *, strictly_before: bool) -> float | None:
    """Year fraction of the latest ``month`` before the interview (``last March``, bare ``March``)."""
    if ctx.interview is None:
        return None
    y = ctx.interview.year
    if month > ctx.interview.month or (strictly_before and month == ctx.interview.month):
        y -= 1
    return y + (month - 1) / 12


def _season_last(month: int, name: str, ctx: _Context) -> float | None:
    """Most recent season/feast that ended before the interview month (``last summer``, ``last Christmas``)."""
    if ctx.interview is None:
        return None
    ends = {"spring": 5, "summer": 8, "autumn": 11, "winter": 2, "easter": 4, "christmas": 12, "xmas": 12,
            "new year": 1, "bonfire night": 11}.get(name, month)
    y = ctx.interview.year
    if ends >= ctx.interview.month:
        y -= 1
    return y + (month - 1) / 12


def _people(subj: str | None, ctx: _Context, *, children_only: bool) -> list[Member] | None:
    """Household members ``subj`` may be; None when the subject is not a person we can place."""
    if subj is None:
        pool = [m for m in ctx.household if _is_child(m)] if children_only else list(ctx.speaker)
        return pool or None
    s = subj.lower()
    others = [m for m in ctx.household if m not in ctx.speaker]
    if s == "i":
        return list(ctx.speaker) or None
    if s in ("he", "she"):
        sex = "M" if s == "he" else "F"
        pool = [m for m in others if m.sex == sex]
    elif subj in ctx.names:
        rel = _relation(ctx.names[subj])
        pool = [m for m in ctx.household if m.relation == rel]
        same = [n for n, r in ctx.names.items() if _relation(r) == rel]
        people = [n for n in same if not any(o != n and o.split()[0] == n for o in same)]  # one key per person
        me = next((n for n in people if n == subj or n.split()[0] == subj), None)
        if len(pool) > 1 and len(people) == len(pool) and me is not None:
            pool = [pool[people.index(me)]]  # roster and household list brothers in the same order
    elif s in _NOT_NAME:
        return None
    else:
        pool = others  # "[name]" or a name not in the roster: anyone but the speaker
    if children_only:
        pool = [m for m in pool if _is_child(m)]
    return pool or None


def _relation(text: str) -> str:
    """``"daughter (lives away)"`` → ``"daughter"``: the roster's relation as in ``cases.csv``."""
    return re.split(r"[(,;]", text or "", maxsplit=1)[0].strip().lower()


def _years_at_age(people: Sequence[Member], lo_age: float, hi_age: float, ctx: _Context,
                  slack: float = 0.0) -> float | None:
    """Year at which one of ``people`` was aged ``lo_age``–``hi_age``; None when it cannot be told.

    ``slack`` lets someone that much younger still count (a child in Year 9
    now may not have turned 14 yet).
    """
    if ctx.year is None:
        return None
    fits = [m for m in people if (r := _age_range(m.age)) is not None and r[1] >= lo_age - slack]  # old enough
    if lo_age < 18 and any(_is_child(m) for m in fits):
        fits = [m for m in fits if _is_child(m)]  # a child's age: the children, not the adults' own childhood
    spans = []
    for m in fits:
        r = _age_range(m.age)
        lo, hi = ctx.year - r[1] + lo_age, ctx.year - r[0] + hi_age
        spans.append((min(lo, ctx.year), min(hi, ctx.year)))  # never after the interview
    if not spans:
        return None
    if len(spans) > 1 and max(b for _, b in spans) - min(a for a, _ in spans) > AMBIGUITY_YEARS:
        return None
    lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
    return (lo + hi) / 2


def _clause_subject(tokens: Sequence[tuple[str, int]], pos: int, names: Mapping[str, str],
                    clause_only: bool = True) -> str | None:
    """The nearest subject before character ``pos``: I/he/she, or a name followed by a verb.

    Looks in the clause first, then anywhere earlier in the sentence.
    """
    before = [i for i, (_, idx) in enumerate(tokens) if idx < pos]
    for i in reversed(before):
        text = tokens[i][0]
        low = text.lower()
        if low in _CLAUSE_BREAK and clause_only:
            return _clause_subject(tokens, pos, names, clause_only=False)  # "He started kicking off, Year 5"
        if low in _PRONOUNS:
            return _PRONOUNS[low]
        if text == "[name]" or (text[:1].isupper() and text.isalpha() and low not in _NOT_NAME and i > 0):
            nxt = tokens[i + 1][0].lower() if i + 1 < len(tokens) else ""
            if nxt in _NAME_VERBS or nxt.endswith("ed"):
                return text
    return None


def names_from_roster(roster: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``{first name: relation}`` from a transcript's ``roster`` entries, in roster order.

    The full name and its first part both map to the relation, so "Kyle" and
    "Kyle Hollis" are found.  Relations keep their first word-group only
    ("daughter (lives away)" → "daughter").

    Examples
    --------
    >>> names_from_roster([{"name": "Wayne Dobson", "relation": "ex-partner"}, {"name": "Alfie", "relation": "son"}])
    {'Wayne Dobson': 'ex-partner', 'Wayne': 'ex-partner', 'Alfie': 'son'}
    """
    out: dict[str, str] = {}
    for entry in roster or ():
        name = str(entry.get("name") or "").strip()
        rel = _relation(str(entry.get("relation") or ""))
        if not name or not rel:
            continue
        out.setdefault(name, rel)
        out.setdefault(name.split()[0], rel)
    return out


_TOKEN = re.compile(r"\[name\]|\w+(?:-\w+)*|['’]\w+|[^\w\s]")


def _tokens(text: str) -> list[tuple[str, int]]:
    """``(token, offset)`` pairs, split like spaCy's English tokenizer where it matters here:
    contractions ("he's" → "he", "'s"), punctuation, and "[name]" kept whole."""
    return [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]


_Resolved = tuple[str, float | None, bool, int | None]  # kind, year, approximate, month
_PRECISE_FEASTS = ("christmas", "xmas", "new year", "bonfire night")


def _feast(s: str | None) -> str:
    """``"New Year's Eve"`` → ``"new year"``: the key of :data:`_SEASON_MONTH`."""
    return re.sub(r"\s+", " ", (s or "").lower()).replace("’", "'").split("'")[0].removesuffix(" eve")


def _resolve_calendar(name: str, g: dict[str, Any], ctx: _Context) -> _Resolved | None:
    """Explicit years, months of a year, decades."""
    hedged = bool(g.get("hedge") or g.get("hedge2"))

    def y(s: str) -> int:
        return _year(s, ctx.year if ctx.year is not None else 2100)

    if name == "correction":  # "2021 — no, 2022"
        mo = _month(g.get("m"))
        return "year", y(g["y2"]) + ((mo - 1) / 12 if mo else 0.0), False, mo
    if name == "year_range":
        a, b = y(g["y1"]), y(g["y2"])
        if not 0 < b - a <= 10:
            return None
        if (g.get("pre") or "").strip().lower().split()[-1:] in (["from"], ["since"]):
            return "year", float(a), hedged, None  # "from 2013 to 2022": when it started
        return "year", (a + b) / 2, True, None
    if name == "decade":
        d = g["d"].lower().strip("'’")
        base = {"seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000}.get(d)
        if base is None:
            digits = re.sub(r"\D", "", d)
            base = int(digits) if len(digits) == 4 else 1900 + int(digits)
        offset = {"early": 2, "mid": 5, "late": 8}.get((g.get("part2") or "").lower(), 5)
        return "decade", float(base + offset), True, None
    year = y(g["y1"])  # year, month_year, year_month, part_year
    mo, se = _month(g.get("m")), _season(g.get("s"))
    if g.get("m") and mo is None:
        return None
    part = g.get("part") or g.get("part2")
    if part:
        return "year", year + _PART_OFFSET[re.sub(r"\s+", " ", part.lower())], True, None
    if mo:
        return "year", year + (mo - 1) / 12, hedged, mo
    if se:
        return "year", year + (se - 1) / 12, hedged or _feast(g["s"]) not in _PRECISE_FEASTS, se
    return "year", float(year), hedged, None


def _resolve_relative(name: str, g: dict[str, Any], text: str, ctx: _Context) -> _Resolved | None:
    """Expressions relative to the interview ("last year") or to the turn's latest date ("in the March")."""
    Y, now = ctx.year, ctx.now
    if name == "later":  # "the year after", "two years later": relative to the turn's latest date
        if ctx.year_context is None:
            return None
        n = _num(g.get("n")) if g.get("n") else 1.0
        if n is None:
            return None
        step = n if (g.get("unit") or "year").lower().startswith("year") else n / 12
        return "relative", ctx.year_context[0] + step, True, None
    if name in ("bare_month", "bare_season"):
        if _FUTURE.search(text):
            return "month", None, True, None  # "a course that starts in July": a plan, not an event
        mo = _month(g.get("m")) if name == "bare_month" else _season(g.get("s"))
        if mo is None:
            return None
        if ctx.year_context is not None:
            cy, cm = ctx.year_context
            base = math.floor(cy)
            if cm is not None and mo < cm and (now is None or base + 1 + (mo - 1) / 12 <= now):
                base += 1  # "sent down in 2021, the summer ... out in the January": January 2022
            return "month", base + (mo - 1) / 12, True, mo
        if name == "bare_month":
            return "month", _most_recent(mo, ctx, strictly_before=False), True, mo
        return "month", _season_last(mo, _feast(g["s"]), ctx), True, mo
    if now is None:  # everything below needs the interview date
        return None
    if name in ("ago", "last_n"):
        n = _num(g["n"])
        if n is None:
            return None
        n += 0.5 if g.get("half") or g.get("half2") else 0.0
        unit = g["unit"].lower().rstrip("s")
        vague = bool(re.search(r"couple|few|several", g["n"], re.I)) or name == "last_n"
        if unit == "year":
            return "relative", (Y - n if n == int(n) and name == "ago" else now - n), vague, None
        return "relative", now - n / 12 if unit == "month" else now, vague, None
    if name == "year_before_last":
        return "relative", float(Y - 2), False, None
    if name == "recent":
        return "relative", now, False, None
    rel = g["rel"].lower()
    if name == "rel_year":
        if g.get("the") or rel == "past":  # "the last year", "the past year": the twelve months to the interview
            return "relative", now - 0.5, True, None
        return "relative", float(Y - 1 if rel == "last" else Y), False, None
    mo, feast = _month(g.get("m")), _feast(g.get("s"))
    if g.get("m") and mo is None:
        return None
    se = _season(feast) if feast else None
    if name in ("when_rel_year", "rel_year_when"):  # "January last year", "last year, the spring"
        base = Y - 1 if rel == "last" else Y
        if mo:
            return "relative", base + (mo - 1) / 12, False, mo
        return "relative", base + ((se or 7) - 1) / 12, feast not in _PRECISE_FEASTS, se
    # rel_when: "last September", "last Christmas", "this summer"
    if rel == "this":
        return "relative", Y + ((mo or se or 7) - 1) / 12, not mo and feast not in _PRECISE_FEASTS, mo or se
    if mo:
        return "relative", _most_recent(mo, ctx, strictly_before=True), False, mo
    return "relative", _season_last(se, feast, ctx), feast not in _PRECISE_FEASTS, se


_LIFE_STAGES = {"a baby": (0, 1), "a newborn": (0, 0), "tiny": (0, 3), "a toddler": (1, 3), "a teenager": (13, 19),
                "a teen": (13, 19)}


def _resolve_age(name: str, m: re.Match, text: str, tokens, ctx: _Context) -> _Resolved | None:
    """"when I was fifteen", "at 16", "aged 12", "Alfie was only four", "when he was a baby"."""
    g = m.groupdict()
    life = re.sub(r"\s+", " ", (g.get("life") or "").lower())
    if life:
        lo, hi = _LIFE_STAGES.get(life, (2, 8))
    else:
        n = _num(g.get("n"))
        if n is None or n > 99 or _NOT_AGE.match(text[m.end():]):
            return None
        unit = (g.get("unit") or "").lower()
        if unit.startswith(("month", "week")):
            if (g.get("subj") or "").lower() == "i":
                return None  # "when I was six months gone": a pregnancy, not an age
            n = n / 12 if unit.startswith("month") else 0.0
        lo = hi = n
        if g.get("n2"):  # "when he was six, seven"
            n2 = _num(g["n2"])
            if n2 is None or not 0 < n2 - n <= 3:
                return None
            hi = n2
    if name == "age_at":
        if g["pre"].lower() == "at" and not g.get("old") and not 13 <= lo <= 25:
            return None  # "at six in the morning"
        subj = _clause_subject(tokens, m.start(), ctx.names)
    else:
        subj = g.get("subj")
        if subj.lower() in _NOT_NAME:
            return None
        if name == "age_was" and m.start() == 0 and subj.lower() not in ("i", "he", "she") \
                and subj not in ctx.names and subj != "[name]":
            return None  # a capitalised sentence opener that is no name
    people = _people(subj, ctx, children_only=False)
    return "age", _years_at_age(people, lo, hi, ctx) if people else None, True, None


def _resolve_school(m: re.Match, text: str, tokens, ctx: _Context) -> _Resolved | None:
    """"Year 9", "Year 5, Year 6", "reception", "nursery", "primary", "secondary", "big school"."""
    g = m.groupdict()
    after = text[m.end():]
    stage = re.sub(r"\s+", " ", (g.get("stage") or "").lower())
    if stage == "reception" and (re.match(r"\s*(?:desk|area|room|staff)", after, re.I)
                                 or not (g.get("prep") or g.get("subj"))):
        return None  # the reception desk
    if stage in ("primary", "secondary") and not re.match(r"\s+school", after, re.I) \
            and (g.get("the") or not (g.get("prep") or g.get("subj"))):
        return None  # "a dinner lady at the primary" is a place; "secondary progressive" is no school
    if stage:
        lo, hi = _STAGE_AGES[stage]
    else:
        if re.match(r"\s*-?\s*olds?\b", after, re.I):
            return None  # "year 10 olds"
        lo = hi = _num(g["sy"]) + 5
        if g.get("sy2"):
            hi = _num(g["sy2"]) + 5
            if not 0 < hi - lo <= 3:
                return None
    subj = g.get("subj")
    if subj:
        if subj.lower() in _NOT_NAME:
            return None
        people = _people(subj, ctx, children_only=subj.lower() != "i")
    else:
        subj = _clause_subject(tokens, m.start(), ctx.names)
        if subj == "I" and ctx.speaker and not all(_is_child(p) for p in ctx.speaker):
            subj = None  # a parent's "in Year 9" is about a child
        people = _people(subj, ctx, children_only=True)
    return "school", _years_at_age(people, lo, hi, ctx, slack=1.0) if people else None, True, None


def _resolve(name: str, m: re.Match, text: str, tokens, ctx: _Context) -> _Resolved | None:
    """(kind, year, approximate, month) of one match, or None when the match is not a time expression."""
    if name in ("correction", "year_range", "month_year", "part_year", "year_month", "year", "decade"):
        return _resolve_calendar(name, m.groupdict(), ctx)
    if name in ("age_when", "age_was", "age_at"):
        return _resolve_age(name, m, text, tokens, ctx)
    if name == "school":
        return _resolve_school(m, text, tokens, ctx)
    return _resolve_relative(name, m.groupdict(), text, ctx)


def find_time_expressions(
    text: str,
    *,
    interview_date: dt.date | str | None,
    household: Sequence[Member] = (),
    speaker: str | None = None,
    names: Mapping[str, str] | None = None,
    year_context: tuple[float, int | None] | None = None,
) -> list[TimeExpr]:
    """Every time expression in ``text``, resolved (see the module docstring for the rules).

    ``speaker`` is the speaker's relation ("mother"), ``names`` maps first
    names to relations, ``year_context`` is ``(year, month)`` of the latest
    explicit date earlier in the same turn (for bare months).  Overlapping
    matches keep the longest.  A ``year`` of None means the expression was
    found but cannot be placed (e.g. "when he was six" with two sons old
    enough).

    Examples
    --------
    >>> [(e.text, e.year, e.approximate) for e in find_time_expressions(
    ...     "He broke my wrist once, that was 2018.", interview_date="2024-03-12")]
    [('2018', 2018.0, False)]
    >>> [(e.text, e.year) for e in find_time_expressions("We got evicted last year.", interview_date="2024-03-12")]
    [('last year', 2023.0)]
    """
    ctx = _Context(
        interview=_as_date(interview_date),
        household=tuple(household),
        speaker=tuple(m for m in household if speaker and m.relation == speaker.lower()),
        names=dict(names or {}),
        year_context=year_context,
    )
    return _find(text, ctx)


def _find(text: str, ctx: _Context) -> list[TimeExpr]:
    cands: list[tuple[int, int, int, str, re.Match]] = []
    for name, rx in _PATTERNS:
        for m in rx.finditer(text):
            if m.end() > m.start():
                cands.append((m.start(), m.end(), _PRIORITY[name], name, m))
    if not cands:
        return []
    # longest first, then pattern priority, then position: greedy non-overlapping choice.
    # Bare months and seasons go second, so that a year in the same sentence can date them.
    cands.sort(key=lambda c: (c[3] in _BARE, -(c[1] - c[0]), c[2], c[0]))
    tokens = _tokens(text)
    taken: list[tuple[int, int]] = []
    out: list[TimeExpr] = []
    for start, end, _, name, m in cands:
        if any(start < b and a < end for a, b in taken):
            continue
        local = ctx
        if name in _BARE:
            dated = [e for e in out if e.year is not None and e.kind != "decade"]
            if dated:
                near = min(dated, key=lambda e: max(0, e.start - end, start - e.end))
                local = replace(ctx, year_context=(near.year, near.month))
        res = _resolve(name, m, text, tokens, local)
        if res is None:
            continue
        kind, year, approx, month = res
        if year is not None and ctx.year is not None and year >= ctx.year + 1:
            year = None  # after the interview: a misreading, not a date
        taken.append((start, end))
        out.append(TimeExpr(start, end, text[start:end].strip(), kind, None if year is None else round(year, 4),
                            bool(approx), month))
    out.sort(key=lambda e: e.start)
    return out


def _pick(exprs: Sequence[TimeExpr], near: Sequence[tuple[int, int]] | None) -> TimeExpr | None:
    dated = [e for e in exprs if e.year is not None]
    if not dated:
        return None
    if near:
        def dist(e: TimeExpr) -> int:
            return min(max(0, a - e.end, e.start - b) for a, b in near)
        return min(dated, key=lambda e: (dist(e), e.start))
    # exact dates first, then approximate ones, and last a month whose year is only a guess
    return min(dated, key=lambda e: (e.approximate, e.kind == "month", e.start))


def extract_events(
    units: pd.DataFrame,
    *,
    interview_date: dt.date | str | None,
    household: Sequence[Member] = (),
    code_domains: Mapping[str, str],
    code_names: Mapping[str, str],
    speaker_relations: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    case: str | None = None,
    inherit: int = 1,
) -> list[Event]:
    """One family's life-grid events, one per (unit, code) in narrative order.

    Parameters
    ----------
    units : DataFrame
        The family's coding units in narrative order: unit_id, document, turn,
        text, label and ``codes`` (a list of code ids; may be empty).  Pass all
        the units, coded or not: uncoded ones still date the next sentence of
        the turn.  An optional ``case`` column names the family; an optional
        ``code_spans`` column ({code: [(start, end), ...]} in the unit's text)
        lets the time expression nearest the code win.
    interview_date : date, ISO string or None
        Relative expressions ("last year") need it; without it they stay undated.
    household : sequence of Member
        From ``cases.csv``; ages date "when I was fifteen", "in Year 9".
    code_domains : {code: domain}
        Codes not in it make no events (see :func:`code_domains_for`).
    code_names : {code: name}
        For the labels (:func:`short_label`).
    speaker_relations : {speaker label: relation}, optional
        Who "I" is.
    names : {first name: relation}, optional
        The transcript roster, so "when Kyle was six" finds Kyle's age.
    case : str, optional
        The case id for event ids; else the ``case`` column, else the document.
    inherit : int
        How many earlier units of the same turn an undated unit may look back
        for a unit with a date of its own (1: only the previous unit; 0: none).

    Returns
    -------
    list of Event, in the order of ``units`` (and of codes within a unit).
    """
    bad = sorted({d for d in code_domains.values() if d not in DOMAINS})
    if bad:
        raise InputError(f"unknown timeline domain '{bad[0]}'; use one of: {', '.join(DOMAINS)}")
    interview = _as_date(interview_date)
    household = tuple(household)
    relations = {k: (v or "").lower() for k, v in (speaker_relations or {}).items()}
    speakers: dict[str, tuple[Member, ...]] = {}
    rows = list(units.itertuples(index=False))
    keys = [(r.document, r.turn) for r in rows]
    # pass 1: the time expressions of every unit; a turn's latest explicit date dates its bare months
    found: list[list[TimeExpr]] = []
    turn_year: dict[tuple[Any, Any], tuple[float, int | None]] = {}
    for row, key in zip(rows, keys):
        label = getattr(row, "label", None)
        if label not in speakers:
            rel = relations.get(label)
            speakers[label] = tuple(m for m in household if rel and m.relation == rel)
        ctx = _Context(interview, household, speakers[label], dict(names or {}), turn_year.get(key))
        exprs = _find(str(row.text or ""), ctx)
        for e in exprs:
            if e.year is not None and e.kind in ("year", "relative", "decade"):
                turn_year[key] = (e.year, e.month)
        found.append(exprs)
    # a year said on its own straight after a bare month completes it: "sent down in the May. 2021."
    for i in range(len(rows) - 1):
        frag = _year_fragment(str(rows[i + 1].text or ""), found[i + 1])
        if frag is None or keys[i] != keys[i + 1]:
            continue
        found[i] = [replace(e, kind="year", year=round(math.floor(frag.year) + (e.month - 1) / 12, 4),
                            approximate=frag.approximate, text=f"{e.text} … {frag.text}")
                    if e.kind == "month" and e.month else e for e in found[i]]
    # pass 2: one event per (unit, code)
    events: list[Event] = []
    prev_own: dict[tuple[Any, Any], list[TimeExpr | None]] = {}
    has_case = "case" in units.columns
    has_spans = "code_spans" in units.columns
    for order, (row, key, exprs) in enumerate(zip(rows, keys, found)):
        text = str(row.text or "")
        codes = [c for c in _code_list(row.codes) if c in code_domains]
        own_any = _pick(exprs, None)
        earlier = prev_own.get(key, [])[-inherit:] if inherit > 0 else []
        inherited = next((x for x in reversed(earlier) if x is not None), None)
        for code in dict.fromkeys(codes):
            near = row.code_spans.get(code) if has_spans and isinstance(row.code_spans, Mapping) else None
            chosen = _pick(exprs, near) if near else own_any
            year, approx, anchor = None, False, None
            if chosen is not None:
                year, approx, anchor = chosen.year, chosen.approximate, chosen.text
            elif exprs:
                anchor, approx = exprs[0].text, True  # found, but it cannot be placed
            elif inherited is not None:
                year, approx, anchor = inherited.year, True, inherited.text
            fam = case or (str(row.case) if has_case and _present(row.case) else None) or str(row.document)
            events.append(Event(
                id=f"{fam}:{row.unit_id}:{code}",
                domain=code_domains[code],
                label=short_label(code, code_names.get(code), text),
                code=code,
                year=None if year is None else round(float(year), 2),
                approximate=bool(approx),
                anchor=anchor,
                order=order,
                quote=text,
            ))
        prev_own.setdefault(key, []).append(own_any)
    return events


def _present(value: Any) -> bool:
    try:
        return value is not None and not bool(pd.isna(value)) and value != ""
    except (TypeError, ValueError):  # a list or array is present
        return True


def _code_list(value: Any) -> list[str]:
    """A unit's ``codes`` cell (list, tuple, set, array, one id or nothing) as a list of ids."""
    if isinstance(value, str):
        return [value] if value else []
    if not _present(value):
        return []
    return [str(c) for c in value]


def _year_fragment(text: str, exprs: Sequence[TimeExpr]) -> TimeExpr | None:
    """The year of a unit that is nothing but a year ("2021."), else None."""
    if len(exprs) == 1 and exprs[0].kind == "year" and exprs[0].year is not None:
        rest = text.replace(exprs[0].text, "", 1)
        if not re.search(r"\w", rest):
            return exprs[0]
    return None


def collapse_events(events: Iterable[Event]) -> list[Event]:
    """Merge events of the same code in the same calendar year (or both undated) into one.

    The first mention keeps its id, quote, anchor and order; ``mentions``
    counts the merged events, and an exact date among them replaces an
    approximate one.  Events without a code are never merged.

    Examples
    --------
    >>> a = Event("F:u1:debt", "Money and work", "Debt", "debt", 2019.0, True, "2019, 2020", 3, "q1")
    >>> b = Event("F:u7:debt", "Money and work", "Debt", "debt", 2019.5, False, "in 2019", 9, "q2")
    >>> [(e.id, e.year, e.approximate, e.mentions) for e in collapse_events([a, b])]
    [('F:u1:debt', 2019.5, False, 2)]
    """
    out: list[Event] = []
    index: dict[tuple[str, int | None], int] = {}
    for e in events:
        if e.code is None:
            out.append(e)
            continue
        key = (e.code, None if e.year is None else math.floor(e.year))
        if key not in index:
            index[key] = len(out)
            out.append(e)
            continue
        first = out[index[key]]
        merged = replace(first, mentions=first.mentions + e.mentions)
        if first.approximate and not e.approximate and e.year is not None:
            merged = replace(merged, year=e.year, approximate=False)
        out[index[key]] = merged
    return out


# ---------------------------------------------------------------------------- events.csv

EVENTS_COLUMNS = ("case", "id", "year", "domain", "label", "code", "quote", "remove", "approximate")
_YES = {"yes", "true", "y", "1", "x"}
_NO = {"no", "false", "n", "0", ""}


def _domain(value: str) -> str | None:
    v = value.strip()
    for d in DOMAINS:
        if v.lower() == d.lower():
            return d
    return DOMAIN_ALIASES.get(v.lower())


def read_events_csv(path: str | Path, *, cases: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a researcher's ``events.csv`` (see the module docstring), validated.

    Returns one row per CSV row with columns case, id, year (float or None),
    domain (a full :data:`DOMAINS` name or None), label, code, quote (str or
    None), remove (bool), approximate (bool or None) and line (the CSV line).

    Raises
    ------
    InputError
        Naming the file and line: unknown column, empty or unknown case,
        unknown domain, non-numeric year, a bad yes/no cell, or a new event
        (no ``id``) without domain or label/code.
    """
    from .ingest import decode_bytes

    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise InputError("no such events file", path=shown)
    text, _ = decode_bytes(path.read_bytes(), shown)
    reader = csv.DictReader(io.StringIO(text))
    header = [(f or "").strip().lower() for f in (reader.fieldnames or [])]
    if "case" not in header:
        raise InputError(f"no 'case' column; the first row must name the columns: {','.join(EVENTS_COLUMNS[:-1])}",
                         path=shown, line=1)
    unknown = [h for h in header if h not in EVENTS_COLUMNS]
    if unknown:
        raise InputError(f"unknown column '{unknown[0]}'; columns are {', '.join(EVENTS_COLUMNS)}", path=shown, line=1)
    known = set(cases) if cases is not None else None
    rows = []
    for raw in reader:
        line = reader.line_num
        r = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(r.values()):
            continue
        case = r.get("case", "")
        if not case:
            raise InputError("empty 'case'; every row names its family, e.g. TF01", path=shown, line=line)
        if known is not None and case not in known:
            raise InputError(f"unknown case '{case}'; known cases: {', '.join(sorted(known))}", path=shown, line=line)
        year = None
        if r.get("year"):
            try:
                year = float(r["year"])
            except ValueError:
                year = None
            if year is None or not math.isfinite(year) or not 1900 <= year <= 2100:
                raise InputError(f"year '{r['year']}' is not a year; write a number such as 2019 or 2019.5 "
                                 "(and yes in 'approximate' if it is a guess)", path=shown, line=line)
        domain = None
        if r.get("domain"):
            domain = _domain(r["domain"])
            if domain is None:
                raise InputError(f"unknown domain '{r['domain']}'; use one of: {', '.join(DOMAINS)}",
                                 path=shown, line=line)
        flags = {}
        for col in ("remove", "approximate"):
            v = r.get(col, "").lower()
            if v not in _YES | _NO:
                raise InputError(f"'{col}' is '{r[col]}'; write yes or no", path=shown, line=line)
            flags[col] = v in _YES if v else None
        eid = r.get("id") or None
        if eid is None:
            if flags["remove"]:
                raise InputError("'remove' needs the 'id' of the event to remove", path=shown, line=line)
            if domain is None or not (r.get("label") or r.get("code")):
                raise InputError("a new event (no 'id') needs a 'domain' and a 'label' or 'code'", path=shown, line=line)
        elif not eid.startswith(case + ":"):
            raise InputError(f"id '{eid}' does not belong to case '{case}' (ids start with the case, e.g. '{case}:')",
                             path=shown, line=line)
        rows.append({"case": case, "id": eid, "year": year, "domain": domain,
                     "label": r.get("label") or None, "code": r.get("code") or None, "quote": r.get("quote") or None,
                     "remove": bool(flags["remove"]), "approximate": flags["approximate"], "line": line})
    df = pd.DataFrame(rows, columns=[*EVENTS_COLUMNS, "line"]).astype(object)
    df = df.where(pd.notna(df), None)
    df.attrs["path"] = shown
    return df


def apply_overrides(
    events: Sequence[Event],
    overrides: pd.DataFrame | None,
    case: str,
    *,
    code_names: Mapping[str, str] | None = None,
) -> list[Event]:
    """Apply the ``events.csv`` rows of ``case`` to that family's automatic events.

    Rows with an ``id`` replace the matching event's fields with their
    non-empty cells (or drop it when ``remove``); rows without one add events
    with source "events.csv", id ``{case}:events.csv:{line}`` and an order
    after every automatic event.  Apply overrides before
    :func:`collapse_events` so every automatic id can be addressed.

    Raises
    ------
    InputError
        When a row's ``id`` matches none of the family's events (the
        transcript or codes changed): the message names the file and line.
    """
    if overrides is None or len(overrides) == 0:
        return list(events)
    shown = overrides.attrs.get("path", "events.csv")
    rows = overrides[overrides["case"] == case]
    by_id = {e.id: i for i, e in enumerate(events)}
    out: list[Event | None] = list(events)
    added: list[Event] = []
    base = max((e.order for e in events), default=-1) + 1
    for r in rows.to_dict("records"):
        line = int(r["line"]) if r.get("line") is not None else None
        if r.get("id"):
            i = by_id.get(r["id"])
            if i is None:
                raise InputError(f"no event with id '{r['id']}' in case {case}; the transcript or its codes may "
                                 "have changed: copy the id from the current timeline, or leave 'id' empty to "
                                 "add the event", path=shown, line=line)
            if r.get("remove"):
                out[i] = None
                continue
            e = out[i]
            if e is None:
                continue
            changes: dict[str, Any] = {k: r[k] for k in ("domain", "label", "code", "quote") if r.get(k)}
            if r.get("year") is not None:
                changes["year"] = float(r["year"])
                changes["approximate"] = bool(r.get("approximate"))
            elif r.get("approximate") is not None:
                changes["approximate"] = bool(r["approximate"])
            if r.get("code") and not r.get("label"):
                changes["label"] = short_label(r["code"], (code_names or {}).get(r["code"]), e.quote)
            out[i] = replace(e, **changes)
        else:
            code = r.get("code")
            label = r.get("label") or short_label(code, (code_names or {}).get(code), r.get("quote") or "")
            added.append(Event(
                id=f"{case}:events.csv:{line}", domain=r["domain"], label=label, code=code,
                year=None if r.get("year") is None else float(r["year"]),
                approximate=bool(r.get("approximate")), anchor=None, order=base + (line or 0),
                quote=r.get("quote") or "", source="events.csv",
            ))
    return [e for e in out if e is not None] + added


# ---------------------------------------------------------------------------- the contract's dict


def timeline_dict(events: Iterable[Event], interview_date: dt.date | str | None, *, collapse: bool = True,
                  min_span: int = 10) -> dict[str, Any]:
    """The report contract's ``families[].timeline`` dict.

    Events are collapsed (:func:`collapse_events`) unless ``collapse`` is
    False, then sorted by (year, undated last; narrative order).  The axis
    runs from ``start_year`` = the earliest event's year − 1, or ``min_span``
    years before the interview if that is earlier (so sparse families are
    drawn on a comparable span), to ``end_year`` = the interview year (or the
    latest event's calendar year if later).  An event at 2024.5 lies inside
    year 2024, so a figure should draw the axis to the end of ``end_year``.
    With no interview date and no dated events both ends are None.

    Examples
    --------
    >>> e = Event("F:u1:debt", "Money and work", "Debt", "debt", 2011.5, True, "when I was 19", 0, "...")
    >>> d = timeline_dict([e], "2024-03-12")
    >>> d["start_year"], d["end_year"], d["interview_year"], d["events"][0]["year"]
    (2010, 2024, 2024, 2011.5)
    """
    interview = _as_date(interview_date)
    evs = collapse_events(events) if collapse else list(events)
    evs.sort(key=lambda e: (e.year is None, e.year if e.year is not None else 0.0, e.order, e.id))
    years = [e.year for e in evs if e.year is not None]
    iy = interview.year if interview else None
    start = end = None
    if years:
        start = math.floor(min(years)) - 1
        end = math.floor(max(years))
    if iy is not None:
        start = min(start, iy - min_span) if start is not None else iy - min_span
        end = max(end or iy, iy)
    return {
        "domains": list(DOMAINS),
        "start_year": start,
        "end_year": end,
        "interview_year": iy,
        "events": [e.to_dict() for e in evs],
    }
