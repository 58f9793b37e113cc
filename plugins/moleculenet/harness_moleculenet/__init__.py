"""MoleculeNet molecular property prediction from SMILES, a ZINC-derived pre-training corpus, and
Hu et al.'s GIN with edge features.

Papers: Wu et al., "MoleculeNet: A Benchmark for Molecular Machine Learning", Chem. Sci. 2018
(the datasets); Hu et al., "Strategies for Pre-training Graph Neural Networks", ICLR 2020,
github.com/snap-stanford/pretrain-gnns (featurisation, scaffold split and the GIN backbone);
OGB (Hu et al., NeurIPS 2020; ``ogb.utils.smiles2graph``, ``AtomEncoder``/``BondEncoder``) for
the alternative featurisation; MOSES (Polykovskiy et al. 2020) for the corpus.

- Datasets (rows of ``datasets.csv``, which also carries the published and the files' molecule
  counts): bbbp, bace, clintox, sider, tox21, toxcast, hiv, muv (graph classification, ROC-AUC
  averaged over tasks, NaN labels masked, one-class tasks skipped), esol, freesolv,
  lipophilicity (graph regression, RMSE), read from chemprop's CSVs under
  ``<data root>/moleculenet_chemprop/``; node and edge features are integers (``x`` long),
  ``featurization`` 'hu' (default) or 'ogb', declared categorical with that featurisation's
  vocabulary sizes (:mod:`.vocabularies`; ``task.categorical`` and the declaration's
  ``metadata['categorical_features']``), so that every backbone embeds them; ``split``
  'scaffold' (default), 'random' or 'random-scaffold', 80/10/10 (under a grid's ``split:
  per-seed`` the random kinds are drawn from each cell's seed). Featurised molecules are cached
  in the artifact cache.
- Every task, ``zinc`` included, carries the RDKit canonical SMILES of each graph as the raw
  attribute ``task.raw["smiles"]`` (graph order; declared ``provides: smiles``): a feature of
  every split, test included, that names a molecule across datasets (a pre-training corpus
  leaves out a downstream set's validation and test molecules by it).
- ``zinc``: MOSES train (ZINC Clean Leads), unlabelled, with no splits: a grid refuses it as a
  dataset and a method's ``dataset`` parameter names it; see :mod:`.corpus` (also
  :func:`harness_moleculenet.corpus.load_corpus`).
- Backbone ``gin-mol`` (:mod:`.gin`), only on datasets that provide ``molecule-features``, with
  an encoder that keeps their integer codes (it needs ``categorical-node-features``).

What differs from the references:
- the data are chemprop's copies of the DeepChem CSVs, not the pretrain-gnns or OGB downloads:
  BBBP, ClinTox, Tox21, ToxCast and MUV have fewer rows than the MoleculeNet paper reports
  (see the table), and RDKit 2026.09 refuses 8 Tox21 and 7 HIV SMILES (hypervalent Al, B, Ge)
  that older RDKit releases accepted, so those sets have that many graphs fewer than OGB's or
  pretrain-gnns'. Invalid SMILES are counted and reported, never silently dropped;
- Hu et al.'s featurisation maps a value outside its vocabularies where the reference code
  raises (dummy atom -> index 118, newer chirality tags -> "other", dative bonds -> single;
  :mod:`.featurize`), and ``gin-mol`` embeds 4 chirality tags instead of 3;
- with OGB's featurisation ``gin-mol`` adds self-loops with a learned vector per layer (OGB's
  ``BondEncoder`` has no self-loop type); OGB's own GIN has no self-loops;
- scaffold split: the reference's rule exactly (:mod:`.splits`), over the valid molecules.
"""

from dataclasses import replace

from harness import Component, Param, TaskType, hookimpl
from harness.cell import FIXED, PER_SEED
from harness.features import CAPABILITY as CATEGORICAL
from harness.features import NODE_CODES, metadata_entry
from harness.metadata import dataset_components, download_param, read_table

