"""Codebooks: YAML in (SPEC §2), validated, as plain frozen dataclasses out.

Validation is strict because a codebook is the instrument of the study: an
unknown key is far more often a typo (``keyword:``) than an extension, and a
misspelt token attribute (``LEMA``) silently matches nothing.  Every message
names the file, the line and the key path, e.g.::

    codebook.yaml:42: codes[3].patterns[0]: unknown token attribute 'LEMA'
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import CodebookError

__all__ = [
    "Code",
    "Codebook",
    "KINDS",
    "load_codebook",
    "parse_codebook",
    "text_hash",
]

KINDS = ("problem", "service", "support", "outcome", "context", "event", "other")
UNITS = ("sentence", "turn")
ROLES = ("interviewer", "participant", "other")
HYPOTHETICAL_POLICIES = ("low", "skip", "code")

TOP_KEYS = {
    "codebook", "title", "version", "description", "unit", "code_speakers", "codes",
    "semantic_threshold", "hypotheticals", "language",
}
CODE_KEYS = {
    "id", "name", "kind", "color", "definition", "include", "exclude", "examples",
    "keywords", "patterns", "codes", "parent", "threshold", "hypothetical", "memo",
}
TOKEN_ATTRS = {
    "ORTH", "TEXT", "LOWER", "POS", "TAG", "MORPH", "DEP", "LEMMA", "SHAPE", "ENT_TYPE",
    "ENT_IOB", "ENT_ID", "ENT_KB_ID", "NORM", "LENGTH", "SPACY", "IS_ALPHA", "IS_ASCII",
    "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT", "IS_SPACE", "IS_BRACKET",
    "IS_QUOTE", "IS_LEFT_PUNCT", "IS_RIGHT_PUNCT", "IS_CURRENCY", "IS_STOP", "IS_SENT_START",
    "SENT_START", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL", "OP", "_",
}
NEEDS_TRAINED = {"POS", "TAG", "MORPH", "DEP", "ENT_TYPE", "ENT_IOB", "ENT_ID", "ENT_KB_ID"}
ID_RE = re.compile(r"^[a-z0-9_]+$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 20x faster, same marks
COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class Code:
    """One code of a codebook; ``parent`` is the id of the enclosing code, if any."""

    id: str
    name: str
    kind: str = "other"
    color: str | None = None
    definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    patterns: tuple[Any, ...] = ()
    parent: str | None = None
    threshold: float | None = None
    hypothetical: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the code (lists, not tuples)."""
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "color": self.color,
            "definition": self.definition, "include": list(self.include), "exclude": list(self.exclude),
            "examples": list(self.examples), "keywords": list(self.keywords), "patterns": list(self.patterns),
            "parent": self.parent, "threshold": self.threshold, "hypothetical": self.hypothetical,
        }

    @property
    def has_rules(self) -> bool:
        return bool(self.keywords or self.patterns)


@dataclass(frozen=True)
class Codebook:
    """A validated codebook.  ``codes`` is flat, in tree (pre-)order."""

    id: str
    title: str
    version: str
    description: str
    unit: str
    code_speakers: tuple[str, ...]
    codes: tuple[Code, ...]
    yaml_text: str
    source: str = "<string>"
    semantic_threshold: float | None = None
    hypotheticals: str = "low"
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def hash(self) -> str:
        return text_hash(self.yaml_text)

    def code(self, code_id: str) -> Code:
        for c in self.codes:
            if c.id == code_id:
                return c
        raise KeyError(code_id)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def children(self, code_id: str | None) -> list[Code]:
        return [c for c in self.codes if c.parent == code_id]

    def descendants(self, code_id: str) -> list[str]:
        out: list[str] = []
        stack = [code_id]
        while stack:
            cur = stack.pop()
            for c in self.children(cur):
                out.append(c.id)
                stack.append(c.id)
        return out

    def to_frame(self):
        """The codes as a pandas DataFrame (one row per code)."""
        import pandas as pd

        rows = [c.as_dict() for c in self.codes]
        return pd.DataFrame(rows, columns=list(Code("x", "x").as_dict().keys()))


def text_hash(text: str) -> str:
    """SHA-256 of text with normalised line endings."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def load_codebook(path: str | Path, *, display: str | None = None) -> Codebook:
    """Read and validate a codebook YAML file.

    Raises :class:`CodebookError` naming the file, line and key at fault.
    """
    path = Path(path)
    shown = display or str(path)
    if not path.is_file():
        raise CodebookError("no such codebook file", path=shown)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CodebookError("codebook is not UTF-8 text; save it as UTF-8", path=shown) from None
    return parse_codebook(text, source=shown, default_id=path.stem)


# --------------------------------------------------------------------------- YAML with lines


class _Located:
    """Python value built from YAML nodes, remembering every key path's line."""

    def __init__(self, source: str):
        self.source = source
        self.lines: dict[str, int] = {}

    def build(self, node: yaml.Node, loader: yaml.SafeLoader, path: str) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                key = str(key)
                sub = f"{path}.{key}" if path else key
                if key in out:
                    raise CodebookError(f"{sub}: duplicate key", path=self.source, line=key_node.start_mark.line + 1)
                self.lines[sub] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, loader, sub)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, loader, f"{path}[{i}]") for i, item in enumerate(node.value)]
        return loader.construct_object(node, deep=True)

    def line(self, path: str) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
        return self.lines.get("", 1)

    def error(self, path: str, message: str) -> CodebookError:
        return CodebookError(f"{path}: {message}" if path else message, path=self.source, line=self.line(path))


