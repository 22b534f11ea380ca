"""Determinism and isolation of ``model-gate check``.

- Byte-identical report.json, report.md, junit.xml (under ``SOURCE_DATE_EPOCH``) and report.html across runs, across
  ``PYTHONHASHSEED`` values, and across thread counts (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
  ``MKL_NUM_THREADS`` and the engine's own ``MODEL_GATE_THREADS``), in fresh interpreters.
- No file is written outside ``--out-dir``: the run happens in an empty working directory with its own
  HOME and TMPDIR, and every one of those trees is snapshotted before and after.
- No network in local mode: with the CI variables removed, ``check`` and ``publish`` never open a
  socket or resolve a host name (socket functions are replaced by recorders that refuse).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gate.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ("report.json", "report.md", "junit.xml", "report.html")
CI_PREFIXES = ("GITHUB_", "GITLAB_", "CI_", "INPUT_", "RUNNER_", "MODEL_GATE_")
EXAMPLES = {
    "affairs": ["policies/affairs.yml", "examples/affairs/candidate.csv", "examples/affairs/baseline.csv"],
    "canary": ["policies/canary.yml", "examples/canary/candidate.csv.gz", "examples/canary/baseline.csv"],
    "ranking": ["policies/ranking.yml", "examples/ranking/bm25.run", "examples/ranking/tfidf.run",
                "examples/ranking/qrels.csv"],      # the policy's data.qrels, copied too
    "multilabel": ["policies/multilabel.yml", "examples/multilabel/candidate.csv", "examples/multilabel/baseline.csv"],
}


def _local_env(**extra: str) -> dict[str, str]:
    """The environment without CI variables; ``SOURCE_DATE_EPOCH`` set, since junit.xml otherwise
    carries the run's own timestamp and duration (the other reports never do)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CI_PREFIXES) and k not in ("CI", "PYTHONHASHSEED")}
    env["SOURCE_DATE_EPOCH"] = "1767225600"
    env.update(extra)
    return env


def _workdir(tmp: Path, example: str) -> tuple[Path, list[str]]:
    """A fresh working directory holding copies of the example's inputs (same relative paths)."""
    tmp.mkdir(parents=True)
    for rel in EXAMPLES[example]:
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, tmp / rel)
    policy, cand, base = EXAMPLES[example][:3]
    return tmp, ["check", "--policy", policy, "--candidate", cand, "--baseline", base, "--out-dir", "out"]


def _run(cwd: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gate.cli.main", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


VARIANTS = [
    {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
     "MODEL_GATE_THREADS": "1"},
    {"PYTHONHASHSEED": "4242", "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2",
     "MODEL_GATE_THREADS": "2"},
    {"PYTHONHASHSEED": "random", "MODEL_GATE_THREADS": "5"},
]


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_reports_are_byte_identical_across_hash_seeds_and_thread_counts(example: str, tmp_path: Path) -> None:
    outputs = []
    for i, variant in enumerate(VARIANTS):
        cwd, args = _workdir(tmp_path / f"run{i}", example)
        proc = _run(cwd, args, _local_env(**variant, PYTHONPATH=str(ROOT)))
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stderr
        outputs.append({name: (cwd / "out" / name).read_bytes() for name in OUTPUTS})
        outputs[-1]["stdout"] = proc.stdout.encode()
    for name in (*OUTPUTS, "stdout"):
        first = outputs[0][name]
        for i, other in enumerate(outputs[1:], start=1):
            assert other[name] == first, f"{name} differs between variant 0 and variant {i} ({VARIANTS[i]})"


def _snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    snap = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                path = Path(dirpath) / name
                st = path.lstat()
                snap[str(path)] = (st.st_size, st.st_mtime_ns)
    return snap


def _writes_outside(tmp_path: Path) -> tuple[list[str], list[str], Path]:
    cwd, args = _workdir(tmp_path / "work", "affairs")
    home, tmpdir = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmpdir.mkdir()
    env = _local_env(HOME=str(home), TMPDIR=str(tmpdir), PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    for key in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "MPLCONFIGDIR"):
        env.pop(key, None)
    before = _snapshot(cwd, home, tmpdir)
    proc = _run(cwd, args + ["--comment-file", "out/comment.md"], env)
    assert proc.returncode in (0, 1), proc.stderr
    after = _snapshot(cwd, home, tmpdir)
    out = str(cwd / "out")
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    outside = [p for p in changed if p != out and not p.startswith(out + os.sep)]
    return outside, changed, home


def test_no_writes_outside_the_out_dir(tmp_path: Path) -> None:
    """Nothing is left anywhere but --out-dir (and the --comment-file asked for inside it): no cache,
    no temporary file (the plots are SVG text written by gate/render/plots.py)."""
    outside, changed, _ = _writes_outside(tmp_path)
    assert outside == [], f"files written outside --out-dir: {outside}"
    assert {"report.json", "report.md", "junit.xml", "report.html", "comment.md"} <= {Path(p).name for p in changed}


class _NoNetwork:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def refuse(self, name: str):
        def blocked(*args, **kwargs):
            self.calls.append(f"{name}{args[:2]}")
            raise OSError(f"network access blocked by the test ({name})")
        return blocked


@pytest.fixture
def no_network(monkeypatch):
    guard = _NoNetwork()
    for key in [k for k in os.environ if k.startswith(CI_PREFIXES)] + ["CI"]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(socket.socket, "connect", guard.refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", guard.refuse("connect_ex"))
    monkeypatch.setattr(socket.socket, "sendto", guard.refuse("sendto"))
    monkeypatch.setattr(socket, "create_connection", guard.refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", guard.refuse("getaddrinfo"))
    return guard


def test_local_check_and_publish_never_touch_the_network(no_network, tmp_path: Path, capsys) -> None:
    policy, cand, base = (str(ROOT / p) for p in EXAMPLES["affairs"])
    out = tmp_path / "out"
    code = main(["check", "--policy", policy, "--candidate", cand, "--baseline", base, "--out-dir", str(out),
                 "--comment-file", str(tmp_path / "comment.md")])
    assert code in (0, 1)
    assert main(["publish", "--report", str(out / "report.json")]) == 0
    capsys.readouterr()
    assert no_network.calls == []
