"""GNN pre-training and transfer on molecules: Hu et al.'s strategies, naive multi-task
pre-training and L2P-GNN, each fine-tuned like Hu et al.

Papers and official code:
- Hu, Liu, Gomes, Zitnik, Liang, Pande, Leskovec, "Strategies for Pre-training Graph Neural
  Networks", ICLR 2020; github.com/snap-stanford/pretrain-gnns (folder ``chem``): the
  node-level strategies, supervised pre-training, the fine-tuning protocol and the settings
  used as defaults here (pre-training: batch 256, 100 epochs, Adam lr 1e-3, dropout 0, mask
  rate 0.15, context size 3; supervised pre-training: batch 32, 100 epochs, lr 1e-3, dropout
  0.2; fine-tuning: batch 32, 100 epochs, lr 1e-3, the backbone's dropout 0.5).
- Lu, Jiang, Fang, Shi, "Learning to Pre-train Graph Neural Networks", AAAI 2021;
  github.com/rootlu/L2P-GNN.

Methods (one code path for fine-tuning, :mod:`.finetune`):
- ``none``: fine-tuning from random weights (Hu et al.'s "no pre-train").
- ``attrmasking``, ``contextpred``, ``edgepred``, ``infomax``: node-level self-supervised
  pre-training on an unlabelled corpus (``corpus``, a dataset reference; default the
  ZINC-derived ``zinc`` corpus, whose ``size`` says how many molecules), with the objectives
  of :mod:`harness.objectives`, then fine-tuning.
- ``supervised-pretrain``: graph-level multi-task pre-training on a labelled corpus, from
  random weights (``init: none``: the naive multi-task baseline) or from a node-level
  checkpoint (``init: attrmasking`` etc.: Hu et al.'s node-then-graph strategy), then
  fine-tuning.
- ``l2p-gnn``: L2P-GNN's MAML-style pre-training on the unlabelled corpus (:mod:`.l2p_gnn`:
  node-level link prediction on support/query edges and graph-level sub-structure matching
  with a learnable pooling matrix, one differentiable inner step each through
  ``torch.func.functional_call``, second order unless ``first_order``; Lu et al.'s defaults:
  batch 64, 100 epochs, Adam lr 1e-3, dropout 0, inner step sizes 1e-3, 10 support and 5
  query edges), then fine-tuning like the others.

And ``aux-ts`` (:mod:`.aux_ts_method`): Han, Huang, An, Bai, "Adaptive Transfer Learning on
Graph Neural Networks", KDD 2021; github.com/Sean-Huang65/AUX-TS. Fine-tuning with the target
loss plus auxiliary losses weighted per example by a weighting network learnt through a
differentiable look-ahead (``weighting: adaptive``; :mod:`.aux_ts` says where it departs from
the released code), or the baselines on the same code path (``equal``, ``target-only``). On
molecules it fine-tunes from the family's node-level checkpoint (``init``) with the strategies'
objectives as auxiliary tasks; on node classification it trains from scratch with link and
attribute reconstruction (:mod:`.aux_ts_settings`). The ``random-labels`` auxiliary task is
harmful on purpose, for tests and the acceptance toy (:mod:`.random_labels`).

Pre-trained checkpoints are stages (:mod:`.stages`) shared by every method of the plugin: a
grid over many downstream sets and fine-tuning seeds pre-trains once per strategy, corpus, GNN
and pre-training seed (the supervised stage once per downstream set, whose validation and test
molecules it removes).

What differs from the references:
- no ChEMBL: the labelled corpus is the union of the *training* splits of the other MoleculeNet
  classification sets (leave-one-out over ``labelled``, default the eight), with every molecule
  of the downstream validation and test splits removed by canonical SMILES
  (:mod:`.labelled_corpus`); Hu et al. used ChEMBL's 456K molecules and 1,310 tasks;
- the unlabelled corpus is MOSES's ZINC Clean Leads (1.58M molecules), not Hu et al.'s 2M ZINC15
  sample;
- node-level pre-training drops an incomplete last mini-batch (infomax and context prediction
  pair each molecule with another of its batch); the reference keeps it;
- L2P-GNN was published on biology ego-networks and a DBLP corpus, fine-tuned with a head on
  the pooled graph and its centre node; on molecules it is fine-tuned like Hu et al.'s
  (mean pooling), and :mod:`.l2p_gnn` lists where its meta loss departs from the reference
  code;
- the fine-tuning curve: the harness scores validation and test after every epoch and reports
  the best-validation epoch (the released parser's rule); the last epoch stays in the record.
"""

from harness import Component, Param, TaskType, hookimpl

