"""Where the engine path reads from: source specs and the engines that run the aggregation.

Source specs (the CLI's ``--candidate``/``--baseline`` values and ``gate.check``'s strings):

- ``parquet:PATH`` — a Parquet dataset: a file, a directory (every ``*.parquet`` below it) or a glob
  (``data/cand/**/*.parquet``); hive partition directories (``region=eu/``) become columns;
- ``duckdb:FILE?table=NAME`` — a table (or view) of a DuckDB database file, opened read-only;
- ``spark:NAME`` — a table of the Spark session's catalog (``db.table``);
- a query (``--candidate-query 'SELECT …'``): run by the engine, on ``--database FILE`` for DuckDB.

In Python the candidate/baseline may also be a DuckDB relation (``duckdb.sql("SELECT …")``, both from one
connection) or a Spark DataFrame. The engine (``duckdb`` unless a source is Spark's) is an
:class:`Engine`: it defines the two views the queries of :mod:`gate.engines.sql` read and runs them.
Every engine error a user can cause (a missing file, table or column, a bad query) is an
:class:`~gate.errors.InputError` naming the source.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from sqlglot import exp

from gate.engines import sql
from gate.errors import InputError, UsageError, clip

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class EngineSource:
    """One side's data for the engine path. ``kind`` is ``parquet``, ``duckdb-table``, ``query``,
    ``spark-table``, ``duckdb-relation`` or ``spark-dataframe``; ``shown`` is how messages and the
    report's artifact name it; ``obj`` is the relation or DataFrame."""

    kind: str
    target: str
    shown: str
    database: str | None = None
    obj: Any = None

    @property
    def engine(self) -> str | None:
        """The engine this source needs (None: any)."""
        if self.kind in ("spark-table", "spark-dataframe"):
            return "spark"
        if self.kind in ("duckdb-table", "duckdb-relation"):
            return "duckdb"
        return None

    @property
    def format(self) -> str:
        """The artifact's format in the report: what the data is, not which engine read it, so that
        DuckDB and Spark give the same report for the same dataset."""
        return {"parquet": "parquet-dataset", "query": "sql-query"}.get(self.kind, self.kind)


def engine_source(source: object, role: str) -> EngineSource:
    """The EngineSource of a spec string, relation or DataFrame. Raises UsageError for a malformed spec."""
    if isinstance(source, EngineSource):
        return source
    if _is_duckdb_relation(source):
        return EngineSource("duckdb-relation", "", f"<{role} DuckDB relation>", obj=source)
    if _is_spark_dataframe(source):
        return EngineSource("spark-dataframe", "", f"<{role} Spark DataFrame>", obj=source)
    assert isinstance(source, str)
    scheme, _, rest = source.partition(":")
    if not rest:
        raise UsageError(f"'{clip(source)}' names no data after '{scheme}:'", source="command line",
                         fix="e.g. parquet:data/cand/ or duckdb:evals.db?table=candidate or spark:db.table")
    if scheme == "parquet":
        return EngineSource("parquet", rest, source)
    if scheme == "spark":
        return EngineSource("spark-table", rest, source)
    path, _, query = rest.partition("?")
    table = parse_qs(query).get("table", [""])[0] if query else ""
    if not table:
        raise UsageError(f"'{clip(source)}' names a DuckDB database but no table", source="command line",
                         fix="add ?table=NAME, or give the database with --database and a --candidate-query")
    return EngineSource("duckdb-table", table, source, database=path)


def query_source(query: str, role: str, database: str | None = None) -> EngineSource:
    """A SQL query as one side's data (``--candidate-query``)."""
    if not query.strip():
        raise UsageError(f"--{role}-query is empty", source="command line", fix="give a SELECT statement")
    return EngineSource("query", query, f"<{role} query>", database=database)