from harness_moleculenet.vocabularies import BY_FEATURIZATION

_VERSION = "1"
FEATURIZATION = Param(
    "featurization", "str", "hu",
    "integer atom/bond features: 'hu' (Hu et al.: atom type and chirality; bond type and direction) or 'ogb' (ogb.utils.smiles2graph: 9 atom, 3 bond features)",
    choices=("hu", "ogb"),
)
_MOLECULENET_PARAMS = (
    FEATURIZATION,
    Param("split", "str", "scaffold", "80/10/10 split: deterministic Bemis-Murcko 'scaffold' (Hu et al./OGB), seeded 'random', or seeded 'random-scaffold'", choices=("scaffold", "random", "random-scaffold")),
    Param("split_seed", "int", 0, "seed of the 'random' and 'random-scaffold' splits (unused by 'scaffold')", minimum=0),
    download_param("github.com/chemprop/chemprop at a pinned commit (sha256 checked)", "<data root>/moleculenet_chemprop"),
)
_CORPUS_PARAMS = (
    Param("size", "int", 2000, "number of molecules (0 = all 1,584,663): the first ones in the file, or a seeded sample with sample_seed", minimum=0),
    Param("sample_seed", "int", None, "draw `size` molecules at random with this seed instead of taking the first ones (null: the first ones)", minimum=0, nullable=True),
    FEATURIZATION,
    download_param("github.com/molecularsets/moses (sha256 checked)", "<data root>/zinc_moses"),
)


def _arguments(row):
    """The shared SMILES loader learns which dataset it loads; the corpus has its own loader."""
    return {} if row.get("unlabelled") == "true" or row["name"] == "zinc" else {"name": row["name"]}


def _params(row):
    return _CORPUS_PARAMS if row.get("unlabelled") == "true" else _MOLECULENET_PARAMS


#: every molecule set's atoms and bonds are integer codes, in the featurisation's vocabularies
_CATEGORICAL = metadata_entry(*((features, {"featurization": name}) for name, features in BY_FEATURIZATION.items()))


def _datasets():
    rows = read_table(__name__)
    components = []
    for row, component in zip(rows, dataset_components(rows, params=_params, version=_VERSION, arguments=_arguments)):
        metadata = {**component.metadata, **_CATEGORICAL}
        if row.get("unlabelled") == "true":
            # no splits: a grid refuses it as a cell's dataset; methods name it by reference
            component = replace(component, metadata={**metadata, "unlabelled": True}, preflight="harness_moleculenet.files:check", splits=())
        else:
            component = replace(component, metadata=metadata, preflight="harness_moleculenet.files:check", splits=(FIXED, PER_SEED), split_params=("split_seed",))
        components.append(component)
    return components


@hookimpl
def harness_datasets():
    return _datasets()


@hookimpl
def harness_backbones():
    return [
        Component(
            kind="backbone",
            name="gin-mol",
            factory="harness_moleculenet.gin:gin_mol",
            doc="GIN with edge features for molecules (Hu et al., ICLR 2020): embedded atom/bond features, self-loops, sum of h_j + e_ij, MLP, BatchNorm.",
            version=_VERSION,
            params=(
                Param("num_layers", "int", 5, "message-passing layers", minimum=1),
                Param("hidden", "int", 300, "embedding width of atoms, bonds and every layer", minimum=1),
                Param("dropout", "float", 0.5, "dropout after every layer (0.5 when fine-tuning in Hu et al., 0 when pre-training)", minimum=0, maximum=1),
                Param("jk", "str", "last", "jumping knowledge over the input embedding and each layer: last, sum or concat", choices=("last", "sum", "concat")),
            ),
            task_types=TaskType.GRAPH_LEVEL,
            needs=frozenset({"molecule-features", NODE_CODES}),
            capabilities=frozenset({"edge-features", CATEGORICAL}),
        )
    ]
