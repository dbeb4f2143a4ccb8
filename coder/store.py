"""The project database: SQLAlchemy 2 models, engine set-up and schema version.

SQLite is the default: one file, ``coder.db``, inside the project directory,
opened in WAL mode with foreign keys on.  Any SQLAlchemy URL (for example
``postgresql+psycopg://user@host/db``) works with the same code, given with
``--db`` or the ``CODER_DB`` environment variable.

Only this module and :mod:`coder.project` talk to the database.  Every write
happens inside one transaction (``with session_scope(engine) as s:``), so a
command that is interrupted, even by ``kill -9``, leaves the project as it was.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from .errors import ProjectError, SchemaVersionError

__all__ = [
    "SCHEMA_VERSION",
    "Base",
    "Meta",
    "Case",
    "Document",
    "TurnRow",
    "SentenceRow",
    "CodebookVersion",
    "CodeRow",
    "Coder",
    "Coding",
    "Link",
    "Run",
    "Embedding",
    "make_engine",
    "session_scope",
    "create_schema",
    "check_schema",
    "migrate",
    "MIGRATIONS",
    "utcnow",
    "insert_many",
]

SCHEMA_VERSION = 1


def utcnow() -> str:
    """Current UTC time as an ISO-8601 string (stored as text: portable across backends)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Meta(Base):
    """Key/value project settings, including ``schema_version``."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Document(Base):
    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    speakers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    roster: Mapped[list[Any]] = mapped_column(JSON, default=list)
    imported_at: Mapped[str] = mapped_column(String(40), default=utcnow)


class TurnRow(Base):
    __tablename__ = "turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[float | None] = mapped_column(Float, nullable=True)
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (UniqueConstraint("document_id", "idx"),)


class SentenceRow(Base):
    __tablename__ = "sentences"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    turn_idx: Mapped[int] = mapped_column(Integer)
    idx: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_sentences_doc", "document_id", "start"),)


class CodebookVersion(Base):
    __tablename__ = "codebook_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    codebook: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    yaml_text: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    source_file: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[str] = mapped_column(String(40), default=utcnow)


class CodeRow(Base):
    __tablename__ = "codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    codebook_version_id: Mapped[int] = mapped_column(ForeignKey("codebook_versions.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(200))
    parent: Mapped[str | None] = mapped_column(String(200), nullable=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    color: Mapped[str | None] = mapped_column(String(16), nullable=True)
    definition: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    __table_args__ = (UniqueConstraint("codebook_version_id", "code"),)


class Coder(Base):
    __tablename__ = "coders"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="human")  # human | auto | consensus
    created: Mapped[str] = mapped_column(String(40), default=utcnow)


class Coding(Base):
    __tablename__ = "codings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(200))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    coder: Mapped[str] = mapped_column(ForeignKey("coders.name"))
    codebook_version_id: Mapped[int | None] = mapped_column(ForeignKey("codebook_versions.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="accepted")  # suggested | accepted | rejected
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    method: Mapped[str] = mapped_column(String(32), default="manual")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    created: Mapped[str] = mapped_column(String(40), default=utcnow)
    __table_args__ = (Index("ix_codings_coder_doc", "coder", "document_id"),)


class Link(Base):
    __tablename__ = "links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    from_code: Mapped[str] = mapped_column(String(200))
    to_code: Mapped[str] = mapped_column(String(200))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    coder: Mapped[str] = mapped_column(ForeignKey("coders.name"))
    method: Mapped[str] = mapped_column(String(32), default="manual")
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    created: Mapped[str] = mapped_column(String(40), default=utcnow)


class Run(Base):
    """The audit trail: one row per command that changed the project."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    command: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started: Mapped[str] = mapped_column(String(40), default=utcnow)
    finished: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Embedding(Base):
    """Sentence-embedding cache, keyed by text hash and model."""

    __tablename__ = "embeddings"
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


