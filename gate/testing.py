"""pytest helpers: fail a test with the gates that failed, worded as the console report words them.

    import gate
    from gate.testing import assert_passes

    def test_candidate_meets_the_slos():
        assert_passes(gate.check("policies/affairs.yml", candidate="cand.csv", baseline="base.csv"))
"""

from __future__ import annotations

from gate.report.model import Report


def assert_passes(report: Report, *, allow_inconclusive: bool | None = None) -> None:
    """Raise AssertionError unless the report's verdict is pass. ``allow_inconclusive=False`` also
    fails on an inconclusive blocking gate whatever the policy's ``decision.inconclusive`` says
    (``True`` accepts them; None, the default, follows the policy). The message lists every gate
    that blocks, failed and inconclusive, with its interval, bar and reason."""
    from gate.render import console

    blocked = not report.passed
    if allow_inconclusive is False:
        blocked = blocked or bool(report.inconclusive)
    elif allow_inconclusive:
        blocked = bool(report.failed)
    if blocked:
        raise AssertionError("model-gate: the candidate does not pass\n" + console.render(report, quiet=True))


def assert_fails(report: Report) -> None:
    """Raise AssertionError unless a blocking gate failed (for tests that pin a known-bad model)."""
    from gate.render import console

    if not report.failed:
        raise AssertionError("model-gate: expected a failing gate, but none failed\n"
                             + console.render(report, quiet=False))
