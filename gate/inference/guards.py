"""Guards: why a gate cannot be decided, whatever its interval says. Each returns a
``(reason code, explanation)`` pair, or None when the gate may be decided (:class:`gate.inference.decide.Check`
carries it as ``forced``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from gate.inference.intervals import Distribution
    from gate.inference.series import Series
    from gate.policy.expand import Expanded
    from gate.policy.load import Policy

DEGENERATE_VALUES = 5        # a bootstrapped quantity whose defined replicates take fewer distinct values
                             # is inconclusive: its interval would be a few tied points (docs/validity.md §10)
NO_EXAMPLES = "no labeled examples in this subset"


def size_guard(g: Expanded, n: int, support: int | None, empty: str = NO_EXAMPLES) -> tuple[str, str] | None:
    """Inconclusive without examples (``empty`` says of what), or below the gate's ``min_support``
    (counted in examples of the gated class when ``support`` is given, else in ``n``), whatever the
    interval."""
    size = support if support is not None else n
    if n == 0:
        return "no_examples", empty
    if g.spec.min_support and size < g.spec.min_support:
        what = f"{size} examples of the class" if support is not None else f"{size} examples"
        return "min_support", f"only {what}, below min_support {g.spec.min_support}; not decided"
    return None


def guard(policy: Policy, g: Expanded, tested: Series, dist: Distribution | None, n: int,
          support: int | None, empty: str = NO_EXAMPLES) -> tuple[str, str] | None:
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
        return "undefined", undefined_reason(g, support)
    share = dist.undefined / max(dist.total, 1)
    if share > policy.decision.max_undefined_fraction:
        return ("undefined_resamples", f"undefined in {dist.undefined} of {dist.total} resamples "
                f"({share:.1%}); too few examples to resample reliably")
    if not dist.usable:
        return "undefined", "the bootstrap distribution could not be formed"
    distinct = np.unique(dist.replicates).size
    fixed = policy.bootstrap.sampling == "stratified" and g.spec.metric in ("support", "prevalence")
    if distinct < DEGENERATE_VALUES and not fixed:
        return ("degenerate_resamples", f"the {dist.replicates.size} resamples take only {distinct} distinct "
                f"value{'s' if distinct != 1 else ''}: the bootstrap cannot measure this uncertainty "
                "(too few examples differ)")
    return None


def undefined_reason(g: Expanded, support: int | None) -> str:
    """Why the estimate itself is undefined: no true example of the class, one class for ROC-AUC,
    else a zero denominator."""
    if support == 0:
        return "undefined: the class has no true examples here"
    if g.spec.metric == "roc_auc":
        return "undefined: ROC-AUC needs both positive and negative examples"
    return "undefined on this data (a denominator is zero)"