def parse_codebook(text: str, *, source: str = "<string>", default_id: str = "codebook") -> Codebook:
    """Validate codebook YAML text and return a :class:`Codebook`.

    Examples
    --------
    >>> cb = parse_codebook('''
    ... codebook: tiny
    ... codes:
    ...   - id: debt
    ...     name: Debt
    ...     kind: problem
    ...     keywords: [arrears, bailiffs]
    ... ''')
    >>> cb.ids, cb.unit, cb.code_speakers
    (['debt'], 'sentence', ('participant',))
    """
    text = text.replace("\r\n", "\n")
    loc = _Located(source)
    try:
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise CodebookError("codebook is empty; it needs at least a 'codes:' list", path=source, line=1)
            data = loc.build(node, loader, "")
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CodebookError(f"invalid YAML: {problem}", path=source, line=(mark.line + 1) if mark else None) from None
    if not isinstance(data, dict):
        raise CodebookError("codebook must be a YAML mapping with a 'codes:' list", path=source, line=1)

    for key in data:
        if key not in TOP_KEYS:
            raise loc.error(key, f"unknown key (allowed: {', '.join(sorted(TOP_KEYS))})")
    if "codes" not in data:
        raise CodebookError("no 'codes:' list; a codebook needs at least one code", path=source, line=1)
    if not isinstance(data["codes"], list) or not data["codes"]:
        raise loc.error("codes", "must be a non-empty list of codes")

    unit = str(data.get("unit", "sentence"))
    if unit not in UNITS:
        raise loc.error("unit", f"'{unit}' is not one of {', '.join(UNITS)}")
    speakers = data.get("code_speakers", ["participant"])
    if isinstance(speakers, str):
        speakers = [speakers]
    if not isinstance(speakers, list) or not speakers:
        raise loc.error("code_speakers", "must be a list of roles, e.g. [participant]")
    for i, role in enumerate(speakers):
        if role not in ROLES:
            raise loc.error(f"code_speakers[{i}]", f"'{role}' is not one of {', '.join(ROLES)}")
    threshold = _opt_unit_float(data.get("semantic_threshold"), loc, "semantic_threshold")
    hypotheticals = str(data.get("hypotheticals", "low"))
    if hypotheticals not in HYPOTHETICAL_POLICIES:
        raise loc.error("hypotheticals", f"'{hypotheticals}' is not one of {', '.join(HYPOTHETICAL_POLICIES)}")

    codes: list[Code] = []
    first_seen: dict[str, int | None] = {}
    first_seen_paths: dict[str, str] = {}
    warnings: list[str] = []
    _walk_codes(data["codes"], "codes", None, loc, codes, first_seen, warnings, first_seen_paths)

    by_id = {c.id: c for c in codes}
    for c in codes:
        if c.parent is not None and c.parent not in by_id:
            raise CodebookError(
                f"code '{c.id}': parent '{c.parent}' is not a code in this codebook", path=source, line=c.line
            )
    _check_cycles(codes, source)
    _check_patterns(codes, first_seen_paths, loc)

    return Codebook(
        id=str(data.get("codebook") or default_id),
        title=str(data.get("title") or data.get("codebook") or default_id),
        version=str(data.get("version", "1")),
        description=str(data.get("description") or ""),
        unit=unit,
        code_speakers=tuple(speakers),
        codes=tuple(codes),
        yaml_text=text,
        source=source,
        semantic_threshold=threshold,
        hypotheticals=hypotheticals,
        warnings=tuple(warnings),
    )


