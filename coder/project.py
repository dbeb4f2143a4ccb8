"""The Python API: one :class:`Project` over one database.

A notebook user does what the command line does::

    from coder import Project
    p = Project.init("my-study", codebook="codebooks/troubled_families.yaml")
    p.import_files(["transcripts/"], cases="transcripts/cases.csv")
    p.codings_frame()          # pandas DataFrame

Every method that writes runs in one database transaction and records a row
in the audit trail (``runs``).  Nothing here prints: methods return reports
(plain dataclasses) that the CLI renders.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pandas as pd
from sqlalchemy import delete, func, select

from . import store
from .cases import read_cases
from .codebook import Codebook, load_codebook, parse_codebook
from .errors import AnalysisError, CodingsError, InputError, ProjectError
from .ingest import ParsedTranscript, is_transcript_file, read_transcript
from .provenance import versions
from .segment import DEFAULT_MODEL, split_sentences
from .gcpause import gc_paused
from .store import (
    Case,
    CodebookVersion,
    CodeRow,
    Coder,
    Coding,
    Document,
    Link,
    Run,
    SentenceRow,
    TurnRow,
    session_scope,
)

__all__ = ["Project", "ImportReport", "CodebookReport", "CodingsReport", "DB_FILE", "Progress"]

DB_FILE = "coder.db"
_CODEBOOKS: dict[str, Codebook] = {}  # parsed codebooks by content hash (immutable, so safe to share)
CONFIG_FILE = "coder-project.txt"
Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    """What an import did: document ids added, replaced and unchanged, and warnings."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    cases: int = 0
    turns: int = 0
    sentences: int = 0
    reanchored: int = 0
    dropped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CodebookReport:
    codebook: str
    version: str
    revision: int
    changed: bool
    codes: int
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CodingsReport:
    coder: str
    codings: int
    documents: list[str]
    replaced: int
    links: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _resolve_url(path: Path, db: str | None) -> str:
    url = db or os.environ.get("CODER_DB")
    if url:
        return url
    return f"sqlite:///{(path / DB_FILE).resolve()}"


