"""``bow`` and ``tfidf``: scikit-learn vectorisers fitted on the text of every node (see the
package docstring); their output stays sparse where the cell's method and backbone take it."""

from __future__ import annotations

import torch
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from harness.encoder import Encoder
from harness.sparse_features import from_scipy


class _Vectorised(Encoder):
    vectorizer = CountVectorizer

    def __init__(self, max_features=5000, min_df=1, lowercase=True, binary=False, stop_words=None):
        self.options = dict(max_features=max_features, min_df=min_df, lowercase=lowercase, binary=binary, stop_words=stop_words)

    def make_vectorizer(self):
        return self.vectorizer(**self.options)

    def encode(self, task) -> torch.Tensor:
        """A CSR tensor where the counts are mostly zeros (:mod:`harness.sparse_features`)."""
        texts = ["" if text is None else str(text) for text in task.raw["text"]]
        return from_scipy(self.make_vectorizer().fit_transform(texts))


class BagOfWords(_Vectorised):
    vectorizer = CountVectorizer


class TfIdf(_Vectorised):
    vectorizer = TfidfVectorizer
