"""The reproducibility block every task's report carries (:class:`gate.report.model.Reproducibility`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gate import __version__
from gate.policy.load import Policy
from gate.report.model import Reproducibility, Resampling


def reproducibility(policy: Policy, seed: int, command: Sequence[str], resampling: Resampling, *,
                    stratify: bool = False, **task_fields: Any) -> Reproducibility:
    """What reproduces the run: the policy's bootstrap and decision settings, the seed, the command,
    this model-gate's version and how the resamples were drawn. ``stratify`` and ``task_fields``:
    the task's own (``sampling``, ``unit``, ``cluster``, ``clusters``)."""
    return Reproducibility(
        seed=seed, resamples=policy.bootstrap.resamples, method=policy.bootstrap.method,
        confidence=policy.bootstrap.confidence, stratify=stratify,
        multiple_testing=policy.decision.multiple_testing, inconclusive=policy.decision.inconclusive,
        tool_version=__version__, policy_path=policy.path, policy_sha256=policy.sha256,
        command=tuple(command), resampling=resampling, **task_fields)
