"""Read interview transcripts into plain text and speaker turns.

Every importer returns a :class:`ParsedTranscript`: the document's *plain
text* (the coordinate system of every coding, SPEC §1), its speaker turns with
exact ``[start, end)`` code-point offsets into that text, and its metadata.
This module only reads files; it never touches the project database.

Formats (SPEC §1): speaker-turn text with optional YAML front matter
(``.txt``/``.md``), Otter.ai / Zoom exports, Word ``.docx``, WebVTT ``.vtt`` and
SubRip ``.srt``.  Files that cannot carry front matter (Otter, VTT, SRT) may
have a *sidecar* ``<stem>.meta.yaml`` with the same keys.

Plain text rules
----------------
* ``text`` / ``otter``: the body exactly as written after the front matter,
  with line endings normalised to ``\\n``.
* ``docx``: the paragraphs joined with ``\\n`` (front-matter paragraphs removed).
* ``vtt`` / ``srt``: cue timings are not content, so the plain text is a
  normalised speaker-turn rendering, one ``[hh:mm:ss] LABEL: text`` block per
  cue.  Offsets refer to that rendering, which never changes afterwards.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from .errors import TranscriptError

__all__ = [
    "FORMATS",
    "INTERVIEWER_LABELS",
    "Speaker",
    "Turn",
    "ParsedTranscript",
    "read_transcript",
    "parse_text",
    "decode_bytes",
    "detect_format",
    "sidecar_path",
    "is_transcript_file",
]

FORMATS = ("auto", "text", "otter", "docx", "vtt", "srt")
ROLES = ("interviewer", "participant", "other")
INTERVIEWER_LABELS = frozenset(
    {"i", "int", "interviewer", "q", "researcher", "facilitator", "moderator", "interviewer 1", "interviewer 2"}
)
TRANSCRIPT_SUFFIXES = {".txt", ".md", ".docx", ".vtt", ".srt"}
KNOWN_META_KEYS = {"document", "case", "speakers", "attributes", "roster"}

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
_TURN_RE = re.compile(
    r"^(?:[\[(](?P<ts>" + _TS + r")[\])]\s*)?(?P<label>[A-Za-z][A-Za-z0-9'’._ -]{0,39}?)\s*:[ \t]+(?P<rest>\S.*)?$"
)
_TURN_EMPTY_RE = re.compile(r"^(?:[\[(](?P<ts>" + _TS + r")[\])]\s*)?(?P<label>[A-Za-z][A-Za-z0-9'’._ -]{0,39}?)\s*:\s*$")
_OTTER_RE = re.compile(r"^(?P<label>\S.*?) {2,}(?P<ts>\d{1,2}(?::\d{2}){1,2})\s*$")
# Hand-edited Otter exports also have "Name 21:04" (one space), "Name" alone, and "21:04" alone as turn headers.
_OTTER_LOOSE_RE = re.compile(r"^(?P<label>\S.*?)\s+(?P<ts>\d{1,2}(?::\d{2}){1,2})\s*$")
_TIMESTAMP_ONLY_RE = re.compile(r"^\s*(?P<ts>\d{1,2}(?::\d{2}){1,2})\s*$")
UNKNOWN_SPEAKER = "unknown speaker"
_SRT_HEAD_RE = re.compile(r"^\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->", re.M)


@dataclass(frozen=True)
class Speaker:
    """A speaker label declared in front matter (or inferred from the turns).

    ``name`` is a roster entry: it is stored so that reports can redact it, and
    it is never published.  Reports refer to speakers by ``pseudonym`` or role.
    """

    label: str
    role: str = "participant"
    relation: str | None = None
    name: str | None = None
    pseudonym: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Turn:
    """One speaker turn: the spoken text spans ``text[start:end]`` of the plain text."""

    index: int
    label: str
    role: str
    start: int
    end: int
    timestamp: float | None = None
    line: int | None = None


@dataclass
class ParsedTranscript:
    """A transcript read from disk, ready to store."""

    document: str
    case: str
    text: str
    turns: list[Turn]
    speakers: dict[str, Speaker]
    attributes: dict[str, Any]
    roster: list[dict[str, Any]]
    source: str
    format: str
    source_hash: str
    warnings: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def roster_names(self) -> list[str]:
        """Every roster name (speakers' ``name`` and ``roster`` entries)."""
        names = [s.name for s in self.speakers.values() if s.name]
        for entry in self.roster:
            if entry.get("name"):
                names.append(str(entry["name"]))
        return names


# --------------------------------------------------------------------------- decoding


def decode_bytes(data: bytes, path: str) -> tuple[str, list[str]]:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252.

    Returns the text with line endings normalised to ``\\n`` and a list of
    warnings.  Raises :class:`TranscriptError` for empty or binary files.
    """
    warnings: list[str] = []
    if not data.strip():
        raise TranscriptError("file is empty; nothing to import", path=path)
    if data.startswith(codecs.BOM_UTF8):
        text = _decode(data[3:], "utf-8", path)
    elif data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text = _decode(data, "utf-16", path)
    else:
        if b"\x00" in data[:8192]:
            raise TranscriptError(
                "looks like a binary file, not a transcript (NUL bytes found); "
                "export it as .txt, .docx, .vtt or .srt",
                path=path,
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode(data, "cp1252", path)
            warnings.append(f"{path}: not valid UTF-8; read as Windows-1252 (cp1252). Save it as UTF-8 to be sure.")
    if "\x00" in text:
        raise TranscriptError("contains NUL characters; is it a binary file?", path=path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise TranscriptError("file is empty; nothing to import", path=path)
    return text, warnings


def _decode(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TranscriptError(
            f"cannot be decoded as {encoding} (byte {exc.start}); save it as UTF-8", path=path
        ) from None


# --------------------------------------------------------------------------- front matter


def _split_front_matter(text: str, path: str) -> tuple[dict[str, Any] | None, str, int]:
    """Return (metadata or None, body, number of lines before the body)."""
    if not text.startswith("---\n") and text.rstrip("\n") != "---":
        return None, text, 0
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            raw = "\n".join(lines[1:i])
            meta = _load_yaml(raw, path, first_line=2)
            if meta is None:
                meta = {}
            if not isinstance(meta, dict):
                raise TranscriptError("front matter must be a YAML mapping of keys to values", path=path, line=2)
            body = "\n".join(lines[i + 1 :])
            return meta, body, i + 1
    raise TranscriptError("front matter opened with '---' is never closed; add a closing '---' line", path=path, line=1)


def _load_yaml(raw: str, path: str, first_line: int = 1) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + first_line) if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TranscriptError(f"invalid YAML: {problem}", path=path, line=line) from None


def sidecar_path(path: Path) -> Path:
    """The optional metadata sidecar of a transcript: ``<stem>.meta.yaml`` beside it."""
    return path.with_name(path.stem + ".meta.yaml")


def is_transcript_file(path: Path) -> bool:
    """True for files that :func:`read_transcript` should be given when a folder is imported."""
    name = path.name.lower()
    if name.startswith(".") or name.endswith(".meta.yaml") or name.startswith("~$"):
        return False
    return path.suffix.lower() in TRANSCRIPT_SUFFIXES and name not in {"readme.md", "readme.txt"}


def _parse_speakers(raw: Any, path: str, line: int | None) -> dict[str, Speaker]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TranscriptError("'speakers' must map each label to its role, e.g. 'INT: {role: interviewer}'", path=path, line=line)
    speakers: dict[str, Speaker] = {}
    for label, spec in raw.items():
        label = str(label)
        if isinstance(spec, str):
            spec = {"role": spec}
        elif spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise TranscriptError(f"speakers.{label}: expected a mapping like {{role: participant}}", path=path, line=line)
        unknown = set(spec) - {"role", "relation", "name", "pseudonym"}
        if unknown:
            raise TranscriptError(
                f"speakers.{label}: unknown key '{sorted(unknown)[0]}' (allowed: role, relation, name, pseudonym)",
                path=path,
                line=line,
            )
        role = str(spec.get("role", "participant"))
        if role not in ROLES:
            raise TranscriptError(
                f"speakers.{label}.role: '{role}' is not one of {', '.join(ROLES)}", path=path, line=line
            )
        speakers[label] = Speaker(
            label=label,
            role=role,
            relation=_opt_str(spec.get("relation")),
            name=_opt_str(spec.get("name")),
            pseudonym=_opt_str(spec.get("pseudonym")),
        )
    return speakers


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _parse_roster(raw: Any, path: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise TranscriptError("'roster' must be a list of {name: …, relation: …} entries", path=path)
    out = []
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or "name" not in entry:
            raise TranscriptError(f"roster[{i}]: expected {{name: …, relation: …}}", path=path)
        out.append({str(k): v for k, v in entry.items()})
    return out


# --------------------------------------------------------------------------- format detection


def detect_format(path: Path, text: str | None) -> str:
    """Detect a transcript's format from its extension and, for text, its content."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return "docx"
    if suffix == ".vtt":
        return "vtt"
    if suffix == ".srt":
        return "srt"
    if text is None:
        return "text"
    if text.lstrip().startswith("WEBVTT"):
        return "vtt"
    if _SRT_HEAD_RE.match(text.lstrip("\n")):
        return "srt"
    _, body, _ = _split_front_matter(text, str(path)) if text.startswith("---") else (None, text, 0)
    otter = text_turns = 0
    for line in body.split("\n")[:400]:
        if _OTTER_RE.match(line):
            otter += 1
        elif _TURN_RE.match(line):
            text_turns += 1
    return "otter" if otter > text_turns else "text"


# --------------------------------------------------------------------------- parsing


def read_transcript(
    path: str | Path,
    *,
    format: str = "auto",
    interviewer: Iterable[str] = (),
) -> ParsedTranscript:
    """Read one transcript file (and its sidecar, if any).

    Parameters
    ----------
    path:
        The transcript file.
    format:
        One of :data:`FORMATS`; ``auto`` detects from the extension and content.
    interviewer:
        Labels to treat as interviewers when no front matter declares roles.

    Raises
    ------
    TranscriptError
        With the file and line at fault, for empty, binary or malformed input.
    """
    path = Path(path)
    spath = str(path)
    if format not in FORMATS:
        raise TranscriptError(f"unknown format '{format}' (choose from {', '.join(FORMATS)})", path=spath)
    if not path.is_file():
        raise TranscriptError("no such file", path=spath)
    data = path.read_bytes()
    hasher = hashlib.sha256(data)
    sidecar_meta: dict[str, Any] | None = None
    side = sidecar_path(path)
    if side.is_file():
        side_bytes = side.read_bytes()
        hasher.update(b"\x00sidecar\x00" + side_bytes)
        side_text, _ = decode_bytes(side_bytes, str(side))
        sidecar_meta = _load_yaml(side_text, str(side)) or {}
        if not isinstance(sidecar_meta, dict):
            raise TranscriptError("sidecar must be a YAML mapping of keys to values", path=str(side), line=1)
    fmt = format
    warnings: list[str] = []
    if fmt == "docx" or (fmt == "auto" and path.suffix.lower() == ".docx"):
        raw_text = _docx_lines(path)
        fmt = "docx"
    else:
        if data[:2] == b"PK" and path.suffix.lower() != ".docx":
            raise TranscriptError(
                "looks like a zip or Word file; give it a .docx extension or use --format docx", path=spath
            )
        raw_text, warnings = decode_bytes(data, spath)
        if fmt == "auto":
            fmt = detect_format(path, raw_text)
    parsed = parse_text(
        raw_text,
        source=spath,
        format=fmt,
        default_id=path.stem,
        meta_override=sidecar_meta,
        interviewer=interviewer,
    )
    parsed.source_hash = hasher.hexdigest()
    parsed.warnings = warnings + parsed.warnings
    return parsed


def _docx_lines(path: Path) -> str:
    try:
        import docx  # python-docx
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise TranscriptError("reading .docx needs python-docx: pip install python-docx", path=str(path)) from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several unrelated types for broken files
        raise TranscriptError(f"cannot be read as a Word document ({type(exc).__name__}); re-save it as .docx", path=str(path)) from None
    text = "\n".join(p.text for p in document.paragraphs)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    if not text.strip():
        raise TranscriptError("Word document has no text; nothing to import", path=str(path))
    return text


def parse_text(
    raw_text: str,
    *,
    source: str = "<string>",
    format: str = "text",
    default_id: str = "document",
    meta_override: dict[str, Any] | None = None,
    interviewer: Iterable[str] = (),
) -> ParsedTranscript:
    """Parse already-decoded transcript text in one of the text formats.

    ``meta_override`` (a sidecar's content) takes the place of front matter.
    """
    if format in ("auto",):
        format = detect_format(Path(source), raw_text)
    meta, body, offset = _split_front_matter(raw_text, source) if format in ("text", "otter", "docx") else (None, raw_text, 0)
    if meta_override is not None:
        meta = {**(meta or {}), **meta_override}
    meta = meta or {}
    speakers = _parse_speakers(meta.get("speakers"), source, 2 if offset else None)
    roster = _parse_roster(meta.get("roster"), source)
    declared = bool(speakers)
    interviewer_set = {s.lower() for s in interviewer}

    header_warnings: list[str] = []
    if format in ("text", "docx"):
        text, turns_raw = body, _text_turns(body, offset, source, speakers if declared else None)
    elif format == "otter":
        text, (turns_raw, header_warnings) = body, _otter_turns(body, offset, source, speakers)
    elif format == "vtt":
        text, turns_raw = _cue_text(_vtt_cues(raw_text, source), source)
    elif format == "srt":
        text, turns_raw = _cue_text(_srt_cues(raw_text, source), source)
    else:
        raise TranscriptError(f"unknown format '{format}'", path=source)

    if not turns_raw:
        hint = {
            "text": "expected lines like 'INT: question' (SPEC §1.1)",
            "docx": "expected paragraphs like 'INT: question' (SPEC §1.1)",
            "otter": "expected 'Speaker Name  00:13' lines followed by text",
            "vtt": "expected cues with <v Name> voice tags or 'Name:' prefixes",
            "srt": "expected cues whose text starts with 'Name:'",
        }[format]
        raise TranscriptError(f"no speaker turns found; {hint}, or force one with --format", path=source)

    warnings: list[str] = list(header_warnings)
    turns: list[Turn] = []
    for i, (label, start, end, ts, line) in enumerate(turns_raw):
        if label == UNKNOWN_SPEAKER and label not in speakers:
            speakers[label] = Speaker(label=label, role="other")
        if label not in speakers:
            if declared:
                raise TranscriptError(
                    f"speaker label '{label}' is not declared in 'speakers'; add it (e.g. '{label}: {{role: participant}}') or fix the label",
                    path=source,
                    line=line,
                )
            role = "interviewer" if (label.lower() in INTERVIEWER_LABELS or label.lower() in interviewer_set
                                     or label.lower().startswith("interviewer")) else "participant"
            speakers[label] = Speaker(label=label, role=role)
        turns.append(Turn(index=i, label=label, role=speakers[label].role, start=start, end=end, timestamp=ts, line=line))
    if not any(t.role == "participant" for t in turns):
        warnings.append(f"{source}: no participant turns (every speaker is an interviewer); nothing will be coded")

    document = str(meta.get("document") or default_id)
    case = str(meta.get("case") or document)
    attributes = dict(meta.get("attributes") or {})
    if not isinstance(attributes, dict):
        raise TranscriptError("'attributes' must be a mapping", path=source)
    for key, value in meta.items():
        if key not in KNOWN_META_KEYS:
            attributes[key] = value
    attributes = _jsonable(attributes)
    return ParsedTranscript(
        document=document,
        case=case,
        text=text,
        turns=turns,
        speakers=speakers,
        attributes=attributes,
        roster=_jsonable(roster),
        source=source,
        format=format,
        source_hash=hashlib.sha256(raw_text.encode("utf-8")).hexdigest(),
        warnings=warnings,
    )


def _jsonable(value: Any) -> Any:
    """YAML gives dates and other objects; keep JSON-safe scalars only."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _parse_ts(ts: str | None) -> float | None:
    if not ts:
        return None
    ts = ts.replace(",", ".")
    parts = ts.split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", text):
        starts.append(m.end())
    return starts


def _text_turns(body: str, offset: int, source: str, declared: dict[str, Speaker] | None):
    """Turns of speaker-turn text. Continuation lines extend the current turn."""
    lines = body.split("\n")
    starts = _line_starts(body)
    turns: list[list] = []  # [label, start, end, ts, line]
    for i, line in enumerate(lines):
        m = _TURN_RE.match(line) or _TURN_EMPTY_RE.match(line)
        label = m.group("label").strip() if m else None
        is_turn = m is not None and ((declared is not None and label in declared) or _looks_like_label(label))
        if is_turn:
            rest_start = m.start("rest") if m.groupdict().get("rest") is not None else len(line)
            s = starts[i] + rest_start
            turns.append([label, s, starts[i] + len(line.rstrip()), _parse_ts(m.group("ts")), offset + i + 1])
        elif turns and line.strip():
            turns[-1][2] = starts[i] + len(line.rstrip())
    return [tuple(t) for t in turns]


def _looks_like_label(label: str | None) -> bool:
    """A speaker label: at most three words, each starting with a capital or digit."""
    if not label:
        return False
    words = label.replace("_", " ").split()
    return 0 < len(words) <= 3 and all(w[0].isupper() or w[0].isdigit() for w in words)


def _otter_turns(body: str, offset: int, source: str, declared: Iterable[str] = ()) -> tuple[list[tuple], list[str]]:
    """Turns of an Otter.ai export, and warnings about headers that were not in Otter's own form.

    Otter writes "Name  00:13" (two spaces).  Transcripts edited by hand also
    have "Name 00:13", a known name alone, or a timestamp alone on a line of
    its own after a blank line; read as text, each would silently put a
    speaker's talk into the previous speaker's turn (participant talk read as
    interviewer talk is never coded).  A name counts as known when it heads an
    Otter-form turn elsewhere in the file or is declared in ``speakers``.  A
    timestamp alone starts a turn of :data:`UNKNOWN_SPEAKER` (role ``other``,
    not coded), and the warning names the line so the speaker can be added.
    """
    lines = body.split("\n")
    starts = _line_starts(body)
    known = {m.group("label").strip() for m in map(_OTTER_RE.match, lines) if m} | set(declared)
    turns: list[list] = []
    loose: dict[str, list[int]] = {}
    current = None
    for i, line in enumerate(lines):
        m = _OTTER_RE.match(line)
        header = (m.group("label").strip(), m.group("ts")) if m else None
        if header is None and (i == 0 or not lines[i - 1].strip()) and line.strip():
            stripped = line.strip()
            m = _OTTER_LOOSE_RE.match(stripped)
            if m and m.group("label").strip() in known:
                header, kind = (m.group("label").strip(), m.group("ts")), "name and time with one space"
            elif stripped in known:
                header, kind = (stripped, None), "a name alone"
            elif (m := _TIMESTAMP_ONLY_RE.match(stripped)) is not None:
                header, kind = (UNKNOWN_SPEAKER, m.group("ts")), "a time with no name (read as an unknown speaker, not coded)"
            if header is not None:
                loose.setdefault(kind, []).append(offset + i + 1)
        if header is not None:
            current = [header[0], None, None, _parse_ts(header[1]) if header[1] else None, offset + i + 1]
            turns.append(current)
        elif current is not None and line.strip():
            if current[1] is None:
                current[1] = starts[i] + (len(line) - len(line.lstrip()))
            current[2] = starts[i] + len(line.rstrip())
    warnings = [f"{source}: {len(at)} turn header(s) with {kind}, line(s) {', '.join(map(str, at[:8]))}"
                + (" …" if len(at) > 8 else "") + "; Otter's own form is 'Name  00:13'"
                for kind, at in loose.items()]
    return [tuple(t) for t in turns if t[1] is not None], warnings


@dataclass
class _Cue:
    label: str | None
    text: str
    start: float
    line: int


def _vtt_cues(raw: str, source: str) -> list[_Cue]:
    import io

    import webvtt

    try:
        captions = webvtt.from_buffer(io.StringIO(raw)) if hasattr(webvtt, "from_buffer") else webvtt.read_buffer(io.StringIO(raw))
    except Exception as exc:  # webvtt raises MalformedFileError / MalformedCaptionError
        raise TranscriptError(f"not a valid WebVTT file: {exc}", path=source) from None
    cue_lines = [i + 1 for i, line in enumerate(raw.split("\n")) if "-->" in line]
    cues = []
    for k, cap in enumerate(captions):
        raw_text = cap.raw_text if hasattr(cap, "raw_text") else "\n".join(cap.lines)
        m = re.match(r"^\s*<v(?:\.[^ >]*)?\s+([^>]+)>", raw_text)
        label = m.group(1).strip() if m else None
        text = re.sub(r"</?[^>]+>", "", raw_text)
        text = " ".join(part.strip() for part in text.split("\n") if part.strip())
        cues.append(_Cue(label, text, cap.start_in_seconds, cue_lines[k] if k < len(cue_lines) else None))
    return cues


def _srt_cues(raw: str, source: str) -> list[_Cue]:
    import srt as srtlib

    try:
        subs = list(srtlib.parse(raw))
    except Exception as exc:  # srt.SRTParseError and friends
        raise TranscriptError(f"not a valid SubRip file: {exc}", path=source) from None
    cue_lines = [i + 1 for i, line in enumerate(raw.split("\n")) if "-->" in line]
    cues = []
    for k, sub in enumerate(subs):
        text = re.sub(r"</?[^>]+>", "", sub.content)
        text = " ".join(part.strip() for part in text.split("\n") if part.strip())
        cues.append(_Cue(None, text, sub.start.total_seconds(), cue_lines[k] if k < len(cue_lines) else None))
    return cues


def _cue_text(cues: list[_Cue], source: str):
    """Render cues as speaker-turn text; one turn per cue."""
    parts: list[str] = []
    turns = []
    pos = 0
    last_label = None
    for cue in cues:
        label, text = cue.label, cue.text
        if label is None:
            m = re.match(r"^(?P<label>[A-Za-z][A-Za-z0-9'’._ -]{0,39}?)\s*:\s+(?P<rest>.+)$", text)
            if m and _looks_like_label(m.group("label")):
                label, text = m.group("label").strip(), m.group("rest")
            elif last_label is not None:
                label = last_label  # Zoom splits one speaker's turn over several cues
            else:
                raise TranscriptError(
                    "cue has no speaker: start it with 'Name:' or a <v Name> voice tag", path=source, line=cue.line
                )
        if not text:
            continue
        last_label = label
        secs = int(cue.start)
        stamp = f"[{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}] "
        prefix = f"{stamp}{label}: "
        block = prefix + text + "\n\n"
        start = pos + len(prefix)
        turns.append((label, start, start + len(text), cue.start, cue.line))
        parts.append(block)
        pos += len(block)
    return "".join(parts).rstrip("\n") + "\n", turns
