"""The reproducibility block every task's report carries (:class:`gate.report.model.Reproducibility`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gate import __version__
from gate.policy.load import Policy
from gate.report.model import Reproducibility, Resampling


def reproducibility(policy: Policy, seed: int, command: Sequence[str], resampling: Resampling,
                    **task_fields: Any) -> Reproducibility:
    """What reproduces the run: the policy's bootstrap and decision settings, the seed, the command,
    this model-gate's version and how the resamples were drawn. ``task_fields``: the task's own
    (``stratify``/``sampling``, ``unit``, ``cluster``, ``clusters``); ``stratify`` defaults to false."""
    return Reproducibility(
        seed=seed, resamples=policy.bootstrap.resamples, method=policy.bootstrap.method,
        confidence=policy.bootstrap.confidence, stratify=task_fields.pop("stratify", False),
        multiple_testing=policy.decision.multiple_testing, inconclusive=policy.decision.inconclusive,
        tool_version=__version__, policy_path=policy.path, policy_sha256=policy.sha256,
        command=tuple(command), resampling=resampling, **task_fields)
