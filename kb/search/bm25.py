"""An in-process BM25 index (numpy postings) for the exact path: the lexical twin of `ExactIndex`'s dense matrix.

milvus-lite answers a BM25 request over 100k rows in ~140 ms; the same search over these postings takes a few
milliseconds. Scoring follows Milvus' BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N − n + 0.5)/(n + 0.5))); the
tokeniser (lower-cased Unicode word runs) approximates Milvus' `standard` analyser, so ranks can differ slightly
from Milvus' on punctuation-heavy text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
K1, B = 1.2, 0.75


def tokenize(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class BM25Postings:
    """Term → (row ids, precomputed BM25 row weights); queries add the weights of their terms."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.n_rows = len(texts)
        terms: dict[str, int] = {}
        rows: list[int] = []
        term_ids: list[int] = []
        tfs: list[int] = []
        lengths = np.zeros(self.n_rows, dtype=np.float32)
        for row, text in enumerate(texts):
            counts = Counter(tokenize(text))
            lengths[row] = sum(counts.values())
            for term, tf in counts.items():
                term_ids.append(terms.setdefault(term, len(terms)))
                rows.append(row)
                tfs.append(tf)
        self.terms = terms
        t = np.asarray(term_ids, dtype=np.int64)
        order = np.argsort(t, kind="stable")
        self.rows = np.asarray(rows, dtype=np.int64)[order]
        tf = np.asarray(tfs, dtype=np.float32)[order]
        df = np.bincount(t, minlength=len(terms))
        self.ptr = np.concatenate([[0], np.cumsum(df)])
        avgdl = float(lengths.mean()) if self.n_rows else 1.0
        idf = np.log1p((self.n_rows - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = K1 * (1 - B + B * lengths[self.rows] / max(avgdl, 1e-6))
        self.weights = idf[t[order]] * tf * (K1 + 1) / (tf + norm)

    def scores(self, text: str) -> np.ndarray:
        """BM25 score of every row for `text` (0 = no shared term)."""
        out = np.zeros(self.n_rows, dtype=np.float32)
        for term, qtf in Counter(tokenize(text)).items():
            tid = self.terms.get(term)
            if tid is None:
                continue
            lo, hi = self.ptr[tid], self.ptr[tid + 1]
            out[self.rows[lo:hi]] += qtf * self.weights[lo:hi]  # a term's rows are unique: plain += is exact
        return out
