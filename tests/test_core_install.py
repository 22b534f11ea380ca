"""The core install (``pip install .``: no pyarrow or matplotlib, and without a C compiler no C kernel or CSV scanner)
gates large paired files.

``.ci/run`` runs the whole suite in a second virtual environment that has none of the optional
extras and was installed without a C compiler, where these tests exercise the fallbacks for real. In
the full environment the same tests also hide pyarrow, the C kernel or the CSV scanner (an import raises
ImportError, as in the core install) and compare the report with the one the fast paths give: the
fallbacks must not change a single byte.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from gate.cli.main import main
from tests.helpers.imports import hide_module, hide_pyarrow

N_ROWS = 100_000   # >= 10^5: the vectorised join and CSV paths are taken (FAST_JOIN_MIN_ROWS, 1 MiB)

POLICY = """version: 1
name: core-install
task: binary
positive_class: "1"
bootstrap: {resamples: 200, seed: 3}
gates:
  - metric: recall
    min: 0.5
  - metric: f1
    max_drop: 0.05
  - metric: roc_auc
    max_drop: 0.02
"""


def _write_pair(tmp_path):
    """Candidate and baseline on the same ids, the baseline in another row order."""
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, N_ROWS)
    cand = np.clip(0.35 * y + rng.uniform(0, 0.65, N_ROWS), 0, 1)
    base = np.clip(0.30 * y + rng.uniform(0, 0.70, N_ROWS), 0, 1)
    order = rng.permutation(N_ROWS)
    (tmp_path / "policy.yml").write_text(POLICY, encoding="utf-8")
    for name, scores, rows in (("candidate.csv", cand, range(N_ROWS)), ("baseline.csv", base, order)):
        lines = ["id,label,score"] + [f"id{i:06d},{y[i]},{scores[i]:.4f}" for i in rows]
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _check(tmp_path, out: str) -> tuple[int, bytes]:
    code = main(["check", "--policy", str(tmp_path / "policy.yml"), "--candidate", str(tmp_path / "candidate.csv"),
                 "--baseline", str(tmp_path / "baseline.csv"), "--out-dir", str(tmp_path / out), "--format", "json"])
    return code, (tmp_path / out / "report.json").read_bytes()


def test_large_paired_check_without_pyarrow(tmp_path, monkeypatch, capsys):
    _write_pair(tmp_path)
    hide_pyarrow(monkeypatch)
    code, report = _check(tmp_path, "out")
    assert code in (0, 1), capsys.readouterr().err
    data = json.loads(report)["data"]
    assert (data["pairing"], data["n_candidate"], data["n_baseline"]) == ("paired", N_ROWS, N_ROWS)


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="pyarrow not installed: nothing to compare")
def test_the_fallbacks_give_the_same_report_bytes(tmp_path, monkeypatch):
    _write_pair(tmp_path)
    code_fast, fast = _check(tmp_path, "fast")
    with monkeypatch.context() as m:
        hide_pyarrow(m)
        code_core, core = _check(tmp_path, "core")
    assert (code_core, core.replace(b"/core/", b"/fast/")) == (code_fast, fast)


@pytest.mark.skipif(importlib.util.find_spec("gate.resampling._ckernels") is None,
                    reason="the C kernel was not built (no C compiler at install time): nothing to compare")
def test_without_the_c_kernel_the_report_bytes_are_the_same(tmp_path, monkeypatch):
    """An install without a C compiler has no gate.resampling._ckernels: the Poisson bootstrap (forced
    at this size) then draws and counts on the numpy path, with the same weights and sums."""
    import gate.resampling.stats
    from gate.resampling import poisson
    _write_pair(tmp_path)
    monkeypatch.setattr(gate.resampling.stats, "POISSON_MIN_UNITS", 0)
    monkeypatch.setattr(poisson, "_KERNELS", None)
    code_kernel, kernel = _check(tmp_path, "kernel")
    assert poisson.accelerated()
    with monkeypatch.context() as m:
        hide_module(m, "gate.resampling._ckernels")
        m.setattr(poisson, "_KERNELS", None)
        code_numpy, numpy_path = _check(tmp_path, "numpy")
        assert not poisson.accelerated()
    assert b"Poisson" in kernel
    assert (code_numpy, numpy_path.replace(b"/numpy/", b"/kernel/")) == (code_kernel, kernel)


@pytest.mark.skipif(importlib.util.find_spec("gate.data._csvscan") is None,
                    reason="the CSV scanner was not built (no C compiler at install time): nothing to compare")
def test_without_the_csv_scanner_the_report_bytes_are_the_same(tmp_path, monkeypatch):
    """Without pyarrow, an install without a C compiler has no gate.data._csvscan either: the files are
    then split in Python (readers._split_csv), with the same cells and the same floats."""
    from gate.data import readers
    _write_pair(tmp_path)
    hide_pyarrow(monkeypatch)
    monkeypatch.setattr(readers, "_SCANNER", {})
    code_scan, scanned = _check(tmp_path, "scan")
    assert readers.scanner_module() is not None
    with monkeypatch.context() as m:
        hide_module(m, "gate.data._csvscan")
        m.setattr(readers, "_SCANNER", {})
        code_split, split = _check(tmp_path, "split")
        assert readers.scanner_module() is None
    assert (code_split, split.replace(b"/split/", b"/scan/")) == (code_scan, scanned)
