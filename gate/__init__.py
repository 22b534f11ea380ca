"""model-gate: decide with honest statistics whether a candidate classification model may ship.

The public API (documented in docs/api.md)::

    import gate
    policy = gate.load_policy("policies/affairs.yml")          # or a mapping
    report = gate.check(policy, candidate="cand.csv", baseline="base.csv", seed=7)
    report = gate.check_arrays({"metric": "recall", "min": 0.9}, y_true, y_pred)
    report.verdict, report.exit_code, report.failed

Names are loaded on first use, so ``model-gate --help`` does not import numpy or scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_policy": "gate.api", "check": "gate.api", "check_arrays": "gate.api", "plan": "gate.api",
    "Plan": "gate.inference.planning",
    "Policy": "gate.policy.load", "Report": "gate.report.model", "GateResult": "gate.report.model", "Estimate": "gate.report.model",
    "GateError": "gate.errors", "PolicyError": "gate.errors", "InputError": "gate.errors",
    "UsageError": "gate.errors",
}
__all__ = ["Estimate", "GateError", "GateResult", "InputError", "Plan", "Policy", "PolicyError", "Report",
           "UsageError", "__version__", "check", "check_arrays", "load_policy", "plan"]

if TYPE_CHECKING:
    from gate.api import check, check_arrays, load_policy, plan
    from gate.errors import GateError, InputError, PolicyError, UsageError
    from gate.inference.planning import Plan
    from gate.policy.load import Policy
    from gate.report.model import Estimate, GateResult, Report


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gate' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
