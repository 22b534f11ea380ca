"""Without the duckdb extra (or sqlglot) the engine path is a one-line usage error naming the extra;
files still go through the local path. Runs in both of .ci/run's envs: in the full one the packages
are hidden (``sys.modules[name] = None`` makes ``import name`` fail)."""

from __future__ import annotations

import sys

import pytest

import gate
from gate.errors import UsageError

POLICY = {"version": 1, "name": "t", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
          "bootstrap": {"resamples": 100}, "gates": [{"metric": "recall", "min": 0.1}]}


def _hide(monkeypatch, *names: str) -> None:
    for name in names:
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, mod)
        monkeypatch.setitem(sys.modules, name, None)
    for mod in [m for m in sys.modules if m.startswith("gate.engines.")]:
        monkeypatch.delitem(sys.modules, mod)


@pytest.mark.parametrize("hidden, package, extra", [(("duckdb",), "duckdb", "duckdb"),
                                                    (("sqlglot", "duckdb"), "sqlglot", "duckdb")])
def test_engine_source_without_the_extra_names_the_install(hidden, package, extra, monkeypatch):
    if package == "duckdb":      # with sqlglot there, duckdb is the first package found missing
        pytest.importorskip("sqlglot", reason="the core env lacks sqlglot too: the next case covers it")
    _hide(monkeypatch, *hidden)
    with pytest.raises(UsageError) as err:
        gate.check(POLICY, "parquet:data/cand/")
    assert f"'{package}', which is not installed" in err.value.message
    assert f"pip install 'model-gate[{extra}]'" in err.value.message


def test_files_do_not_need_the_engine_extras(monkeypatch):
    _hide(monkeypatch, "duckdb", "sqlglot", "pyspark")
    report = gate.check(POLICY, {"id": ["a", "b", "c"], "label": [1, 0, 1], "prediction": [1, 0, 0]})
    assert report.gates[0].candidate.value == 0.5
