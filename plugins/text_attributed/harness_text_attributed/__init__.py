"""Text-attributed graphs: every node carries its raw text in ``task.raw["text"]``.

``citeseer-tag``: CiteSeer with the title and abstract (or opening text) of each paper, in the
version TAPE uses (He et al., "Harnessing Explanations: LLM-to-LM Interpreter for Enhanced
Text-Attributed Graph Representation Learning", ICLR 2024; github.com/XiaoxinHe/TAPE, folder
``dataset/CiteSeer-Orig``), with the LINQS citation file (Giles et al. 1998; Sen et al. 2008).
The files are read in place from the data root (:mod:`.files` says where), or fetched from TAPE's
repository with ``download: true``. The loader is this project's own code; what differs from TAPE's loader:

- Nodes are the 3,186 papers of ``citeseer_texts.txt`` (the node count Graph-LLM, Chen et al.
  2023, reports). TAPE builds its graph from LINQS' ``citeseer.content`` (3,312 papers) and
  gives the 126 papers without text an empty string; that file is not in the shared data, so
  those papers and their citations are left out here.
- Edges: every line of ``citeseer.cites`` whose two ends are both text nodes (4,397 of 4,732),
  made undirected, duplicates merged and the 120 self-citations dropped (the backbones add their
  own self-loops): 4,225 undirected edges, 8,450 entries in ``edge_index``.
- Split: the source ships none; TAPE and Graph-LLM draw random 60/20/20 splits. Here a
  permutation drawn from ``torch.Generator().manual_seed(split_seed)`` gives the first
  floor(0.6 n) nodes to training, up to floor(0.8 n) to validation and the rest to test (1,911 /
  637 / 638); under a grid's ``split: per-seed`` each cell's seed draws its own such split.
  TAPE's split indices cannot be reproduced (they index its 3,312-node order and
  use NumPy's global generator).
- Classes in the order of LINQS' README (and TAPE's class map): Agents, AI, DB, IR, ML, HCI.
- Node features: none in the source. ``data.x`` is a constant column of ones (n x 1) so that
  every backbone runs; with the ``identity`` encoder the model sees only the graph structure (a
  structure-only baseline, not a text baseline). Use a text encoder (``bow``, ``tfidf``, ``lm``
  from the ``encoders`` plugin) for the intended setting.
"""

from dataclasses import replace

from harness import Param, hookimpl
from harness.cell import FIXED, PER_SEED
from harness.metadata import dataset_components, download_param, read_table


def _params(row):
    return (
        Param("split_seed", "int", 0, "seed of the random 60/20/20 train/valid/test split (the source has no split)"),
        download_param("github.com/XiaoxinHe/TAPE at a pinned commit (sha256 checked)", "<data root>/citeseer_tag_tape"),
    )


@hookimpl
def harness_datasets():
    components = dataset_components(read_table("harness_text_attributed"), params=_params, preflight="harness_text_attributed.files:check")
    return [replace(c, splits=(FIXED, PER_SEED), split_params=("split_seed",)) for c in components]