class Project:
    """A coder project: a directory holding the project database.

    Use :meth:`init` to create one and :meth:`open` to open it.
    """

    def __init__(self, path: Path, url: str, engine, model: str = DEFAULT_MODEL):
        self.path = path
        self.url = url
        self.engine = engine
        self.model = model

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def init(cls, path: str | Path, *, codebook: str | Path | None = None, db: str | None = None,
             model: str = DEFAULT_MODEL) -> "Project":
        """Create a new project directory (and database) at ``path``.

        Refuses to overwrite an existing project.  ``db`` (or ``$CODER_DB``) is
        an SQLAlchemy URL; by default an SQLite file ``coder.db`` in ``path``.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise ProjectError(f"{path} exists and is not a directory; choose another project path")
        if (path / DB_FILE).exists():
            raise ProjectError(f"{path} is already a coder project; open it, or choose a new directory")
        cb = load_codebook(codebook) if codebook is not None else None  # validate before creating anything
        path.mkdir(parents=True, exist_ok=True)
        url = _resolve_url(path, db)
        engine = store.make_engine(url)
        if store.stored_schema_version(engine) is not None:
            raise ProjectError(f"the database at {store._redact(url)} already holds a coder project")
        try:
            store.create_schema(engine)
            with session_scope(engine) as s:
                store.set_meta(s, "model", model)
                s.add(Run(command="init", parameters={"path": str(path), "model": model}, versions=versions(),
                          finished=store.utcnow()))
        except Exception:
            if url.startswith("sqlite:///"):
                engine.dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path / DB_FILE) + suffix).unlink(missing_ok=True)
            raise
        project = cls(path, url, engine, model)
        if cb is not None:
            project.set_codebook(cb)
        return project

    @classmethod
    def open(cls, path: str | Path, *, db: str | None = None) -> "Project":
        """Open an existing project; checks the schema version."""
        path = Path(path)
        url = _resolve_url(path, db)
        if url.startswith("sqlite:///") and not (path / DB_FILE).is_file():
            raise ProjectError(f"{path} is not a coder project (no {DB_FILE}); create it with 'coder init {path}'")
        engine = store.make_engine(url)
        store.check_schema(engine, str(path))
        with session_scope(engine) as s:
            model = store.get_meta(s, "model", DEFAULT_MODEL)
        return cls(path, url, engine, model)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project({str(self.path)!r})"

    # ------------------------------------------------------------------ import

    def import_files(
        self,
        paths: Iterable[str | Path],
        *,
        cases: str | Path | None = None,
        format: str = "auto",
        interviewer: Sequence[str] = (),
        replace: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import transcripts (files or folders) and, optionally, a cases CSV.

        All files are read and checked before anything is written; then
        everything is written in one transaction.  Re-importing an unchanged
        file changes nothing, unless ``replace=True`` and it now parses into
        other turns (other ``interviewer`` labels, or a newer parser).  A changed file whose document id exists is
        refused unless ``replace=True``, which re-anchors the existing codings
        whose quoted text is still present and reports those it drops.
        """
        files = self._expand(paths)
        report = ImportReport()
        case_rows = read_cases(cases) if cases is not None else {}
        parsed: list[ParsedTranscript] = []
        seen: dict[str, str] = {}
        for i, f in enumerate(files):
            p = read_transcript(f, format=format, interviewer=interviewer)
            if p.document in seen:
                raise InputError(f"document id '{p.document}' is also used by {seen[p.document]}; give each file a unique 'document:'", path=str(f))
            seen[p.document] = str(f)
            parsed.append(p)
            report.warnings.extend(p.warnings)
            if progress:
                progress("read", i + 1, len(files))

        with session_scope(self.engine) as s:
            existing = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(list(seen))))} if seen else {}
            todo: list[ParsedTranscript] = []
            for p in parsed:
                old = existing.get(p.document)
                if old is not None and old.source_hash == p.source_hash and not (replace and _turns_differ(s, p)):
                    report.unchanged.append(p.document)  # (with replace, a newer parser's turns are taken up)
                elif old is not None and old.content_hash == p.content_hash and not replace and old.case_id == p.case:
                    report.unchanged.append(p.document)  # same text, e.g. re-saved with another encoding
                elif old is not None and not replace:
                    raise InputError(
                        f"document '{p.document}' already exists with different content (imported from {old.source_file}); "
                        "use --replace to update it",
                        path=p.source,
                    )
                else:
                    todo.append(p)
            known_cases = set(s.scalars(select(Case.id)))
            doc_cases = known_cases | {p.case for p in parsed}
            for case_id in case_rows:
                if case_id not in doc_cases:
                    raise InputError(
                        f"case '{case_id}' has no documents; check the id against the transcripts' 'case:' values",
                        path=str(cases),
                    )
            # Segment before writing: the slow, CPU-bound part happens outside the write lock.
            sentences = {}
            for i, p in enumerate(todo):
                spans = [(t.index, t.start, t.end) for t in p.turns]
                sentences[p.document] = split_sentences(p.text, spans, model=self.model)
                if progress:
                    progress("segment", i + 1, len(todo))

            for case_id in sorted({p.case for p in todo} | set(case_rows)):
                case = s.get(Case, case_id)
                if case is None:
                    s.add(Case(id=case_id, attributes=case_rows.get(case_id, {})))
                    report.cases += 1
                elif case_id in case_rows:
                    case.attributes = case_rows[case_id]
            s.flush()
            for i, p in enumerate(todo):
                old = existing.get(p.document)
                if old is not None:
                    self._replace_document(s, old, p, report)
                    report.replaced.append(p.document)
                else:
                    s.add(self._document_row(p))
                    report.added.append(p.document)
                s.flush()
                s.add_all(TurnRow(document_id=p.document, idx=t.index, label=t.label, role=t.role, start=t.start,
                                  end=t.end, timestamp=t.timestamp, line=t.line) for t in p.turns)
                s.add_all(SentenceRow(document_id=p.document, turn_idx=x.turn_index, idx=x.index, start=x.start, end=x.end)
                          for x in sentences[p.document])
                report.turns += len(p.turns)
                report.sentences += len(sentences[p.document])
                s.flush()
                if progress:
                    progress("write", i + 1, len(todo))
            if todo or case_rows:
                s.add(Run(command="import", parameters={
                    "paths": [str(x) for x in files], "cases": str(cases) if cases else None, "format": format,
                    "replace": replace}, versions=versions({"segmenter": self.model}),
                    summary={k: v for k, v in report.as_dict().items() if k != "warnings"}, finished=store.utcnow()))
        return report

    @staticmethod
    def _expand(paths: Iterable[str | Path]) -> list[Path]:
        files: list[Path] = []
        for raw in paths:
            p = Path(raw)
            if p.is_dir():
                found = sorted(f for f in p.iterdir() if f.is_file() and is_transcript_file(f))
                if not found:
                    raise InputError("folder holds no transcripts (.txt, .md, .docx, .vtt, .srt)", path=str(p))
                files.extend(found)
            elif p.is_file():
                files.append(p)
            else:
                raise InputError("no such file or folder", path=str(p))
        if not files:
            raise InputError("no transcripts given")
        return files

    @staticmethod
    def _document_row(p: ParsedTranscript) -> Document:
        return Document(
            id=p.document, case_id=p.case, text=p.text, content_hash=p.content_hash, source_hash=p.source_hash,
            source_file=p.source, format=p.format, attributes=p.attributes,
            speakers={k: v.as_dict() for k, v in p.speakers.items()}, roster=p.roster,
        )

    def _replace_document(self, s, old: Document, p: ParsedTranscript, report: ImportReport) -> None:
        """Swap in new text; move codings and links whose quote is still present."""
        old_text = old.text
        s.execute(delete(TurnRow).where(TurnRow.document_id == old.id))
        s.execute(delete(SentenceRow).where(SentenceRow.document_id == old.id))
        for row in list(s.scalars(select(Coding).where(Coding.document_id == old.id))) + list(
                s.scalars(select(Link).where(Link.document_id == old.id))):
            quote = old_text[row.start:row.end]
            new = _reanchor(quote, row.start, old_text, p.text)
            if new is None:
                report.dropped.append({"document": old.id, "kind": type(row).__name__.lower(), "coder": row.coder,
                                       "start": row.start, "end": row.end, "quote": quote[:200]})
                s.delete(row)
            else:
                row.start, row.end = new
                report.reanchored += 1
        fresh = self._document_row(p)
        for attr in ("case_id", "text", "content_hash", "source_hash", "source_file", "format", "attributes", "speakers", "roster"):
            setattr(old, attr, getattr(fresh, attr))
        old.imported_at = store.utcnow()

    # ------------------------------------------------------------------ codebook

    def set_codebook(self, codebook: str | Path | Codebook, *, merge: str | Path | None = None) -> CodebookReport:
        """Store a codebook as the current version, only if its content changed.

        ``merge`` adds the codes of a codebook patch (for example the proposed
        codes written by ``coder themes``) to the current codebook.
        """
        cb = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        with session_scope(self.engine) as s:
            existing = s.scalars(select(CodebookVersion).where(CodebookVersion.hash == cb.hash)).first()
            current = self._current_version_row(s)
            if existing is not None and current is not None and existing.id == current.id:
                return CodebookReport(cb.id, existing.version, existing.revision, False, len(cb.codes), list(cb.warnings))
            revision = (s.scalar(select(func.max(CodebookVersion.revision))) or 0) + 1
            if existing is not None:  # going back to an earlier version: make it current again
                existing.revision = revision
                row = existing
            else:
                row = CodebookVersion(codebook=cb.id, version=cb.version, revision=revision, yaml_text=cb.yaml_text,
                                      hash=cb.hash, source_file=cb.source)
                s.add(row)
                s.flush()
                s.add_all(CodeRow(codebook_version_id=row.id, code=c.id, parent=c.parent, name=c.name, kind=c.kind,
                                  color=c.color, definition=c.definition, data=c.as_dict()) for c in cb.codes)
            warnings = list(cb.warnings)
            if current is not None and current.version == cb.version and current.hash != cb.hash:
                warnings.append(f"codebook content changed but its version is still '{cb.version}'; consider bumping 'version:'")
            s.add(Run(command="codebook", parameters={"file": cb.source}, versions=versions(),
                      summary={"codebook": cb.id, "version": cb.version, "revision": revision}, finished=store.utcnow()))
            return CodebookReport(cb.id, cb.version, revision, True, len(cb.codes), warnings)

    @staticmethod
    def _current_version_row(s) -> CodebookVersion | None:
        return s.scalars(select(CodebookVersion).order_by(CodebookVersion.revision.desc())).first()

    def codebook(self, *, required: bool = True) -> Codebook | None:
        """The current codebook (the latest stored version)."""
        with session_scope(self.engine) as s:
            row = self._current_version_row(s)
            if row is None:
                if required:
                    raise ProjectError(f"{self.path} has no codebook yet; add one with 'coder codebook {self.path} FILE'")
                return None
            key = row.hash
        cached = _CODEBOOKS.get(key)
        if cached is None:
            cached = _CODEBOOKS[key] = parse_codebook(row.yaml_text, source=row.source_file or "codebook")
        return cached

    def codebook_version_id(self) -> int | None:
        with session_scope(self.engine) as s:
            row = self._current_version_row(s)
            return row.id if row else None

    def codebook_versions(self) -> pd.DataFrame:
        with session_scope(self.engine) as s:
            rows = s.execute(select(CodebookVersion.id, CodebookVersion.codebook, CodebookVersion.version,
                                    CodebookVersion.revision, CodebookVersion.hash, CodebookVersion.created)).all()
        return pd.DataFrame(rows, columns=["id", "codebook", "version", "revision", "hash", "created"])

    # ------------------------------------------------------------------ frames

    def documents_frame(self) -> pd.DataFrame:
        """One row per document: id, case, source, format, characters, turns, attributes."""
        with session_scope(self.engine) as s:
            docs = s.scalars(select(Document).order_by(Document.id)).all()
            nturns = dict(s.execute(select(TurnRow.document_id, func.count()).group_by(TurnRow.document_id)).all())
            rows = [{"document": d.id, "case": d.case_id, "source_file": d.source_file, "format": d.format,
                     "chars": len(d.text), "turns": nturns.get(d.id, 0), "content_hash": d.content_hash,
                     "attributes": d.attributes, "speakers": d.speakers} for d in docs]
        return pd.DataFrame(rows, columns=["document", "case", "source_file", "format", "chars", "turns",
                                           "content_hash", "attributes", "speakers"])

    def texts(self) -> dict[str, str]:
        """``{document_id: plain text}``."""
        with session_scope(self.engine) as s:
            return dict(s.execute(select(Document.id, Document.text)).all())

    def roster_names(self) -> list[str]:
        """Every roster name in the project (for redaction; never publish these)."""
        names: set[str] = set()
        with session_scope(self.engine) as s:
            for speakers, roster in s.execute(select(Document.speakers, Document.roster)).all():
                for sp in (speakers or {}).values():
                    if sp.get("name"):
                        names.add(sp["name"])
                for entry in roster or []:
                    if entry.get("name"):
                        names.add(str(entry["name"]))
        return sorted(names)

    def cases_frame(self) -> pd.DataFrame:
        """One row per case with its attributes as columns."""
        with session_scope(self.engine) as s:
            rows = [{"case": c.id, **(c.attributes or {})} for c in s.scalars(select(Case).order_by(Case.id))]
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["case"])

    def turns_frame(self) -> pd.DataFrame:
        with session_scope(self.engine) as s:
            rows = s.execute(select(TurnRow.document_id, Document.case_id, TurnRow.idx, TurnRow.label, TurnRow.role,
                                    TurnRow.start, TurnRow.end, TurnRow.timestamp)
                             .join(Document, Document.id == TurnRow.document_id)
                             .order_by(TurnRow.document_id, TurnRow.idx)).all()
        return pd.DataFrame(rows, columns=["document", "case", "turn", "label", "role", "start", "end", "timestamp"])

    def units_frame(self, *, unit: str | None = None, roles: Sequence[str] | None = None,
                    with_text: bool = True) -> pd.DataFrame:
        """The coding units (SPEC §3): sentences or turns of the coded speakers.

        Defaults come from the current codebook (``unit``, ``code_speakers``),
        else sentences of participants.  Columns: unit_id, document, case,
        turn, label, role, position, start, end, text.
        """
        cb = self.codebook(required=False)
        unit = unit or (cb.unit if cb else "sentence")
        roles = tuple(roles or (cb.code_speakers if cb else ("participant",)))
        with session_scope(self.engine) as s, gc_paused():  # 100,000s of row tuples: see coder.gcpause
            conn = s.connection()  # Core rows: the ORM's row handling costs more than the query itself here
            texts = dict(conn.execute(select(Document.id, Document.text)).all()) if with_text else {}
            if unit == "turn":
                stmt = (select(TurnRow.document_id, Document.case_id, TurnRow.idx, TurnRow.label, TurnRow.role,
                               TurnRow.start, TurnRow.end)
                        .join(Document, Document.id == TurnRow.document_id)
                        .where(TurnRow.role.in_(roles)).order_by(TurnRow.document_id, TurnRow.start))
            else:
                stmt = (select(SentenceRow.document_id, Document.case_id, SentenceRow.turn_idx, TurnRow.label,
                               TurnRow.role, SentenceRow.start, SentenceRow.end)
                        .join(Document, Document.id == SentenceRow.document_id)
                        .join(TurnRow, (TurnRow.document_id == SentenceRow.document_id)
                              & (TurnRow.idx == SentenceRow.turn_idx))
                        .where(TurnRow.role.in_(roles))
                        .order_by(SentenceRow.document_id, SentenceRow.start))
            rows = _plain_rows(conn, stmt)
        with gc_paused():
            return _units_frame(rows, texts, with_text)

    def coders(self) -> pd.DataFrame:
        with session_scope(self.engine) as s:
            rows = s.execute(select(Coder.name, Coder.kind, Coder.created)).all()
            counts = dict(s.execute(select(Coding.coder, func.count()).group_by(Coding.coder)).all())
        df = pd.DataFrame(rows, columns=["coder", "kind", "created"])
        df["codings"] = [counts.get(c, 0) for c in df["coder"]]
        return df

    def codings_frame(self, coder: str | None = None, *, statuses: Sequence[str] | None = None) -> pd.DataFrame:
        """Codings as a DataFrame: document, case, code, start, end, quote, coder, status, confidence, method, evidence, memo."""
        with session_scope(self.engine) as s:
            q = (select(Coding.id, Coding.document_id, Document.case_id, Coding.code, Coding.start, Coding.end,
                        Coding.coder, Coding.status, Coding.confidence, Coding.method, Coding.evidence, Coding.memo,
                        Document.text)
                 .join(Document, Document.id == Coding.document_id))
            if coder is not None:
                self._require_coder(s, coder)
                q = q.where(Coding.coder == coder)
            if statuses:
                q = q.where(Coding.status.in_(list(statuses)))
            rows = s.execute(q.order_by(Coding.document_id, Coding.start, Coding.code)).all()
        out = pd.DataFrame(
            [(r[0], r[1], r[2], r[3], r[4], r[5], r[12][r[4]:r[5]], r[6], r[7], r[8], r[9], r[10], r[11]) for r in rows],
            columns=["id", "document", "case", "code", "start", "end", "quote", "coder", "status", "confidence",
                     "method", "evidence", "memo"])
        return out

    def links_frame(self, coder: str | None = None) -> pd.DataFrame:
        """Directed links: case, document, from_code, to_code, quote, start, end, coder, method, confidence."""
        with session_scope(self.engine) as s:
            q = (select(Document.case_id, Link.document_id, Link.from_code, Link.to_code, Link.quote, Link.start,
                        Link.end, Link.coder, Link.method, Link.confidence, Link.evidence)
                 .join(Document, Document.id == Link.document_id))
            if coder is not None:
                self._require_coder(s, coder)
                q = q.where(Link.coder == coder)
            rows = s.execute(q.order_by(Link.document_id, Link.start)).all()
        return pd.DataFrame(rows, columns=["case", "document", "from_code", "to_code", "quote", "start", "end",
                                           "coder", "method", "confidence", "evidence"])

    def runs_frame(self) -> pd.DataFrame:
        """The audit trail: every command that changed the project."""
        with session_scope(self.engine) as s:
            rows = s.execute(select(Run.id, Run.command, Run.parameters, Run.versions, Run.summary, Run.started,
                                    Run.finished).order_by(Run.id)).all()
        return pd.DataFrame(rows, columns=["id", "command", "parameters", "versions", "summary", "started", "finished"])

    def require_coder(self, coder: str) -> None:
        """Raise a one-line :class:`AnalysisError` naming the known coders when ``coder`` has none stored."""
        with session_scope(self.engine) as s:
            self._require_coder(s, coder)

    @staticmethod
    def _require_coder(s, coder: str) -> None:
        if s.get(Coder, coder) is None:
            names = sorted(s.scalars(select(Coder.name)))
            hint = " (run 'coder code' to create 'auto')" if coder == "auto" else ""
            raise AnalysisError(f"unknown coder '{coder}'; known coders: {', '.join(names) or 'none yet'}{hint}")

    def unit_codes(self, coder: str, *, units: pd.DataFrame | None = None,
                   statuses: Sequence[str] = ("accepted", "suggested")) -> pd.DataFrame:
        """Which units carry which codes for ``coder`` (SPEC §3).

        A unit carries code C when one of the coder's C codings covers at least
        half of the unit, or lies wholly inside it.  Returns columns unit_id,
        code (one row per pair).
        """
        from .units import assign_units

        units = self.units_frame(with_text=False) if units is None else units
        codings = self.codings_frame(coder, statuses=statuses)
        return assign_units(units, codings)

    # ------------------------------------------------------------------ codings in/out

    def import_codings(self, file: str | Path, *, coder: str | None = None) -> CodingsReport:
        """Import a codings CSV (SPEC §3) for one coder, replacing that coder's codings on those documents."""
        from .codings_io import read_codings_csv

        cb = self.codebook()
        texts = self.texts()
        rows = read_codings_csv(file, texts=texts, codes=set(cb.ids), coder=coder)
        coders = sorted({r["coder"] for r in rows})
        docs = sorted({r["document"] for r in rows})
        with session_scope(self.engine) as s:
            cbv = self._current_version_row(s)
            replaced = _replace_for_coders(s, Coding, rows, file)
            s.add_all(Coding(document_id=r["document"], code=r["code"], start=r["start"], end=r["end"], coder=r["coder"],
                             codebook_version_id=cbv.id, status="accepted", confidence=None, method="manual",
                             evidence={}, memo=r.get("memo")) for r in rows)
            s.add(Run(command="codings import", parameters={"file": str(file), "coder": coder}, versions=versions(),
                      summary={"codings": len(rows), "documents": docs, "replaced": replaced}, finished=store.utcnow()))
        return CodingsReport(",".join(coders), len(rows), docs, replaced)

    def export_codings(self, file: str | Path, *, coder: str | None = None) -> int:
        """Write codings (all coders, or one) as SPEC §3 CSV; returns the number of rows."""
        from .codings_io import write_csv_atomic

        df = self.codings_frame(coder)
        cols = ["document", "code", "start", "end", "quote", "coder", "status", "confidence", "method", "memo"]
        write_csv_atomic(df[cols], file)
        return len(df)

    def import_links(self, file: str | Path, *, coder: str | None = None) -> CodingsReport:
        """Import directed links (SPEC §3: document, from_code, to_code, quote) for one coder."""
        from .codings_io import read_links_csv

        cb = self.codebook()
        rows = read_links_csv(file, texts=self.texts(), codes=set(cb.ids), coder=coder)
        coders = sorted({r["coder"] for r in rows})
        docs = sorted({r["document"] for r in rows})
        with session_scope(self.engine) as s:
            replaced = _replace_for_coders(s, Link, rows, file)
            s.add_all(Link(document_id=r["document"], from_code=r["from_code"], to_code=r["to_code"], start=r["start"],
                           end=r["end"], quote=r["quote"], coder=r["coder"], method="manual") for r in rows)
            s.add(Run(command="links import", parameters={"file": str(file), "coder": coder}, versions=versions(),
                      summary={"links": len(rows), "documents": docs}, finished=store.utcnow()))
        return CodingsReport(",".join(coders), 0, docs, replaced, links=len(rows))


