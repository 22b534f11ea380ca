"""gate/multilabel/inputs.py and policy.py on their own rules (tests/test_multilabel_check.py runs the
whole check): the wide and the long layout read into the same example matrices, thresholds, the
refusals with the row named, and the gate scope and bootstrap rules of a multilabel policy."""

from __future__ import annotations

import numpy as np
import pytest

from gate.errors import InputError, PolicyError
from gate.multilabel import policy
from gate.multilabel.inputs import read_examples
from gate.multilabel.policy import MultilabelData

LABELS = ("a", "b", "c")


def _truth(n: int = 9) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    return rng.integers(0, 2, (n, len(LABELS))), np.round(rng.random((n, len(LABELS))), 2)


def _wide(truth: np.ndarray, scores: np.ndarray) -> dict[str, list]:
    cols: dict[str, list] = {"id": [f"e{i}" for i in range(len(truth))]}
    for j, name in enumerate(LABELS):
        cols[f"label_{name}"] = truth[:, j].tolist()
        cols[f"score_{name}"] = scores[:, j].tolist()
    return cols


def _long(truth: np.ndarray, scores: np.ndarray, order) -> dict[str, list]:
    rows = [(f"e{i}", name, int(truth[i, j]), float(scores[i, j])) for i in range(len(truth))
            for j, name in enumerate(LABELS)]
    rows = [rows[k] for k in order(len(rows))]
    return {"id": [r[0] for r in rows], "label": [r[1] for r in rows], "y": [r[2] for r in rows],
            "score": [r[3] for r in rows]}


def test_wide_and_long_layouts_read_into_the_same_examples():
    truth, scores = _truth()
    wide = read_examples(_wide(truth, scores), "candidate", MultilabelData(threshold=0.5), ())
    shuffled = lambda n: np.random.default_rng(0).permutation(n)  # noqa: E731
    long = read_examples(_long(truth, scores, shuffled), "candidate", MultilabelData(layout="long", threshold=0.5), ())
    assert wide.labels == long.labels == LABELS
    assert wide.ids.tolist() == long.ids.tolist() == sorted(f"e{i}" for i in range(len(truth)))
    order = np.argsort([f"e{i}" for i in range(len(truth))])
    assert np.array_equal(long.truth, truth[order]) and np.allclose(long.scores, scores[order])
    assert np.array_equal(wide.truth[np.argsort(wide.ids)], long.truth)
    assert np.array_equal(long.pred, (scores[order] >= 0.5).astype(long.pred.dtype))    # score >= threshold


def test_data_labels_pick_and_order_the_labels():
    truth, scores = _truth()
    ex = read_examples(_wide(truth, scores), "candidate", MultilabelData(labels=("c", "a"), threshold=0.5), ())
    assert ex.labels == ("c", "a")
    order = np.argsort(ex.ids)
    assert np.array_equal(ex.truth[order][:, 0], truth[np.argsort([f"e{i}" for i in range(9)])][:, 2])


def test_a_long_table_missing_a_label_row_names_the_example():
    truth, scores = _truth(3)
    cols = _long(truth, scores, lambda n: np.arange(n - 1))          # the last (example, label) row is gone
    with pytest.raises(InputError) as err:
        read_examples(cols, "candidate", MultilabelData(layout="long", threshold=0.5), ())
    assert "e2" in err.value.message


def test_a_prediction_column_and_a_threshold_are_two_answers():
    truth, scores = _truth(4)
    cols = _wide(truth, scores)
    cols["prediction_a"] = [1, 0, 1, 0]
    with pytest.raises(InputError, match="prediction"):
        read_examples(cols, "candidate", MultilabelData(threshold=0.5), ())


def test_a_label_that_is_not_0_or_1_is_refused_with_its_row():
    truth, scores = _truth(4)
    cols = _wide(truth, scores)
    cols["label_b"][2] = 2
    with pytest.raises(InputError) as err:
        read_examples(cols, "candidate", MultilabelData(threshold=0.5), ())
    assert "label_b" in err.value.message and "row 3" in err.value.message


# -- policy ----------------------------------------------------------------------------------

def _gate(**g):
    return policy._gate(0, {"metric": "f1", "min": 0.5, **g}, MultilabelData(), "p.yml")


def test_a_label_metric_needs_exactly_one_scope():
    assert (_gate(average="micro").average, _gate(**{"class": "a"}).class_name) == ("micro", "a")
    assert _gate(metric="jaccard").average == "samples"                       # jaccard alone: samples
    for bad, where in (({"metric": "f1", "min": 0.5}, "gates[0]"),                    # neither
                       ({"metric": "f1", "min": 0.5, "class": "a", "average": "micro"}, "gates[0]"),   # both
                       ({"metric": "hamming_loss", "max": 0.1, "average": "micro"}, "gates[0].average")):
        with pytest.raises(PolicyError) as err:
            policy._gate(0, bad, MultilabelData(), "p.yml")
        assert err.value.where == where


def test_lower_is_better_metrics_and_fbeta():
    assert policy._gate(0, {"metric": "hamming_loss", "max": 0.1}, MultilabelData(), "p").direction == "lower"
    assert _gate(average="micro").direction == "higher"
    assert _gate(metric="fbeta", beta=2, average="macro").params == {"beta": 2.0}
    with pytest.raises(PolicyError, match="needs 'beta'"):
        _gate(metric="fbeta", average="macro")


@pytest.mark.parametrize("section,where", [
    ({"stratify": True}, "bootstrap.stratify"), ({"adaptive": True}, "bootstrap.adaptive"),
    ({"sampling": "stratified"}, "bootstrap.sampling"), ({"method": "bca"}, "bootstrap.method"),
])
def test_bootstrap_options_the_example_bootstrap_lacks(section, where):
    with pytest.raises(PolicyError) as err:
        policy.check_bootstrap({"bootstrap": section}, "p.yml")
    assert err.value.where == where


def test_multilabel_fields_in_another_task_are_refused():
    with pytest.raises(PolicyError) as err:
        policy.check_other_task_doc({"data": {"layout": "long"}, "gates": []}, "p.yml")
    assert err.value.where == "data.layout"
    with pytest.raises(PolicyError) as err:
        policy.check_other_task_doc({"gates": [{"metric": "f1", "average": "samples"}]}, "p.yml")
    assert err.value.where == "gates[0].average"