def pick_engine(requested: str | None, sources: list[EngineSource]) -> str:
    """The engine that runs every source: the requested one, else the one a source needs, else DuckDB."""
    needed = {s.engine for s in sources} - {None}
    if len(needed) > 1:
        raise UsageError("the candidate and the baseline need different engines (DuckDB and Spark)",
                         source="arguments", fix="read both sides through one engine")
    engine = requested or (needed.pop() if needed else "duckdb")
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{clip(engine)}'", source="arguments", fix="use duckdb or spark")
    wrong = next((s for s in sources if s.engine not in (None, engine)), None)
    if wrong is not None:
        raise UsageError(f"{clip(wrong.shown)} is read by {wrong.engine}, not {engine}", source="arguments",
                         fix=f"drop --engine {engine}, or give a source {engine} can read")
    return engine


def _is_duckdb_relation(x: object) -> bool:
    return type(x).__name__ == "DuckDBPyRelation"


def _is_spark_dataframe(x: object) -> bool:
    return type(x).__name__ == "DataFrame" and type(x).__module__.startswith("pyspark.")


# ---------------------------------------------------------------------------------------------
# engines


class Engine(ABC):
    """Runs the aggregation queries on two views, ``sql.CANDIDATE_VIEW`` and ``sql.BASELINE_VIEW``."""

    dialect = ""

    @abstractmethod
    def columns(self, view: str) -> list[str]:
        """The view's column names."""

    @abstractmethod
    def rows(self, query: exp.Expr, what: str) -> list[tuple]:
        """The query's result rows (``what`` names the query in an error)."""

    @abstractmethod
    def is_integer(self, view: str, column: str) -> bool:
        """Whether the view's column has an integer type (ids are then joined as they are)."""

    @abstractmethod
    def is_numeric(self, view: str, column: str) -> bool:
        """Whether the view's column has a numeric type (scores can then be binned)."""


