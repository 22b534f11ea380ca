"""Policy loading: every problem names the YAML path and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gate.errors import PolicyError
from gate.policy.load import build_policy, load_policy, parse_yaml

ROOT = Path(__file__).resolve().parents[1]

BASE = {"version": 1, "name": "p", "task": "binary", "positive_class": "fraud",
        "gates": [{"metric": "recall", "min": 0.9}]}


def with_gate(**gate):
    return {**BASE, "gates": [{"metric": "recall", "min": 0.9}, {"metric": "f1", "max_drop": 0.02},
                              {"metric": "recall", **gate}]}


def error_of(doc) -> str:
    with pytest.raises(PolicyError) as exc:
        build_policy(doc, source="policy.yml")
    return exc.value.message


@pytest.mark.parametrize("doc,expected", [
    (with_gate(max_drop="abc"), "policy.yml: gates[2].max_drop: must be a number (got string 'abc')"),
    (with_gate(max_drop=-1), "policy.yml: gates[2].max_drop: must be >= 0 (got -1)"),
    (with_gate(min=0.5, severity="fatal"), "policy.yml: gates[2].severity: must be one of error, warning (got 'fatal')"),
    (with_gate(min=0.5, mni_support=3), "policy.yml: gates[2]: unknown field 'mni_support'; did you mean 'min_support'?"),
    ({**BASE, "bootstrap": {"confidence": 1.5}},
     "policy.yml: bootstrap.confidence: must be strictly between 0 and 1 (got 1.5)"),
    ({**BASE, "bootstrap": {"resamples": 50}}, "policy.yml: bootstrap.resamples: must be between 100 and 1000000 (got 50)"),
    ({**BASE, "bootstrap": {"method": "bootstrap-t"}},
     "policy.yml: bootstrap.method: must be one of percentile, basic, bca (got 'bootstrap-t')"),
    ({**BASE, "version": 2}, "policy.yml: version: must be 1 (got 2)"),
    ({k: v for k, v in BASE.items() if k != "gates"}, "policy.yml: top level: missing required field 'gates'"),
    ({**BASE, "gates": []}, "policy.yml: gates: must have at least 1 item"),
    ({**BASE, "decison": {}}, "policy.yml: top level: unknown field 'decison'; did you mean 'decision'?"),
    (with_gate(metric="recal", min=0.5), "policy.yml: gates[2].metric: unknown metric 'recal' (did you mean 'recall'?)"),
    (with_gate(metric="average_precison", min=0.5),
     "policy.yml: gates[2].metric: unknown metric 'average_precison' (did you mean 'average_precision'?)"),
    (with_gate(min=0.5, max=0.9), "policy.yml: gates[2]: give exactly one bar (min, max, max_drop, max_relative_drop, min_gain); found min and max"),
    (with_gate(), "policy.yml: gates[2]: give exactly one bar (min, max, max_drop, max_relative_drop, min_gain); found none"),
    (with_gate(metric="accuracy", min=0.5, **{"class": "fraud"}),
     "policy.yml: gates[2].class: 'accuracy' is a whole-matrix metric; it takes no class (remove class:)"),
    (with_gate(min=0.5, beta=2), "policy.yml: gates[2].beta: does not apply to metric 'recall' (remove it)"),
    ({**BASE, "positive_class": None} | {"positive_class": 1, "task": "multiclass"},
     "policy.yml: positive_class: applies only to task: binary (remove it, or use class: on each gate)"),
    ({k: v for k, v in BASE.items() if k != "positive_class"},
     "policy.yml: positive_class: a binary policy needs positive_class (name the label of the positive class)"),
    ({**BASE, "task": "multiclass", "positive_class": None, "gates": [{"metric": "recall", "min": 0.5}]},
     "policy.yml: positive_class: must be a string or an integer (got null)"),
    (with_gate(metric="label_coverage", max_drop=0.1),
     "policy.yml: gates[2]: 'label_coverage' takes only min or max, with no class or slice"),
    (with_gate(metric="precision_at_recall", min=0.5),
     "policy.yml: gates[2]: metric 'precision_at_recall' needs 'at_recall'"),
    (with_gate(metric="roc_auc", min=0.5, average="micro", **{"class": "fraud"}),
     "policy.yml: gates[2]: give either class or average, not both"),
])
def test_schema_and_semantic_errors_name_the_path(doc, expected):
    assert error_of(doc) == expected


def test_multiclass_class_metric_needs_class_or_average():
    doc = {"version": 1, "name": "m", "task": "multiclass", "classes": ["a", "b", "c"],
           "gates": [{"metric": "recall", "min": 0.5}]}
    assert error_of(doc) == ("policy.yml: gates[0]: multiclass 'recall' needs class: <name>, class: \"*\" "
                             "or average (add class: or average:)")


def test_class_must_be_declared_when_classes_are_listed():
    doc = {"version": 1, "name": "m", "task": "multiclass", "classes": ["a", "b"],
           "gates": [{"metric": "recall", "class": "c", "min": 0.5}]}
    assert error_of(doc) == "policy.yml: gates[0].class: 'c' is not one of the policy's classes (a, b)"


def test_yaml_syntax_error_names_line_and_column():
    with pytest.raises(PolicyError) as exc:
        parse_yaml("version: 1\ngates: [\n  - metric: x\n", "p.yml")
    assert exc.value.message.startswith("p.yml: line ")
    assert "invalid YAML" in exc.value.message and "\n" not in exc.value.message


def test_duplicate_keys_are_rejected():
    with pytest.raises(PolicyError) as exc:
        parse_yaml("version: 1\nname: a\nname: b\n", "p.yml")
    assert exc.value.message == "p.yml: line 3, column 1: invalid YAML: duplicate key 'name' (fix the YAML syntax)"


def test_yaml_is_loaded_safely():
    with pytest.raises(PolicyError):
        parse_yaml("!!python/object/apply:os.system ['echo pwned']", "p.yml")


def test_numbers_and_strings_name_the_same_class():
    doc = {**BASE, "positive_class": 1, "classes": [0, 1]}
    policy = build_policy(doc, source="p")
    assert policy.positive_class == "1" and policy.classes == ("0", "1")


def test_defaults():
    policy = build_policy(BASE, source="p")
    assert policy.bootstrap.resamples == 2000 and policy.bootstrap.method == "percentile"
    assert policy.decision.multiple_testing == "holm" and policy.decision.inconclusive == "fail"
    assert policy.data.id == "id" and policy.data.label == "label"


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.yml")), ids=lambda p: p.name)
def test_bundled_policies_are_valid(path):
    policy = load_policy(path)
    assert policy.gates and len(policy.sha256) == 64
    assert yaml.safe_load(path.read_text())["name"] == policy.name