#: one version for every method of the family: it keys the stages they share
_VERSION = "1"
#: Hu et al.'s eight MoleculeNet classification sets, the default labelled sources
MOLECULENET_CLASSIFICATION = ["bbbp", "tox21", "toxcast", "sider", "clintox", "muv", "hiv", "bace"]
_NODE_LEVEL = ("infomax", "edgepred", "attrmasking", "contextpred")

_FINETUNING = (
    Param("epochs", "int", 100, "fine-tuning epochs (all run; the best-validation epoch is reported, every epoch is scored)", minimum=1),
    Param("lr", "float", 0.001, "fine-tuning Adam learning rate", minimum=0, exclusive_minimum=True),
    Param("weight_decay", "float", 0.0, "fine-tuning Adam weight decay", minimum=0),
    Param("batch_size", "int", 32, "molecules per fine-tuning mini-batch", minimum=1),
)
_NODE_LEVEL_PRETRAINING = (
    Param("corpus", "dataset", "zinc", "unlabelled pre-training corpus (a dataset reference, e.g. {name: zinc, params: {size: 0}} for all 1.58M molecules)"),
    Param("pretrain_epochs", "int", 100, "node-level pre-training epochs", minimum=1),
    Param("pretrain_batch_size", "int", 256, "molecules per node-level pre-training mini-batch", minimum=2),
    Param("pretrain_lr", "float", 0.001, "pre-training Adam learning rate (node-level or L2P-GNN)", minimum=0, exclusive_minimum=True),
    Param("pretrain_dropout", "float", 0.0, "GNN dropout during pre-training on the unlabelled corpus", minimum=0, maximum=1),
    Param("pretrain_seed", "int", 0, "seed of the pre-training stages (fine-tuning uses the cell's seed)", minimum=0),
)
_MASK_RATE = Param("mask_rate", "float", 0.15, "attrmasking: share of atoms masked per molecule (floor(rate n) + 1)", minimum=0, exclusive_minimum=True, maximum=1)
_CONTEXT_SIZE = Param("context_size", "int", 3, "contextpred: r2 - r1, the context ring's width in hops (r1 = layers - 1); the context GNN's depth", minimum=1)
_STRATEGY_PARAMS = {"attrmasking": (_MASK_RATE,), "contextpred": (_CONTEXT_SIZE,), "edgepred": (), "infomax": ()}
_L2P = (
    Param("pretrain_epochs", "int", 100, "L2P-GNN pre-training epochs", minimum=1),
    Param("pretrain_batch_size", "int", 64, "molecules (tasks) per L2P-GNN meta batch", minimum=2),
    Param("node_step_size", "float", 0.001, "L2P-GNN: step size of the node-level inner step on the GNN", minimum=0),
    Param("graph_step_size", "float", 0.001, "L2P-GNN: step size of the graph-level inner step on the pooling matrix", minimum=0),
    Param("support_size", "int", 10, "L2P-GNN: support edges (and as many non-edges) per molecule", minimum=1),
    Param("query_size", "int", 5, "L2P-GNN: query edges (and as many non-edges) per molecule", minimum=1),
    Param("first_order", "bool", False, "L2P-GNN: first-order meta-gradient (the inner step's gradient detached) instead of second order"),
)
_SUPERVISED = (
    Param("init", "str", "none", "weights supervised pre-training starts from: none (naive multi-task) or a node-level strategy's checkpoint (node-then-graph)",
          choices=("none", *_NODE_LEVEL)),
    Param("labelled", "datasets", MOLECULENET_CLASSIFICATION,
          "labelled sources: their training splits form the corpus, leaving out the downstream set and its validation and test molecules"),
    Param("labelled_size", "int", 0, "molecules drawn from the labelled corpus (0 = all)", minimum=0),
    Param("supervised_epochs", "int", 100, "supervised pre-training epochs", minimum=1),
    Param("supervised_batch_size", "int", 32, "molecules per supervised pre-training mini-batch", minimum=1),
    Param("supervised_lr", "float", 0.001, "supervised pre-training Adam learning rate", minimum=0, exclusive_minimum=True),
    Param("supervised_dropout", "float", 0.2, "GNN dropout during supervised pre-training", minimum=0, maximum=1),
)
_NEEDS = frozenset({"molecule-features"})
#: aux-ts's auxiliary tasks: node tasks' (link and attribute reconstruction), then molecules'
_AUXILIARIES = ("link", "attributes", "random-labels", *_NODE_LEVEL)
_AUX_TS = (
    Param("auxiliaries", "list", [], "auxiliary tasks; node tasks: link (link reconstruction), attributes (masked feature reconstruction), random-labels;"
          " molecules: attrmasking, contextpred, edgepred, infomax (the strategies' objectives), random-labels. random-labels predicts labels drawn at"
          " random and exists to test the weighting (a harmful task). Empty: link and attributes on node tasks, the init strategy's objective on molecules",
          items="str", choices=_AUXILIARIES),
    Param("weighting", "str", "adaptive", "adaptive: AUX-TS's weighting network learnt by a differentiable look-ahead; equal: every auxiliary example"
          " weighted 1; target-only: no auxiliary task", choices=("adaptive", "equal", "target-only")),
    Param("init", "str", "none", "molecules: the node-level strategy whose pre-trained checkpoint fine-tuning starts from (the stage attrmasking etc."
          " share); none: random weights (the only choice on node tasks)", choices=("none", *_NODE_LEVEL)),
    Param("weighting_hidden", "int", 100, "hidden width of the weighting network (official code: 100 on OAG, 1000 on Reddit)", minimum=1),
    Param("weighting_lr", "float", 0.005, "Adam learning rate of the weighting network (official scripts' --wlr 0.005; their README says 1e-3)",
          minimum=0, exclusive_minimum=True),
    Param("look_ahead_step", "float", 0.001, "step size of the differentiable SGD look-ahead (official Reddit script: an AdamW step of lr 1e-3)",
          minimum=0, exclusive_minimum=True),
    *_FINETUNING,
    Param("patience", "int", 0, "stop after this many epochs without a better validation score; 0 runs every epoch (Hu et al.'s fine-tuning)", minimum=0),
    Param("embedding_dim", "int", 64, "node tasks: width of the node embeddings the target and auxiliary heads share (the backbone's output)", minimum=1),
    *_NODE_LEVEL_PRETRAINING,
    Param("mask_rate", "float", 0.15, "attrmasking (stage and auxiliary) and attributes: share of atoms or nodes masked per graph (floor(rate n) + 1)",
          minimum=0, exclusive_minimum=True, maximum=1),
    _CONTEXT_SIZE,
    Param("random_labels_head", "str", "target", "random-labels: the target's classifier learns the random labels (label noise, clearly harmful) or a head"
          " of its own does (found nearly harmless on Cora: it reaches the target only through the encoder)", choices=("target", "own")),
)


