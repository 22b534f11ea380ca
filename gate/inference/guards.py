"""Guards: why a gate cannot be decided, whatever its interval says. Each returns a
:class:`gate.report.model.Guard` (the reason code and its numbers; the renderers word it), or None when
the gate may be decided (:class:`gate.inference.decide.Check` carries it as ``forced``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gate.report.model import Guard

if TYPE_CHECKING:
    from gate.inference.intervals import Distribution
    from gate.inference.series import Series
    from gate.policy.expand import Expanded
    from gate.policy.load import Policy

DEGENERATE_VALUES = 5        # a bootstrapped quantity whose defined replicates take fewer distinct values
                             # is inconclusive: its interval would be a few tied points (docs/validity.md §10)
NO_EXAMPLES = "examples"     # what an empty subset has none of: labeled examples, or judged "queries"


def size_guard(g: Expanded, n: int, support: int | None, empty: str = NO_EXAMPLES) -> Guard | None:
    """Inconclusive without examples (``empty``: the :data:`gate.report.model.GUARD_CAUSES` of
    ``no_examples`` saying of what), or below the gate's ``min_support`` (counted in examples of the
    gated class when ``support`` is given, else in ``n``), whatever the interval."""
    size = support if support is not None else n
    if n == 0:
        return Guard("no_examples", empty)
    if g.spec.min_support and size < g.spec.min_support:
        return Guard("min_support", "class" if support is not None else "subset", size=size,
                     min_support=g.spec.min_support)
    return None


def guard(policy: Policy, g: Expanded, tested: Series, dist: Distribution | None, n: int,
          support: int | None, empty: str = NO_EXAMPLES) -> Guard | None:
    """Why a bootstrapped gate cannot be decided, or None. Besides the size guards: an undefined
    estimate, too many undefined resamples, and a *degenerate* distribution — defined replicates
    taking fewer than DEGENERATE_VALUES distinct values (e.g. a paired delta where the two models
    disagree on no resampled example: every replicate is 0 and the interval [0, 0] would pass any
    ``max_drop``). A quantity the sampling design fixes (support or prevalence under
    ``sampling: stratified``) is exempt: it is known, not estimated."""
    sized = size_guard(g, n, support, empty)
    if sized is not None:
        return sized
    if tested.point_undefined or dist is None:
        return Guard("undefined", undefined_cause(g, support))
    if dist.undefined / max(dist.total, 1) > policy.decision.max_undefined_fraction:
        return Guard("undefined_resamples", undefined=int(dist.undefined), resamples=int(dist.total))
    if not dist.usable:
        return Guard("undefined", "no_distribution")
    distinct = np.unique(dist.replicates).size
    fixed = policy.bootstrap.sampling == "stratified" and g.spec.metric in ("support", "prevalence")
    if distinct < DEGENERATE_VALUES and not fixed:
        return Guard("degenerate_resamples", resamples=int(dist.replicates.size), distinct=int(distinct))
    return None


def undefined_cause(g: Expanded, support: int | None) -> str:
    """Why the estimate itself is undefined: no true example of the class, one class for ROC-AUC,
    else a zero denominator."""
    if support == 0:
        return "no_true_examples"
    if g.spec.metric == "roc_auc":
        return "one_class"
    return "zero_denominator"
