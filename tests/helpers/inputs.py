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
