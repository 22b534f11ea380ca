"""Small policy and CSV texts for the input tests (tests/test_bad_inputs.py and others)."""

from __future__ import annotations


def policy(gates: str = "  - metric: recall\n    min: 0.5\n", *, head: str | None = None, extra: str = "") -> str:
    head = head if head is not None else (
        'version: 1\nname: t\ntask: binary\npositive_class: "1"\nbootstrap: {resamples: 200, seed: 1}\n')
    return head + extra + "gates:\n" + gates


def binary_csv(n: int = 40, *, ids: range | None = None, label=lambda i: str(i % 2),
               score=lambda i: f"{(i % 10) / 10:.1f}", header: str = "id,label,score") -> str:
    ids = ids if ids is not None else range(n)
    rows = [header] + [f"r{i},{label(i)},{score(i)}" for i in ids]
    return "\n".join(rows) + "\n"


ML_HEAD = "version: 1\nname: t\ntask: multilabel\nbootstrap: {resamples: 200, seed: 1}\n"
ML_THRESHOLD = "data: {threshold: 0.5}\n"


def ml_policy(gates: str = "  - {metric: f1, average: micro, min: 0.1}\n", *, extra: str = ML_THRESHOLD) -> str:
    """A ``task: multilabel`` policy (predictions from ``score >= 0.5`` by default)."""
    return policy(gates, head=ML_HEAD, extra=extra)


def ml_wide(n: int = 12, labels: tuple[str, ...] = ("a", "b"), *, edit=None) -> str:
    """A wide multilabel CSV: ``id``, ``label_<L>`` (alternating 0/1) and ``score_<L>`` (0.8 where the
    label applies, else 0.2); ``edit(i, cells)`` may change row ``i``'s cells."""
    head = ["id"] + [f"label_{x}" for x in labels] + [f"score_{x}" for x in labels]
    rows = [",".join(head)]
    for i in range(n):
        truth = [(i + j) % 2 for j in range(len(labels))]
        cells = [f"e{i}"] + [str(t) for t in truth] + [f"{0.2 + 0.6 * t:.1f}" for t in truth]
        rows.append(",".join(edit(i, cells) if edit else cells))
    return "\n".join(rows) + "\n"


def ml_long(rows: list[tuple]) -> str:
    """A long multilabel CSV (``id,label,y,score``), one row per tuple."""
    return "id,label,y,score\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)
