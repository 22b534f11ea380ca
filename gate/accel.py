"""The optional C extensions (setup.py): :mod:`gate.resampling._ckernels`, the Poisson-bootstrap kernel,
and :mod:`gate.data._csvscan`, the CSV scanner. Each is loaded on first use, None when the install had
no C compiler; ``MODEL_GATE_ACCEL=numpy`` (or ``off``, ``0``, ``no``) turns every one off, so that one
process can compare both paths (no numpy is imported here: the readers load the scanner)."""

from __future__ import annotations

import os
from types import ModuleType


def turned_off() -> bool:
    """Whether ``MODEL_GATE_ACCEL`` turns the compiled extensions off."""
    return os.environ.get("MODEL_GATE_ACCEL", "").strip().lower() in ("numpy", "off", "0", "no")


def load(name: str, cache: dict[str, ModuleType]) -> ModuleType | None:
    """The extension module ``name``, or None when it was not built or is turned off. ``cache`` is
    the caller's (filled on first use: ``{"module": m}``, or ``{"missing": ...}`` when not built), so a
    test can reset it."""
    if turned_off():
        return None
    if not cache:
        try:
            # __import__, not importlib: tests hide a module by patching it (tests/helpers/imports.py)
            cache["module"] = __import__(name, fromlist=["_"])
        except ImportError:     # built without a C compiler
            cache["missing"] = ModuleType(name)
    return cache.get("module")
