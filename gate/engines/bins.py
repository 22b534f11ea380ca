"""Quantile bins for continuous scores on the engine path (docs/scale.md, "Binned ranking gates").

The exact cells (one per distinct combination of the values the gates read) are tried first. When
they are more than :data:`gate.engines.MAX_CELLS` — a ranking gate over continuous scores at scale —
and every gate that reads scores has a proven error bound on binned scores (:data:`BINNED_METRICS`,
binary tasks), each side's score column is cut into at most :data:`gate.engines.SCORE_BINS` bins at
its own quantiles, and the cells are grouped by the bins' lower edges instead of the values:

- the edges are the values at the positions ``1 + ⌊j·n/k⌋`` (``j = 0 … k−1``) of the side's ``n``
  sorted non-missing scores (:func:`gate.engines.sql.values_at`): data values, the same whatever the
  engine, the partitioning or the row order; a value that fills several positions is one edge;
- with predictions from scores (``data.threshold``, or no prediction column) the threshold is an edge
  too, so ``edge ≥ threshold`` exactly when ``score ≥ threshold``: the confusion-matrix gates on the
  same run stay exact;
- a bin's edges are thresholds of the exact data, so the binned PR and ROC curves are points of the
  exact curves, and every gate that does not read scores is computed on exactly the same counts.

The ranking gates then see each bin as one tie group, and :mod:`gate.inference.binned` widens their
intervals by the bound of :mod:`gate.metrics.binned`. The calibration gates (ECE, Brier, log-loss)
take each cell's exact score sums and its smallest and largest score, which the engine returns with
the counts (:func:`gate.engines.sql.cells`); with an ECE gate the ECE bins' boundaries are edges too
(:func:`gate.metrics.compiler.ece_edges`), so each cell lies inside one ECE bin. Nothing here is random.
"""

from __future__ import annotations

from gate.engines import SCORE_BINS, sql
from gate.engines.sources import Engine, EngineSource
from gate.errors import InputError, UsageError
from gate.metrics.binned import ALL_BOUNDED, CALIBRATION_BOUNDED
from gate.policy.load import Policy

BINNED_METRICS = ALL_BOUNDED
"""The ranking and calibration metrics with an error bound on binned scores (:mod:`gate.metrics.binned`)."""
MIN_BINS = 2
MAX_BINS = 100_000     # the edges enter the SQL as literals (a tree of comparisons): ~1 MB of SQL here


def bins_wanted() -> int:
    """:data:`SCORE_BINS` in force: fewer than two bins (one tie group) measure nothing, and more
    than :data:`MAX_BINS` would write megabytes of SQL (and more cells than any limit allows)."""
    k = SCORE_BINS.value()
    if not MIN_BINS <= k <= MAX_BINS:
        raise UsageError(f"{SCORE_BINS.env} must be between {MIN_BINS} and {MAX_BINS:,} (got {k:,})",
                         source="environment",
                         fix=f"unset it to use the default, {SCORE_BINS.shown(SCORE_BINS.default)} bins")
    return k


def unbinnable(policy: Policy, score_columns: tuple[str, ...]) -> str | None:
    """Why the scores cannot be binned (None: they can): a multiclass task (its score columns would
    be binned jointly, still one cell per row). Every metric that reads a binary task's scores has a
    binned error bound (:data:`BINNED_METRICS`; tests/test_engines_calibration.py holds the catalogue to it)."""
    if not score_columns:
        return "no score column is read"
    if policy.task != "binary":
        return "multiclass scores are not binned"
    return None


def wants_sums(policy: Policy) -> bool:
    """Whether the cells carry their scores' sums, smallest and largest value: a calibration gate reads them."""
    return any(g.metric in CALIBRATION_BOUNDED for g in policy.gates)


def score_edges(engine: Engine, view: str, source: EngineSource, column: str, k: int,
                threshold: float | None, extra: tuple[float, ...] = ()) -> tuple[float, ...]:
    """The sorted, distinct bin edges of ``column`` of ``view``: the values at ``k`` evenly spaced
    positions of its sorted values, ``threshold`` when predictions come from the scores, and the
    ``extra`` edges (:func:`gate.metrics.compiler.ece_edges`). A column that is not numeric is an input error (text would
    sort as text)."""
    if not engine.is_numeric(view, column):
        raise InputError(f"column '{column}' is not numeric, so its scores cannot be binned", source=source.shown,
                         fix="cast the scores to DOUBLE in a query, or round them so that fewer distinct values remain")
    n = int(engine.rows(sql.value_count(view, column), source.shown)[0][0])
    positions = sorted({1 + (j * n) // k for j in range(k)}) if n else []
    edges = {float(r[0]) for r in engine.rows(sql.values_at(view, column, positions), source.shown)} if n else set()
    if threshold is not None:
        edges.add(float(threshold))
    edges.update(extra)
    return tuple(sorted(edges)) or (0.0,)
