"""Simulating a missing optional package in-process (tests/test_core_install.py, tests/test_hostile_inputs.py)."""

from __future__ import annotations

import builtins
import sys


def hide_pyarrow(monkeypatch) -> None:
    """Make ``import pyarrow`` (and its submodules) fail the way it does when it is not installed."""
    hide_module(monkeypatch, "pyarrow")


def hide_module(monkeypatch, module: str) -> None:
    """Make ``import module`` (and its submodules, also as ``from parent import module``) fail the way
    it does when it is not installed (or, for an optional extension, was not built)."""
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    parent, _, leaf = module.rpartition(".")
    real_import = builtins.__import__

    def fake_import(name, globals=None, locals=None, fromlist=(), level=0):
        hidden = name == module or name.startswith(module + ".") or (name == parent and leaf in (fromlist or ()))
        if hidden and level == 0:
            raise ImportError(f"No module named '{module}'")
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def c_kernel():
    """The C kernel, :mod:`gate.resampling._ckernels`, or a skip: an install without a C compiler
    does not build it (the numpy path then runs, tested everywhere else)."""
    import pytest
    return pytest.importorskip("gate.resampling._ckernels", reason="the C kernel was not built (no C compiler at install time)")