def _replace_for_coders(s, model, rows: list[dict[str, Any]], file) -> int:
    """Register the rows' human coders and delete their earlier ``model`` rows on the same documents.

    Re-importing a coder's file replaces that coder's codings (or links) on those documents only;
    other coders, and the auto-coder, are never touched.  Returns the number of rows deleted.
    """
    coders = sorted({r["coder"] for r in rows})
    for name in coders:
        if name == "auto":
            raise CodingsError("coder name 'auto' is reserved for the auto-coder; use another --coder", path=str(file))
        if s.get(Coder, name) is None:
            s.add(Coder(name=name, kind="human"))
    s.flush()
    replaced = 0
    for name in coders:
        docs = sorted({r["document"] for r in rows if r["coder"] == name})
        replaced += s.execute(delete(model).where(model.coder == name, model.document_id.in_(docs))).rowcount
    return replaced


def _reanchor(quote: str, old_start: int, old_text: str, new_text: str) -> tuple[int, int] | None:
    """Where ``quote`` (once at ``old_start`` of ``old_text``) sits in ``new_text``: the nearest occurrence."""
    if not quote:
        return None
    hits = [m.start() for m in re.finditer(re.escape(quote), new_text)]
    if not hits:
        return None
    scale = len(new_text) / max(len(old_text), 1)
    target = old_start * scale
    best = min(hits, key=lambda h: abs(h - target))
    return best, best + len(quote)


