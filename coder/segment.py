"""Sentence segmentation and lemmas with spaCy, cached once per process.

The default pipeline is ``spacy.blank("en")`` with the rule-based sentencizer
and the lookup lemmatizer (tables from ``spacy-lookups-data``): it needs no
download, is fast, and gives the lemmas the keyword matcher works on.  A
trained pipeline name (``en_core_web_sm`` …) may be given where one is
installed; it is used as is, with a sentencizer added if it has no parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from .errors import CoderError

__all__ = ["DEFAULT_MODEL", "get_nlp", "Sentence", "split_sentences"]

DEFAULT_MODEL = "blank:en"


@lru_cache(maxsize=4)
def get_nlp(model: str = DEFAULT_MODEL):
    """The spaCy pipeline for ``model`` (``blank:en`` or an installed pipeline name)."""
    import spacy

    if model.startswith("blank:"):
        nlp = spacy.blank(model.split(":", 1)[1])
        nlp.add_pipe("sentencizer")
        try:
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
        except Exception as exc:  # missing lookups tables
            raise CoderError(
                f"cannot load the lookup lemmatizer ({exc}); install spacy-lookups-data"
            ) from None
        return nlp
    try:
        nlp = spacy.load(model)
    except OSError:
        raise CoderError(
            f"spaCy pipeline '{model}' is not installed; install it or use the default '{DEFAULT_MODEL}'"
        ) from None
    if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
        nlp.add_pipe("sentencizer")
    return nlp


@dataclass(frozen=True)
class Sentence:
    """A sentence of one turn, ``[start, end)`` in the document's plain text."""

    turn_index: int
    index: int
    start: int
    end: int


def split_sentences(
    text: str,
    spans: Sequence[tuple[int, int, int]],
    *,
    model: str = DEFAULT_MODEL,
    batch_size: int = 256,
) -> list[Sentence]:
    """Split each ``(turn_index, start, end)`` span of ``text`` into sentences.

    Offsets are exact code points into ``text``; leading and trailing
    whitespace is trimmed from every sentence, and empty sentences are dropped.

    Examples
    --------
    >>> text = "INT: Hi.\\n\\nDEB: We got evicted. Then it all went wrong."
    >>> [text[s.start:s.end] for s in split_sentences(text, [(1, 15, len(text))])]
    ['We got evicted.', 'Then it all went wrong.']
    """
    nlp = get_nlp(model)
    out: list[Sentence] = []
    with nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in ("sentencizer", "senter", "parser")]):
        docs = nlp.pipe(((text[s:e], (ti, s)) for ti, s, e in spans), as_tuples=True, batch_size=batch_size)
        for doc, (turn_index, base) in docs:
            k = 0
            for sent in doc.sents:
                a, b = _trim(doc.text, sent.start_char, sent.end_char)
                if a < b:
                    out.append(Sentence(turn_index, k, base + a, base + b))
                    k += 1
    return out


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
