"""What a ranking policy names, numpy-free so that loading or validating any policy stays light:
the measures (:class:`Measure`) and how relevance, ties and special queries are treated
(:class:`RankingOptions`). The computations are in :mod:`gate.ranking.measures`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

from gate.errors import PolicyError, clip

GAINS = ("linear", "exponential")
TIES = ("trec", "average")
MEASURES = ("ap", "ndcg", "precision", "recall", "reciprocal_rank", "hit_rate", "r_precision")
EMPTY_QUERIES = ("zero", "skip", "error")
MISSING_QUERIES = ("skip", "zero")


def _choice(value: object, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise PolicyError(f"{clip(repr(value))} is not an option", where=name,
                          fix="use one of " + ", ".join(allowed))


@dataclass(frozen=True)
class Measure:
    """One per-query measure: ``name`` (see :data:`MEASURES`), the cutoff ``k`` (None: the whole list;
    not for ``r_precision``, whose cutoff is R) and, for ``ndcg``, ``gain``: ``linear`` (the relevance,
    as trec_eval) or ``exponential`` (2^rel - 1)."""

    name: str
    k: int | None = None
    gain: str = "linear"

    def __post_init__(self) -> None:
        _choice(self.name, MEASURES, "measure")
        _choice(self.gain, GAINS, "gain")
        if self.k is not None and (not isinstance(self.k, Integral) or isinstance(self.k, bool) or self.k < 1):
            raise PolicyError(f"{clip(repr(self.k))} is not allowed", where=f"{self.name} k", fix="k must be an integer >= 1")
        if self.name == "r_precision" and self.k is not None:
            raise PolicyError("is not allowed", where="r_precision k", fix="its cutoff is R; drop k")
        if self.name != "ndcg" and self.gain != "linear":
            raise PolicyError("is not allowed", where=f"{self.name} gain", fix="gain is for ndcg only")

    @property
    def label(self) -> str:
        """``ndcg@10``, ``ap``, ``ndcg@5 (exponential)``: how a report names it."""
        text = self.name if self.k is None else f"{self.name}@{self.k}"
        return text if self.gain == "linear" else f"{text} ({self.gain})"


@dataclass(frozen=True)
class RankingOptions:
    """How relevance, ties and special queries are treated; the defaults give trec_eval's values.

    ``relevance_threshold``: relevant means judged relevance >= it (trec_eval ``-l``, default 1; must be
    > 0). ``ties``: ``trec`` (item id descending) or ``average`` (expected value over tied orders).
    ``empty_queries`` and ``missing_queries``: see the module docstring."""

    relevance_threshold: float = 1
    ties: str = "trec"
    empty_queries: str = "zero"
    missing_queries: str = "skip"

    def __post_init__(self) -> None:
        t = self.relevance_threshold
        if not isinstance(t, Real) or isinstance(t, bool) or not math.isfinite(t) or t <= 0:
            raise PolicyError(f"{clip(repr(t))} is not a number > 0", where="relevance_threshold",
                              fix="give a number > 0 (trec_eval's default is 1)")
        _choice(self.ties, TIES, "ties")
        _choice(self.empty_queries, EMPTY_QUERIES, "empty_queries")
        _choice(self.missing_queries, MISSING_QUERIES, "missing_queries")
