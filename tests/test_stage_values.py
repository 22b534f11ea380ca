"""Stages return new values and never patch their inputs (issue 12): the reader's Table is not
written to by alignment, the aligned sides and the expanded gates are frozen, repeated gate ids
are made unique without mutation, and the class-group sorts live in a cache the evaluation owns."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import gate
from gate.data.align import build_evalset
from gate.data.readers import read_table
from gate.metrics.compiler import ClassGroups, QuantityBuilder, class_groups
from gate.policy.expand import expand_gates, unique_ids
from gate.resampling.stats import StatPlan

POLICY = {"version": 1, "name": "t", "task": "binary", "positive_class": "1",
          "gates": [{"metric": "recall", "min": 0.5}, {"metric": "recall", "min": 0.5},
                    {"metric": "average_precision", "min": 0.5}]}


def files(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    score = np.clip(y * 0.3 + rng.random(400) * 0.7, 0, 1)
    for name, shift in (("cand.csv", 0.0), ("base.csv", 0.05)):
        rows = "".join(f"{i},{y[i]},{int(score[i] - shift > 0.5)},{max(score[i] - shift, 0):.4f}\n" for i in range(400))
        (tmp_path / name).write_text("id,label,prediction,score\n" + rows)
    return read_table(str(tmp_path / "cand.csv")), read_table(str(tmp_path / "base.csv"))


def test_alignment_writes_nothing_onto_the_tables_and_returns_frozen_sides(tmp_path) -> None:
    pol = gate.load_policy(POLICY)
    cand, base = files(tmp_path)
    before = (dict(vars(cand)), dict(vars(base)))
    es = build_evalset(pol, cand, base)
    assert (dict(vars(cand)), dict(vars(base))) == before
    assert es.pairing == "paired"
    for obj in (es, es.candidate, es.baseline):
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.pairing = "x" if obj is es else None    # type: ignore[misc]


def test_repeated_gates_get_unique_ids_on_new_frozen_values(tmp_path) -> None:
    assert unique_ids(["a", "b", "a", "a", "b"]) == ["a", "b", "a#2", "a#3", "b#2"]
    pol = gate.load_policy(POLICY)
    es = build_evalset(pol, *files(tmp_path))
    gates = expand_gates(pol, es)
    assert [g.id for g in gates][:2] == [gates[0].id, gates[0].id + "#2"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        gates[0].id = "x"      # type: ignore[misc]


def test_class_groups_are_computed_once_per_evaluation_and_equal_the_plain_sort(tmp_path) -> None:
    pol = gate.load_policy(POLICY)
    es = build_evalset(pol, *files(tmp_path))
    groups = ClassGroups().warm(es, 2)
    first = groups(es.candidate, 1)
    assert groups(es.candidate, 1) is first                          # cached
    np.testing.assert_array_equal(first, class_groups(es.candidate, 1))
    assert not np.array_equal(groups(es.baseline, 1), first)         # per side
    builder = QuantityBuilder(es, StatPlan(es.candidate.y.size), {"candidate": 0, "baseline": 0}, groups)
    assert builder.groups is groups