def _missing_extra(extra: str, module: str) -> UsageError:
    return UsageError(f"the {extra} engine needs the Python package '{module}', which is not installed",
                      source="arguments", fix=f"pip install 'model-gate[{extra}]'")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class DuckDBEngine(Engine):
    """An in-process DuckDB: a read-only database file, the connection of the given relations, or an
    in-memory database (Parquet datasets, queries without ``--database``)."""

    dialect = "duckdb"

    def __init__(self, sources: dict[str, EngineSource]) -> None:
        try:
            import duckdb
        except ImportError:
            raise _missing_extra("duckdb", "duckdb") from None
        self._duckdb = duckdb
        self._relation = None
        self._shown: dict[str, str] = {}
        databases = {s.database for s in sources.values() if s.database}
        if len(databases) > 1:
            raise UsageError("the candidate and the baseline are in two DuckDB databases", source="arguments",
                             fix="put both tables in one database file, or read them through queries on one --database")
        relations = [s.obj for s in sources.values() if s.kind == "duckdb-relation"]
        self.con = None if relations else self._connect(databases.pop() if databases else None)
        for view, source in sources.items():
            self._define(view, source)

    def _connect(self, database: str | None):
        """Our own connection, without DuckDB's progress bar: it prints to stdout, which carries the
        report with ``--format json`` (model-gate names the stage on stderr instead)."""
        if database is not None and not os.path.isfile(database):
            raise InputError("no such DuckDB database file", source=database, fix="check the path")
        try:
            con = self._duckdb.connect() if database is None else self._duckdb.connect(database, read_only=True)
        except self._duckdb.Error as exc:
            raise InputError(f"cannot be opened by DuckDB ({clip(_first_line(exc), 200)})", source=database,
                             fix="give a DuckDB database file (written by the same or an older DuckDB)") from None
        con.execute("SET enable_progress_bar = false")
        self._trust_no_nan_statistics(con)
        self._limit_memory(con)
        return con

    def _trust_no_nan_statistics(self, con) -> None:
        """Parquet's min/max statistics leave NaN out (pyarrow and Spark write them so), and DuckDB
        then folds ``isnan(score)`` to false and compares a NaN as the largest score: a NaN would
        land silently in the top score bin instead of being the input error it is. Turned off on our
        own connection (a relation's connection is the caller's; older DuckDB versions lack the setting)."""
        try:
            con.execute("SET parquet_can_have_nan = true")
        except self._duckdb.Error:
            pass

    def _limit_memory(self, con) -> None:
        """``MODEL_GATE_DUCKDB_MEMORY`` (e.g. ``1G``): DuckDB's memory limit, its joins spilling to
        a private temporary directory (removed with the engine) instead of growing with the rows."""
        from gate.engines import DUCKDB_MEMORY
        limit = DUCKDB_MEMORY.value()
        if not limit:
            return
        spill = tempfile.mkdtemp(prefix="model-gate-duckdb.")
        weakref.finalize(self, shutil.rmtree, spill, True)
        con.execute(f"SET memory_limit = '{max(1, limit >> 20)}MiB'")
        con.execute(f"SET temp_directory = '{spill.replace(chr(39), chr(39) * 2)}'")
        con.execute("SET preserve_insertion_order = false")    # the cells are sorted by model-gate anyway

    def _define(self, view: str, source: EngineSource) -> None:
        self._shown[view] = source.shown
        name = exp.to_identifier(view, quoted=True).sql("duckdb")
        if source.kind == "duckdb-relation":
            if self._relation is None:
                self._relation = source.obj
            try:
                source.obj.create_view(view, replace=True)
            except self._duckdb.Error as exc:
                raise InputError(f"cannot be read ({clip(_first_line(exc), 200)})", source=source.shown) from None
            return
        if source.kind == "parquet":
            body = f"SELECT * FROM read_parquet({_parquet_glob(source.target)}, union_by_name = true)"
        elif source.kind == "duckdb-table":
            body = f"SELECT * FROM {_table_name(source.target).sql('duckdb')}"
        elif source.kind == "query":
            body = source.target
        else:
            raise UsageError(f"{source.shown} cannot be read by DuckDB", source="arguments", fix="use --engine spark")
        self._execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {body}", source.shown)

    def _execute(self, text: str, shown: str) -> list[tuple]:
        try:
            if self.con is not None:
                return self.con.execute(text).fetchall()
            assert self._relation is not None
            return self._relation.query("model_gate_self", text).fetchall()
        except self._duckdb.Error as exc:
            raise InputError(f"DuckDB: {clip(_first_line(exc), 300)}", source=shown,
                             fix=_duckdb_fix(exc)) from None

    def rows(self, query: exp.Expr, what: str) -> list[tuple]:
        return self._execute(sql.render(query, "duckdb"), what)

    def is_integer(self, view: str, column: str) -> bool:
        return self._types(view).get(column, "") in _DUCKDB_INTEGERS

    def _types(self, view: str) -> dict[str, str]:
        name = exp.to_identifier(view, quoted=True).sql("duckdb")
        text = f"SELECT * FROM {name} LIMIT 0"
        try:
            if self.con is not None:
                return {d[0]: str(d[1]) for d in self.con.execute(text).description}
            assert self._relation is not None
            rel = self._relation.query("model_gate_self", text)
            return {c: str(t) for c, t in zip(rel.columns, rel.types)}
        except self._duckdb.Error as exc:
            raise InputError(f"DuckDB: {clip(_first_line(exc), 300)}", source=self._shown[view],
                             fix=_duckdb_fix(exc)) from None

    def is_numeric(self, view: str, column: str) -> bool:
        kind = self._types(view).get(column, "")
        return kind in _DUCKDB_INTEGERS or kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL")

    def columns(self, view: str) -> list[str]:
        return list(self._types(view))


_DUCKDB_INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                              "UINTEGER", "UBIGINT", "UHUGEINT"})


def _duckdb_fix(exc: BaseException) -> str:
    kind = type(exc).__name__
    if kind == "CatalogException":
        return "check the table name (SHOW TABLES in the duckdb shell lists them)"
    if kind == "IOException":
        return "check the path or glob: it must match at least one Parquet file"
    return "check the query and the columns the policy's data: section names"


