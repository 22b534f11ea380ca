"""Simulating a missing optional package in-process (tests/test_core_install.py, tests/test_hostile_inputs.py)."""

from __future__ import annotations

import builtins
import sys


def hide_pyarrow(monkeypatch) -> None:
    """Make ``import pyarrow`` (and its submodules) fail the way it does when it is not installed."""
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, name)
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError(f"No module named '{name}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