def _turns_differ(session, parsed: ParsedTranscript) -> bool:
    """Do the stored turns of a document differ from a fresh parse of the same file?"""
    stored = session.execute(select(TurnRow.label, TurnRow.role, TurnRow.start, TurnRow.end)
                             .where(TurnRow.document_id == parsed.document).order_by(TurnRow.idx)).all()
    return [tuple(r) for r in stored] != [(t.label, t.role, t.start, t.end) for t in parsed.turns]


def _plain_rows(conn, stmt) -> list[tuple]:
    """The rows of a Core select as plain tuples (pandas builds frames from Row objects several times slower).

    On SQLite, when no selected column's type converts result values
    (strings and integers never do), the DBAPI cursor's own tuples are those
    values, and SQLAlchemy's per-row Row construction is skipped.
    """
    result = conn.execute(stmt)
    dialect = conn.dialect
    if dialect.name == "sqlite" and all(c.type.dialect_impl(dialect).result_processor(dialect, None) is None
                                        for c in stmt.selected_columns):
        rows = result.cursor.fetchall()
        result.close()
        return rows
    return [tuple(r) for r in result.all()]


def _units_frame(rows: list[tuple], texts: dict[str, str], with_text: bool) -> pd.DataFrame:
    """The units frame from (document, case, turn, label, role, start, end) rows, in order."""
    df = pd.DataFrame.from_records(rows, columns=["document", "case", "turn", "label", "role", "start", "end"])
    if not rows:  # the frame (and its dtypes) of no units
        df.insert(0, "unit_id", df["document"] + "@" + df["start"].astype(str) + ":" + df["end"].astype(str))
        df.insert(6, "position", df.groupby("document").cumcount())
        if with_text:
            df["text"] = [texts[d][a:b] for d, a, b in zip(df["document"], df["start"], df["end"])]
        return df
    # from Python lists: the same strings as pandas' column sums, several times faster
    documents, starts, ends = df["document"].tolist(), df["start"].tolist(), df["end"].tolist()
    df.insert(0, "unit_id", [f"{d}@{a}:{b}" for d, a, b in zip(documents, starts, ends)])
    df.insert(6, "position", df.groupby("document").cumcount())
    if with_text:
        df["text"] = [texts[d][a:b] for d, a, b in zip(documents, starts, ends)]
    return df
