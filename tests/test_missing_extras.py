"""Without an optional extra the product still works, and says how to get what is missing.

The README promises that ``pip install .`` alone gives the Quick start example's verdict and all four
reports, plots included (hand-written SVG: matplotlib is no dependency), and that a Parquet file without pyarrow is an input error
naming the install command. In the core-install env of ``.ci/run`` the extras are really absent; in
the full env these tests hide them (``sys.modules[name] = None`` makes ``import name`` fail), so
both envs run every test here.
"""

from __future__ import annotations

import json
import sys

from gate.cli.main import main
from scripts import render_docs

AFFAIRS = render_docs.EXAMPLES["affairs"]


def _hide(monkeypatch, *names: str) -> None:
    for name in names:
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, mod)
        monkeypatch.setitem(sys.modules, name, None)


def test_quick_start_without_matplotlib_gives_every_report_with_plots(tmp_path, monkeypatch, capsys):
    _hide(monkeypatch, "matplotlib")
    monkeypatch.chdir(render_docs.ROOT)
    code = main(AFFAIRS.argv(str(tmp_path / "out")))
    assert code == 0, capsys.readouterr().err
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "report.html", "report.json", "report.md"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 4 and 'id="forest-plot"' in page and "Plots are turned off" not in page
    assert '<table class="gates">' in page and "Counts as tables" in page
    assert "matplotlib" not in sys.modules or sys.modules["matplotlib"] is None
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["verdict"] == "pass"


def test_parquet_without_pyarrow_is_an_input_error_with_the_install_command(tmp_path, monkeypatch, capsys):
    _hide(monkeypatch, "pyarrow")
    policy = tmp_path / "p.yml"
    policy.write_text('version: 1\nname: p\ntask: binary\npositive_class: "1"\n'
                      "gates: [{metric: recall, min: 0.5}]\n", encoding="utf-8")
    data = tmp_path / "candidate.parquet"
    data.write_bytes(b"PAR1" + b"\x00" * 16 + b"PAR1")
    code = main(["check", "--policy", str(policy), "--candidate", str(data)])
    err = capsys.readouterr().err
    assert code == 2
    assert "candidate.parquet" in err and "pip install 'model-gate[parquet]'" in err
    assert "Traceback" not in err
