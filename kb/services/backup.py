"""Backups of a whole installation, and restoring one into a new, empty installation.

A backup is a portable archive (``.tar.gz``), independent of the database engine, so a
backup of a SQLite installation restores into PostgreSQL and back::

    manifest.json          format version, product version, schema fingerprint and
                           revision, row counts per table, files, created-at
    tables/<table>.jsonl   one JSON object per row, columns by name
    files/<path>           files the installation keeps in its instance folder
                           (the mail outbox, when no SMTP server is set)

Every table of the models is in it, read in one transaction (one consistent snapshot),
except the derived views (the read model), which are rebuilt on restore like the search
index. Restoring writes every table in one transaction into a database whose tables are
all empty, and refuses anything else: nothing is ever half-written or mixed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from flask import current_app
from sqlalchemy import Date, DateTime, Integer, LargeBinary, Table, func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, IntegrityError

from kb.db import get_db
from kb.models import Base
from kb.services.errors import ServiceError
from kb.services.identity import Identity
from kb.services.permissions import require

FORMAT = "practice-exchange-backup"
FORMAT_VERSION = 1
# derived from the other tables (kb.services.readmodel): rebuilt on restore, not backed up
DERIVED_TABLES = frozenset({"read_model_state", "read_lineage", "read_similar"})
# folders of the instance folder that hold data of their own (not derived, not settings)
INSTANCE_FOLDERS = ("outbox",)
CHUNK = 1000  # rows read or written at a time

Progress = Callable[[int], None]


class BackupError(ServiceError):
    """A backup cannot be made or restored; the message says why and what to do."""


@dataclass
class BackupManifest:
    format_version: int
    product_version: str
    created_at: str
    database: str
    schema_fingerprint: str
    schema_revision: str | None
    tables: dict[str, int]
    columns: dict[str, list[str]]
    files: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, **self.__dict__}


# --------------------------------------------------------------------- schema


def backed_up_tables() -> list[Table]:
    """The tables a backup holds, parents before the tables that refer to them."""
    return [t for t in Base.metadata.sorted_tables if t.name not in DERIVED_TABLES]


def schema_columns() -> dict[str, list[str]]:
    return {t.name: [c.name for c in t.columns] for t in backed_up_tables()}


def schema_fingerprint(columns: dict[str, list[str]] | None = None) -> str:
    """A short hash of the tables and columns a backup holds."""
    columns = schema_columns() if columns is None else columns
    text_ = json.dumps({t: sorted(c) for t, c in sorted(columns.items())}, sort_keys=True)
    return hashlib.sha256(text_.encode()).hexdigest()[:16]


def _schema_revision(connection: Connection) -> str | None:
    """The migration revision of the database, when it has one (Alembic's table)."""
    from sqlalchemy import inspect

    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _product_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("practice-exchange")
    except PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------- values


def _encode(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(table: Table) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Turn a row read from a backup back into the values the column types take."""
    convert: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, DateTime):
            convert[column.name] = dt.datetime.fromisoformat
        elif isinstance(kind, Date):
            convert[column.name] = dt.date.fromisoformat
        elif isinstance(kind, LargeBinary):
            convert[column.name] = base64.b64decode

    def decode(row: dict[str, Any]) -> dict[str, Any]:
        for name, fn in convert.items():
            if row.get(name) is not None:
                row[name] = fn(row[name])
        return row
    return decode


# --------------------------------------------------------------------- backup


@dataclass
class BackupReport:
    path: Path
    manifest: BackupManifest


def instance_backup(identity: Identity, path: Path, on_total: Progress | None = None,
                    progress: Progress | None = None) -> BackupReport:
    """Write the whole installation to ``path`` (a .tar.gz); returns what it holds.

    The tables are read in one transaction, so the backup is one consistent snapshot
    even while the portal keeps serving. The archive is written beside ``path`` and
    renamed into place when complete.
    """
    require(identity, "instance.backup")
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a folder: give the name of the backup file to write")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} does not exist: create it first")
    db = get_db()
    tables = backed_up_tables()
    files = _instance_files()
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with db.engine.connect() as connection:
        _snapshot(connection)
        counts = {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in tables}
        if on_total:
            on_total(sum(counts.values()) + len(files))
        manifest = BackupManifest(
            format_version=FORMAT_VERSION, product_version=_product_version(),
            created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            database=connection.dialect.name, schema_fingerprint=schema_fingerprint(),
            schema_revision=_schema_revision(connection), tables=counts,
            columns=schema_columns(), files=[name for name, _ in files])
        done = 0
        try:
            with tarfile.open(tmp, "w:gz") as archive:
                # first, so reading it needs no pass over the rows
                _add_bytes(archive, "manifest.json",
                           json.dumps(manifest.as_json(), indent=2).encode())
                for table in tables:
                    with tempfile.TemporaryFile() as rows:
                        for row in _rows(connection, table):
                            rows.write(json.dumps(
                                {k: _encode(v) for k, v in row.items()},
                                ensure_ascii=False).encode() + b"\n")
                            done += 1
                            if progress and not done % CHUNK:
                                progress(done)
                        _add(archive, f"tables/{table.name}.jsonl", rows)
                for name, data in files:
                    _add_bytes(archive, f"files/{name}", data)
                    done += 1
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
            connection.rollback()
    if progress:
        progress(done)
    return BackupReport(path=path, manifest=manifest)


def _snapshot(connection: Connection) -> None:
    """Begin a transaction that reads one consistent state of every table."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")  # a read transaction: one WAL snapshot
        connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, "
                                   "READ ONLY")


