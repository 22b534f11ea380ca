"""The ``data:`` block of every task is read by one parser (gate.policy.load.DataBlock.from_block):
the shared fields (score, slices; id, label, prediction, weight, threshold for tables of examples)
have one definition and one reading, whichever task the policy is."""

from __future__ import annotations

import dataclasses

import pytest

from gate.multilabel.policy import MultilabelData
from gate.policy.load import DataBlock, DataSpec, ExampleColumns, build_policy
from gate.ranking.policy import RankingData

HEAD = {"version": 1, "name": "t", "bootstrap": {"resamples": 200, "seed": 1}}
DOCS = {
    "binary": {**HEAD, "task": "binary", "positive_class": "1",
               "data": {"score": "p", "slices": ["region", "device"], "threshold": 0.3},
               "gates": [{"metric": "recall", "min": 0.5}]},
    "ranking": {**HEAD, "task": "ranking", "data": {"score": "p", "slices": ["region", "device"]},
                "gates": [{"metric": "ap", "min": 0.1}]},
    "multilabel": {**HEAD, "task": "multilabel", "data": {"score": "p", "slices": ["region", "device"], "threshold": 0.3},
                   "gates": [{"metric": "f1", "average": "micro", "min": 0.1}]},
}


def _block(task: str):
    policy = build_policy(DOCS[task], source="<test>")
    return {"binary": policy.data, "ranking": policy.ranking and policy.ranking.data,
            "multilabel": policy.multilabel}[task]


@pytest.mark.parametrize("task", list(DOCS))
def test_every_tasks_data_block_reads_the_shared_fields_alike(task):
    block = _block(task)
    assert isinstance(block, DataBlock)
    assert (block.score, block.slices) == ("p", ("region", "device"))
    if isinstance(block, ExampleColumns):
        assert block.threshold == 0.3 and (block.id, block.label, block.weight) == ("id", "label", "weight")


def test_the_shared_fields_are_defined_once():
    """No subclass redefines a base field (each is declared in exactly one class)."""
    declared: dict[str, list[str]] = {}
    for cls in (DataBlock, ExampleColumns, DataSpec, RankingData, MultilabelData):
        for name in cls.__annotations__:
            declared.setdefault(name, []).append(cls.__name__)
    assert {name: owners for name, owners in declared.items() if len(owners) > 1} == {}
    assert {f.name for f in dataclasses.fields(DataBlock)} <= {f.name for f in dataclasses.fields(RankingData)}
    assert {f.name for f in dataclasses.fields(ExampleColumns)} <= {f.name for f in dataclasses.fields(MultilabelData)}