def _opt_unit_float(value: Any, loc: _Located, path: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise loc.error(path, f"must be a number between 0 and 1, not {value!r}")
    return float(value)


def _str_list(value: Any, loc: _Located, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise loc.error(path, "must be a list of strings")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, (str, int, float)) or isinstance(item, bool) or not str(item).strip():
            raise loc.error(f"{path}[{i}]", "must be a non-empty string")
        out.append(str(item).strip())
    return tuple(out)


def _walk_codes(items, path, parent, loc, codes, first_seen, warnings, paths):
    if not isinstance(items, list):
        raise loc.error(path, "must be a list of codes")
    for i, raw in enumerate(items):
        p = f"{path}[{i}]"
        if not isinstance(raw, dict):
            raise loc.error(p, "each code must be a mapping with at least 'id' and 'name'")
        for key in raw:
            if key not in CODE_KEYS:
                raise loc.error(f"{p}.{key}", f"unknown key (allowed: {', '.join(sorted(CODE_KEYS))})")
        code_id = raw.get("id")
        if code_id is None:
            raise loc.error(p, "missing 'id'")
        code_id = str(code_id)
        if not ID_RE.match(code_id):
            raise loc.error(f"{p}.id", f"'{code_id}' must use only a-z, 0-9 and _")
        if code_id in first_seen:
            raise loc.error(f"{p}.id", f"duplicate code id '{code_id}' (first defined at line {first_seen[code_id]})")
        first_seen[code_id] = loc.line(f"{p}.id")
        paths[code_id] = p
        if "name" not in raw or not str(raw["name"]).strip():
            raise loc.error(p, f"code '{code_id}' is missing 'name'")
        kind = str(raw.get("kind", "other"))
        if kind not in KINDS:
            raise loc.error(f"{p}.kind", f"'{kind}' is not one of {', '.join(KINDS)}")
        color = raw.get("color")
        if color is not None and not COLOR_RE.match(str(color)):
            raise loc.error(f"{p}.color", f"'{color}' is not a colour like \"#b03a2e\"")
        patterns = raw.get("patterns") or []
        if not isinstance(patterns, list):
            raise loc.error(f"{p}.patterns", "must be a list of token patterns")
        for j, pat in enumerate(patterns):
            _check_token_pattern(pat, loc, f"{p}.patterns[{j}]", warnings)
        hyp = raw.get("hypothetical")
        if hyp is not None and str(hyp) not in HYPOTHETICAL_POLICIES:
            raise loc.error(f"{p}.hypothetical", f"'{hyp}' is not one of {', '.join(HYPOTHETICAL_POLICIES)}")
        explicit_parent = raw.get("parent")
        if explicit_parent is not None and parent is not None and str(explicit_parent) != parent:
            raise loc.error(f"{p}.parent", f"'{explicit_parent}' contradicts the enclosing code '{parent}'")
        code = Code(
            id=code_id,
            name=str(raw["name"]).strip(),
            kind=kind,
            color=str(color) if color is not None else None,
            definition=str(raw.get("definition") or "").strip(),
            include=_str_list(raw.get("include"), loc, f"{p}.include"),
            exclude=_str_list(raw.get("exclude"), loc, f"{p}.exclude"),
            examples=_str_list(raw.get("examples"), loc, f"{p}.examples"),
            keywords=_str_list(raw.get("keywords"), loc, f"{p}.keywords"),
            patterns=tuple(patterns),
            parent=parent if parent is not None else (str(explicit_parent) if explicit_parent is not None else None),
            threshold=_opt_unit_float(raw.get("threshold"), loc, f"{p}.threshold"),
            hypothetical=str(hyp) if hyp is not None else None,
            line=loc.line(p),
        )
        codes.append(code)
        if "codes" in raw and raw["codes"]:
            _walk_codes(raw["codes"], f"{p}.codes", code_id, loc, codes, first_seen, warnings, paths)


def _check_token_pattern(pat: Any, loc: _Located, path: str, warnings: list[str]) -> None:
    if not isinstance(pat, list) or not pat:
        raise loc.error(path, "a token pattern must be a non-empty list of token specs like {LOWER: \"debt\"}")
    for k, tok in enumerate(pat):
        if not isinstance(tok, dict) or not tok:
            raise loc.error(f"{path}", f"token {k} must be a mapping like {{LEMMA: \"hit\"}}")
        for attr in tok:
            if str(attr).upper() not in TOKEN_ATTRS or str(attr) != str(attr).upper() and str(attr) != "_":
                raise loc.error(path, f"unknown token attribute '{attr}'")
            if attr in NEEDS_TRAINED:
                warnings.append(
                    f"{loc.source}:{loc.line(path)}: {path}: {attr} needs a trained pipeline; "
                    "with the default blank pipeline this pattern never matches (use LEMMA or LOWER, or --model)"
                )


def _check_patterns(codes: list[Code], paths: dict[str, str], loc: _Located) -> None:
    """Build one spaCy Matcher per pattern so malformed values are caught now, not mid-run."""
    if not any(c.patterns for c in codes):
        return
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    vocab = Vocab()
    for c in codes:
        for j, pat in enumerate(c.patterns):
            matcher = Matcher(vocab, validate=True)
            try:
                matcher.add(c.id, [pat])
            except Exception as exc:  # spaCy raises ValueError/MatchPatternError with long texts
                path = paths[c.id] + f".patterns[{j}]"
                first = _short_spacy_error(str(exc))
                raise loc.error(path, f"invalid token pattern: {first}") from None


def _short_spacy_error(message: str) -> str:
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    detail = [ln for ln in lines if ln.startswith("-") or "value is not" in ln or "extra fields" in ln.lower()]
    text = detail[0].lstrip("- ") if detail else (lines[0] if lines else "spaCy rejected it")
    return re.sub(r"^\[E\d+\]\s*", "", text)[:200]


def _check_cycles(codes: list[Code], source: str) -> None:
    parent = {c.id: c.parent for c in codes}
    for c in codes:
        seen = [c.id]
        cur = parent.get(c.id)
        while cur is not None:
            if cur in seen:
                chain = " -> ".join(seen + [cur])
                raise CodebookError(f"code '{c.id}': parent cycle {chain}; a code cannot be its own ancestor", path=source, line=c.line)
            seen.append(cur)
            cur = parent.get(cur)
