"""What the bootstrap does not read is not kept through it (issue 13's memory): pairing's id arrays
are released after alignment, and the blocks over one subset share its units and weights arrays."""

from __future__ import annotations

import numpy as np
import pytest

from gate.api import load_policy
from gate.data.align import build_evalset
from gate.data.readers import read_table
from gate.metrics.compiler import QuantityBuilder
from gate.resampling.stats import StatPlan, subplan
from tests.engine_data import ROOT


def _affairs():
    policy = load_policy(ROOT / "policies" / "affairs.yml")
    tables = [read_table(ROOT / "examples" / "affairs" / f"{r}.csv") for r in ("candidate", "baseline")]
    return policy, build_evalset(policy, *tables)


def test_ids_are_released_once_paired():
    policy, es = _affairs()
    assert es.pairing == "paired"
    for side in (es.candidate, es.baseline):
        assert side.all_ids is None
        assert side.ids.shape == side.y.shape and side.ids.strides == (0,) and set(side.ids.tolist()) == {""}


def test_blocks_over_one_subset_share_units_and_weights():
    from gate.policy.expand import expand_gates
    policy, es = _affairs()
    plan = StatPlan(es.candidate.y.size)
    builder = QuantityBuilder(es, plan, {"candidate": 0, "baseline": 0})
    targets = [g.target for g in expand_gates(policy, es) if g.target.slice_col is None]
    for t in targets:
        for role in ("candidate", "baseline"):
            builder.cm_block(role, t)
            if t.metric in ("average_precision", "roc_auc", "pr_auc"):
                builder.rank_block(role, t, 1)
    assert len(plan.blocks) >= 3
    first = plan.blocks[0]
    same_rows = [b for b in plan.blocks[1:] if b.unit.size == first.unit.size]
    assert len(same_rows) >= 2          # the baseline's confusion block and the ranking blocks
    for block in same_rows:
        assert block.unit is first.unit and block.value is first.value
    assert np.array_equal(first.unit, np.arange(es.candidate.y.size))


def test_deferred_ranking_blocks_are_the_eager_ones_once_realized():
    """evaluate() leaves the ranking blocks to ``plan.realize`` (built in parallel): the same blocks,
    at the same indices, as building each one when its quantity is compiled; and a plan with blocks
    still deferred refuses to be evaluated."""
    from gate.metrics.compiler import Target
    _, es = _affairs()
    plans = {}
    for defer in (False, True):
        plan = StatPlan(es.candidate.y.size)
        builder = QuantityBuilder(es, plan, {"candidate": 0, "baseline": 0}, defer=defer)
        for metric in ("average_precision", "recall", "roc_auc"):
            for role in ("candidate", "baseline"):
                builder.quantity(role, Target(metric, 1, None, {}))
        plans[defer] = plan
    lazy = plans[True]
    assert any(b.size == 0 for b in lazy.blocks)
    with pytest.raises(AssertionError, match="realize"):
        lazy.point()
    with pytest.raises(AssertionError, match="realize"):
        subplan(lazy, [0])              # what the engine hands each Bootstrap
    lazy.realize(2)
    assert lazy.keys == plans[False].keys
    for got, want in zip(lazy.blocks, plans[False].blocks):
        assert got.size == want.size
        for a, b in ((got.unit, want.unit), (got.target, want.target), (got.value, want.value)):
            np.testing.assert_array_equal(a, b)
