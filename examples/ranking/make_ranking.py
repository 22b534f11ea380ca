"""Build the ranking example: BM25 (candidate) vs TF-IDF (baseline) retrieval over scikit-learn's own API docs.

    python examples/ranking/make_ranking.py            # rewrites examples/ranking/{bm25.run,tfidf.run,qrels.csv}
    python examples/ranking/make_ranking.py --out DIR  # writes them into DIR instead

The collection is real public text shipped in an installed package, read without any network: the
docstrings of scikit-learn's public estimators and functions (``sklearn.utils.discovery``; scikit-learn
is BSD-3-Clause, see its licence). Relevance judgements are the ones scikit-learn's authors wrote:

- a *query* is an object's one-line summary (the first line of its docstring), e.g. "Logistic
  Regression (aka logit, MaxEnt) classifier.";
- a *document* is every object's docstring without that summary and without its "See Also" section
  (so neither the query text nor the judgements leak into the documents);
- *judgements*: the object itself is relevant at grade 2, each object its "See Also" section names at
  grade 1; every other document is unjudged (not relevant). Only objects whose "See Also" names another
  collected object become queries.

Rankers (each returns its top ``DEPTH`` documents per query, in TREC run format): TF-IDF cosine
similarity (``TfidfVectorizer``, the baseline) and Okapi BM25 (k1 = 1.2, b = 0.75, the candidate) over
the same ``CountVectorizer`` tokens (English stop words removed). ``qrels.csv`` also holds each query's
``kind`` (``class`` or ``function``), the attribute ``policies/ranking.yml`` slices on. The output depends
only on the installed scikit-learn version (printed), not on a seed.
"""

from __future__ import annotations

import argparse
import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import sklearn
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.utils.discovery import all_estimators, all_functions

OUT = Path(__file__).resolve().parent
DEPTH = 20
K1, B = 1.2, 0.75
SEE_ALSO = re.compile(r"^See Also\n-+\n(.*?)(?=\n\n[A-Z][A-Za-z ]+\n-+\n|\Z)", re.S | re.M)
REFERENCE = re.compile(r"^([\w.]+)\s*(?::|$)")


def collection() -> dict[str, tuple[str, str, str, set[str]]]:
    """name -> (kind, summary, body, names its See Also section refers to), sorted by name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        objects = dict(all_estimators()) | dict(all_functions())
    out = {}
    for name in sorted(objects):
        doc = inspect.getdoc(objects[name]) or ""
        summary, _, rest = doc.partition("\n")
        see_also = SEE_ALSO.search(rest)
        refs = set()
        if see_also:
            for line in see_also.group(1).splitlines():
                match = REFERENCE.match(line)
                if match:
                    refs.add(match.group(1).split(".")[-1])
            rest = rest[:see_also.start()] + rest[see_also.end():]
        kind = "class" if inspect.isclass(objects[name]) else "function"
        out[name] = (kind, summary.strip(), rest, refs)
    return out


def bm25(counts, query_counts) -> np.ndarray:
    """Okapi BM25 of every (query, document): Σ over query terms of idf · tf (k1 + 1) / (tf + k1 (1 − b + b dl/avgdl)),
    idf = log(1 + (N − df + 0.5) / (df + 0.5)) (the non-negative form of Lucene)."""
    counts = counts.tocsc().astype(float)
    n_docs = counts.shape[0]
    df = np.diff(counts.indptr)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    norm = K1 * (1 - B + B * lengths / lengths.mean())
    weighted = counts.tocoo()
    values = weighted.data * (K1 + 1) / (weighted.data + norm[weighted.row]) * idf[weighted.col]
    doc_terms = csr_matrix((values, (weighted.row, weighted.col)), shape=counts.shape)
    present = (query_counts > 0).astype(float)
    return np.asarray((present @ doc_terms.T).todense())


def tfidf(bodies: list[str], queries: list[str]) -> np.ndarray:
    vectorizer = TfidfVectorizer(stop_words="english").fit(bodies)
    return np.asarray((vectorizer.transform(queries) @ vectorizer.transform(bodies).T).todense())


def write_run(path: Path, query_names: list[str], doc_names: list[str], scores: np.ndarray, tag: str) -> None:
    """Top DEPTH documents per query, score descending then name (stable), 6-decimal scores."""
    lines = []
    for qi, q in enumerate(query_names):
        rounded = np.round(scores[qi], 6)
        order = sorted(range(len(doc_names)), key=lambda d: (-rounded[d], doc_names[d]))[:DEPTH]
        lines += [f"{q} Q0 {doc_names[d]} {rank} {rounded[d]:.6f} {tag}\n" for rank, d in enumerate(order, start=1)]
    path.write_text("".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output directory (default: beside this script)")
    out = parser.parse_args().out
    docs = collection()
    names = list(docs)
    queries = [n for n in names if {r for r in docs[n][3] if r in docs and r != n}]
    bodies = [docs[n][2] for n in names]
    texts = [docs[q][1] for q in queries]
    vocabulary = CountVectorizer(stop_words="english").fit(bodies)
    write_run(out / "tfidf.run", queries, names, tfidf(bodies, texts), "tfidf")
    write_run(out / "bm25.run", queries, names, bm25(vocabulary.transform(bodies), vocabulary.transform(texts)), "bm25")
    rows = ["query_id,item_id,relevance,kind\n"]
    for q in queries:
        related = sorted(r for r in docs[q][3] if r in docs and r != q)
        rows += [f"{q},{q},2,{docs[q][0]}\n"] + [f"{q},{r},1,{docs[q][0]}\n" for r in related]
    (out / "qrels.csv").write_text("".join(rows), encoding="utf-8")
    print(f"scikit-learn {sklearn.__version__}: {len(names)} documents, {len(queries)} queries, "
          f"{len(rows) - 1} judgements")


if __name__ == "__main__":
    main()