def _rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(stream_results=True, yield_per=CHUNK).execute(
        select(table).order_by(*order))
    for row in result.mappings():
        yield dict(row)


def _instance_files() -> list[tuple[str, bytes]]:
    """(name in the archive, contents) of the files the instance folder keeps as data,
    read at once (small messages), so the manifest lists exactly what the archive holds."""
    instance = Path(current_app.instance_path)
    out = []
    for folder in INSTANCE_FOLDERS:
        root = instance / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            try:
                if path.is_file():
                    out.append((str(path.relative_to(instance)), path.read_bytes()))
            except FileNotFoundError:  # removed while listed
                continue
    return out


def _add(archive: tarfile.TarFile, name: str, handle: IO[bytes]) -> None:
    size = handle.tell()
    handle.seek(0)
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(dt.datetime.now().timestamp())
    archive.addfile(info, handle)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    handle = io.BytesIO(data)
    handle.seek(len(data))
    _add(archive, name, handle)


# --------------------------------------------------------------------- restore


@dataclass
class RestoreReport:
    manifest: BackupManifest
    rows: int


def backup_manifest(path: Path) -> BackupManifest:
    """The manifest of a backup file; BackupError when it is not one this version reads."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile("manifest.json")
            data = json.loads(member.read()) if member else None
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except (tarfile.TarError, KeyError, OSError, EOFError, ValueError) as exc:
        raise BackupError(f"{path} is not a backup of the practice exchange ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path} is not a backup of the practice exchange")
    if data.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} is a backup in format {data.get('format_version')}; this "
                          f"version reads format {FORMAT_VERSION}")
    data.pop("format")
    return BackupManifest(**data)


def instance_restore(identity: Identity, path: Path, on_total: Progress | None = None,
                     progress: Progress | None = None) -> RestoreReport:
    """Restore a backup into this installation, whose database must be empty.

    The schema must exist (the caller creates it as `kb init` does). Every table is written in one transaction (all or nothing); the files of the
    instance folder are put in place after the commit. The caller then rebuilds the
    derived views (the search index and the read model).
    """
    require(identity, "instance.backup")
    path = Path(path)
    manifest = backup_manifest(path)
    _check_schema(manifest, path)
    db = get_db()
    db.session.remove()
    staged = Path(tempfile.mkdtemp(dir=current_app.instance_path, prefix=".restore-"))
    try:
        with tarfile.open(path, "r:gz") as archive, db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")  # no writer in between
            try:
                _write_tables(connection, archive, manifest, path, on_total, progress)
            except (IntegrityError, DataError) as exc:  # rolled back: never committed
                raise BackupError(f"{path} is damaged or does not fit this database; "
                                  f"nothing was restored ({exc.orig})") from None
            for name in manifest.files:
                _stage_file(archive, name, staged, path)
            connection.commit()
        _put_files_in_place(staged, manifest.files)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return RestoreReport(manifest=manifest, rows=manifest.rows)


def _write_tables(connection: Connection, archive: tarfile.TarFile, manifest: BackupManifest,
                  path: Path, on_total: Progress | None, progress: Progress | None) -> None:
    tables = {t.name: t for t in backed_up_tables()}
    _require_empty(connection, tables.values())
    if on_total:
        on_total(manifest.rows)
    done = 0
    deferred: list[tuple[Table, dict[str, Any]]] = []
    for name, table in tables.items():
        if name not in manifest.tables:
            continue  # a table this version added: it starts empty
        later = _cyclic_columns(table)
        decode = _decoder(table)
        batch: list[dict[str, Any]] = []
        for row in _archive_rows(archive, name, path):
            row = decode(row)
            if later:
                values = {c: row.get(c) for c in later}
                if any(v is not None for v in values.values()):
                    deferred.append((table, {**_key(table, row), **values}))
                row.update({c: None for c in later})
            batch.append(row)
            if len(batch) >= CHUNK:
                connection.execute(table.insert(), batch)
                done += len(batch)
                batch = []
                if progress:
                    progress(done)
        if batch:
            connection.execute(table.insert(), batch)
            done += len(batch)
            if progress:
                progress(done)
    for table, values in deferred:
        keys = {c.name for c in table.primary_key.columns}
        connection.execute(update(table).where(
            *(table.c[k] == values[k] for k in keys)).values(
            {k: v for k, v in values.items() if k not in keys}))
    _check_counts(connection, tables, manifest, path)
    _reset_sequences(connection, tables.values())


def _check_schema(manifest: BackupManifest, path: Path) -> None:
    """Refuse a backup with tables or columns this version does not have (a newer one)."""
    ours = schema_columns()
    unknown = [f"{t}" for t in manifest.columns if t not in ours]
    unknown += [f"{t}.{c}" for t, cols in manifest.columns.items() if t in ours
                for c in cols if c not in ours[t]]
    if unknown:
        raise BackupError(
            f"{path} was made by version {manifest.product_version} and holds data this "
            f"version ({_product_version()}) has no place for ({', '.join(unknown[:5])}): "
            "restore it with that version, or a newer one")


def _require_empty(connection: Connection, tables) -> None:
    filled = {}
    for table in tables:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if count:
            filled[table.name] = count
    if filled:
        shown = ", ".join(f"{n} {name}" for name, n in sorted(filled.items())[:4])
        raise BackupError(
            f"the database {get_db().location} already holds data ({shown}"
            f"{', ...' if len(filled) > 4 else ''}): a backup is restored only into a new, "
            "empty installation (set KB_INSTANCE_PATH or KB_DATABASE_URL to a new one)")
    outbox = Path(current_app.instance_path) / "outbox"
    if outbox.is_dir() and any(outbox.iterdir()):
        raise BackupError(f"{outbox} already holds messages: a backup is restored only into "
                          "a new, empty installation")


def _cyclic_columns(table: Table) -> list[str]:
    """Columns whose foreign key closes a cycle (created after both tables): written by
    an update once every row is in."""
    return [fk.parent.name for fk in table.foreign_keys
            if fk.use_alter or (fk.constraint is not None and fk.constraint.use_alter)]


def _key(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    return {c.name: row[c.name] for c in table.primary_key.columns}


def _archive_rows(archive: tarfile.TarFile, name: str, path: Path) -> Iterator[dict]:
    try:
        member = archive.extractfile(f"tables/{name}.jsonl")
    except KeyError:
        raise BackupError(f"{path} is incomplete: tables/{name}.jsonl is missing") from None
    if member is None:
        raise BackupError(f"{path} is damaged: tables/{name}.jsonl is not a file")
    for number, line in enumerate(member, 1):
        try:
            yield json.loads(line)
        except ValueError:
            raise BackupError(f"{path} is damaged: tables/{name}.jsonl, line {number} "
                              "is not JSON") from None


def _check_counts(connection: Connection, tables: dict[str, Table],
                  manifest: BackupManifest, path: Path) -> None:
    for name, expected in manifest.tables.items():
        got = connection.execute(select(func.count()).select_from(tables[name])).scalar_one()
        if got != expected:
            raise BackupError(f"{path} is damaged: {name} holds {got} rows, the manifest "
                              f"says {expected}")


def _reset_sequences(connection: Connection, tables) -> None:
    """PostgreSQL: let new rows take ids after the restored ones."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            if len(table.primary_key.columns) == 1 and isinstance(column.type, Integer) \
                    and column.autoincrement in (True, "auto") and not column.foreign_keys:
                connection.execute(text(
                    "SELECT setval(pg_get_serial_sequence(:t, :c), "
                    f"coalesce((SELECT max({column.name}) FROM {table.name}), 0) + 1, false)"),
                    {"t": table.name, "c": column.name})


def _stage_file(archive: tarfile.TarFile, name: str, staged: Path, path: Path) -> None:
    target = (staged / name).resolve()
    if not target.is_relative_to(staged.resolve()) or \
            not name.startswith(tuple(f"{f}/" for f in INSTANCE_FOLDERS)):
        raise BackupError(f"{path} is damaged: it names a file outside the instance "
                          f"folder ({name})")
    member = archive.extractfile(f"files/{name}")
    if member is None:
        raise BackupError(f"{path} is incomplete: files/{name} is missing")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        shutil.copyfileobj(member, out)


def _put_files_in_place(staged: Path, names: list[str]) -> None:
    instance = Path(current_app.instance_path)
    for name in names:
        target = instance / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged / name, target)