def _method(name: str, factory: str, doc: str, params: tuple) -> Component:
    return Component(kind="method", name=name, factory=f"harness_pretraining.methods:{factory}", doc=doc, version=_VERSION,
                     params=params, task_types=frozenset({TaskType.GRAPH_CLASSIFICATION}), needs=_NEEDS)


@hookimpl
def harness_methods():
    node_level = {
        "attrmasking": ("AttrMasking", "Hu et al.'s attribute masking pre-training (mask atoms, predict their types), then fine-tuning."),
        "contextpred": ("ContextPred", "Hu et al.'s context prediction pre-training (substructure vs. context ring, separate context GNN), then fine-tuning."),
        "edgepred": ("EdgePred", "Edge prediction pre-training (dot-product link prediction against non-bonds), then fine-tuning."),
        "infomax": ("Infomax", "Deep-graph-infomax pre-training (node vs. graph summary, negatives from another graph), then fine-tuning."),
    }
    return [
        _method("none", "Finetuning", "Fine-tuning from random weights, the no-pre-training baseline of Hu et al.", _FINETUNING),
        *(_method(name, factory, doc, (*_FINETUNING, *_NODE_LEVEL_PRETRAINING, *_STRATEGY_PARAMS[name])) for name, (factory, doc) in node_level.items()),
        _method("supervised-pretrain", "SupervisedPretraining",
                "Graph-level multi-task pre-training on a labelled corpus, from random weights (naive multi-task) or a node-level checkpoint (node-then-graph), then fine-tuning.",
                (*_FINETUNING, *_SUPERVISED, *_NODE_LEVEL_PRETRAINING, _MASK_RATE, _CONTEXT_SIZE)),
        Component(kind="method", name="aux-ts", factory="harness_pretraining.aux_ts_method:AuxTs", version=_VERSION,
                  doc="AUX-TS: fine-tuning with auxiliary self-supervised losses weighted per example by a meta-learnt weighting network (or equally, or none), on node classification and on molecules from a pre-trained GIN.",
                  params=_AUX_TS, task_types=frozenset({TaskType.NODE_CLASSIFICATION, TaskType.GRAPH_CLASSIFICATION})),
        _method("l2p-gnn", "L2P", "L2P-GNN's meta-learned pre-training (node- and graph-level adaptation, differentiable inner steps), then fine-tuning.",
                (*_FINETUNING, *_override(_NODE_LEVEL_PRETRAINING, _L2P), *_L2P[2:])),
    ]


def _override(params: tuple, replacements: tuple) -> tuple:
    """``params`` with those of the same name replaced (same order)."""
    by_name = {param.name: param for param in replacements}
    return tuple(by_name.get(param.name, param) for param in params)
