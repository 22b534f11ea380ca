"""The aggregation, written once with sqlglot's expression builder and printed in each engine's dialect.

Every query reads two views the engine adapter defines (:data:`CANDIDATE_VIEW`, :data:`BASELINE_VIEW`)
and returns a few thousand rows at most: counts, never examples. User-controlled names (columns, tables)
only ever enter as sqlglot identifiers, so they are quoted for the dialect (``"a""b"`` in DuckDB,
```a``b``` in Spark), never pasted into SQL text.

Queries (``c`` and ``b`` are the two views with the id cast to trimmed text as ``mg_id``):

- :func:`id_check`: rows, distinct ids and empty ids of one side (ids must be unique and non-empty);
- :func:`duplicate_id`: one id that appears twice, for the message;
- :func:`pairing_counts`: rows per (in candidate, in baseline) over the full outer join by id;
- :func:`cells`: ``COUNT(*)`` per distinct combination of the fetched columns, of one side, or of both
  sides over the full outer join by id, with the two "id present" flags (so the same pass gives the
  pairing counts); at most ``limit`` rows come back. A score column with bin edges (``edges``) enters
  as its bin's lower edge (:func:`binned`) instead of its value, and a cell can carry its scores'
  exact sums, smallest and largest value (:func:`score_sums`);
- :func:`distinct_count`, :func:`value_count` and :func:`values_at`: a score column's distinct values
  (more than the cell limit: the exact cells cannot fit), its non-missing values and the values at
  given positions of its sorted order (the quantile bin edges, :mod:`gate.engines.bins`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp

CANDIDATE_VIEW = "model_gate_candidate"
BASELINE_VIEW = "model_gate_baseline"
ID = "mg_id"
COUNT = "mg_n"
DIALECTS = ("duckdb", "spark")


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _text_id(column: str, integer: bool) -> exp.Expr:
    """The id as trimmed text: ids are compared as text, as in the file path (SPEC §2). Integer ids
    on both sides are compared as they are: their text is a one-to-one function of the value, and
    a join on integers is cheaper than on their text."""
    if integer:
        return _col(column)
    return exp.Trim(this=exp.Cast(this=_col(column), to=exp.DataType.build("varchar")))


Edges = Mapping[str, Sequence[float]]
"""Bin edges per score column (sorted, distinct): the column's values enter as their bins' lower edges."""


def _value(column: str, edges: Edges) -> exp.Expr:
    return binned(_col(column), edges[column]) if column in edges else _col(column)


def _side(view: str, id_column: str | None, columns: Sequence[str], integer: bool = False,
          edges: Edges | None = None, raw: Sequence[str] = ()) -> exp.Select:
    """``SELECT <id as text> AS mg_id, col0 AS c0, ..., raw0 AS r0, ... FROM view`` (a binned column
    as its bin's edge; the ``raw`` columns as doubles, for :func:`score_sums`)."""
    items: list[exp.Expr] = [] if id_column is None else [exp.alias_(_text_id(id_column, integer), ID, quoted=True)]
    items += [exp.alias_(_value(c, edges or {}), f"c{i}", quoted=True) for i, c in enumerate(columns)]
    items += [exp.alias_(_double(_col(c)), f"r{i}", quoted=True) for i, c in enumerate(raw)]
    return exp.select(*(items or [exp.Literal.number(1)])).from_(exp.to_table(view, quoted=True))


def _with_sides(query: exp.Select, sides: dict[str, exp.Select]) -> exp.Select:
    for alias, select in sides.items():
        query = query.with_(alias, as_=select)
    return query


def _count() -> exp.Expr:
    return exp.alias_(exp.Count(this=exp.Star()), COUNT, quoted=True)


def _empty_id(integer: bool) -> exp.Expr:
    is_null = exp.Is(this=_col(ID), expression=exp.Null())
    return is_null if integer else exp.or_(is_null, exp.EQ(this=_col(ID), expression=exp.Literal.string("")))


def id_check(view: str, id_column: str, integer: bool = False) -> exp.Select:
    """``(rows, distinct non-empty ids, empty ids)`` of one view."""
    ids = _col(ID) if integer else exp.Nullif(this=_col(ID), expression=exp.Literal.string(""))
    q = exp.select(exp.Count(this=exp.Star()), exp.Count(this=exp.Distinct(expressions=[ids])),
                   exp.Sum(this=exp.If(this=_empty_id(integer), true=exp.Literal.number(1), false=exp.Literal.number(0))))
    return _with_sides(q.from_("s"), {"s": _side(view, id_column, [], integer)})


def duplicate_id(view: str, id_column: str, integer: bool = False) -> exp.Select:
    """The smallest id that appears more than once, and how often."""
    q = (exp.select(_col(ID), exp.Count(this=exp.Star())).from_("s").where(exp.Not(this=_empty_id(integer)))
         .group_by(_col(ID)).having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
         .order_by(_col(ID)).limit(1))
    return _with_sides(q, {"s": _side(view, id_column, [], integer)})


def _joined(id_column: str, cand: Sequence[str], base: Sequence[str], kind: str, integer: bool,
            edges: Edges | None = None, base_edges: Edges | None = None, sums: Sequence[str] = (),
            base_sums: Sequence[str] = ()) -> exp.Select:
    on = exp.EQ(this=_col(ID, "c"), expression=_col(ID, "b"))
    q = exp.select().from_(exp.to_table("c")).join(exp.to_table("b"), on=on, join_type=kind)
    return _with_sides(q, {"c": _side(CANDIDATE_VIEW, id_column, cand, integer, edges, sums),
                           "b": _side(BASELINE_VIEW, id_column, base, integer, base_edges, base_sums)})


def _flags() -> list[exp.Expr]:
    """Whether the joined row's id is in the candidate, in the baseline."""
    return [exp.Not(this=exp.Is(this=_col(ID, t), expression=exp.Null())) for t in ("c", "b")]


def pairing_counts(id_column: str, integer: bool = False) -> exp.Select:
    """Rows per (id in the candidate, id in the baseline) over the full outer join."""
    q = _joined(id_column, [], [], "full outer", integer)
    return q.select(*_flags(), exp.Count(this=exp.Star())).group_by(*_flags())


def cells(columns: Sequence[str], limit: int, *, view: str | None = None, id_column: str | None = None,
          base_columns: Sequence[str] = (), integer: bool = False, edges: Edges | None = None,
          base_edges: Edges | None = None, sums: Sequence[str] = (), base_sums: Sequence[str] = ()) -> exp.Select:
    """Counts per distinct combination of ``columns`` of ``view`` (one side), or — ``view`` None —
    per (in candidate, in baseline, the candidate's ``columns``, the baseline's ``base_columns``)
    over the full outer join by id: the paired cells and the pairing counts in one pass (a side's
    columns are NULL where it lacks the id). ``edges`` / ``base_edges``: score columns grouped by
    their bins (:func:`binned`) instead of their values. ``sums`` / ``base_sums``: score columns
    whose :func:`score_sums` follow the side's columns. A row: (flags,) the candidate's columns and
    sums, the baseline's columns and sums, the count."""
    if view is not None:
        keys: list[exp.Expr] = [_col(f"c{i}") for i in range(len(columns))]
        q = exp.select(*keys, *[a for i in range(len(sums)) for a in score_sums(_col(f"r{i}"))], _count()).from_("s")
        q = _with_sides(q, {"s": _side(view, None, columns, edges=edges, raw=sums)})
    else:
        assert id_column is not None
        keys = _flags()
        items: list[exp.Expr] = list(keys)
        for t, names, summed in (("c", columns, sums), ("b", base_columns, base_sums)):
            side_keys = [_col(f"c{i}", t) for i in range(len(names))]
            keys += side_keys
            items += side_keys + [a for i in range(len(summed)) for a in score_sums(_col(f"r{i}", t))]
        q = _joined(id_column, columns, base_columns, "full outer", integer, edges, base_edges, sums,
                    base_sums).select(*items, _count())
    if keys:
        q = q.group_by(*keys)
    return q.limit(limit)


SUM_SCALE = 2.0 ** 52
"""A score ``s`` in [0, 1] enters the sums as the integer ``⌊s·2^52⌋`` (``s·2^52`` is exact in
doubles), so the sums are integers, exact and the same whatever the engine adds them in."""
SUMS = 4
"""The aggregates :func:`score_sums` returns per score column."""


def score_sums(value: exp.Expr) -> list[exp.Expr]:
    """A cell's ``Σ⌊s·2^52⌋``, ``Σ⌊fl(s·s)·2^52⌋`` (DECIMAL(38, 0): exact; 10^8 rows stay below
    10^24, and an engine's BIGINT sum wraps silently) over its scores in [0, 1], then ``MIN(s)`` and
    ``MAX(s)`` over all of them (a score outside [0, 1], infinite or NaN shows there, for the
    alignment's message). Each row's ``⌊·⌋`` loses less than 2^-52, and ``s·s`` is one IEEE
    multiplication (correctly rounded in every engine): sums exact to 2^-52 per row, in any order.
    The cast only ever sees the score clamped to [0, 1] (NaN, the largest double in both engines'
    order, clamps to 1): an engine may evaluate it on rows the ``CASE`` leaves out (DuckDB does,
    under a join), and a NaN or infinite value would fail it."""
    in_unit = exp.and_(exp.GTE(this=value.copy(), expression=exp.Literal.number(0)),
                       exp.LTE(this=value.copy(), expression=exp.Literal.number(1)))
    clamped = exp.Least(this=exp.Greatest(this=value.copy(), expressions=[exp.Literal.number(0)]),
                        expressions=[exp.Literal.number(1)])

    def fixed(x: exp.Expr) -> exp.Expr:
        scaled = exp.Floor(this=exp.Mul(this=x, expression=_number(SUM_SCALE)))
        exact = exp.Cast(this=scaled, to=exp.DataType.build("decimal(38, 0)"))
        return exp.Sum(this=exp.If(this=in_unit.copy(), true=exact, false=exp.Null()))

    return [fixed(clamped.copy()), fixed(exp.Mul(this=clamped.copy(), expression=clamped.copy())),
            exp.Min(this=value.copy()), exp.Max(this=value.copy())]


def example_id(id_column: str, cand: dict[str, object], base: dict[str, object], integer: bool = False) -> exp.Select:
    """One shared id whose candidate row has the values ``cand`` and baseline row ``base`` (None:
    SQL NULL), the smallest: the example a paired-data message names."""
    conds: list[exp.Expr] = []
    for table, values in (("c", cand), ("b", base)):
        for i, value in enumerate(values.values()):
            column = _col(f"c{i}", table)
            conds.append(exp.Is(this=column, expression=exp.Null()) if value is None
                         else exp.EQ(this=column, expression=exp.convert(value)))
    q = _joined(id_column, list(cand), list(base), "inner", integer).select(_col(ID, "c"))
    return q.where(exp.and_(*conds) if conds else exp.true()).order_by(_col(ID, "c")).limit(1)


def _double(column: exp.Expr) -> exp.Expr:
    return exp.Cast(this=column, to=exp.DataType.build("double"))


def _number(x: float) -> exp.Expr:
    """A double literal that every dialect reads back as the same double: 17 significant digits in
    scientific notation (a double literal in DuckDB and Spark alike, never a decimal that an engine
    might round on its way to a double)."""
    return exp.Literal.number(f"{float(x):.16e}")


def binned(column: exp.Expr, edges: Sequence[float]) -> exp.Expr:
    """The lower edge of the bin ``[e_i, e_{i+1})`` that holds the column's value (the first edge
    below ``e_0``), found by a balanced tree of comparisons: ``log2(len(edges))`` comparisons a row,
    and only comparisons (no arithmetic), so every engine puts every value in the same bin. A
    missing or NaN score stays as it is, for the alignment's messages."""
    value = _double(column)

    def tree(lo: int, hi: int) -> exp.Expr:
        if hi - lo == 1:
            return _number(edges[lo])
        mid = (lo + hi) // 2
        return exp.If(this=exp.LT(this=value.copy(), expression=_number(edges[mid])), true=tree(lo, mid),
                      false=tree(mid, hi))

    missing = exp.or_(exp.Is(this=column.copy(), expression=exp.Null()), exp.IsNan(this=value.copy()))
    return exp.If(this=missing, true=value.copy(), false=tree(0, len(edges)))


def _scores(view: str, column: str) -> exp.Select:
    """One side's non-missing, non-NaN values of ``column`` as ``c0`` (doubles)."""
    value = _double(_col(column))
    keep = exp.and_(exp.Not(this=exp.Is(this=_col(column), expression=exp.Null())), exp.Not(this=exp.IsNan(this=value)))
    return exp.select(exp.alias_(value.copy(), "c0", quoted=True)).from_(exp.to_table(view, quoted=True)).where(keep)


def distinct_count(view: str, column: str) -> exp.Select:
    """How many distinct values ``column`` of ``view`` has (NULL not counted)."""
    return exp.select(exp.Count(this=exp.Distinct(expressions=[_col(column)]))).from_(exp.to_table(view, quoted=True))


def value_count(view: str, column: str) -> exp.Select:
    """How many rows of ``view`` have a (non-missing, non-NaN) value of ``column``."""
    return _with_sides(exp.select(exp.Count(this=exp.Star())).from_("s"), {"s": _scores(view, column)})


def values_at(view: str, column: str, positions: Sequence[int]) -> exp.Select:
    """The distinct values at the 1-based ``positions`` of the column's sorted values. The value at a
    position is the same whatever the engine, the partitioning or the row order (tied rows have the
    same value, whichever of them a ``ROW_NUMBER`` puts there)."""
    rank = exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=[exp.Ordered(this=_col("c0"))]))
    ranked = exp.select(_col("c0"), exp.alias_(rank, "mg_r", quoted=True)).from_("s")
    wanted = exp.In(this=_col("mg_r"), expressions=[exp.Literal.number(p) for p in positions])
    q = exp.select(_col("c0")).distinct().from_("r").where(wanted).order_by(_col("c0"))
    return _with_sides(q, {"s": _scores(view, column), "r": ranked})


def render(query: exp.Expr, dialect: str) -> str:
    """The query in one engine's SQL."""
    return query.sql(dialect=dialect)