# --------------------------------------------------------------------------- engine


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # pragma: no cover - trivial
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite, turn on WAL and foreign keys on every connection."""
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:  # bad URL or missing driver
        raise ProjectError(f"cannot use database URL '{_redact(url)}': {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _redact(url: str) -> str:
    """Hide a password in a database URL before showing it."""
    import re

    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any exception."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def create_schema(engine: Engine) -> None:
    """Create all tables and record the schema version (in one transaction)."""
    with engine.begin() as conn:
        Base.metadata.create_all(conn)
    with session_scope(engine) as s:
        s.merge(Meta(key="schema_version", value=str(SCHEMA_VERSION)))
        if s.get(Meta, "created") is None:
            s.add(Meta(key="created", value=utcnow()))


def stored_schema_version(engine: Engine) -> int | None:
    """The schema version recorded in the database, or None when it holds no coder project."""
    try:
        if not inspect(engine).has_table("meta"):
            return None
        with Session(engine) as s:
            row = s.get(Meta, "schema_version")
    except OperationalError as exc:  # cannot connect, or not a database at all
        raise ProjectError(f"cannot open the project database: {str(exc.orig).splitlines()[0]}") from None
    return int(row.value) if row is not None else None


# Migrations: MIGRATIONS[v] upgrades a project from schema version v to v + 1.
# Each runs inside one transaction together with the version bump.
MIGRATIONS: dict[int, Callable[[Session], None]] = {}


def check_schema(engine: Engine, where: str) -> None:
    """Refuse, with a way forward, to open a project of another schema version."""
    version = stored_schema_version(engine)
    if version is None:
        raise ProjectError(f"{where} is not a coder project database (no schema version); create one with 'coder init'")
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{where} was written by a newer coder (schema version {version}; this coder reads {SCHEMA_VERSION}); "
            "upgrade coder: pip install -U coder"
        )
    raise SchemaVersionError(
        f"{where} uses schema version {version}; this coder uses {SCHEMA_VERSION}. "
        f"Back it up, then run 'coder migrate {where}'"
    )


def migrate(engine: Engine) -> tuple[int, int]:
    """Upgrade the database to :data:`SCHEMA_VERSION`, one version per transaction.

    Returns ``(from_version, to_version)``.
    """
    start = stored_schema_version(engine)
    if start is None:
        raise ProjectError("not a coder project database (no schema version)")
    if start > SCHEMA_VERSION:
        raise SchemaVersionError(f"schema version {start} is newer than this coder's {SCHEMA_VERSION}; upgrade coder")
    version = start
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise SchemaVersionError(
                f"no migration from schema version {version} to {version + 1}; "
                "re-import the transcripts into a new project with 'coder init'"
            )
        with session_scope(engine) as s:
            step(s)
            s.merge(Meta(key="schema_version", value=str(version + 1)))
        version += 1
    with engine.begin() as conn:  # tables added in this version that a migration did not create
        Base.metadata.create_all(conn)
    return start, version


def insert_many(conn, table, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, chunk: int = 5000,
                progress: Callable[[int, int], None] | None = None, fast: bool | None = None) -> None:
    """Insert many rows (tuples of values for ``columns``) into ``table`` on a Core connection.

    On SQLite the values are turned into what SQLAlchemy would bind — each
    column type's own bind processor, such as the JSON serializer — column by
    column, and the DBAPI's ``executemany`` runs the statement SQLAlchemy
    compiles for these columns (``conn.exec_driver_sql``): the same rows as
    ``conn.execute(table.insert(), dicts)``, without SQLAlchemy's per-row
    parameter handling, which costs several times the insert itself.  Other
    backends (PostgreSQL …) take that generic Core path, as does ``fast=False``.
    """
    dialect = conn.dialect
    if fast is None:
        fast = dialect.name == "sqlite"
    total = len(rows)
    if fast:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
        # positional parameters naming exactly the given columns (a Python-side default of an omitted
        # column would add one SQLAlchemy computes per row: leave such tables to the Core path)
        fast = bool(compiled.positional) and sorted(compiled.positiontup or ()) == sorted(columns)
    if not fast:
        for i in range(0, total, chunk):
            conn.execute(table.insert(), [dict(zip(columns, r)) for r in rows[i:i + chunk]])
            if progress:
                progress(min(i + chunk, total), total)
        return
    slot = {name: k for k, name in enumerate(columns)}
    order = [slot[name] for name in compiled.positiontup]  # bind parameter names are the column keys here
    procs = [_bulk_processor(table.c[columns[k]].type, dialect) for k in order]
    sql = compiled.string
    convert = _row_converter(order, procs)
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    if cache is not None and ((cache < 0 and -cache < _BULK_CACHE_KIB) or 0 <= cache < _BULK_CACHE_KIB // 4):
        # room for the new rows and index pages: otherwise SQLite writes dirty pages out mid-transaction
        # and rewrites index pages it touches again; the setting is restored below
        conn.exec_driver_sql(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
    else:
        cache = None
    try:
        for i in range(0, total, chunk):
            conn.exec_driver_sql(sql, convert(rows[i:i + chunk]))
            if progress:
                progress(min(i + chunk, total), total)
    finally:
        if cache is not None:
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")


_BULK_CACHE_KIB = 65536  # SQLite page cache during a bulk insert (allocated as used)


def _row_converter(order: list[int], procs: list[Callable[[Any], Any] | None]):
    """Rows to DBAPI parameter tuples: ``order[pos]`` is the row item bound at ``pos``, ``procs[pos]`` its
    processor (or None)."""
    from operator import itemgetter

    processed = [pos for pos, proc in enumerate(procs) if proc is not None]
    identity = order == list(range(len(order)))
    pick = itemgetter(*order) if len(order) > 1 else (lambda r: (r[order[0]],))
    if not processed:
        return list if identity else (lambda part: [pick(r) for r in part])
    if len(processed) == 1:  # the common case: one JSON column, spliced into each tuple
        k = processed[0]
        proc = procs[k]
        if identity:
            return lambda part: [r[:k] + (proc(r[k]),) + r[k + 1:] for r in part]
        return lambda part: [t[:k] + (proc(t[k]),) + t[k + 1:] for t in map(pick, part)]

    def convert(part):
        out = []
        for t in map(pick, part):
            t = list(t)
            for pos in processed:
                t[pos] = procs[pos](t[pos])
            out.append(tuple(t))
        return out

    return convert


def _bulk_processor(type_, dialect) -> Callable[[Any], Any] | None:
    """The column type's bind processor; for JSON bound with the default ``json.dumps``, the same C encoder
    ``json.dumps`` builds for every call, built once (dicts and lists only; anything else as usual)."""
    proc = type_.dialect_impl(dialect).bind_processor(dialect)
    str_impl = getattr(type_, "_str_impl", None)
    if (proc is None or not isinstance(type_, JSON) or getattr(dialect, "_json_serializer", "?") is not None
            or str_impl is None or str_impl.dialect_impl(dialect).bind_processor(dialect) is not None):
        return proc
    from json import encoder as json_encoder

    if json_encoder.c_make_encoder is None:
        return proc
    default = json.JSONEncoder()  # json.dumps' own settings
    state: dict[str, Any] = {}

    def make():  # exactly what JSONEncoder.iterencode(o, _one_shot=True) builds
        return json_encoder.c_make_encoder({}, default.default, json_encoder.encode_basestring_ascii, None,
                                           default.key_separator, default.item_separator, default.sort_keys,
                                           default.skipkeys, default.allow_nan)

    def process(value):
        if type(value) is not dict and type(value) is not list:
            return proc(value)
        try:
            return "".join(state["encode"](value, 0))
        except KeyError:
            state["encode"] = make()
            return process(value)
        except Exception:
            state["encode"] = make()  # fresh circular-reference markers after a failure
            return proc(value)  # raises as json.dumps does

    return process


def get_meta(session: Session, key: str, default: str | None = None) -> str | None:
    row = session.get(Meta, key)
    return row.value if row is not None else default


def set_meta(session: Session, key: str, value: Any) -> None:
    session.merge(Meta(key=key, value=value if isinstance(value, str) else json.dumps(value)))


def exists(session: Session, stmt) -> bool:
    return session.execute(select(stmt.exists())).scalar()
