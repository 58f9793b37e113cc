"""``bow`` and ``tfidf``: scikit-learn vectorisers fitted on the text of every node (see the
package docstring)."""

from __future__ import annotations

import torch
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from harness.encoder import Encoder


class _Vectorised(Encoder):
    vectorizer = CountVectorizer

    def __init__(self, max_features=5000, min_df=1, lowercase=True, binary=False, stop_words=None):
        self.options = dict(max_features=max_features, min_df=min_df, lowercase=lowercase, binary=binary, stop_words=stop_words)

    def make_vectorizer(self):
        return self.vectorizer(**self.options)

    def encode(self, task) -> torch.Tensor:
        texts = ["" if text is None else str(text) for text in task.raw["text"]]
        matrix = self.make_vectorizer().fit_transform(texts)
        return torch.from_numpy(matrix.astype("float32").toarray())


class BagOfWords(_Vectorised):
    vectorizer = CountVectorizer


class TfIdf(_Vectorised):
    vectorizer = TfidfVectorizer