def _parquet_glob(path: str) -> str:
    """``read_parquet``'s argument: a directory means every Parquet file below it."""
    target = path.rstrip("/") + "/**/*.parquet" if os.path.isdir(path) else path
    return exp.Literal.string(target).sql("duckdb")


_TABLE_PART = re.compile(r"[^.]+")


def _table_name(name: str) -> exp.Table:
    """``db.schema.table`` as quoted identifiers (a dot separates parts; no other parsing)."""
    parts = _TABLE_PART.findall(name)
    if not parts or len(parts) > 3:
        raise UsageError(f"'{clip(name)}' is not a table name", source="command line",
                         fix="give NAME, schema.NAME or catalog.schema.NAME")
    ids = [exp.to_identifier(p, quoted=True) for p in parts]
    return exp.Table(this=ids[-1], db=ids[-2] if len(ids) > 1 else None, catalog=ids[-3] if len(ids) > 2 else None)


class SparkEngine(Engine):
    """The user's SparkSession (the active one, else ``SparkSession.builder.getOrCreate()``, which
    reads spark-submit's and ``spark-defaults.conf``'s configuration): local mode or a cluster alike.
    A session model-gate creates has no console progress bar (``spark.ui.showConsoleProgress``): it
    redraws ``[Stage n:>`` on stderr, where model-gate names its own stages (and ``--quiet`` means quiet)."""

    dialect = "spark"

    def __init__(self, sources: dict[str, EngineSource]) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise _missing_extra("spark", "pyspark") from None
        frames = [s.obj for s in sources.values() if s.kind == "spark-dataframe"]
        self.spark = frames[0].sparkSession if frames else (
            SparkSession.getActiveSession()
            or SparkSession.builder.config("spark.ui.showConsoleProgress", "false").getOrCreate())
        self._shown: dict[str, str] = {}
        for view, source in sources.items():
            self._shown[view] = source.shown
            with self._errors(source.shown):
                self._frame(source).createOrReplaceTempView(view)

    def _frame(self, source: EngineSource):
        if source.kind == "spark-dataframe":
            return source.obj
        if source.kind == "parquet":
            return self.spark.read.parquet(source.target)
        if source.kind == "spark-table":
            return self.spark.table(_table_name(source.target).sql("spark"))
        if source.kind == "query":
            return self.spark.sql(source.target)
        raise UsageError(f"{source.shown} cannot be read by Spark", source="arguments", fix="use --engine duckdb")

    @contextmanager
    def _errors(self, shown: str) -> Iterator[None]:
        from pyspark.errors import PySparkException
        try:
            yield
        except PySparkException as exc:
            raise InputError(f"Spark: {clip(_first_line(exc), 300)}", source=shown,
                             fix="check the path, table or query and the columns the policy's data: section names") from None

    def columns(self, view: str) -> list[str]:
        with self._errors(self._shown[view]):
            return list(self.spark.table(view).columns)

    def rows(self, query: exp.Expr, what: str) -> list[tuple]:
        with self._errors(what):
            return [tuple(r) for r in self.spark.sql(sql.render(query, "spark")).collect()]

    def _kind(self, view: str, column: str) -> str | None:
        with self._errors(self._shown[view]):
            kinds = {f.name: f.dataType.typeName() for f in self.spark.table(view).schema.fields}
        return kinds.get(column)

    def is_integer(self, view: str, column: str) -> bool:
        return self._kind(view, column) in ("byte", "short", "integer", "long")

    def is_numeric(self, view: str, column: str) -> bool:
        kind = self._kind(view, column) or ""
        return kind in ("byte", "short", "integer", "long", "float", "double") or kind.startswith("decimal")


def open_engine(name: str, sources: dict[str, EngineSource]) -> Engine:
    """The engine ``name`` with ``sources`` (view name → source) defined as its views."""
    return DuckDBEngine(sources) if name == "duckdb" else SparkEngine(sources)
