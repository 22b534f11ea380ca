"""Start-up: a command imports only what it uses (issue 13).

``model-gate --help`` builds the parser of every subcommand and must load none of the heavy
libraries; ``validate`` reads the policy (yaml; jsonschema only for a policy that fails the fast schema check) and nothing of the engine, the
renderers' plots or the transports. This is a property of the import graph, checked in a fresh
interpreter; the start-up *times* are measured in bench/ (``python bench/run.py --only startup``),
not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# third-party packages that cost tens of milliseconds or more to import
HEAVY = ("numpy", "scipy", "requests", "urllib3", "pyarrow", "pandas", "matplotlib", "numba", "jsonschema",
         "yaml", "duckdb", "pyspark", "sklearn")
# gate modules that pull the engine, the report model or the renderers in
ENGINE = ("gate.api", "gate.report.model", "gate.engine", "gate.data.align", "gate.resampling.stats", "gate.inference.decide", "gate.inference.intervals",
          "gate.inference.label_coverage", "gate.render.plots", "gate.render.html", "gate.publish.dispatch", "gate.publish.http")

PROBE = """
import json, sys
from gate.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded(*argv: str) -> tuple[int, set[str], str]:
    """Exit code, the top-level packages, scipy's subpackages and gate modules imported, and stdout, of one CLI run in a
    fresh interpreter (the same ``main`` the console script calls)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)
    data = json.loads(proc.stderr.strip().splitlines()[-1])
    mods = ({m.split(".")[0] for m in data["modules"]} | {m for m in data["modules"] if m.startswith("gate.")}
            | {m for m in data["modules"] if m.startswith("scipy.") and m.count(".") == 1})
    return data["code"], mods, proc.stdout


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["validate", "--help"], ["publish", "--help"],
                                  ["--version"]])
def test_help_imports_no_heavy_module(argv: list[str]) -> None:
    code, mods, out = loaded(*argv)
    assert code == 0 and "model-gate" in out
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))
    assert not mods & set(ENGINE), sorted(mods & set(ENGINE))


@pytest.mark.parametrize("name", ["affairs", "multiclass", "ranking", "multilabel", "canary"])
def test_validate_imports_only_the_policy_reader(name: str) -> None:
    """A valid policy is checked by gate.policy.schema_check alone: jsonschema is not imported."""
    code, mods, out = loaded("validate", str(ROOT / "policies" / f"{name}.yml"))
    assert code == 0 and "valid model-gate policy" in out
    assert {"yaml", "gate.policy.load", "gate.policy.schema_check"} <= mods     # it did read the policy
    assert not mods & (set(HEAVY) - {"yaml"}), sorted(mods & set(HEAVY))
    assert not mods & set(ENGINE), sorted(mods & set(ENGINE))


def validate_cli(policy: Path) -> subprocess.CompletedProcess:
    """``python -m gate.cli.main validate POLICY`` with this checkout's gate."""
    return subprocess.run([sys.executable, "-m", "gate.cli.main", "validate", str(policy)], capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT, timeout=60)


def test_a_bad_policy_is_still_refused_by_the_lazy_validate(tmp_path: Path) -> None:
    """The lazy import changes nothing in the outcome: a policy error is exit 2, one line."""
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 1\nname: x\ntask: binary\npositive_class: \"1\"\ngates:\n  - {metric: recal, min: 0.5}\n")
    proc = validate_cli(bad)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "recal" in proc.stderr
    bad.write_text("version: 1\nname: x\ntask: binary\npositive_class: \"1\"\ngates:\n  - {metric: recall, mni: 0.5}\n")
    proc = validate_cli(bad)
    assert proc.returncode == 2 and "unknown field 'mni'; did you mean 'min'?" in proc.stderr
    code, mods, _ = loaded("validate", str(bad))   # a schema error is worded from jsonschema's errors
    assert code == 2 and "jsonschema" in mods


def test_check_still_loads_the_engine(tmp_path: Path) -> None:
    """The other side of the property: ``check`` does import the engine when it runs (the lazy imports
    moved, they did not disappear), and ``--seed`` is still validated at parse time."""
    code, mods, _ = loaded("check", "--policy", str(ROOT / "policies" / "affairs.yml"), "--candidate",
                           str(tmp_path / "missing.csv"))
    assert code == 2 and {"gate.policy.load", "gate.api", "numpy"} <= mods
    code, mods, _ = loaded("check", "--policy", "p.yml", "--candidate", "c.csv", "--seed", "-x")
    assert code == 2 and "numpy" not in mods


def test_the_quick_start_loads_neither_a_plotting_library_nor_scipy_optimize_nor_requests(tmp_path: Path) -> None:
    """The Quick start's check with --out-dir (all four reports, plots included) imports no plotting
    library, scipy.optimize (~0.2 s) only where a score interval's p-value needs its root finder, and
    requests (~0.09 s with urllib3) only when something is sent: a local run goes through the publisher
    (dispatch decides there is nothing to publish) without loading the HTTP stack."""
    from scripts import render_docs
    code, mods, _ = loaded(*render_docs.EXAMPLES["affairs"].argv(str(tmp_path / "out")))
    assert code == 0 and (tmp_path / "out" / "report.html").read_text(encoding="utf-8").count("<svg") >= 4
    assert {"gate.render.plots", "scipy.special", "gate.publish.dispatch", "gate.publish.http"} <= mods
    unwanted = {"matplotlib", "scipy.optimize", "requests", "urllib3"}
    assert not mods & unwanted, sorted(mods & unwanted)


HUGEPAGES = """
import sys
from gate.cli.main import main
main(["validate", sys.argv[1]])
import numpy
multiarray = numpy._core.multiarray if hasattr(numpy, "_core") else numpy.core.multiarray   # numpy 2 / 1
print(multiarray._get_madvise_hugepage())
"""


@pytest.mark.parametrize(("given", "asked"), [(None, "False"), ("1", "True"), ("0", "False")])
def test_the_cli_numpy_asks_for_huge_pages_only_when_the_user_says_so(given, asked):
    """The CLI sets NUMPY_MADVISE_HUGEPAGE=0 for the numpy its subcommand imports (huge-page faults
    cost a check seconds of system time where the kernel compacts memory), unless the user set it."""
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    env["PYTHONPATH"] = str(ROOT)
    if given is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = given
    run = subprocess.run([sys.executable, "-c", HUGEPAGES, str(ROOT / "policies" / "affairs.yml")], env=env,
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == asked
